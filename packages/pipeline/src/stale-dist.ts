import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ENVIRONMENTS } from '@strata/core';
import { linkedState, refuseLinkedState, writeFileAtomic } from '@strata/emit';
import { distOf, filesIn, Layout, type Problem } from '@strata/project';
import { cacheFile, hashFile, hashOf, verify, type PipelineCache } from './cache.ts';

/** The content of a built file as the build wrote it. */
export interface Written {
  readonly hash: string;
  readonly size: number;
}

/**
 * What each `dist/<env>/<app>.yaml` held when `strata build` (or the pipeline) wrote it, kept beside
 * the pipeline's cache: a built file edited since, or put there by something else, is then told
 * from what its overlay built.
 */
const writtenFile = (root: string) => join(root, Layout.cache, 'dist.json');

function writtenOnDisk(root: string): Record<string, Written> {
  // A record reached through a link is another place's: it vouches for nothing built here.
  if (linkedState(root)) return {};
  try {
    const files = (JSON.parse(readFileSync(writtenFile(root), 'utf8')) as { files?: unknown }).files;
    return files && typeof files === 'object' ? (files as Record<string, Written>) : {};
  } catch {
    return {};
  }
}

/**
 * Records what the build just wrote to each of `built` (`dist/<env>/<app>.yaml`, relative to the
 * root), from the text it wrote, so nothing is read back; files the build `removed` are forgotten.
 * `kept`: files an earlier build of this checkout wrote and the caller found as written (the
 * pipeline's reused apps), recorded again, so a record lost since is made whole. Called by the writer of dist/,
 * holding the tree's lock; writes only when the record changes.
 */
export function recordBuilt(
  root: string,
  built: readonly { readonly output: string; readonly yaml: string }[],
  removed: readonly string[] = [],
  kept: Readonly<Record<string, Written>> = {},
): void {
  if (built.length === 0 && removed.length === 0 && Object.keys(kept).length === 0) return;
  refuseLinkedState(root);
  const files = writtenOnDisk(root);
  const before = JSON.stringify(files);
  for (const [f, { hash, size }] of Object.entries(kept)) files[f] = { hash, size };
  for (const b of built) files[b.output] = { hash: hashOf(b.yaml), size: Buffer.byteLength(b.yaml) };
  for (const f of removed) delete files[f];
  if (JSON.stringify(files) !== before) writeFileAtomic(writtenFile(root), JSON.stringify({ files }));
}

/**
 * The record of what the builds wrote without the built files of `app` (`dist/<env>/<app>.yaml`), as
 * the path (relative to the root) and content for the tree writer, for a removal of the app: a record
 * left behind would judge a file of that name, later built by something else or for an app of the
 * same name, against what the removed app's build wrote. Undefined when it records none of them.
 */
export function recordWithoutApp(root: string, app: string): [string, string] | undefined {
  const files = writtenOnDisk(root);
  const gone = ENVIRONMENTS.map((env) => Layout.distOf(env, app)).filter((f) => f in files);
  if (gone.length === 0) return undefined;
  for (const f of gone) delete files[f];
  return [relative(root, writtenFile(root)).split(sep).join('/'), JSON.stringify({ files })];
}

/** Whether a built file no longer holds what the build wrote to it: its size, else its content, differs. */
function changedSinceWritten(path: string, written: Written): boolean {
  const size = statSync(path, { throwIfNoEntry: false })?.size;
  return size !== written.size || hashFile(path) !== written.hash;
}

/** The folders an overlay builds from: its own and its app's base. */
const foldersOf = (env: string, app: string) => [Layout.baseOf(app), Layout.overlay(env, app)];

/** The files in those folders. */
function sourcesOf(root: string, folders: readonly string[]): string[] {
  return folders.filter((d) => existsSync(join(root, d))).flatMap((d) => filesIn(join(root, d)).map((f) => relative(root, f).split(sep).join('/')));
}

/** The pipeline's cache as it lies on disk; empty when there is none. Only a warning depends on it. */
function cacheOnDisk(root: string): Partial<PipelineCache> {
  try {
    return JSON.parse(readFileSync(cacheFile(root), 'utf8')) as Partial<PipelineCache>;
  } catch {
    return {};
  }
}

/**
 * The first file of an overlay (or of its base) that is not as it was when `dist` was built from it:
 * by the pipeline's stamps when the pipeline built `dist` and it is as that run left it, else by the
 * files' times (a file changed after `dist` was written). Undefined when `dist` is current.
 */
function changedSince(
  root: string,
  dist: string,
  folders: readonly string[],
  stamps: PipelineCache['apps'][string]['outputs'] | undefined,
): string | undefined {
  const sources = sourcesOf(root, folders);
  if (stamps?.[dist] && verify(join(root, dist), stamps[dist])) {
    const inFolders = (f: string) => folders.some((d) => f.startsWith(`${d}/`));
    // A file of the build that changed or went, then a file added since.
    return (
      Object.keys(stamps)
        .filter(inFolders)
        .find((f) => !verify(join(root, f), stamps[f]!)) ?? sources.find((f) => !(f in stamps))
    );
  }
  const built = statSync(join(root, dist)).mtimeMs;
  return sources
    .map((f) => ({ f, t: statSync(join(root, f)).mtimeMs }))
    .filter((s) => s.t > built)
    .sort((a, b) => b.t - a.t)[0]?.f;
}

/** Which built files `staleBuilds` judges: those of an env's overlays (of some apps), or the built files named. */
export type BuiltSelection =
  | { readonly env?: string; readonly app?: readonly string[]; readonly files?: undefined }
  /** Files named from the root; those that are not `dist/<env>/<app>.yaml` are passed over. */
  | { readonly files: readonly string[] };

/** The env and app of each built file of the selection, in order. */
function builtOf(root: string, selection: BuiltSelection): { env: string; app: string }[] {
  if (selection.files) return selection.files.flatMap((f) => distOf(f) ?? []);
  const { env: only, app: apps } = selection;
  return (only ? [only] : ENVIRONMENTS).flatMap((env) => {
    const dir = join(root, Layout.envRoot(env));
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !(apps && apps.length > 0 && !apps.includes(d.name)))
      .map((d) => d.name)
      .sort((a, b) => a.localeCompare(b))
      .map((app) => ({ env, app }));
  });
}

/**
 * The built files (`dist/<env>/<app>.yaml`) of the selection that are not what a build of the
 * overlay files now on disk wrote (edited since the build, or built before a branch switched, an
 * overlay edited or regenerated), or that no build of this checkout recorded writing (copied in from
 * another checkout), as warnings: judging them answers for a tree that is not the one about to ship. A built file whose overlay is gone is no app's (the pipeline removes it). Each is
 * read once more at most, to compare it with what its build wrote.
 */
export function staleBuilds(root: string, selection: BuiltSelection): Problem[] {
  const built = builtOf(root, selection);
  if (built.length === 0) return [];
  const cache = cacheOnDisk(root);
  const written = writtenOnDisk(root);
  const problems: Problem[] = [];
  for (const { env, app } of built) {
    const dist = Layout.distOf(env, app);
    if (!existsSync(join(root, dist)) || !existsSync(join(root, Layout.overlayKustomization(env, app)))) continue;
    // The file itself first: one this checkout's build never wrote (copied in from another checkout,
    // or left from before the record was kept) is newer than every overlay, so its times say nothing.
    if (!written[dist]) {
      problems.push({
        file: dist,
        rule: 'stale-build',
        severity: 'warning',
        message: `not built in this checkout (${Layout.cache}/dist.json holds no record of a build writing it: copied from another checkout, or built before the record was kept): what is judged may not be what ${Layout.overlay(env, app)} builds; run \`npx strata build --env ${env} --app ${app}\` (or \`npm run build\`) first`,
      });
      continue;
    }
    // Edited by hand, or copied from elsewhere over a build: it is no build of anything on disk.
    if (changedSinceWritten(join(root, dist), written[dist])) {
      problems.push({
        file: dist,
        rule: 'stale-build',
        severity: 'warning',
        message: `changed after \`strata build\` wrote it (edited, or copied from elsewhere): what is judged is not what ${Layout.overlay(env, app)} builds; run \`npx strata build --env ${env} --app ${app}\` (or \`npm run build\`) first`,
      });
      continue;
    }
    const changed = changedSince(root, dist, foldersOf(env, app), cache.apps?.[app]?.outputs);
    if (changed === undefined) continue;
    problems.push({
      file: dist,
      rule: 'stale-build',
      severity: 'warning',
      message: `built before ${changed} changed: what is judged is not what ${Layout.overlay(env, app)} builds now; run \`npm run build\` (or \`npx strata build --env ${env} --app ${app}\`) first`,
    });
  }
  return problems;
}
