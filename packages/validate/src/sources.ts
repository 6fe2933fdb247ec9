import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isKustomizationFile } from '@strata/kustomize/files';
import { Layout, UsageError } from '@strata/project';

/**
 * How much one run reads. A Kubernetes object is at most about 1.5 MB (etcd's limit), so a larger
 * input is not a manifest: endless stdin or a wrong path must stop with a clear error, not exhaust memory.
 */
export interface ReadLimits {
  /** Bytes per input (file, stdin, pipe). @default 64 MiB */
  readonly maxFileBytes?: number;
  /** Bytes over all inputs of one run. @default 256 MiB */
  readonly maxTotalBytes?: number;
}

export const DEFAULT_LIMITS = { maxFileBytes: 64 * 1024 * 1024, maxTotalBytes: 256 * 1024 * 1024 } as const;

/** One input as read: its name as reported, the argument it came from, and its bytes, read once. */
export interface Source {
  /** Relative to the root when it lies inside it, else absolute: how the checks know built output (`dist/<env>/<app>.yaml`). */
  readonly file: string;
  /** How the person named it: as typed when named on its own; when a walk found it, from `cwd` under a relative input, else absolute (without `cwd`, as `file`). */
  readonly shown: string;
  readonly input: string;
  readonly bytes: Buffer;
  /** Found by walking a folder named as input, not named itself. */
  readonly walked?: true;
}

const YAML_FILE = /\.(ya?ml|json)$/;

/** Whether a walk reads a file of this name: YAML and JSON, and a kustomization file named `Kustomization`, which has no extension but kustomize reads all the same. */
export const isWalkedFile = (name: string): boolean => YAML_FILE.test(name) || isKustomizationFile(name);
const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;

/** Folders a walk never enters: installed packages, not manifests (and pnpm's links make them huge). */
const SKIPPED_FOLDERS = new Set(['node_modules']);

/**
 * What a walk skips at the root of a Strata workspace: the tooling's own folders and files, whose
 * YAML and JSON are no manifests (the strict schemas of packages/schemas and crds/schemas, test
 * fixtures, package.json, tsconfig.json). The generated trees, the built output and the CRDs in
 * crds/ are walked. Named on their own (`strata validate packages/x/fixtures`), they are read.
 */
const PROJECT_FOLDERS = new Set([Layout.apps, 'packages', 'scripts', 'docs', Layout.crdSchemas]);
const PROJECT_FILES = new Set([Layout.workspaceFile, Layout.configFile, 'package.json', 'pnpm-lock.yaml', 'turbo.json', 'biome.json', 'biome.jsonc']);
const isProjectFile = (name: string) => PROJECT_FILES.has(name) || /^tsconfig(\..+)?\.json$/.test(name);

/** Whether a walk leaves out a folder or file below the folder named: see `walk`. */
function skipped(root: string | undefined, path: string, name: string, folder: boolean): boolean {
  if (folder && (SKIPPED_FOLDERS.has(name) || name.startsWith('.'))) return true;
  if (root === undefined) return false;
  const rel = relative(root, path).split(sep).join('/');
  return folder ? PROJECT_FOLDERS.has(rel) : rel === name && isProjectFile(name);
}

/**
 * Whether `kubectl apply -R -f` would walk a folder a walk here skips: node_modules and hidden
 * folders, which may hold manifests it applies. Not `.git`, whose files git keeps compressed and
 * which holds no manifest.
 */
const kubectlWalks = (name: string) => name !== '.git' && (SKIPPED_FOLDERS.has(name) || name.startsWith('.'));

/** The hidden folders and node_modules at a Strata workspace's root that its tooling makes: not worth a note. */
const WORKSPACE_TOOLING = new Set(['.ci', '.github', '.strata', '.tools', '.turbo', 'node_modules']);

/**
 * The YAML and JSON files of a folder, recursively and sorted, as `kubectl apply -R -f` finds them,
 * and its kustomization files (`Kustomization` too, which has no extension), which the walk builds:
 * a symlinked file is read, a symlinked folder is not entered (Go's filepath.Walk does not follow
 * links), so the walk stays in the folder named and never loops. It skips what holds no manifests:
 * node_modules and hidden folders (.git, .github's workflows) at any depth, and in a Strata
 * workspace (`project`, its root) the tooling's own folders and files (PROJECT_FOLDERS,
 * PROJECT_FILES). A file reached twice (itself and through a link) is read once.
 */
function walk(dir: string, seen: Set<string>, out: string[], project?: string, skips?: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!skipped(project, path, e.name, true)) walk(path, seen, out, project, skips);
      else if (kubectlWalks(e.name) && !(dir === project && WORKSPACE_TOOLING.has(e.name))) skips?.push(path);
      continue;
    }
    if (!isWalkedFile(e.name) || skipped(project, path, e.name, false)) continue;
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        isFile = statSync(path).isFile();
      } catch {
        // kubectl fails to open it too.
        throw new UsageError(`${path}: broken symlink (its target does not exist); remove it or fix its target`);
      }
    }
    if (!isFile) continue;
    const key = realpathSync(path);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(path);
  }
}

/** A path under root relative to it, any other as it is. */
function inRoot(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/**
 * A path found from `input`, as kubectl and kustomize name files: a file named on its own exactly as
 * typed (`./x.yaml`, `../x.yaml`); one a walk of a folder found, under an absolute input absolute,
 * else from the folder the person is in (`cwd`). Without `cwd` (no person typed it), from the root.
 */
function shownPath(root: string, input: string, path: string, cwd: string | undefined, walked: boolean): string {
  if (cwd === undefined) return inRoot(root, path);
  if (!walked) return input;
  return isAbsolute(input) ? path : relative(cwd, path) || path;
}

/** Reads a regular file at once, after checking its size; anything else (stdin, pipe, FIFO, device) in pieces up to the cap. */
async function readCapped(path: string | 0, name: string, cap: number): Promise<Buffer> {
  if (path !== 0) {
    const st = statSync(path);
    if (st.isFile()) {
      if (st.size > cap)
        throw new UsageError(
          `${name}: ${mib(st.size)} is more than the ${mib(cap)} an input may hold; split it, or check that this is the file you meant`,
        );
      const fd = openSync(path, 'r');
      try {
        return readAll(fd, name, cap);
      } finally {
        closeSync(fd);
      }
    }
  }
  if (path === 0) {
    const st = fstatSync(0);
    if (st.isFile()) return readAll(0, name, cap);
  }
  // Pipes and FIFOs are read asynchronously: a FIFO's writer may still be starting.
  const handle = path === 0 ? undefined : await open(path, 'r');
  const stream = handle ? handle.createReadStream() : process.stdin;
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of stream) {
      const b = part as Buffer;
      size += b.length;
      if (size > cap)
        throw new UsageError(`${name}: more than the ${mib(cap)} an input may hold; stopped reading (is something writing without end?)`);
      parts.push(b);
    }
  } finally {
    if (handle) await handle.close().catch(() => undefined);
    else process.stdin.pause();
  }
  return Buffer.concat(parts);
}

function readAll(fd: number, name: string, cap: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const b = Buffer.allocUnsafe(1 << 20);
    const n = readSync(fd, b, 0, b.length, null);
    if (n === 0) break;
    size += n;
    if (size > cap) throw new UsageError(`${name}: more than the ${mib(cap)} an input may hold; split it, or check that this is the file you meant`);
    parts.push(b.subarray(0, n));
  }
  return Buffer.concat(parts);
}

export interface ReadOptions extends ReadLimits {
  /** Stands in for standard input (tests). */
  readonly stdin?: () => string | Buffer;
  /**
   * The folder that relative inputs are named from: the shell's working folder when a person names
   * files (`strata validate ../x.yaml` from a subfolder), which also names them in what is reported
   * (`Source.shown`). @default root
   */
  readonly cwd?: string;
  /**
   * Filled with the folders a walk skipped that `kubectl apply -R -f` would walk (node_modules and
   * hidden folders but `.git`), named as the files are; `skippedNote` says so in one line. @default not collected
   */
  readonly skipped?: string[];
}

/** One note naming the folders a walk skipped (ReadOptions.skipped), or none. */
export function skippedNote(skipped: readonly string[], verb = 'validate'): string[] {
  if (skipped.length === 0) return [];
  const these = skipped.length === 1 ? '1 folder' : `${skipped.length} folders`;
  const named = skipped.slice(0, 5).join(', ') + (skipped.length > 5 ? ` and ${skipped.length - 5} more` : '');
  return [
    `${these} skipped, which kubectl apply -R -f would walk (hidden folders and node_modules): ${named}; name a folder to ${verb} what it holds`,
  ];
}

/**
 * Reads every input once: files, folders (recursively, `.yaml`, `.yml` and `.json` files, see walk),
 * and `-` for stdin. A path that is a pipe or FIFO (`<(cat x.yaml)`, `mkfifo`) is read like stdin, once.
 */
export async function readSources(root: string, inputs: readonly string[], options: ReadOptions = {}): Promise<Source[]> {
  const maxFile = options.maxFileBytes ?? DEFAULT_LIMITS.maxFileBytes;
  const maxTotal = options.maxTotalBytes ?? DEFAULT_LIMITS.maxTotalBytes;
  // Standard input can be read once: kubectl refuses `-f - -f -` the same way.
  if (inputs.filter((i) => i === '-').length > 1) throw new UsageError('-: standard input cannot be used for more than one argument; give - once');
  const named: { input: string; path: string | 0; walked?: true }[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    if (input === '-') {
      named.push({ input, path: 0 });
      continue;
    }
    // Not the current folder, as resolve('') would make it: kubectl says an empty path does not exist.
    if (input === '') throw new UsageError('an empty path names no file or folder; give a path (. for the current folder), or - for standard input');
    const abs = resolve(options.cwd ?? root, input);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new UsageError(`${input}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const files: string[] = [];
      const skips: string[] = [];
      walk(abs, seen, files, existsSync(join(root, Layout.workspaceFile)) ? resolve(root) : undefined, skips);
      options.skipped?.push(...skips.map((path) => shownPath(root, input, path, options.cwd, true)));
      for (const path of files) named.push({ input, path, walked: true });
    } else {
      named.push({ input, path: abs });
    }
  }
  const sources: Source[] = [];
  let total = 0;
  for (const { input, path, walked } of named) {
    const file = path === 0 ? '<stdin>' : inRoot(root, path);
    const shown = path === 0 ? file : shownPath(root, input, path, options.cwd, walked === true);
    let bytes: Buffer;
    if (path === 0 && options.stdin) bytes = Buffer.from(options.stdin());
    else {
      try {
        bytes = await readCapped(path, shown, maxFile);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(`${shown}: cannot read: ${(err as Error).message}`);
      }
    }
    if (bytes.length > maxFile)
      throw new UsageError(`${shown}: more than the ${mib(maxFile)} an input may hold; split it, or check that this is the file you meant`);
    total += bytes.length;
    if (total > maxTotal) throw new UsageError(`${shown}: the inputs hold more than the ${mib(maxTotal)} one run may read; validate them in parts`);
    sources.push({ file, shown, input, bytes, ...(walked ? { walked } : {}) });
  }
  return sources;
}
