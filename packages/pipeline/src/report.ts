/**
 * The lines a command prints of what check and the pipeline found, beside validate's problem lines.
 * A module of its own that loads nothing else, so that a command can print with it before it needs
 * the rest of the pipeline; the pipeline's index exports it too.
 */

/** What check compares, which the pipeline compares too. */
export interface Comparisons {
  readonly unmatchedPatches: readonly string[];
  readonly roundTrip: readonly { readonly overlay: string; readonly id: string; readonly diff: string }[];
  readonly envRootCollisions: readonly string[];
  readonly strayFolders: readonly string[];
  readonly strayRegistrations: readonly string[];
  readonly handWritten: readonly string[];
}

/** The comparisons of check, which the pipeline runs too: one finding a line, a round-trip mismatch with its diff. */
export function comparisonLines(r: Comparisons): string[] {
  const mismatches = r.roundTrip.map((m) => `${m.overlay}: ${m.id}: kustomize build differs from the render:\n${m.diff.trimEnd()}`);
  return [...r.unmatchedPatches, ...mismatches, ...r.envRootCollisions, ...r.strayFolders, ...r.strayRegistrations, ...r.handWritten];
}

/**
 * The files without the generated header that a pipeline left alone and reports nowhere else, each
 * worth a warning: one in an app's folders (`handWritten`) or in a folder of no app
 * (`strayFolders`, a line naming the folder with its `/`) is reported as an error already.
 */
export function unreportedForeign(r: {
  readonly generated: { readonly foreign: readonly string[] };
  readonly handWritten: readonly string[];
  readonly strayFolders: readonly string[];
}): string[] {
  const reported = [...r.handWritten, ...r.strayFolders].map((l) => l.slice(0, l.indexOf(': ')));
  return r.generated.foreign.filter((f) => !reported.some((p) => f === p || (p.endsWith('/') && f.startsWith(p))));
}

/** What a pipeline validated of gitops/, the folders that bootstrap Argo CD and Flux (`PipelineResult.gitops`). */
export interface GitopsJudged {
  readonly folders: readonly string[];
  readonly resources: number;
  readonly reused: boolean;
}

/** The line a pipeline prints of gitops/: its folders (the first three, then how many more) and its objects, validated or reused. */
export function gitopsLine(g: GitopsJudged): string {
  const folders = g.folders.length > 3 ? `${g.folders.slice(0, 3).join(', ')} and ${g.folders.length - 3} more` : g.folders.join(', ');
  const objects = `${g.resources} object${g.resources === 1 ? '' : 's'}`;
  return g.reused ? `gitops: ${folders}: ${objects}, unchanged since the last run, reused` : `gitops: ${folders}: ${objects} validated`;
}
