import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENVIRONMENTS } from '@strata/core';
import { appDirs, checkEnv, Layout, ToolError, UsageError } from '@strata/project';
import { lockTree, writeFileAtomic, writeFileAtomicAsync } from '@strata/emit';
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
  const built = await buildOverlays(
    root,
    overlays.map((o) => o.dir),
    { ...(onResult ? { onResult } : {}) },
  );
  const results = built.map((r, i) => {
    const { env, app } = overlays[i]!;
    const output = Layout.distOf(env, app);
    if (r.ok) writeDist(root, output, r.yaml);
    return { ...r, env, app, output };
  });
  // A build of everything leaves dist/ holding exactly the current apps and envs.
  const everything = !selection.env && !(selection.apps && selection.apps.length > 0);
  const pruned = everything ? pruneDist(root, new Set(overlays.map((o) => Layout.distOf(o.env, o.app)))) : [];
  return { results, failed: results.filter((r) => !r.ok).length, pruned };
}

/**
 * Removes every file under dist/ that is not in `keep` (paths relative to the root), and the
 * folders left empty: the built output of an app or env that no longer exists must not be shipped
 * or validated as if it were current. Returns what it removed.
 */
export function pruneDist(root: string, keep: ReadonlySet<string>): string[] {
  const removed: string[] = [];
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
      if (e.isDirectory() && sweep(path)) rmdirSync(path);
      else if (!e.isDirectory() && !keep.has(rel)) {
        rmSync(path, { force: true });
        removed.push(rel);
      } else empty = false;
    }
    return empty;
  };
  sweep(join(root, Layout.dist));
  return removed.sort();
}

/** Writes one built overlay to dist/ with the one atomic writer, so a reader never sees half of it. */
export function writeDist(root: string, output: string, yaml: string): void {
  writeFileAtomic(join(root, output), yaml);
}

/**
 * Like writeDist, off the main thread: creating many files is slow on some file systems, and the
 * caller has other work to do meanwhile.
 */
export function writeDistAsync(root: string, output: string, yaml: string): Promise<void> {
  return writeFileAtomicAsync(join(root, output), yaml);
}
