import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { restoreInterruptListeners } from '@strata/core/sources';
import { isRunning, ToolError, UsageError } from '@strata/project';

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
 * `mkdirSync(dir, { recursive: true })`, failing with the error that stops it: Node's recursive
 * mkdir says ENOENT for a folder it cannot make for another reason (EROFS on a read-only file
 * system, EEXIST for a symbolic link to nothing in its place), which reads as a folder removed
 * meanwhile, and a caller retrying on that would retry without end. Then each missing folder is
 * made on its own, whose error is the true one. As cheap as the recursive mkdir when it succeeds.
 */
export function makeFolderSync(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!existsSync(d)) {
        throw Object.assign(new Error(`${d}: is a symbolic link to nothing, where a folder is needed; remove it, then run again`), {
          code: 'ENOTDIR',
          syscall: 'mkdir',
          path: d,
        });
      }
    }
  }
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

/** The commands that write nothing, for a refusal on a checkout this process cannot write. */
const READ_ONLY_COMMANDS = 'check, ls, validate, diff, generate --dry-run';

/**
 * The error of a write in the folder `dir` that failed, as one line naming the folder (exit 2), for
 * a read-only file system or a folder this user cannot write, the same for the tree's lock, dist/
 * and the caches; `e` itself otherwise. Node's own words (`EROFS: read-only file system, open
 * '.../.app.yaml.strata-tmp-1-2'`) name a temporary file and no way out. The error keeps Node's
 * code and system call, for a caller that tells the failures apart.
 * @default `dir` the folder of the path the failed call names (the folder itself for a mkdir)
 */
export function unwritableFolder(e: unknown, dir?: string): unknown {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') return e;
  const folder = dir ?? (typeof err.path === 'string' ? (err.syscall === 'mkdir' ? err.path : dirname(err.path)) : undefined);
  if (folder === undefined) return e;
  const message =
    code === 'EROFS'
      ? `cannot write ${folder}: read-only file system; run strata in a writable checkout, or use a read-only command: ${READ_ONLY_COMMANDS}`
      : `cannot write ${folder}: permission denied; make the checkout writable for this user (its mode or its owner), or use a read-only command: ${READ_ONLY_COMMANDS}`;
  return Object.assign(new UsageError(message), { code, ...(err.syscall ? { syscall: err.syscall } : {}), path: err.path });
}

/**
 * Writes `file` so that a reader sees the old content or the new, never part of it: the content
 * goes to a temporary file beside it, which is then renamed over it. Creates the parent folder
 * unless told not to. On failure the temporary file is removed and the old content stays.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  try {
    writeWhole(file, data, options);
  } catch (e) {
    throw unwritableFolder(e);
  }
}

function writeWhole(file: string, data: string | Uint8Array, options: AtomicWriteOptions): void {
  if (options.makeFolder !== false) makeFolderSync(dirname(file));
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

/** What a write left of its file, from the file's own descriptor once it was in place. */
export interface WrittenStatus {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/**
 * writeFileAtomic off the main thread, for callers with other work to do meanwhile (dist/ as the
 * builds arrive: creating 1,500 files from the main thread held it for one to two seconds on this
 * project's CI machines, the file system's lock on a folder being taken in turn with the writes in
 * flight). Resolves with the status of the file this write made, taken from its own descriptor once
 * it is in place: an edit of the path after that (a new file renamed over it, or a write into it)
 * shows as another inode, size or time.
 *
 * The writes are made one after another by one worker thread, each whole (temporary file, content,
 * rename) while the worker holds a flag that an interrupt's `removeWritesUnderWay` takes from it:
 * the handler waits for the write in hand to end, and the worker then starts no other, so no
 * temporary file appears after the handler has looked.
 */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<WrittenStatus> {
  const tmp = temporaryName(file);
  // An interrupt's handler stops the writes if the run ends before the rename: it must stand, also while app code runs.
  restoreInterruptListeners();
  writing.add(tmp);
  try {
    return await atomicWriter().write({ tmp, file, data, fsync: options.fsync === true, make: options.makeFolder !== false });
  } catch (e) {
    throw unwritableFolder(e);
  } finally {
    writing.delete(tmp);
  }
}

/** The temporary files of this process's asynchronous atomic writes still under way. */
const writing = new Set<string>();

/** Whether this process has asynchronous atomic writes under way, whose temporary files an interrupt removes. */
export function hasWritesUnderWay(): boolean {
  return writing.size > 0;
}

/** Whether the writer thread holds a write at this moment: it has taken one and not ended it. */
export function writeInHand(): boolean {
  return writer?.holding() ?? false;
}

/**
 * Ends this process's asynchronous writes (dist/ as the builds arrive) so that an interrupted run
 * leaves none of their temporary files: the write in hand is let finish (a few milliseconds: it is
 * in place then), no other starts, and any temporary file of one still listed is removed.
 */
export function removeWritesUnderWay(): void {
  writer?.stop();
  for (const tmp of writing) rmSync(tmp, { force: true });
  writing.clear();
}

/** The worker's flag: free, held for a write, or taken by an interrupt (no write starts again). */
const FREE = 0;
const HELD = 1;
const STOPPED = 2;

/**
 * The worker, as text: bundlers leave it as it is, and it needs no file of its own. Its modules are
 * imported, which both CommonJS and an ES module allow (a process run with --input-type=module
 * evaluates it as one).
 */
const WORKER = `
Promise.all([import('node:worker_threads'), import('node:fs'), import('node:path')]).then(([{ parentPort, workerData }, fs, { dirname }]) => {
const flag = new Int32Array(workerData);
parentPort.on('message', (w) => {
  if (Atomics.compareExchange(flag, 0, ${FREE}, ${HELD}) !== ${FREE}) return parentPort.postMessage({ id: w.id, stopped: true });
  let reply;
  try {
    reply = { id: w.id, status: write(w) };
  } catch (e) {
    reply = { id: w.id, error: { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, dest: e.dest } };
  } finally {
    Atomics.store(flag, 0, ${FREE});
    Atomics.notify(flag, 0);
  }
  parentPort.postMessage(reply);
});
function write({ tmp, file, data, fsync, make }) {
  let fd;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (e) {
    if (e.code !== 'ENOENT' || !make) throw e;
    fs.mkdirSync(dirname(file), { recursive: true });
    fd = fs.openSync(tmp, 'w');
  }
  try {
    try {
      fs.writeFileSync(fd, data);
      if (fsync) fs.fsyncSync(fd);
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    const s = fs.fstatSync(fd);
    return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
  } finally {
    fs.closeSync(fd);
  }
}
});
`;

interface WriteRequest {
  readonly tmp: string;
  readonly file: string;
  readonly data: string | Uint8Array;
  readonly fsync: boolean;
  readonly make: boolean;
}

type WriteReply =
  | { readonly id: number; readonly status: WrittenStatus }
  | { readonly id: number; readonly stopped: true }
  | { readonly id: number; readonly error: { message: string; code?: string; errno?: number; syscall?: string; path?: string; dest?: string } };

let writer: AtomicWriter | undefined;
const atomicWriter = () => (writer ??= new AtomicWriter());

/**
 * The writer thread crashed or ended while writes were under way (exit 2): strata's own failure, not
 * the input's. Its writes are each a temporary file renamed into place, and the temporary files of
 * those it had not finished are removed once it has ended, so each file is as it was or whole.
 */
export class WriterThreadError extends ToolError {
  override readonly name: string = 'WriterThreadError';
  constructor(what: string) {
    super(`${what}: the files it had not written were left as they were, none half written; run the command again`);
  }
}

/** One worker thread that makes the asynchronous atomic writes, started on the first. */
class AtomicWriter {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly pending = new Map<number, { tmp: string; resolve: (s: WrittenStatus) => void; reject: (e: Error) => void }>();
  private next = 0;
  /** What the thread threw that nothing caught (an Error, or any value: `throw 'x'` arrives as it is), said once it has ended. */
  private crash: { readonly thrown: unknown } | undefined;

  constructor() {
    // Without this process's flags: a loader it runs under (tsx) has nothing to do there.
    this.worker = new Worker(WORKER, { eval: true, workerData: this.flag.buffer, execArgv: [] });
    // It keeps the process alive only while a write is awaited.
    this.worker.unref();
    this.worker.on('message', (reply: WriteReply) => this.settle(reply));
    // 'exit' follows 'error' (an uncaught exception, memory exhausted): the writes under way are
    // ended there, when the thread can no longer rename anything into place.
    this.worker.on('error', (thrown: unknown) => (this.crash ??= { thrown }));
    this.worker.on('exit', (code) =>
      this.failAll(
        new WriterThreadError(
          this.crash
            ? `the file writer thread crashed (${(this.crash.thrown instanceof Error ? this.crash.thrown.message : String(this.crash.thrown)).split('\n')[0]})`
            : `the file writer thread ended unexpectedly (exit ${code})`,
        ),
      ),
    );
  }

  write(request: WriteRequest): Promise<WrittenStatus> {
    if (Atomics.load(this.flag, 0) === STOPPED) return Promise.reject(new Error('writes were stopped by an interrupt'));
    const id = ++this.next;
    const done = new Promise<WrittenStatus>((resolve, reject) => this.pending.set(id, { tmp: request.tmp, resolve, reject }));
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ id, ...request });
    return done;
  }

  holding(): boolean {
    return Atomics.load(this.flag, 0) === HELD;
  }

  /**
   * Waits for the write in hand, if any, and lets no other start: the flag is taken from the worker.
   * A write that has not ended in ten seconds (a file system that hangs) is waited for no longer.
   */
  stop(): void {
    const deadline = Date.now() + 10_000;
    while (Atomics.compareExchange(this.flag, 0, FREE, STOPPED) === HELD && Date.now() < deadline) Atomics.wait(this.flag, 0, HELD, 100);
  }

  private settle(reply: WriteReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('status' in reply) p.resolve(reply.status);
    else if ('stopped' in reply) p.reject(new Error('writes were stopped by an interrupt'));
    else p.reject(Object.assign(new Error(reply.error.message), reply.error));
  }

  /** Once the thread has ended: the temporary files of the writes it had not finished go, and the writes fail. */
  private failAll(err: Error): void {
    for (const p of this.pending.values()) {
      try {
        rmSync(p.tmp, { force: true });
      } catch {
        // Left for the next command's sweep of dist/ (removeStaleWriterFiles), once this process has ended.
      }
      p.reject(err);
    }
    this.pending.clear();
    if (writer === this) writer = undefined;
  }
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
