import { type Command, Option } from 'commander';
import { ENVIRONMENTS } from '@strata/core';
import { findRoot } from '@strata/project';
import { formatReport, OUTPUT_FORMATS, type OutputFormat, reportError } from '@strata/validate/formats';
import { formatSummary, problemLines, summarize } from '@strata/validate/report';
import { EXIT, settle } from '../exit.ts';
import { err, nounCount, onWarning, out, progress, seconds, VERSION } from '../common.ts';
import { onVerifyPhase, printDrift, printDriftHints, printPipeline, printServer } from '../reports.ts';

/** Adds `strata ci` to the program. */
export function registerCi(program: Command): void {
  program
    .command('ci')
    .description(
      'the CI gate in one process: the pipeline, frozen (drift fails it, changing nothing), with everything check compares, ' +
        'then what it built dry-run applied from memory to a throw-away kube-apiserver started while the pipeline runs',
    )
    .option('--no-cache', 'render, build and validate every app, reusing nothing of an earlier pipeline')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .action(async (o: { cache: boolean; output: OutputFormat }) => {
      const root = findRoot();
      const { DriftError, driftProblems, gate, gateProblems, gateVerdict, selectOverlays } = await import('@strata/pipeline');
      const text = o.output === 'text';
      const step = text ? progress('build', o.cache ? 0 : selectOverlays(root).length) : undefined;
      // A report on stdout stays one document: its lines are for text output only.
      const report = async (problems: Parameters<typeof summarize>[0], resources: number, phases?: Record<string, number>) => {
        if (o.output === 'text') return;
        const { ruleHelp } = await import('@strata/validate');
        out(
          formatReport(
            o.output,
            { problems, summary: summarize(problems, resources), suite: 'strata ci', ...(phases ? { phases } : {}) },
            VERSION,
            ruleHelp,
          ),
        );
      };
      let r;
      try {
        r = await gate(root, {
          cache: o.cache,
          onWarning,
          ...(step ? { onBuild: (b) => step(b.overlay, b.ok, b.millis) } : {}),
          // As soon as it is in: the dry run takes seconds more.
          onPipeline: (p) => {
            // A report's notes go to stderr, as validate's do.
            if (!text) for (const note of p.notes) err(note);
            else printPipeline(p);
          },
          onPhase: onVerifyPhase,
          onProgress: (line) => err(line),
        });
      } catch (e) {
        if (!(e instanceof DriftError)) {
          if (o.output !== 'text') out(reportError(o.output, ['.'], e, VERSION, (await import('@strata/validate')).ruleHelp, 'strata ci'));
          throw e;
        }
        process.exitCode = EXIT.invalid;
        if (!text) return report(driftProblems(e), 0);
        // As check reports drift; nothing was written, built or applied.
        printDrift(e.drift);
        const files = e.changes.written.length + e.changes.removed.length;
        out(
          `ci: failed: ${files} generated file${files === 1 ? ' is' : 's are'} not what the code generates; nothing was written, built or applied (${seconds()})`,
        );
        printDriftHints(e.drift, e.imageEdits);
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
      const found = [
        counted(v.notBuilt, 'overlay that did not build', 'overlays that did not build'),
        counted(v.problems, 'validation error', 'validation errors'),
        counted(v.compared, 'round-trip, patch or env-root finding', 'round-trip, patch or env-root findings'),
        counted(v.serverErrors, 'error from the API server', 'errors from the API server'),
      ].filter((x) => x !== undefined);
      const applied = r.verified ? ` and ${r.verified.objects} dry-run applied` : '';
      if (text)
        out(
          v.outcome === 'passed'
            ? `ci: passed: ${nounCount(r.pipeline.apps, 'app')} x ${ENVIRONMENTS.length} envs, ${v.resources} resources generated, built, validated${applied} (${seconds()})`
            : `ci: failed: ${found.join(', ')} (${seconds()})`,
        );
      else {
        const { phases } = r.pipeline;
        const ms = (s: number) => Math.round(s * 1000);
        await report(gateProblems(r), v.resources, {
          generate: ms(phases.generate),
          build: ms(phases.build),
          validate: ms(phases.validate),
          ...(r.verified?.phases ?? {}),
        });
      }
      settle(v);
    });
}

const counted = (n: number, one: string, many: string) => (n === 0 ? undefined : `${n} ${n === 1 ? one : many}`);
