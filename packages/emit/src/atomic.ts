import {
  close,
  closeSync,
  fstat,
  fsync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFile,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { restoreInterruptListeners } from '@strata/core/sources';
import { isRunning } from '@strata/project';

export interface AtomicWriteOptions {
  /**
   * Force the content to disk before the rename, so that after a power loss the file is either
   * the old or the new one, never empty. A killed process needs no fsync.
   * @default false
   */
  readonly fsync?: boolean;
  /**
   * Make the parent folder when it is missing. A path a person typed (`graph --out`) is better
   * refused: a folder that does not exist there is more likely a typo than a wish.
   * @default true
   */
  readonly makeFolder?: boolean;
}

let temporaries = 0;

/**
 * The first folder on the way from `root` down to the file `rel` (relative to it, `/`-separated;
 * the file itself is not looked at) that is a symbolic link, with where it points; undefined when
 * there is none. A writer that makes folders and renames into them would follow such a link out of
 * the workspace. The walk stops at the first folder that does not exist: nothing below it can be a link.
 */
export function linkedFolder(root: string, rel: string): { readonly folder: string; readonly target: string } | undefined {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const folder = parts.slice(0, i).join('/');
    let stat;
    try {
      stat = lstatSync(join(root, folder));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (stat.isSymbolicLink()) return { folder, target: readlinkSync(join(root, folder)) };
  }
  return undefined;
}

/**
 * The temporary name for `file`: beside it (a rename stays on one file system), hidden, and matched
 * by the `*.strata-tmp*` ignore pattern, so a process killed between writing and renaming never
 * leaves anything git would offer to commit.
 */
export function temporaryName(file: string): string {
  return join(dirname(file), `.${basename(file)}.strata-tmp-${process.pid}-${++temporaries}`);
}

const TEMPORARY = /^\..+\.strata-tmp-(\d+)-\d+$/;

/**
 * Removes the temporary files (and folders) that writers killed between writing and renaming left in `dir` (not
 * in its subfolders), sparing those of live processes; returns their names. Git ignores them, but
 * nothing else would ever remove them.
 */
export function removeStaleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stale = names.filter((name) => {
    const m = TEMPORARY.exec(name);
    return m !== null && Number(m[1]) !== process.pid && !isRunning(Number(m[1]));
  });
  // A folder too: a writer's scratch folder is named alike.
  for (const name of stale) rmSync(join(dir, name), { recursive: true, force: true });
  return stale;
}

/**
 * Writes `file` so that a reader sees the old content or the new, never part of it: the content
 * goes to a temporary file beside it, which is then renamed over it. Creates the parent folder
 * unless told not to. On failure the temporary file is removed and the old content stays.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  if (options.makeFolder !== false) mkdirSync(dirname(file), { recursive: true });
  // Its temporary file must never be left by a signal's default action (see restoreInterruptListeners).
  restoreInterruptListeners();
  const tmp = temporaryName(file);
  try {
    if (options.fsync) {
      const fd = openSync(tmp, 'w');
      try {
        writeFileSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } else writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Folders that writeFileAtomicAsync made or found in this process: each is made once rather than
 * once per file written into it (a recursive mkdir per file cost 0.16 s for dist/ at 500 apps). One
 * removed since is made again when a write into it finds it missing.
 */
const folders = new Map<string, Promise<void>>();

function makeFolder(dir: string, again = false): Promise<void> {
  let made = folders.get(dir);
  if (!made || again) {
    made = mkdir(dir, { recursive: true }).then(() => undefined);
    folders.set(dir, made);
    const mine = made;
    mine.catch(() => {
      if (folders.get(dir) === mine) folders.delete(dir);
    });
  }
  return made;
}

/**
 * writeFileAtomic off the main thread, for callers with other work to do meanwhile. Resolves with
 * the status of the file this write made, taken from its own descriptor once it is in place: an
 * edit of the path after that (a new file renamed over it, or a write into it) shows as another
 * inode, size or time. The temporary file is made on the main thread, at once: an interrupt's
 * `removeWritesUnderWay` runs there too, so it never meets one still being made off it, which
 * would appear after it and stay.
 */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<Stats> {
  const dir = dirname(file);
  const make = options.makeFolder !== false;
  if (make) await makeFolder(dir);
  const tmp = temporaryName(file);
  // An interrupt's handler removes it if the run ends before the rename: it must stand, also while app code runs.
  restoreInterruptListeners();
  writing.add(tmp);
  try {
    let fd: number;
    try {
      fd = openSync(tmp, 'w');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !make) throw err;
      await makeFolder(dir, true);
      fd = openSync(tmp, 'w');
    }
    try {
      await writeFd(fd, data);
      if (options.fsync) await fsyncFd(fd);
      await rename(tmp, file);
      return await fstatFd(fd);
    } finally {
      await closeFd(fd);
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    writing.delete(tmp);
  }
}

const writeFd = promisify(writeFile) as (fd: number, data: string | Uint8Array) => Promise<void>;
const fsyncFd = promisify(fsync);
const fstatFd = promisify(fstat) as (fd: number) => Promise<Stats>;
const closeFd = promisify(close);

/** The temporary files of this process's asynchronous atomic writes still under way. */
const writing = new Set<string>();

/**
 * Removes the temporary files of this process's asynchronous writes still under way (dist/ as the
 * builds arrive): an interrupted run ends before their renames, and would leave them behind.
 */
/** Whether this process has asynchronous atomic writes under way, whose temporary files an interrupt removes. */
export function hasWritesUnderWay(): boolean {
  return writing.size > 0;
}

export function removeWritesUnderWay(): void {
  for (const tmp of writing) rmSync(tmp, { force: true });
  writing.clear();
}

/** pnpm's temporary files (`_tmp_<pid>_<hex>`, its probe of whether the root can hold hard links). */
const PNPM_TEMPORARY = /^_tmp_(\d+)_[0-9a-f]+$/;

/**
 * Removes the temporary files pnpm leaves at the workspace root when it is stopped at the wrong
 * moment: those of process `pid`, or without one, of every pnpm that is no longer running.
 */
export function removePnpmTemporaries(root: string, pid?: number): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = PNPM_TEMPORARY.exec(name);
    if (!m) continue;
    const owner = Number(m[1]);
    if (pid === undefined ? !isRunning(owner) : owner === pid) rmSync(join(root, name), { force: true });
  }
}
