import { type Command, Option } from 'commander';
import { findRoot } from '@strata/project';
import { formatReport, OUTPUT_FORMATS, type OutputFormat, reportError } from '@strata/validate/formats';
import { formatSummary, problemLines, summarize } from '@strata/validate/report';
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
        EnvRootCollisionError,
        gate,
        gateDriftSummary,
        gatePhases,
        gateProblems,
        gateSummary,
        gateVerdict,
        pipelineSummary,
        selectOverlays,
      } = await import('@strata/pipeline');
      const text = o.output === 'text';
      const step = text ? progress('build', o.cache ? 0 : selectOverlays(root).length) : undefined;
      // A report on stdout stays one document: its lines are for text output only.
      const report = async (
        problems: Parameters<typeof summarize>[0],
        resources: number,
        phases?: Record<string, number>,
        run: { readonly notes?: readonly string[]; readonly skipped?: readonly string[] } = {},
      ) => {
        if (o.output === 'text') return;
        const { ruleHelp } = await import('@strata/validate');
        out(
          formatReport(
            o.output,
            {
              problems,
              summary: summarize(problems, resources, run.skipped),
              suite: 'strata ci',
              ...(phases ? { phases } : {}),
              ...(run.notes?.length ? { notes: run.notes } : {}),
            },
            VERSION,
            ruleHelp,
          ),
        );
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
          if (o.output !== 'text') out(reportError(o.output, ['.'], e, VERSION, (await import('@strata/validate')).ruleHelp, 'strata ci'));
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
      const verified = r.verified ? summarize(r.verified.problems, r.verified.objects) : undefined;
      if (text && r.verified && verified) {
        for (const line of problemLines(r.verified.problems)) out(line);
        out(`verify: ${formatSummary(verified)} (${seconds()})`);
      }
      if (text) out(`${gateSummary(r, v)} (${seconds()})`);
      else await report(gateProblems(r), v.resources, gatePhases(r), r.pipeline);
      settle(v);
    });
}
