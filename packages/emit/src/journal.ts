import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { dirname, isAbsolute, join, normalize, posix, sep } from 'node:path';
import { appCodeFailures, restoreInterruptListeners } from '@strata/core/sources';
import { findRoot, Layout, sweepScratchOnce } from '@strata/project';
import { makeFolderSync, removePnpmTemporaries, removeStaleTemporaries } from './atomic.ts';
import { isStaleLockDraft, linkedState, lockTree, TreeBusyError, WRITE_STATE_DIR, type LockOptions } from './lock.ts';

/*
 * A change to the tree is one transaction in its own folder under WRITE_STATE_DIR:
 *
 *   <n>.new       the new content of operation n, staged before anything in the tree moves
 *   <n>.old       a hard link to the file operation n replaces or removes (its undo)
 *   journal.json  the operations; its appearance, by rename, is the commit point
 *   abort         present once a failing run has started to undo
 *
 * A process killed at any moment leaves a folder that `recover` finishes: without journal.json
 * nothing in the tree has moved yet (or everything has and only the clean-up was left), so the
 * folder is dropped; with it, every operation is redone (all new), or undone when `abort` is there
 * (all old) or when a step cannot be redone. Redoing and undoing are both idempotent, so a recovery
 * that is itself killed is simply run again; an undo never stops at a file that was never made.
 */

const JOURNAL = 'journal.json';
const ABORT = 'abort';

interface Operation {
  /** Relative to the root, with forward slashes. */
  readonly path: string;
  /** True when new content is staged as `<n>.new`; false when the file is removed. */
  readonly write: boolean;
  /** True when the file existed before and `<n>.old` keeps it. */
  readonly backup: boolean;
}

interface Journal {
  readonly version: 1;
  readonly ops: Operation[];
  /** Folders the transaction creates (in no particular order); an undo removes them again when empty. */
  readonly dirs: string[];
  /**
   * Install state that goes with the change once every operation is done (an app's node_modules
   * when the app is removed): removed whole, then its parents while empty. Never undone: it is
   * made again by `pnpm install`.
   */
  readonly prune?: string[];
  /**
   * Install state made in folders the transaction creates (a new app's node_modules): removed whole
   * when the change is undone, so that those folders go too. Never redone: the change's own install
   * made it.
   */
  readonly discard?: string[];
}

/** The stages of a transaction, for `atStep`. */
export type WritePhase = 'stage' | 'commit' | 'undo' | 'finish';

export interface CommitHooks {
  /** Called before each step that changes the tree; a test throws from it to simulate a failure. */
  readonly beforeCommitStep?: (step: number) => void;
  /**
   * Called at every point where the transaction can be interrupted: before staging operation n
   * (and once more before the journal), before each step in the tree, before each step of an undo,
   * and before the transaction's folder goes. A test stops the process there.
   */
  readonly atStep?: (phase: WritePhase, step: number) => void;
  /**
   * Force the staged contents, the journal and the renamed folders to disk, so that a power loss
   * (not only a killed process) cannot roll forward to files the disk never received. Off by
   * default: a killed process loses nothing from the page cache, so the journal's order is kept
   * without any sync; and syncing even the journal alone flushes every staged file with it on
   * ext4 (ordered mode), which on a busy disk took seconds for 1,500 files. After a power loss,
   * `strata check` shows any damage and `strata generate` repairs it.
   * @default false
   */
  readonly durable?: boolean;
  /**
   * Told of each file the change wrote, once the whole change is made, with the file's status as
   * the write left it: inode, size and modification time from the descriptor that wrote the
   * content, and the change time its rename into place gave it. An edit made since (a write into
   * it, or another file renamed over it) shows as another inode, size or time. A file found changed
   * already right after its rename is not told of: what it holds is no longer known to be the write.
   */
  readonly onWritten?: (path: string, status: Stats) => void;
}

let transactions = 0;
const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * Removes `file` if it is there. A path through a file (ENOTDIR) is not there either, nor is one
 * whose name is longer than the file system allows (ENAMETOOLONG), nor one a read-only file system
 * does not hold: such a file cannot have been made, so an undo that removes it has nothing to do
 * and must not stop there.
 */
function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR' || errno(e) === 'ENAMETOOLONG') return;
    // A read-only file system refuses the removal (EROFS) even of a file it does not hold.
    if (!lstatSync(file, { throwIfNoEntry: false })) return;
    throw e;
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Keeps `target` reachable as `backup`: a hard link, or a copy where links are not possible. */
function keep(target: string, backup: string): void {
  try {
    linkSync(target, backup);
  } catch (e) {
    if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV', 'EMLINK'].includes(errno(e) ?? '')) throw e;
    copyFileSync(target, backup);
  }
}

/** Removes `dir` and its parents while they are empty, stopping at `root`. */
export function removeEmptyDirs(dir: string, root: string): void {
  let d = dir;
  while (d.startsWith(root + sep) && existsSync(d) && readdirSync(d).length === 0) {
    rmdirSync(d);
    d = dirname(d);
  }
}

/**
 * A journal entry as a path inside the root; refuses anything else (the journal is only data).
 * Plain concatenation for the usual clean path: this runs for every file, and `join` normalises.
 */
function inside(root: string, rel: string): string {
  if (rel !== '' && !rel.startsWith('/') && !rel.includes('..') && !rel.includes('\\') && !rel.includes('//')) return `${root}${sep}${rel}`;
  const n = normalize(rel);
  if (isAbsolute(n) || n.split(sep).includes('..')) {
    throw new Error(
      `${WRITE_STATE_DIR}: journal names ${JSON.stringify(rel)}, which is outside the workspace; remove ${WRITE_STATE_DIR} and run strata generate again`,
    );
  }
  return join(root, n);
}

/** The transaction's file for operation `n`. */
const staged = (txn: string, n: number, kind: 'new' | 'old') => `${txn}${sep}${n}.${kind}`;

/** Makes the folder of a new transaction under the root's write state. */
function newTransactionFolder(root: string): string {
  const txn = join(root, WRITE_STATE_DIR, `txn-${process.pid}-${Date.now().toString(36)}-${++transactions}`);
  makeFolderSync(txn);
  return txn;
}

/**
 * Stages `writes` and `removed` as operations appended to `ops` (and the folders they create to
 * `dirs`): each new content as `<n>.new`, each file it replaces or removes linked as `<n>.old`.
 * Nothing in the tree changes. `keepMode` gives a new content the mode of the file it replaces.
 */
function stage(
  root: string,
  txn: string,
  writes: readonly (readonly [path: string, content: string | Uint8Array, exists?: boolean])[],
  removed: readonly string[],
  ops: Operation[],
  dirs: string[],
  hooks: CommitHooks,
  keepMode = false,
  written?: Map<number, Stats>,
): void {
  const known = new Map<string, boolean>(); // folder -> exists (or will, being in `dirs`)
  for (const d of dirs) known.set(d, true);
  const folderExists = (d: string) => {
    let e = known.get(d);
    if (e === undefined) known.set(d, (e = existsSync(join(root, d))));
    return e;
  };
  for (const [rel, content, exists] of writes) {
    const n = ops.length;
    hooks.atStep?.('stage', n);
    const target = inside(root, rel);
    const fresh = staged(txn, n, 'new');
    if (hooks.durable || written) {
      const fd = openSync(fresh, 'w');
      try {
        writeFileSync(fd, content);
        if (hooks.durable) fsyncSync(fd);
        written?.set(n, fstatSync(fd));
      } finally {
        closeSync(fd);
      }
    } else writeFileSync(fresh, content);
    let backup = exists ?? existsSync(target);
    if (backup) {
      try {
        keep(target, staged(txn, n, 'old'));
        // A link's own mode says nothing: the file that replaces it gets the default one.
        if (keepMode) {
          const status = lstatSync(target);
          if (!status.isSymbolicLink()) chmodSync(fresh, status.mode & 0o7777);
        }
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw e;
        backup = false;
      }
    }
    if (!backup) {
      for (let d = posix.dirname(rel); d !== '.' && !folderExists(d); d = posix.dirname(d)) {
        dirs.push(d);
        known.set(d, true);
      }
    }
    ops.push({ path: rel, write: true, backup });
  }
  for (const rel of removed) {
    const n = ops.length;
    hooks.atStep?.('stage', n);
    keep(inside(root, rel), staged(txn, n, 'old'));
    ops.push({ path: rel, write: false, backup: true });
  }
}

/** Writes the journal whole: a draft renamed into place, so it is never read half-written. */
function writeJournal(txn: string, journal: Journal, durable: boolean | undefined): void {
  const draft = join(txn, `${JOURNAL}.draft`);
  const fd = openSync(draft, 'w');
  try {
    writeFileSync(fd, JSON.stringify(journal));
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(draft, join(txn, JOURNAL));
  if (durable) fsyncPath(txn);
}

/**
 * Writes `writes` and removes `removed` under `root` as one transaction. The caller holds the
 * tree's lock. If a step fails, every step taken is undone before the error is rethrown. A write
 * may say whether its target exists (the planner has just read it), which spares a probe. `prune`
 * names install state to remove once the change is made, as part of it: a run killed after the
 * commit point has it removed by the recovery that completes the change.
 */
export function commitTransaction(
  root: string,
  writes: readonly (readonly [path: string, content: string, exists?: boolean])[],
  removed: readonly string[],
  hooks: CommitHooks & { readonly prune?: readonly string[] } = {},
): void {
  if (writes.length === 0 && removed.length === 0) return;
  refuseAfterAppFailure();
  const txn = newTransactionFolder(root);
  const ops: Operation[] = [];
  const dirs: string[] = [];
  // Each written file's status from its own descriptor, then as its rename left it.
  const written = hooks.onWritten ? new Map<number, Stats>() : undefined;
  let journal: Journal;
  // Stage: nothing in the tree changes, so a failure only has to drop the folder.
  try {
    stage(root, txn, writes, removed, ops, dirs, hooks, false, written);
    journal = hooks.prune?.length ? { version: 1, ops, dirs, prune: [...hooks.prune] } : { version: 1, ops, dirs };
    hooks.atStep?.('stage', ops.length);
    // The commit point: the journal appears whole, by rename, before anything in the tree moves.
    writeJournal(txn, journal, hooks.durable);
  } catch (err) {
    rmSync(txn, { recursive: true, force: true });
    throw err;
  }
  try {
    redo(
      root,
      txn,
      journal,
      (n) => {
        hooks.atStep?.('commit', n);
        hooks.beforeCommitStep?.(n);
      },
      0,
      written && ((n, target) => placed(written, n, target)),
    );
    // The renames themselves, for the power-loss case; a killed process needs none of this.
    if (hooks.durable) for (const d of new Set(journal.ops.map((op) => dirname(inside(root, op.path))))) if (existsSync(d)) fsyncPath(d);
  } catch (err) {
    // From here a killed process is undone too, not redone.
    writeFileSync(join(txn, ABORT), '');
    undo(root, txn, journal, hooks.atStep);
    finish(txn, undefined, hooks.atStep);
    throw undoneChange(err, root);
  }
  finish(txn, journal, hooks.atStep);
  committed++;
  committedOps += journal.ops.length;
  if (written) for (const [n, status] of written) hooks.onWritten!(journal.ops[n]!.path, status);
}

/** Changes this process committed to a tree, and the files they wrote or removed. */
let committed = 0;
let committedOps = 0;

/** How many changes this process committed to a tree: a failure reported after one must say that it stands. */
export function committedChanges(): number {
  return committed;
}

/** How many files the changes this process committed wrote or removed (a file written twice counts twice). */
export function committedFiles(): number {
  return committedOps;
}

/**
 * App code that threw after its render had returned (from a timer it started) failed the render:
 * nothing made from it is committed.
 */
function refuseAfterAppFailure(): void {
  const [failure] = appCodeFailures();
  if (failure) throw failure;
}

/**
 * Once operation n's file is renamed into place: its status with the change time the rename gave
 * it (the only time a rename changes), when the inode, size and modification time are still those
 * its descriptor had after the write; otherwise it is forgotten, as changed by another hand.
 */
function placed(written: Map<number, Stats>, n: number, target: string): void {
  const wrote = written.get(n);
  if (!wrote) return;
  let now: Stats | undefined;
  try {
    now = lstatSync(target);
  } catch {
    // gone already
  }
  if (now && now.ino === wrote.ino && now.dev === wrote.dev && now.size === wrote.size && now.mtimeMs === wrote.mtimeMs) written.set(n, now);
  else written.delete(n);
}

/**
 * A change made in steps that must stand or fall together, where a later step reads what an
 * earlier one wrote: `strata set image` writes images.json, then renders the apps from it and
 * writes the tree they make. Each `apply` changes the tree at once, but the whole is provisional
 * until `commit`: `abort`, a failure in `apply`, or a process killed before the commit point puts
 * back every file as it was (content and mode).
 */
export interface Transaction {
  /** Writes and removes these files now, as part of the transaction; a file written again is written over. */
  apply(writes: readonly (readonly [path: string, content: string | Uint8Array, exists?: boolean])[], removed?: readonly string[]): void;
  /** Makes every change applied final. */
  commit(): void;
  /** Puts every file the transaction changed back as it was. */
  abort(): void;
  /**
   * Names install state that a step will make inside folders this transaction creates (pnpm's
   * node_modules in a new app's folder): if the change is undone, by `abort` or by the recovery
   * after a killed run, it is removed whole, so that no part of those folders stays behind.
   */
  discardOnUndo(paths: readonly string[]): void;
}

/**
 * The open transactions of this process, by folder, each with its abort (which says how many
 * files it put back): recovery leaves them alone, and an interrupted run undoes them.
 */
const open = new Map<string, () => number>();

/**
 * Undoes every transaction of this process that is open (not committed): what SIGINT or SIGTERM
 * does before the process ends. Returns how many files were put back.
 */
/** Whether this process has a transaction that has begun writing and is not committed: one an interrupt would undo. */
export function hasOpenTransactions(): boolean {
  return open.size > 0;
}

export function abortOpenTransactions(): number {
  let files = 0;
  for (const abort of [...open.values()]) files += abort();
  return files;
}

/**
 * Opens a Transaction on the tree under `root`; the caller holds the tree's lock from before this
 * call until after `commit` or `abort`. Written files keep the mode of the file they replace.
 */
export function openTransaction(root: string, hooks: Pick<CommitHooks, 'atStep' | 'durable'> = {}): Transaction {
  const ops: Operation[] = [];
  const dirs: string[] = [];
  const discard: string[] = [];
  const journal = (): Journal => (discard.length > 0 ? { version: 1, ops, dirs, discard } : { version: 1, ops, dirs });
  let txn: string | undefined;
  let closed = false;
  const close = () => {
    closed = true;
    if (txn) open.delete(txn);
  };
  const abort = (): number => {
    if (closed || !txn) {
      closed = true;
      return 0;
    }
    const folder = txn;
    close();
    undo(root, folder, journal(), hooks.atStep);
    finish(folder, undefined, hooks.atStep);
    return new Set(ops.map((op) => op.path)).size;
  };
  const begin = (): string => {
    if (!txn) {
      // From here an interrupt has something to undo: its handler must stand, also while app code runs.
      restoreInterruptListeners();
      txn = newTransactionFolder(root);
      open.set(txn, abort);
      // Present before the first journal: until the commit, a recovery undoes.
      writeFileSync(join(txn, ABORT), '');
    }
    return txn;
  };
  return {
    apply(writes, removed = []) {
      if (closed) throw new Error('the transaction is already committed or aborted');
      if (writes.length === 0 && removed.length === 0) return;
      const txn = begin();
      const first = ops.length;
      try {
        stage(root, txn, writes, removed, ops, dirs, hooks, true);
        hooks.atStep?.('stage', ops.length);
        writeJournal(txn, journal(), hooks.durable);
        redo(root, txn, journal(), (n) => hooks.atStep?.('commit', n), first);
      } catch (err) {
        abort();
        throw undoneChange(err, root);
      }
    },
    commit() {
      if (closed) throw new Error('the transaction is already committed or aborted');
      // Before it closes: the caller's abort then puts every file back.
      refuseAfterAppFailure();
      close();
      if (!txn) return;
      const done: Journal = { version: 1, ops, dirs };
      if (hooks.durable) for (const d of new Set(ops.map((op) => dirname(inside(root, op.path))))) if (existsSync(d)) fsyncPath(d);
      // The commit point: without the mark, a recovery completes the journal (every step is done).
      unlinkSync(join(txn, ABORT));
      if (hooks.durable) fsyncPath(txn);
      committed++;
      committedOps += new Set(ops.map((op) => op.path)).size;
      finish(txn, done, hooks.atStep);
    },
    abort() {
      abort();
    },
    discardOnUndo(paths) {
      if (closed) throw new Error('the transaction is already committed or aborted');
      for (const p of paths) inside(root, p); // refuses a path that leaves the tree
      discard.push(...paths);
      // In the journal before the step that makes it: a recovery after a kill must know it.
      writeJournal(begin(), journal(), hooks.durable);
    },
  };
}

/** Every operation, forwards; those already done are skipped. `afterWrite` follows each file renamed into place. */
function redo(
  root: string,
  txn: string,
  journal: Journal,
  beforeStep?: (step: number) => void,
  from = 0,
  afterWrite?: (step: number, target: string) => void,
): void {
  for (const d of journal.dirs) makeFolderSync(inside(root, d));
  // A file an open transaction removed and then wrote again: redoing the removal would remove the new file.
  const superseded = new Set<number>();
  if (journal.ops.some((op) => !op.write)) {
    const rewritten = new Set<string>();
    for (let n = journal.ops.length - 1; n >= 0; n--) {
      const op = journal.ops[n]!;
      if (op.write) rewritten.add(op.path);
      else if (rewritten.has(op.path)) superseded.add(n);
    }
  }
  journal.ops.forEach((op, n) => {
    if (n < from) return;
    beforeStep?.(n);
    const target = inside(root, op.path);
    if (!op.write) return superseded.has(n) ? undefined : unlinkQuietly(target);
    try {
      renameSync(staged(txn, n, 'new'), target);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
      if (existsSync(staged(txn, n, 'new'))) {
        // The target's folder is gone (removed as emptied by a recovery that was itself cut short).
        makeFolderSync(dirname(target));
        renameSync(staged(txn, n, 'new'), target);
      }
      // else: renamed into place before the process stopped
    }
    afterWrite?.(n, target);
  });
  for (const op of journal.ops) if (!op.write) removeEmptyDirs(dirname(inside(root, op.path)), root);
  for (const p of journal.prune ?? []) {
    const abs = inside(root, p);
    rmSync(abs, { recursive: true, force: true });
    removeEmptyDirs(dirname(abs), root);
  }
}

/** Every operation, backwards: the old files go back, the new ones go. */
function undo(root: string, txn: string, journal: Journal, atStep?: CommitHooks['atStep']): void {
  for (let n = journal.ops.length - 1; n >= 0; n--) {
    atStep?.('undo', n);
    const op = journal.ops[n]!;
    const target = inside(root, op.path);
    if (!op.backup) {
      unlinkQuietly(target);
      continue;
    }
    const backup = staged(txn, n, 'old');
    if (!existsSync(backup)) continue; // put back before the process stopped
    makeFolderSync(dirname(target));
    // Renaming a link onto another link of the same file does nothing: the backup then stays
    // behind and goes with the folder.
    try {
      renameSync(backup, target);
    } catch (e) {
      // A file that cannot be replaced (immutable, or in a folder this user cannot write) was not
      // replaced by the change either: when it still holds what the backup holds, it is back.
      if (!holdsSame(target, backup)) throw e;
    }
  }
  for (const p of journal.discard ?? []) rmSync(inside(root, p), { recursive: true, force: true });
  // In any order: a folder still holding a child is removed with that child, as its parent.
  for (const d of journal.dirs) removeEmptyDirs(inside(root, d), root);
}

/** Whether `file` holds what `backup` holds: the same file, or the same bytes and mode. */
function holdsSame(file: string, backup: string): boolean {
  try {
    const [a, b] = [lstatSync(file), lstatSync(backup)];
    if (a.dev === b.dev && a.ino === b.ino) return true;
    return a.isFile() && b.isFile() && a.size === b.size && a.mode === b.mode && readFileSync(file).equals(readFileSync(backup));
  } catch {
    return false;
  }
}

/**
 * A change to the tree that failed and was undone, said as a person can act on it: which file of
 * the tree refused (not the transaction's own files) and that nothing changed. The same error, so
 * that its system call still marks it as the machine's fault, not the input's.
 */
function undoneChange(err: unknown, root: string): unknown {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  const code = errno(err);
  const at = e.dest ?? e.path;
  if (!code || code === 'ENOENT' || typeof at !== 'string' || !at.startsWith(root + sep)) return err;
  const what = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*$/, '');
  const fix =
    code === 'EPERM' || code === 'EACCES' || code === 'EROFS'
      ? 'make it writable (its mode, its owner, an immutable attribute or a read-only mount) and run again'
      : code === 'EXDEV'
        ? // Each change is prepared in .strata/ and moved into place, which a mount boundary refuses.
          "its folder is a mount of its own, apart from the workspace's .strata/ where each change is prepared and moved into place: mount the whole workspace instead of its folders, then run again"
        : 'run again';
  e.message = `cannot change ${at
    .slice(root.length + 1)
    .split(sep)
    .join('/')} (${code}: ${what}); nothing in the tree was changed: ${fix}`;
  return e;
}

/**
 * Drops the transaction: the journal first, so that what is left is never taken for work to do.
 * After a redo, what is left is exactly the backups, removed by name: cheaper than a recursive
 * removal, which looks at every entry first.
 */
function finish(txn: string, redone?: Journal, atStep?: CommitHooks['atStep']): void {
  unlinkQuietly(join(txn, JOURNAL));
  atStep?.('finish', 0);
  redone?.ops.forEach((op, n) => op.backup && unlinkQuietly(staged(txn, n, 'old')));
  rmSync(txn, { recursive: true, force: true });
}

export interface Recovery {
  /** Interrupted changes completed: every file of each is now new. */
  readonly rolledForward: number;
  /** Interrupted changes undone (or that could not be completed): every file of each is old again. */
  readonly rolledBack: number;
  /** Changes interrupted before anything in the tree moved (or after all of it had): only dropped. */
  readonly discarded: number;
  /** Files put in place or back by the above. */
  readonly files: number;
  /** The pid of a live writer holding the lock: nothing was touched, its work is its own. */
  readonly busy?: number;
}

const NOTHING: Recovery = { rolledForward: 0, rolledBack: 0, discarded: 0, files: 0 };

/**
 * Brings the tree under `root` to a consistent state after a writer was killed: every interrupted
 * change is finished or undone, and no temporary file is left. Cheap when there is nothing to do
 * (one stat). Run it before reading or writing the tree; the tree writer runs it first itself.
 */
export function recover(root: string, options: LockOptions = {}): Recovery {
  // A journal reached through a link is no change of this tree's: the next writer refuses the link.
  if (linkedState(root) || !existsSync(join(root, WRITE_STATE_DIR))) return NOTHING;
  let lock;
  try {
    lock = lockTree(root, { waitMs: 0, ...options });
  } catch (e) {
    if (e instanceof TreeBusyError) return { ...NOTHING, busy: e.pid };
    throw e;
  }
  try {
    return recoverLocked(root);
  } finally {
    lock.release();
  }
}

/**
 * `recover` for the workspace at or above `from`, what every command does before it reads or writes
 * the tree; nothing to do outside a workspace (validate and verify also read any files there).
 * The scratch folders killed runs left in TMPDIR go first, whichever command comes next.
 */
export function recoverWorkspace(from: string = process.cwd()): Recovery | undefined {
  sweepScratchOnce();
  let root: string;
  try {
    root = findRoot(from);
  } catch {
    return undefined;
  }
  const recovery = recover(root);
  removeStaleWriterFiles(root);
  return recovery;
}

/**
 * Removes what writers killed between writing and renaming left where Strata writes outside the
 * tree's transactions: the pipeline's cache and each env's folder of dist/, and what a pnpm install
 * that new-app or import ran leaves at the root when it is killed with them. Their next writer
 * would remove them too, but any command may come first, and a person should not find them there
 * meanwhile. A live writer's files are spared. A few folder listings.
 */
export function removeStaleWriterFiles(root: string): void {
  removePnpmTemporaries(root);
  // Nothing is removed through a link: the next writer of the cache refuses it.
  if (!linkedState(root)) removeStaleTemporaries(join(root, Layout.cache));
  let envs: string[];
  try {
    envs = readdirSync(join(root, Layout.dist));
  } catch {
    return;
  }
  for (const env of envs) removeStaleTemporaries(join(root, Layout.dist, env));
}

/** `recover` for a caller that holds the lock. */
export function recoverLocked(root: string): Recovery {
  const state = join(root, WRITE_STATE_DIR);
  if (!existsSync(state)) return NOTHING;
  let rolledForward = 0;
  let rolledBack = 0;
  let discarded = 0;
  let files = 0;
  for (const name of readdirSync(state).sort()) {
    const path = join(state, name);
    if (isStaleLockDraft(name)) {
      unlinkQuietly(path);
      continue;
    }
    if (!name.startsWith('txn-') || open.has(path)) continue;
    // With the lock held, every other transaction here belongs to a process that stopped.
    let text: string;
    try {
      text = readFileSync(join(path, JOURNAL), 'utf8');
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
      rmSync(path, { recursive: true, force: true });
      discarded++;
      continue;
    }
    const journal = JSON.parse(text) as Journal;
    let back = existsSync(join(path, ABORT));
    if (!back) {
      try {
        redo(root, path, journal);
      } catch {
        // A step that cannot be taken (a file name longer than the file system allows, say) would
        // fail every command from now on: the change is undone instead, as a failing run does.
        writeFileSync(join(path, ABORT), '');
        back = true;
      }
    }
    if (back) undo(root, path, journal);
    finish(path, back ? undefined : journal);
    if (back) rolledBack++;
    else rolledForward++;
    files += journal.ops.length;
  }
  return { rolledForward, rolledBack, discarded, files };
}
