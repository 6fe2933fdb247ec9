import type { Stats } from 'node:fs';
import { existsSync, readdirSync, readlinkSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENVIRONMENTS } from '@strata/core';
import { appDirs, checkEnv, Layout, ToolError, UsageError } from '@strata/project';
import { linkedFolder, lockTree, writeFileAtomic, writeFileAtomicAsync } from '@strata/emit';
import { buildOverlays, type BuildResult } from '@strata/kustomize';
import type { Selection } from './generate.ts';

/** The overlay folders of a selection, as `overlays/<env>/<app>`. */
export function selectOverlays(root: string, selection: Selection = {}): { env: string; app: string; dir: string }[] {
  const env = checkEnv(selection.env);
  const known = appDirs(root);
  for (const app of selection.apps ?? []) {
    if (!known.includes(app)) throw new UsageError(`unknown app "${app}"; known apps: ${known.join(', ') || '(none)'}`);
  }
  const apps = selection.apps && selection.apps.length > 0 ? [...selection.apps].sort() : known;
  const out: { env: string; app: string; dir: string }[] = [];
  for (const e of env ? [env] : ENVIRONMENTS) {
    for (const app of apps) {
      const dir = Layout.overlay(e, app);
      if (!existsSync(join(root, dir, 'kustomization.yaml'))) {
        throw new UsageError(`${dir} does not exist; run \`npx strata generate --app ${app}\` first`);
      }
      out.push({ env: e, app, dir });
    }
  }
  return out;
}

export interface BuildOutcome {
  readonly results: (BuildResult & { env: string; app: string; output: string })[];
  readonly failed: number;
  /** dist/ files of apps or envs that no longer exist, removed (only when everything was built). */
  readonly pruned?: string[];
}

/**
 * Build results that kustomize never judged (it crashed, was killed, or answered with something
 * unreadable) make the run a tool error, not an invalid input: thrown once the results are shown.
 * `overlays` counts everything the run built, the env roots of `check` included.
 */
export function failOnToolFailures(results: readonly Pick<BuildResult, 'toolFailed'>[], overlays = results.length): void {
  const failed = results.filter((b) => b.toolFailed);
  if (failed.length > 0)
    throw new ToolError(
      `kustomize failed on ${failed.length} of ${overlays} overlays without judging them (see above); run again, or rerun \`npm run build\` to rebuild the tools`,
    );
}

/**
 * `strata build`: kustomize build every selected overlay in parallel into dist/<env>/<app>.yaml.
 * Holds the tree's writer lock throughout, so that it neither reads overlays that a generate is
 * writing nor writes dist/ beside another build or pipeline.
 */
export async function build(root: string, selection: Selection = {}, onResult?: (r: BuildResult) => void): Promise<BuildOutcome> {
  const lock = lockTree(root, { label: 'strata build' });
  try {
    return await buildLocked(root, selection, onResult);
  } finally {
    lock.release();
  }
}

async function buildLocked(root: string, selection: Selection, onResult?: (r: BuildResult) => void): Promise<BuildOutcome> {
  const overlays = selectOverlays(root, selection);
  const outputs = overlays.map((o) => Layout.distOf(o.env, o.app));
  // A build of everything leaves dist/ holding exactly the current apps and envs.
  const everything = !selection.env && !(selection.apps && selection.apps.length > 0);
  // Refused before anything is built, so that nothing is written or removed.
  for (const output of outputs) refuseLinkedDist(root, output);
  if (everything) prunePlan(root, new Set(outputs));
  const built = await buildOverlays(
    root,
    overlays.map((o) => o.dir),
    { ...(onResult ? { onResult } : {}) },
  );
  const results = built.map((r, i) => {
    const { env, app } = overlays[i]!;
    const output = outputs[i]!;
    if (r.ok) writeDist(root, output, r.yaml);
    return { ...r, env, app, output };
  });
  const pruned = everything ? pruneDist(root, new Set(outputs)) : [];
  return { results, failed: results.filter((r) => !r.ok).length, pruned };
}

/**
 * dist/, or a folder in it, that is a symbolic link would have the writer put built output outside
 * the workspace (or into another env's folder) and the pruning remove what it finds there, and then
 * the link itself as stale: refused in one line. A dist/ file that is a link is replaced by the
 * rename, never written through, so it needs no refusal.
 */
function linkError(folder: string, target: string): Error {
  return new Error(
    `${folder}: is a symbolic link (to ${target}); built output goes only to plain folders in the workspace, so nothing was written or removed through it: remove the link, then run again`,
  );
}

/** Throws, in one line, when dist/ or a folder of it on the way to `output` (`dist/<env>/<app>.yaml`) is a symbolic link. */
export function refuseLinkedDist(root: string, output: string): void {
  const link = linkedFolder(root, output);
  if (link) throw linkError(link.folder, link.target);
}

/**
 * What pruneDist would remove: files, then the folders left empty (deepest first). Throws before
 * anything is removed when dist/ or a folder in it is a symbolic link.
 */
function prunePlan(root: string, keep: ReadonlySet<string>): { files: string[]; folders: string[] } {
  const files: string[] = [];
  const folders: string[] = [];
  // dist/ itself first: the sweep would follow it.
  refuseLinkedDist(root, `${Layout.dist}/`);
  const sweep = (dir: string): boolean => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    let empty = true;
    for (const e of entries) {
      const path = join(dir, e.name);
      const rel = relative(root, path);
      if (e.isSymbolicLink() && isFolder(path)) throw linkError(rel, readlinkSync(path));
      if (e.isDirectory()) {
        if (sweep(path)) folders.push(path);
        else empty = false;
      } else if (!keep.has(rel)) files.push(rel);
      else empty = false;
    }
    return empty;
  };
  sweep(join(root, Layout.dist));
  return { files, folders };
}

const isFolder = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a broken link: removed as a file would be
  }
};

/**
 * Removes every file under dist/ that is not in `keep` (paths relative to the root), and the
 * folders left empty: the built output of an app or env that no longer exists must not be shipped
 * or validated as if it were current. Returns what it removed. Refuses, removing nothing, when
 * dist/ or a folder in it is a symbolic link.
 */
export function pruneDist(root: string, keep: ReadonlySet<string>): string[] {
  const { files, folders } = prunePlan(root, keep);
  for (const rel of files) rmSync(join(root, rel), { force: true });
  for (const folder of folders) rmdirSync(folder);
  return files.sort();
}

/**
 * Writes one built overlay to dist/ with the one atomic writer, so a reader never sees half of it;
 * refused when dist/ or its env folder is a symbolic link.
 */
export function writeDist(root: string, output: string, yaml: string): void {
  refuseLinkedDist(root, output);
  writeFileAtomic(join(root, output), yaml);
}

/**
 * Like writeDist, off the main thread: creating many files is slow on some file systems, and the
 * caller has other work to do meanwhile. Resolves with the status of the file as written.
 */
export async function writeDistAsync(root: string, output: string, yaml: string): Promise<Stats> {
  refuseLinkedDist(root, output);
  return writeFileAtomicAsync(join(root, output), yaml);
}
