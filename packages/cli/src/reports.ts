/** How the results that more than one command prints are printed. */
import { problemLines } from '@strata/validate/report';
import { buildFailureLine } from '@strata/pipeline/build-line';
import { comparisonLines, gitopsLine, unreportedForeign } from '@strata/pipeline/report';
// Types only: erased, so the packages still load when a command needs them.
import type { Drift, ImageEdit, PipelineResult, ReleaseResult, VerifyReport } from '@strata/pipeline';
import { err, out, seconds } from './common.ts';

/** What a pipeline did, as `strata pipeline` prints it, ending with `summary` (the pipeline's `pipelineSummary`). */
export function printPipeline(r: PipelineResult, summary: string): void {
  const g = r.generated;
  for (const f of g.written) out(`wrote ${f}`);
  for (const f of g.removed) out(`removed ${f} (stale)`);
  for (const f of r.pruned) out(`removed ${f} (no such app or env)`);
  for (const f of unreportedForeign(r)) err(`warning: ${f} has no generated header; left alone`);
  const reused = r.reused > 0 ? `; ${r.reused} of ${r.apps} ${r.apps === 1 ? 'app' : 'apps'} unchanged since the last run, reused` : '';
  out(`generate: ${g.written.length} written, ${g.removed.length} removed, ${g.unchanged} unchanged${reused} (${r.phases.generate.toFixed(2)}s)`);
  for (const b of r.built.results) if (!b.ok) err(buildFailureLine(b));
  out(`build: ${r.built.results.length - r.built.failed} of ${r.built.results.length} overlays built (${r.phases.build.toFixed(2)}s)`);
  if (r.gitops) out(gitopsLine(r.gitops));
  for (const line of [...problemLines(r.problems), ...comparisonLines(r)]) out(line);
  for (const note of r.notes) err(note);
  out(`${summary} (${seconds()})`);
}

/** Each drifted file as `strata check` prints it: its diff, or one line for a stale file. */
export function printDrift(drift: readonly Drift[]): void {
  for (const d of drift) out(d.kind === 'stale' ? d.diff : d.diff.trimEnd());
}

/** After a check's summary: what `driftHints` of the pipeline says to do about the drift. */
export async function printDriftHints(drift: readonly Drift[], imageEdits: readonly ImageEdit[], refused: readonly string[] = []): Promise<void> {
  // Loaded by the commands that found the drift already.
  const hints = (await import('@strata/pipeline')).driftHints(drift, imageEdits, refused);
  for (const line of hints.edits) out(line);
  for (const line of hints.advice) err(line);
}

/** Prints a release's changes and the generated files it rewrote. */
export async function printRelease(verb: string, r: ReleaseResult): Promise<void> {
  (await import('./colorize.ts')).printDiffs(r.diffs, out);
  // Loaded by the command that made the release already.
  const { describePinChange, releaseSummary } = await import('@strata/pipeline');
  for (const c of r.changes) out(describePinChange(c));
  out(`${verb}: ${releaseSummary(r)} (${seconds()})`);
}

/** verify's phases as they end, on stderr. */
export const onVerifyPhase = (name: string, ms: number) => err(`verify: ${name} ${(ms / 1000).toFixed(2)}s`);

/** The server a verify run used, and what a server of its version cannot say for the envs, on stderr. */
export function printServer(r: VerifyReport): void {
  err(`verify: server is Kubernetes ${r.serverVersion}`);
  for (const note of r.notes) err(`verify: ${note}`);
}
