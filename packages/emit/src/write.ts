import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isFolder, isRunning, notAFolder } from '@strata/project';
import { commitTransaction, recoverLocked, type CommitHooks, type Transaction } from './journal.ts';
import { lockTree } from './lock.ts';
import { isGenerated } from './header.ts';
import { refuseIgnored } from './ignored.ts';

/** What applying a plan changes on disk, by path relative to the root. */
export interface TreeChanges {
  readonly written: string[];
  readonly removed: string[];
  readonly unchanged: number;
  /** Files in generated folders that lack the header: never touched, reported. */
  readonly foreign: string[];
}

export interface ApplyOptions extends CommitHooks {
  /** Folders (relative) whose generated files not in `files` are stale. */
  readonly dirs: readonly string[];
  /** Compute the changes without touching the disk. */
  readonly dryRun?: boolean;
  /**
   * Apply the changes as part of this open transaction instead of one of their own, so that they
   * stand or fall with the caller's other changes; the caller holds the lock and commits.
   */
  readonly transaction?: Transaction;
  /**
   * How long to wait while another process writes the same tree before refusing with
   * TreeBusyError, in milliseconds; 0 refuses at once.
   * @default DEFAULT_LOCK_WAIT_MS
   */
  readonly lockWaitMs?: number;
  /**
   * Told of each planned file that already held its planned content, once the change is made, with
   * its status taken before it was read: an edit made since shows as another inode, size or time.
   * With `onWritten` (told of the files written), the status of every planned file as this call
   * found or left it. Not with `transaction` or `dryRun`.
   */
  readonly onUnchanged?: (path: string, status: Stats) => void;
}

// Left next to their targets by writers before the journal, when they were killed: `<file>.strata-tmp-<pid>`.
const LEGACY_TEMPORARY = /\.strata-tmp-\d+$/;

function listFiles(root: string, dir: string, temporaries?: string[]): string[] {
  const abs = join(root, dir);
  // A file in the folder's place has nothing to list: plan says what it is.
  if (!isFolder(abs)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(root, rel, temporaries));
    else if (entry.isFile() && entry.name.endsWith('.yaml')) out.push(rel);
    else if (entry.isFile() && LEGACY_TEMPORARY.test(entry.name)) temporaries?.push(rel);
  }
  return out;
}

/**
 * Refuses every planned path (a file, or a folder whose stale files go) that passes through a
 * symbolic link below the root: a `base/<app>` or `overlays/<env>/<app>` linked elsewhere would have
 * the writer put files outside the repository, or in another app's folder, and remove what it finds
 * there as stale. Each folder is looked at once; the first one missing ends the walk down.
 */
function refuseLinks(root: string, files: Iterable<string>, dirs: readonly string[], notFolders: Set<string>): void {
  const seen = new Map<string, boolean>(); // folder -> exists (as a folder)
  const check = (path: string, self: boolean) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length - (self ? 0 : 1); i++) {
      const folder = parts.slice(0, i).join('/');
      let exists = seen.get(folder);
      if (exists === undefined) {
        let stat;
        try {
          stat = lstatSync(join(root, folder));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        if (stat?.isSymbolicLink()) {
          throw new Error(
            `${folder}: is a symbolic link (to ${readlinkSync(join(root, folder))}); generated folders must be plain folders in the workspace, so nothing was written: remove the link, then generate again`,
          );
        }
        // A file where a folder goes (a stray file, a bad merge): nothing below it is there.
        if (stat !== undefined && !stat.isDirectory()) notFolders.add(folder);
        seen.set(folder, (exists = stat?.isDirectory() === true));
      }
      if (!exists) return;
    }
  };
  for (const rel of files) check(rel, false);
  for (const dir of dirs) check(dir, true);
}

// A planned file that is a symbolic link is replaced with the file, whatever the link leads to: its
// target is never read as the file's content (the link itself is what is wrong), never written
// through, and never refused for lacking the header (replacing the link leaves the target as it is).
const LINK = Symbol('symbolic link');

// lstat first: a missing file is the common case of a first generate, and a thrown ENOENT costs as
// much as the read.
function read(p: string): string | typeof LINK | undefined {
  const status = lstatSync(p, { throwIfNoEntry: false });
  if (!status) return undefined;
  return status.isSymbolicLink() ? LINK : readFileSync(p, 'utf8');
}

/**
 * `read`, with the file's status taken before the read (see ApplyOptions.onUnchanged): whatever
 * changes the file after that, even while it is read, shows as another inode, size or time.
 */
function readWithStatus(p: string): { readonly text: string | typeof LINK; readonly status: Stats } | undefined {
  const status = lstatSync(p, { throwIfNoEntry: false });
  return status && { text: status.isSymbolicLink() ? LINK : readFileSync(p, 'utf8'), status };
}

/** Which files must be written or removed for the tree under `root` to equal `files`. */
export function planChanges(root: string, files: ReadonlyMap<string, string>, dirs: readonly string[]): TreeChanges & { writes: [string, string][] } {
  const { writes, ...rest } = plan(root, files, dirs);
  return { ...rest, writes: writes.map(([rel, content]) => [rel, content]) };
}

/**
 * The first folder on the way down to `rel` (relative, `/`-separated; `rel` itself too when `self`)
 * that is there as something other than a folder (a file left by a bad merge, say); undefined when
 * there is none. The walk stops at the first one that is missing.
 */
export function fileInFolderPlace(root: string, rel: string, self = false): string | undefined {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length - (self ? 0 : 1); i++) {
    const folder = parts.slice(0, i).join('/');
    const stat = lstatSync(join(root, folder), { throwIfNoEntry: false });
    if (stat === undefined) return undefined;
    if (!stat.isDirectory()) return folder;
  }
  return undefined;
}

/**
 * Thrown when a generated folder (or a folder above one, such as an env's overlays/<env>) is a file:
 * a state of the tree, refused before anything is written.
 */
export class NotAFolderError extends Error {
  override readonly name: string = 'NotAFolderError';
  constructor(readonly folder: string) {
    super(`${notAFolder(folder)}; nothing was written`);
  }
}

function plan(
  root: string,
  files: ReadonlyMap<string, string>,
  dirs: readonly string[],
  temporaries?: string[],
  statuses?: Map<string, Stats>,
  refuseNotFolders = false,
): TreeChanges & { writes: [string, string, boolean][] } {
  const notFolders = new Set<string>();
  refuseLinks(root, files.keys(), dirs, notFolders);
  if (refuseNotFolders && notFolders.size > 0) throw new NotAFolderError([...notFolders].sort()[0]!);
  // Files below a file in a folder's place are not there: each is to be written (check reports the folder).
  const blocked = (rel: string) => notFolders.size > 0 && [...notFolders].some((f) => rel.startsWith(`${f}/`));
  const writes: [string, string, boolean][] = [];
  let unchanged = 0;
  const refused: string[] = [];
  for (const [rel, content] of files) {
    let existing: string | typeof LINK | undefined;
    if (blocked(rel)) existing = undefined;
    else if (statuses) {
      const found = readWithStatus(join(root, rel));
      existing = found?.text;
      if (found && existing === content) statuses.set(rel, found.status);
    } else existing = read(join(root, rel));
    if (existing === content) unchanged++;
    else {
      writes.push([rel, content, existing !== undefined]);
      if (typeof existing === 'string' && !isGenerated(existing)) refused.push(rel);
    }
  }
  const removed: string[] = [];
  const foreign: string[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    for (const rel of listFiles(root, dir, temporaries)) {
      if (seen.has(rel) || files.has(rel)) continue;
      seen.add(rel);
      const text = read(join(root, rel));
      if (typeof text === 'string' && isGenerated(text)) removed.push(rel);
      else foreign.push(rel);
    }
  }
  const written = writes.map(([rel]) => rel);
  if (refused.length > 0) {
    throw new Error(`${refused[0]}: exists without the "Code generated by strata" header; move it away or delete it, then generate again`);
  }
  return { writes, written, removed: removed.sort(), unchanged, foreign: foreign.sort() };
}

/**
 * Brings the tree to `files`, one writer at a time, as one transaction: every new content is staged
 * under `.strata/write/` and journaled, then renamed into place; stale generated files are removed
 * last. If a step fails, every step taken is undone, so the tree is left as it was; if the process
 * is killed, the next writer (or `recover`) completes or undoes the change, never leaving a mix.
 * A file to write that git would never commit is refused first (see refuseIgnoredWrites).
 */
export function applyTree(root: string, files: ReadonlyMap<string, string>, options: ApplyOptions): TreeChanges {
  if (options.dryRun) {
    const changes = planChanges(root, files, options.dirs);
    refuseIgnoredWrites(root, changes.written, files);
    return withoutWrites(changes);
  }
  const lock = lockTree(root, options.lockWaitMs === undefined ? {} : { waitMs: options.lockWaitMs });
  try {
    // A change a killed writer left half done is settled before this one looks at the tree.
    recoverLocked(root);
    const temporaries: string[] = [];
    const found = options.onUnchanged && !options.transaction ? new Map<string, Stats>() : undefined;
    const changes = plan(root, files, options.dirs, temporaries, found, true);
    refuseIgnoredWrites(root, changes.written, files);
    if (options.transaction) options.transaction.apply(changes.writes, changes.removed);
    else commitTransaction(root, changes.writes, changes.removed, options);
    for (const rel of temporaries) if (!isRunning(Number(rel.slice(rel.lastIndexOf('-') + 1)))) rmSync(join(root, rel), { force: true });
    if (found) for (const [rel, status] of found) options.onUnchanged!(rel, status);
    return withoutWrites(changes);
  } finally {
    lock.release();
  }
}

/**
 * Refuses the files a change writes (new, or with new content) when git would never commit one
 * (see refuseIgnored): the tree would build here and in no clone. Only those: a file the tree
 * already holds as planned was judged when it was written, so a run that changes nothing asks git
 * nothing. The gates (check, the frozen pipeline) judge the whole tree.
 */
export function refuseIgnoredWrites(root: string, written: readonly string[], files: ReadonlyMap<string, string>): void {
  if (written.length > 0) refuseIgnored(root, written, { contentOf: (path) => files.get(path) });
}

function withoutWrites({ writes: _writes, ...rest }: TreeChanges & { writes: unknown }): TreeChanges {
  return rest;
}
