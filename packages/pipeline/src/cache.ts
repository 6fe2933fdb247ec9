import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Environment, Problem } from '@strata/core';
import type { AppSyncPlan } from '@strata/gitops';

/**
 * What `strata pipeline` remembers about each app between runs, so that an unchanged app is
 * neither rendered, built nor validated again. An app is reused only when the files it was compiled
 * from, every file it generated or built, and the tool itself are byte for byte what they were.
 */
/** A file as it was: its content hash, and its size and modification time to skip reading it. */
export interface Stamp {
  readonly hash: string;
  readonly size: number;
  readonly mtime: number;
}

export interface AppEntry {
  /** Files the app's modules were compiled from (relative to the root). */
  readonly inputs: Record<string, Stamp>;
  /** Its generated files and built dist/ files. */
  readonly outputs: Record<string, Stamp>;
  /** Folders that hold only its generated files. */
  readonly dirs: readonly string[];
  /** What Argo CD needs of it, per env. */
  readonly sync: Record<Environment, AppSyncPlan>;
  /** What validating its built output found, and how many resources it counted. */
  readonly problems: readonly Problem[];
  readonly resources: number;
}

export interface PipelineCache {
  /** The tool's own fingerprint: a cache written by another version of anything is not read. */
  readonly tool: string;
  readonly apps: Record<string, AppEntry>;
}

const FORMAT = 'strata-pipeline-cache/1';
/** Beside the tree it describes; git ignores it. */
export const cacheFile = (root: string) => join(root, '.strata', 'cache', 'pipeline.json');

export const hashOf = (content: string | Buffer) => createHash('sha1').update(content).digest('hex');

/** A file's hash, or undefined when it cannot be read. */
export function hashFile(path: string): string | undefined {
  try {
    return hashOf(readFileSync(path));
  } catch {
    return undefined;
  }
}

function walk(dir: string, out: string[]): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') walk(p, out);
    } else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Everything besides an app's own files that decides what the pipeline produces: Strata's sources,
 * the schemas, the lockfile (every library version), the project settings, the setup script (it
 * pins kustomize and kubeconform), the builder's source stamp and the environment variables that
 * change how the tools run. Contents only, never times, so a cache restored on another machine
 * (a CI cache, say) still applies.
 */
export function toolFingerprint(root: string): string {
  const h = createHash('sha1').update(FORMAT).update(process.version);
  const packages = join(root, 'packages');
  const files = [
    ...(existsSync(packages) ? readdirSync(packages).flatMap((p) => [...walk(join(packages, p, 'src'), []), join(packages, p, 'package.json')]) : []),
    ...walk(join(packages, 'schemas', 'kubernetes'), []),
    ...walk(join(packages, 'schemas', 'crds-json'), []),
    ...['pnpm-lock.yaml', 'tsconfig.base.json', 'strata.config.json', 'scripts/setup.mjs', '.tools/bin/strata-kustomize-builder.sha256'].map((f) => join(root, f)),
  ];
  for (const f of files.sort()) h.update(`${relative(root, f)}\0${hashFile(f) ?? '-'}\0`);
  for (const k of Object.keys(process.env).filter((k) => k.startsWith('STRATA_') || k.startsWith('KUSTOMIZE_')).sort()) {
    // A tool named by path ($STRATA_KUSTOMIZE, say) counts by its size and time too.
    const tool = existsSync(process.env[k]!) ? statSync(process.env[k]!) : undefined;
    h.update(`${k}=${process.env[k]}\0${tool ? `${tool.size}:${tool.mtimeMs}` : ''}\0`);
  }
  return h.digest('hex');
}

/** The cache of an earlier run by the same tool, or an empty one. */
export function readCache(root: string, tool: string): PipelineCache {
  try {
    const cache = JSON.parse(readFileSync(cacheFile(root), 'utf8')) as PipelineCache;
    if (cache.tool === tool && cache.apps && typeof cache.apps === 'object') return cache;
  } catch {
    // missing or unreadable: start afresh
  }
  return { tool, apps: {} };
}

/** Written to a temporary file and renamed, so a run that stops part-way leaves the old cache. */
export function writeCache(root: string, cache: PipelineCache): void {
  const file = cacheFile(root);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp-${process.pid}`, JSON.stringify(cache));
  renameSync(`${file}.tmp-${process.pid}`, file);
}

/** Every file under the given folders (relative to the root). */
export function filesUnder(root: string, dirs: readonly string[]): string[] {
  return dirs.flatMap((d) => walk(join(root, d), [])).map((f) => relative(root, f));
}

/** A file modified this recently may change again within the file system's time resolution. */
const RACY_MS = 100;

/**
 * The stamp of a file whose content is known (just written, say), or read from disk. A file modified
 * in the last moments gets no usable time, so the next run compares its content.
 */
export function stampOf(path: string, content?: string | Buffer): Stamp | undefined {
  try {
    const s = statSync(path);
    const hash = hashOf(content ?? readFileSync(path));
    return { hash, size: s.size, mtime: Date.now() - s.mtimeMs < RACY_MS ? -1 : s.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * The file's stamp again if it still holds what was stamped: like git's index, a file with the
 * same size and modification time is not read; otherwise its content decides (and the stamp gets
 * the file's current time). Undefined when it changed or is gone.
 */
function verify(path: string, stamp: Stamp): Stamp | undefined {
  let s;
  try {
    s = statSync(path);
  } catch {
    return undefined;
  }
  if (s.size !== stamp.size) return undefined;
  if (s.mtimeMs === stamp.mtime) return stamp;
  return hashFile(path) === stamp.hash ? (stampOf(path) ?? undefined) : undefined;
}

/**
 * The entry again, with fresh times, when every recorded file is as it was and nothing else lies in
 * the app's folders; undefined when anything changed.
 */
export function unchanged(root: string, entry: AppEntry): AppEntry | undefined {
  const check = (files: Record<string, Stamp>) => {
    const out: Record<string, Stamp> = {};
    for (const [file, stamp] of Object.entries(files)) {
      const now = verify(join(root, file), stamp);
      if (!now) return undefined;
      out[file] = now;
    }
    return out;
  };
  const inputs = check(entry.inputs);
  const outputs = inputs && check(entry.outputs);
  if (!inputs || !outputs || !filesUnder(root, entry.dirs).every((f) => f in outputs)) return undefined;
  return { ...entry, inputs, outputs };
}
