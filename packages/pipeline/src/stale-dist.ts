import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ENVIRONMENTS } from '@strata/core';
import { linkedState, refuseLinkedState, writeFileAtomic } from '@strata/emit';
import { remoteInputs, type Reach } from '@strata/kustomize/remote';
import { distOf, filesIn, Layout, listOverlays, type Problem } from '@strata/project';
import { hashFile, hashOf, stampOf, verify, type Stamp } from './cache.ts';

/** The content of a built file as the build wrote it, and what the build read to make it. */
export interface Written {
  readonly hash: string;
  readonly size: number;
  /**
   * The folders of the kustomizations the build reached (relative to the root, none inside
   * another): every file under them counts as read, so a file added there since is a change.
   */
  readonly dirs?: readonly string[];
  /**
   * The hash of every file the build read, as it was before the build read it: those under `dirs`
   * and the files they name outside them. A file whose content was not known is recorded as `-`,
   * which matches nothing.
   */
  readonly inputs?: Readonly<Record<string, string>>;
}

/** The record: the built files, and the last stamp of each input, so an input unchanged since is not read again. */
interface Record_ {
  files: Record<string, Written>;
  stamps: Record<string, Stamp>;
}

/**
 * What each `dist/<env>/<app>.yaml` held when `strata build` (or the pipeline) wrote it, and the
 * content of every file that build read, kept beside the pipeline's cache: a built file edited
 * since, or put there by something else, is then told from what its overlay built, and an overlay
 * or base whose content changed since the build is told, whatever its times say (a file copied in
 * with `cp -p` or unpacked by `tar` keeps an older modification time).
 */
const writtenFile = (root: string) => join(root, Layout.cache, 'dist.json');

function recordOnDisk(root: string): Record_ {
  // A record reached through a link is another place's: it vouches for nothing built here.
  if (linkedState(root)) return { files: {}, stamps: {} };
  try {
    const read = JSON.parse(readFileSync(writtenFile(root), 'utf8')) as { files?: unknown; stamps?: unknown };
    const object = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
    return { files: object(read.files) as Record<string, Written>, stamps: object(read.stamps) as Record<string, Stamp> };
  } catch {
    return { files: {}, stamps: {} };
  }
}

/** Paths relative to the root, with `/`. */
const rel = (root: string, path: string) => relative(root, path).split(sep).join('/');

/** The folders an overlay builds from when it is as generated: its own and its app's base. */
export const foldersOf = (env: string, app: string) => [Layout.overlay(env, app), Layout.baseOf(app)];

/** The folders of `dirs` that lie in none of the others. */
function outermost(dirs: Iterable<string>): string[] {
  const sorted = [...new Set(dirs)].sort();
  return sorted.filter((d) => !sorted.some((o) => o !== d && d.startsWith(`${o}/`)));
}

/** The files under a folder (relative to the root), by folder: a base that three overlays read is listed once. */
export type Listing = Map<string, readonly string[]>;

/** Every file under `dirs` (relative to the root), links to files included: kustomize reads through them. */
function filesUnder(root: string, dirs: readonly string[], listing: Listing = new Map()): string[] {
  return dirs.flatMap((d) => {
    let files = listing.get(d);
    if (!files) {
      files = existsSync(join(root, d)) ? filesIn(join(root, d), { links: true }).map((f) => rel(root, f)) : [];
      listing.set(d, files);
    }
    return files;
  });
}

/** What a build of an overlay reads, before it is built: the folders it reaches and the files it names outside them. */
export interface OverlayInputs {
  readonly dirs: readonly string[];
  readonly files: readonly string[];
}

/**
 * What a build of the overlay `dir` (relative to the root) reads, from the walk of its
 * kustomizations (`reach`, when the caller walked them already for what it would fetch).
 */
export function overlayInputs(root: string, dir: string, reach?: Reach, listing?: Listing): OverlayInputs {
  if (!reach) {
    reach = { folders: new Set(), files: new Set() };
    remoteInputs(join(root, dir), reach);
  }
  const inside = (f: string) => f === root || f.startsWith(`${root}${sep}`);
  const dirs = outermost([...reach.folders].filter(inside).map((f) => rel(root, f)));
  const under = new Set(filesUnder(root, dirs, listing));
  const named = [...reach.files].filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile()).map((f) => (inside(f) ? rel(root, f) : resolve(f)));
  return { dirs, files: [...new Set([...under, ...named])].sort() };
}

/** Stamps files (relative to the root, or absolute outside it) once each, as they are now; undefined for one that cannot be read. */
export function stamper(root: string): (file: string) => Stamp | undefined {
  const known = new Map<string, Stamp | undefined>();
  return (file) => {
    if (!known.has(file)) known.set(file, stampOf(resolve(root, file)));
    return known.get(file);
  };
}

/**
 * Records what the build just wrote to each of `built` (`dist/<env>/<app>.yaml`, relative to the
 * root), from the text it wrote, so nothing is read back, with what it read (`inputs`, stamped by
 * `stamp` as they were before the build read them; when a caller gives none, as they are on disk
 * now); files the build `removed` are forgotten. `kept`: files an earlier build of this checkout
 * wrote and the caller found as written (the pipeline's reused apps, whose inputs it found
 * unchanged too), recorded again when the record lost them, so a record lost since is made whole.
 * Returns the record's path and content for the caller's writer, or undefined when it does not
 * change; recordBuilt writes it.
 */
export function builtRecord(
  root: string,
  built: readonly { readonly output: string; readonly yaml: string; readonly inputs?: OverlayInputs }[],
  removed: readonly string[] = [],
  kept: Readonly<Record<string, { readonly hash: string; readonly size: number }>> = {},
  stamp: (file: string) => Stamp | undefined = stamper(root),
): [string, string] | undefined {
  if (built.length === 0 && removed.length === 0 && Object.keys(kept).length === 0) return undefined;
  const record = recordOnDisk(root);
  const before = JSON.stringify(record);
  const entry = (hash: string, size: number, inputs: OverlayInputs): Written => {
    const hashes: Record<string, string> = {};
    for (const f of inputs.files) {
      const s = stamp(f);
      hashes[f] = s?.hash ?? '-';
      if (s) record.stamps[f] = s;
    }
    return { hash, size, dirs: inputs.dirs, inputs: hashes };
  };
  const inputsOf = (output: string) => {
    const { env, app } = distOf(output)!;
    return overlayInputs(root, Layout.overlay(env, app));
  };
  for (const [f, { hash, size }] of Object.entries(kept)) {
    const had = record.files[f];
    if (had?.inputs && had.hash === hash && had.size === size) continue;
    record.files[f] = entry(hash, size, inputsOf(f));
  }
  for (const b of built) record.files[b.output] = entry(hashOf(b.yaml), Buffer.byteLength(b.yaml), b.inputs ?? inputsOf(b.output));
  for (const f of removed) delete record.files[f];
  // Stamps no built file names any longer are dropped.
  const named = new Set(Object.values(record.files).flatMap((w) => Object.keys(w.inputs ?? {})));
  for (const f of Object.keys(record.stamps)) if (!named.has(f)) delete record.stamps[f];
  const text = JSON.stringify(record);
  return text === before ? undefined : [rel(root, writtenFile(root)), text];
}

/**
 * builtRecord, written at once. Called by the writer of dist/, holding the tree's lock; writes only
 * when the record changes.
 */
export function recordBuilt(...args: Parameters<typeof builtRecord>): void {
  const [root, built, removed = [], kept = {}] = args;
  if (built.length === 0 && removed.length === 0 && Object.keys(kept).length === 0) return;
  refuseLinkedState(root);
  const record = builtRecord(...args);
  if (record) writeFileAtomic(join(root, record[0]), record[1]);
}

/**
 * The record of what the builds wrote without the built files of `app` (`dist/<env>/<app>.yaml`), as
 * the path (relative to the root) and content for the tree writer, for a removal of the app: a record
 * left behind would judge a file of that name, later built by something else or for an app of the
 * same name, against what the removed app's build wrote. Undefined when it records none of them.
 */
export function recordWithoutApp(root: string, app: string): [string, string] | undefined {
  const record = recordOnDisk(root);
  const gone = ENVIRONMENTS.map((env) => Layout.distOf(env, app)).filter((f) => f in record.files);
  if (gone.length === 0) return undefined;
  for (const f of gone) delete record.files[f];
  return [rel(root, writtenFile(root)), JSON.stringify(record)];
}

/** Whether a built file no longer holds what the build wrote to it: its size, else its content, differs. */
function changedSinceWritten(path: string, written: Written): boolean {
  const size = statSync(path, { throwIfNoEntry: false })?.size;
  return size !== written.size || hashFile(path) !== written.hash;
}

/**
 * The first file the build of `written` read that does not hold what it held then (changed, gone,
 * or added under a folder the build reached), else undefined. A file whose size and times are those
 * of its last stamp is taken as stamped without being read (outside CI, as git's index does): any
 * write, copy, unpacking or checkout sets its change time, which no tool can set back, so only
 * its content decides once they differ.
 */
function changedInput(root: string, written: Written, now: (file: string) => string | undefined, listing: Listing): string | undefined {
  const inputs = written.inputs ?? {};
  return (
    Object.keys(inputs).find((f) => now(f) !== inputs[f]) ??
    filesUnder(root, written.dirs ?? [], listing)
      .filter((f) => !(f in inputs))
      .sort()[0]
  );
}

/** Which built files `staleBuilds` judges: those of an env's overlays (of some apps), or the built files named. */
export type BuiltSelection =
  | { readonly env?: string; readonly app?: readonly string[]; readonly files?: undefined }
  /** Files named from the root; those that are not `dist/<env>/<app>.yaml` are passed over. */
  | { readonly files: readonly string[] };

/** The env and app of each built file of the selection, in order. */
function builtOf(root: string, selection: BuiltSelection): { env: string; app: string }[] {
  if (selection.files) return selection.files.flatMap((f) => distOf(f) ?? []);
  return listOverlays(root, { ...(selection.env ? { envs: [selection.env] } : {}), ...(selection.app ? { apps: selection.app } : {}) });
}

/**
 * The built files (`dist/<env>/<app>.yaml`) of the selection that are not what a build of the
 * overlay files now on disk wrote (edited since the build, or built before a branch switched, an
 * overlay edited, regenerated or copied in with older times), or that no build of this checkout
 * recorded writing (copied in from another checkout), as warnings: judging them answers for a tree
 * that is not the one about to ship. A built file whose overlay is gone is no app's (the pipeline
 * removes it). Each is read once more at most, to compare it with what its build wrote; the files
 * its build read are read again only when their size or times changed.
 */
export function staleBuilds(root: string, selection: BuiltSelection): Problem[] {
  const built = builtOf(root, selection);
  if (built.length === 0) return [];
  const { files: written, stamps } = recordOnDisk(root);
  // A file several builds read (a base, in every env) is looked at once.
  const hashes = new Map<string, string | undefined>();
  const now = (f: string): string | undefined => {
    if (hashes.has(f)) return hashes.get(f);
    const path = resolve(root, f);
    const stamp = stamps[f];
    const hash = (stamp && verify(path, stamp)?.hash) ?? hashFile(path);
    hashes.set(f, hash);
    return hash;
  };
  const listing: Listing = new Map();
  const problems: Problem[] = [];
  for (const { env, app } of built) {
    const dist = Layout.distOf(env, app);
    if (!existsSync(join(root, dist)) || !existsSync(join(root, Layout.overlayKustomization(env, app)))) continue;
    // The file itself first: one this checkout's build never wrote (copied in from another checkout,
    // or left from before the record was kept) says nothing of the overlay.
    const record = written[dist];
    if (!record?.inputs) {
      problems.push({
        file: dist,
        rule: 'stale-build',
        severity: 'warning',
        message: `not built in this checkout (${Layout.cache}/dist.json holds no record of a build writing it: copied from another checkout, or built before the record was kept): what is judged may not be what ${Layout.overlay(env, app)} builds; run \`npx strata build --env ${env} --app ${app}\` (or \`npm run build\`) first`,
      });
      continue;
    }
    // Edited by hand, or copied from elsewhere over a build: it is no build of anything on disk.
    if (changedSinceWritten(join(root, dist), record)) {
      problems.push({
        file: dist,
        rule: 'stale-build',
        severity: 'warning',
        message: `changed after \`strata build\` wrote it (edited, or copied from elsewhere): what is judged is not what ${Layout.overlay(env, app)} builds; run \`npx strata build --env ${env} --app ${app}\` (or \`npm run build\`) first`,
      });
      continue;
    }
    const changed = changedInput(root, record, now, listing);
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
