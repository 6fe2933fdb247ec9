/** How the results that more than one command prints are printed. */
import { problemLines } from '@strata/validate/report';
import { buildFailureLine } from '@strata/pipeline/build-line';
// Types only: erased, so the packages still load when a command needs them.
import type { Drift, ImageEdit, PipelineResult, ReleaseResult, VerifyReport } from '@strata/pipeline';
import { err, out, seconds } from './common.ts';

/** What a pipeline did, as `strata pipeline` prints it, ending with `summary` (the pipeline's `pipelineSummary`). */
export function printPipeline(r: PipelineResult, summary: string): void {
  const g = r.generated;
  for (const f of g.written) out(`wrote ${f}`);
  for (const f of g.removed) out(`removed ${f} (stale)`);
  for (const f of r.pruned) out(`removed ${f} (no such app or env)`);
  // Those in an app's folders or in a folder of no app are reported below, as errors.
  const reported = [...r.handWritten, ...r.strayFolders].map((l) => l.slice(0, l.indexOf(': ')));
  for (const f of g.foreign)
    if (!reported.some((p) => f === p || (p.endsWith('/') && f.startsWith(p)))) err(`warning: ${f} has no generated header; left alone`);
  const reused = r.reused > 0 ? `; ${r.reused} of ${r.apps} ${r.apps === 1 ? 'app' : 'apps'} unchanged since the last run, reused` : '';
  out(`generate: ${g.written.length} written, ${g.removed.length} removed, ${g.unchanged} unchanged${reused} (${r.phases.generate.toFixed(2)}s)`);
  for (const b of r.built.results) if (!b.ok) err(buildFailureLine(b));
  out(`build: ${r.built.results.length - r.built.failed} of ${r.built.results.length} overlays built (${r.phases.build.toFixed(2)}s)`);
  for (const line of [...problemLines(r.problems), ...comparisonLines(r)]) out(line);
  for (const note of r.notes) err(note);
  out(`${summary} (${seconds()})`);
}

/** The comparisons of check, which the pipeline runs too: one finding a line, a round-trip mismatch with its diff. */
export function comparisonLines(r: {
  unmatchedPatches: readonly string[];
  roundTrip: readonly { overlay: string; id: string; diff: string }[];
  envRootCollisions: readonly string[];
  strayFolders: readonly string[];
  strayRegistrations: readonly string[];
  handWritten: readonly string[];
}): string[] {
  const mismatches = r.roundTrip.map((m) => `${m.overlay}: ${m.id}: kustomize build differs from the render:\n${m.diff.trimEnd()}`);
  return [...r.unmatchedPatches, ...mismatches, ...r.envRootCollisions, ...r.strayFolders, ...r.strayRegistrations, ...r.handWritten];
}

/** Each drifted file as `strata check` prints it: its diff, or one line for a stale file. */
export function printDrift(drift: readonly Drift[]): void {
  for (const d of drift) out(d.kind === 'stale' ? d.diff : d.diff.trimEnd());
}

/**
 * After a check's summary: the command that carries each in-place `images:` edit into the pins, and
 * what to do about the drift; when generate would refuse the tree (`refused`, objects two apps of an
 * env share), what to fix first instead.
 */
export async function printDriftHints(drift: readonly Drift[], imageEdits: readonly ImageEdit[], refused: readonly string[] = []): Promise<void> {
  if (refused.length > 0) {
    err('generate refuses this tree: two apps of an env render the same object; rename or remove it in one of them, then regenerate and commit');
    return;
  }
  // Loaded by the commands that found the drift already.
  const { describeImageEdit, imageEditHints, LINE_ENDINGS_FIX } = await import('@strata/pipeline');
  for (const e of imageEdits) out(describeImageEdit(e));
  if (drift.some((d) => d.lineEndings)) err(LINE_ENDINGS_FIX);
  if (imageEdits.length > 0) for (const line of imageEditHints(imageEdits)) err(line);
  else if (drift.some((d) => !d.picture && !d.lineEndings))
    err(
      drift.some((d) => d.picture)
        ? 'the committed tree is out of date: run `npx strata generate`, then `npm run topology`, and commit the result'
        : 'the committed tree is out of date: run `npx strata generate` and commit the result',
    );
  else if (drift.some((d) => d.picture)) err('the topology pictures are out of date: run `npm run topology` and commit docs/');
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
