import { linkSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Layout, UsageError } from '@strata/project';
import { linkedFolder, makeFolderSync, unwritableFolder } from './atomic.ts';

/**
 * Where the tree writer keeps its lock and its transactions, relative to the workspace root. It is
 * inside `.strata/`, which git ignores, and on the same file system as the tree, so a staged file
 * reaches its place by a rename.
 */
export const WRITE_STATE_DIR = Layout.writeState;

/**
 * `.strata/`, or its cache or the writer's folder in it, when it is a symbolic link, with where it
 * points; undefined when each is a plain folder or missing. Strata's state followed through such a
 * link (which a change can commit) would put the cache and the writer's journal wherever it points,
 * another checkout's `.strata/` among them, whose record of its builds then vouches for this one's.
 */
export function linkedState(root: string): { readonly folder: string; readonly target: string } | undefined {
  return linkedFolder(root, `${Layout.cache}/-`) ?? linkedFolder(root, `${Layout.writeState}/-`);
}

/**
 * Throws, in one line, when {@link linkedState} finds a link: every writer of Strata's state (the
 * tree's lock, which each writing command takes first, and the pipeline's cache) calls it before it
 * writes there, so nothing is written through the link.
 */
export function refuseLinkedState(root: string): void {
  const link = linkedState(root);
  if (link)
    throw new Error(
      `${link.folder}: is a symbolic link (to ${link.target}); Strata's cache and the tree writer's lock and journal go only to plain folders in the workspace, so nothing was written through it: remove the link, then run again`,
    );
}

/** How long a writer waits for another one to finish before it refuses. */
export const DEFAULT_LOCK_WAIT_MS = 5_000;

/**
 * Thrown when another live process holds the tree's lock for longer than the caller waits: two runs
 * at once is how strata was called (exit 2), so it is a UsageError.
 */
export class TreeBusyError extends UsageError {
  override readonly name = 'TreeBusyError';
  constructor(
    readonly pid: number,
    readonly label: string,
  ) {
    super(`another ${label} (pid ${pid}) is running; wait for it or stop it`);
  }
}

export interface LockOptions {
  /**
   * How long to wait for a live holder to let go, in milliseconds; 0 refuses at once.
   * @default DEFAULT_LOCK_WAIT_MS
   */
  readonly waitMs?: number;
  /**
   * What the lock says is running, in the refusal another process prints.
   * @default 'strata generate'
   */
  readonly label?: string;
}

export interface TreeLock {
  /** Lets go; the second and later calls do nothing. */
  release(): void;
}

interface Owner {
  readonly raw: string;
  readonly pid: number;
  /** The owner's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for it. */
  readonly start: string;
  readonly label: string;
}

/** Locks this process holds, by lock file, with how many callers hold each (it is re-entrant). */
const held = new Map<string, { count: number; record: string }>();
let privateNames = 0;

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** The start time of a process from /proc, 'zombie' for one that has ended, undefined where unknown. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? 'zombie' : fields[19];
  } catch {
    return undefined;
  }
}

const selfStart = processStart(process.pid) ?? '';

function isAlive(owner: Owner): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    if (errno(e) !== 'EPERM') return false;
  }
  const start = processStart(owner.pid);
  if (start === 'zombie') return false;
  return start === undefined || owner.start === '' || start === owner.start;
}

function readOwner(file: string): Owner | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
  const [pid = '', start = '', ...label] = raw.trim().split(' ');
  return { raw, pid: Number(pid), start, label: label.join(' ') || 'strata generate' };
}

/** Blocks this thread: the writer is synchronous, and the holder is another process. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(1, ms));
}

/**
 * How many times in a row the writer's folder may vanish under a writer, or its lock between its
 * attempt and its look, before it refuses: a holder letting go does that once in a while, never
 * this often, and a retry without end would hold the thread (and so every signal) for good.
 */
const VANISHED_TRIES = 100;

/** Creates `file` holding `record` only if it does not exist; false when it does. */
function createWhole(dir: string, file: string, record: string, tries = VANISHED_TRIES): boolean {
  // Written under a private name and linked into place, so the lock is never seen half-written.
  const draft = join(dir, `lock.${process.pid}.${++privateNames}`);
  for (let left = tries; ; left--) {
    try {
      // Not a recursive mkdirSync alone: it says ENOENT for a folder it cannot make for another
      // reason (EROFS, on a read-only file system), which would be retried here without end.
      makeFolderSync(dir);
      writeFileSync(draft, record);
      break;
    } catch (e) {
      // ENOENT: the folder was removed by a holder letting go just now.
      if (errno(e) !== 'ENOENT') throw unwritableFolder(e, dir);
      if (left <= 1) throw new UsageError(`cannot write ${dir}: it vanishes each time it is made (${(e as Error).message}); run again`);
    }
  }
  try {
    linkSync(draft, file);
    return true;
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    if (errno(e) === 'ENOENT') {
      if (tries <= 1) throw new UsageError(`cannot write ${file}: its folder vanishes each time it is made; run again`);
      return createWhole(dir, file, record, tries - 1);
    }
    if (errno(e) !== 'EPERM' && errno(e) !== 'ENOTSUP' && errno(e) !== 'ENOSYS') throw e;
    // No hard links on this file system: exclusive create, with a moment in which it is empty.
    try {
      writeFileSync(file, record, { flag: 'wx' });
      return true;
    } catch (e2) {
      if (errno(e2) === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // already gone with its folder
    }
  }
}

/**
 * Removes a lock whose owner has died, unless someone else got there first. A second file guards
 * the removal, so two processes that both saw the dead owner cannot remove a lock the faster one has
 * taken since. (A process that dies while holding that guard, a matter of microseconds, leaves it
 * to be removed by the next one that finds its owner dead.)
 */
function removeStale(dir: string, lock: string, dead: Owner, record: string): void {
  const guard = join(dir, 'lock.takeover');
  if (!createWhole(dir, guard, record)) {
    const other = readOwner(guard);
    if (other && !isAlive(other)) unlinkQuietly(guard);
    else sleep(5);
    return;
  }
  try {
    if (readOwner(lock)?.raw === dead.raw) unlinkQuietly(lock);
  } finally {
    unlinkQuietly(guard);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
}

/**
 * Takes the lock on the generated tree under `root`: one writer at a time. Waits while a live
 * process holds it and refuses with TreeBusyError after `waitMs`; a lock left by a process that has
 * died is taken over. Re-entrant within a process, so a caller may hold it around several writes.
 */
export function lockTree(root: string, options: LockOptions = {}): TreeLock {
  refuseLinkedState(root);
  const dir = join(root, WRITE_STATE_DIR);
  const file = join(dir, 'lock');
  const release = () => {
    const mine = held.get(file);
    if (!mine || --mine.count > 0) return;
    held.delete(file);
    if (readOwner(file)?.raw === mine.record) unlinkQuietly(file);
    try {
      rmdirSync(dir); // nothing of the writer stays behind when it is idle
    } catch {
      // not empty: a transaction to recover, or another process about to lock
    }
  };
  const handle = () => {
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        release();
      },
    };
  };
  const mine = held.get(file);
  if (mine) {
    mine.count++;
    return handle();
  }
  const record = `${process.pid} ${selfStart} ${options.label ?? 'strata generate'}\n`;
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_LOCK_WAIT_MS);
  for (let vanished = 0; ; ) {
    if (createWhole(dir, file, record)) {
      held.set(file, { count: 1, record });
      return handle();
    }
    const owner = readOwner(file);
    if (!owner) {
      // Let go between our attempt and our look; each time, it is something else: a link to nothing.
      if (++vanished < VANISHED_TRIES) continue;
      throw new UsageError(`${join(WRITE_STATE_DIR, 'lock')}: is there, but cannot be read (a symbolic link to nothing?); remove it, then run again`);
    }
    vanished = 0;
    if (!isAlive(owner)) {
      removeStale(dir, file, owner, record);
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new TreeBusyError(owner.pid, owner.label);
    sleep(Math.min(50, left));
  }
}

/**
 * Lets go of every lock this process holds, however many callers hold each: for a process about to
 * end by a signal, whose callers' own releases will never run. Its folder goes when nothing else is in it.
 */
export function releaseHeldLocks(): void {
  for (const [file, mine] of [...held]) {
    held.delete(file);
    if (readOwner(file)?.raw === mine.record) unlinkQuietly(file);
    try {
      rmdirSync(join(file, '..'));
    } catch {
      // not empty: another process's transaction or lock
    }
  }
}

/** Private lock drafts (`lock.<pid>.<n>`) of processes that died between writing and linking. */
export function isStaleLockDraft(name: string): boolean {
  const m = /^lock\.(\d+)\.\d+$/.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  return pid !== process.pid && !isAlive({ raw: '', pid, start: '', label: '' });
}
