import { type Command, Option } from 'commander';
import { findRoot, type Problem } from '@strata/project';
import { OUTPUT_FORMATS, type OutputFormat } from '@strata/validate/formats';
import { EXIT, settle } from '../exit.ts';
import { err, onWarning, out, progress, seconds, VERSION } from '../common.ts';
import { onVerifyPhase, printDrift, printDriftHints, printPipeline, printServer } from '../reports.ts';

/** Adds `strata ci` to the program. */
export function registerCi(program: Command): void {
  program
    .command('ci')
    .description(
      'the CI gate in one process: the pipeline, frozen (drift fails it, changing nothing), with everything check compares, ' +
        'then what it built dry-run applied from memory to a throw-away kube-apiserver started while the pipeline runs',
    )
    .option(
      '--against <ref>',
      'also check what it built as an upgrade of what this git ref builds (in a pull request, the target branch: origin/main), ' +
        'applied for real first on the same server, as verify --against does: a change a cluster refuses on update fails the gate',
    )
    .option('--no-cache', 'render, build and validate every app, reusing nothing of an earlier pipeline')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .action(async (o: { cache: boolean; against?: string; output: OutputFormat }) => {
      const root = findRoot();
      const {
        collisionProblems,
        DriftError,
        driftProblems,
        failureReport,
        EnvRootCollisionError,
        gate,
        gateDriftSummary,
        gatePhases,
        gateProblems,
        gateSummary,
        gateVerdict,
        pipelineSummary,
        resultReport,
        selectOverlays,
      } = await import('@strata/pipeline');
      const text = o.output === 'text';
      const step = text ? progress('build', o.cache ? 0 : selectOverlays(root).length) : undefined;
      // A report on stdout stays one document: its lines are for text output only.
      const report = async (
        problems: readonly Problem[],
        resources: number,
        phases?: Record<string, number>,
        run: { readonly notes?: readonly string[]; readonly skipped?: readonly string[] } = {},
      ) => {
        if (text) return;
        const { lines } = await resultReport(
          {
            problems,
            resources,
            suite: 'strata ci',
            ...(run.skipped ? { skipped: run.skipped } : {}),
            ...(phases ? { phases } : {}),
            ...(run.notes ? { notes: run.notes } : {}),
          },
          { format: o.output, version: VERSION, label: '', elapsed: '' },
        );
        for (const line of lines) out(line);
      };
      let r;
      try {
        r = await gate(root, {
          cache: o.cache,
          ...(o.against !== undefined ? { against: o.against } : {}),
          onWarning,
          ...(step ? { onBuild: (b) => step(b.overlay, b.ok, b.millis) } : {}),
          // As soon as it is in: the dry run takes seconds more.
          onPipeline: (p) => {
            // A report's notes go to stderr, as validate's do.
            if (!text) for (const note of p.notes) err(note);
            else printPipeline(p, pipelineSummary(p));
          },
          onPhase: onVerifyPhase,
          onProgress: (line) => err(line),
        });
      } catch (e) {
        // Refused before anything was written, with generate's message; a report names each collision.
        if (e instanceof EnvRootCollisionError && !text) {
          process.exitCode = EXIT.invalid;
          return report(collisionProblems(e), 0);
        }
        if (!(e instanceof DriftError)) {
          const document = await failureReport(o.output, ['.'], e, VERSION, 'strata ci');
          if (document !== undefined) out(document);
          throw e;
        }
        process.exitCode = EXIT.invalid;
        if (!text) return report(driftProblems(e), 0);
        // As check reports drift; nothing was written, built or applied.
        printDrift(e.drift);
        out(`${gateDriftSummary(e)} (${seconds()})`);
        await printDriftHints(e.drift, e.imageEdits);
        return;
      }
      const v = gateVerdict(r);
      if (r.verified) printServer(r.verified);
      else err(`verify: ${r.notVerified}`);
      if (text && r.verified) {
        const { lines } = await resultReport(
          { problems: r.verified.problems, resources: r.verified.objects, suite: 'strata verify' },
          { format: 'text', version: VERSION, label: 'verify: ', elapsed: seconds() },
        );
        for (const line of lines) out(line);
      }
      if (text) out(`${gateSummary(r, v)} (${seconds()})`);
      else await report(gateProblems(r), v.resources, gatePhases(r), r.pipeline);
      settle(v);
    });
}
