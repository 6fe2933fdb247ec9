import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Running an app's own code (its modules as they load, its render) inside the program that judges
 * it: whatever that code does to the process is its own result, never the program's. An app that
 * ends the process (exit, abort, a signal to itself) fails with an error naming it, so a gate never
 * passes because nothing was checked; what it prints, through the stream or to file descriptor 1,
 * goes to stderr, each line after the app's name, so that a report on stdout (JSON, SARIF, a patch)
 * stays whole.
 */

/** The app code running now, in this call and in everything it started (timers, promises). */
export interface AppCodeScope {
  /** The app's name. */
  readonly app: string;
  /** What the app's code was doing, for messages: `render`, `the module`. */
  readonly doing: string;
  /** The workspace root and the app's folder in it (`apps/<name>`), when known: its errors name its files. */
  readonly root?: string;
  readonly dir?: string;
  /**
   * Where the files the code reads through `node:fs` are recorded, by absolute path, each with the
   * SHA-1 of what it held when first read, or `-` when what is at the path is no file (a folder
   * listed, a file looked for and not found): what its result depends on besides its modules.
   * Files under node_modules are left out: they come with the installed libraries.
   */
  readonly reads?: Map<string, string>;
}

/**
 * Thrown where app code calls `process.exit` (or aborts, signals the process, sets its exit status,
 * opens its stdout): the program goes on, and reports the app.
 */
export class AppExitError extends Error {
  override readonly name = 'AppExitError';
}

/** One run of app code: its scope, and the exit it called, if any. */
interface Run {
  readonly scope: AppCodeScope;
  exited?: AppExitError;
}

interface State {
  readonly runs: AsyncLocalStorage<Run>;
  /** The process's own `exit`, once replaced. */
  exit?: typeof process.exit;
  /** Per app, whether what it printed last ended its line: the next line starts with the app's name. */
  readonly lineOpen: Map<string, boolean>;
  /** What app code threw after its call had returned (from a timer, a promise), in order. */
  readonly failures: Error[];
  /** Per app object, the files its code read: see readsOf. */
  reads?: WeakMap<object, Map<string, string>>;
  /** Folders of the program's own (the bundles apps are loaded as): what is read there is no read of an app. */
  programDirs?: Set<string>;
}

// One state per process, whatever copies of core it runs (see sources.ts's registry).
const STATE: unique symbol = Symbol.for('@strata/core/app-code');
const shared = globalThis as typeof globalThis & { [STATE]?: State };
const state: State = (shared[STATE] ??= { runs: new AsyncLocalStorage(), lineOpen: new Map(), failures: [] });

/** The app code that the running code belongs to, if any: also in a timer or promise it started. */
export function appCodeScope(): AppCodeScope | undefined {
  return state.runs.getStore()?.scope;
}

const shownArg = (value: unknown) => (value === undefined ? '' : (JSON.stringify(value) ?? String(value)));

/** The process's own functions that app code could end it with, replaced once; each is called as ever from anything but app code. */
const ENDERS = ['exit', 'reallyExit', 'abort', 'kill', '_kill'] as const;
type Ender = (typeof ENDERS)[number];
type Process = Record<Ender, (...args: unknown[]) => unknown>;

/**
 * Whether a call of one of those functions ends or stops this process. `process.kill` sends a signal
 * to this process when given its own id, 0 (its process group), a negative id (a group, -1 every
 * process); signal 0 only asks whether the process exists, and a signal to another process is that
 * process's affair.
 */
function ends(name: Ender, args: readonly unknown[]): boolean {
  if (name !== 'kill' && name !== '_kill') return true;
  const [pid, signal] = args;
  if (signal === 0) return false;
  return pid === process.pid || pid === process.ppid || (typeof pid === 'number' && pid <= 0);
}

/** How the call reads in the app's code: `process.kill(process.pid, 'SIGTERM')`. */
function callText(name: Ender, args: readonly unknown[]): string {
  if (name === 'kill' || name === '_kill') {
    const [pid, signal] = args;
    const target = pid === process.pid ? 'process.pid' : pid === process.ppid ? 'process.ppid' : String(pid);
    return `process.kill(${target}${signal === undefined ? '' : `, ${shownArg(signal)}`})`;
  }
  return `process.${name}(${shownArg(args[0])})`;
}

/**
 * Replaces, once per process, the functions that end it (`exit`, `reallyExit`, `abort`, `kill` of
 * itself) and what writes to file descriptor 1: called from app code an ender throws an
 * AppExitError, and output goes to stderr after the app's name; called from anything else each does
 * as ever.
 */
function guard(): void {
  if (state.exit) return;
  const proc = process as unknown as Process;
  state.exit = process.exit;
  for (const name of ENDERS) {
    const own = proc[name];
    if (typeof own !== 'function') continue;
    proc[name] = function (this: unknown, ...args: unknown[]) {
      const run = state.runs.getStore();
      if (!run || !ends(name, args)) return own.apply(this, args);
      const err = new AppExitError(
        `${run.scope.doing} called ${callText(name, args)}; an app returns its objects or throws an Error, and never ends the process`,
      );
      run.exited ??= err;
      throw err;
    };
  }
  // console.log and the like write through the stream's own write: app code's output goes to stderr.
  const stdout = process.stdout;
  const write = stdout.write;
  stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const run = state.runs.getStore();
    if (!run) return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8';
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(encoding);
    const done = rest.find((r): r is (err?: Error | null) => void => typeof r === 'function');
    return process.stderr.write(prefixed(run.scope.app, text), done);
  } as typeof stdout.write;
  guardReads();
  guardDescriptorWrites();
}

/** The functions of `node:fs` (and `node:fs/promises`) that read a file, or look at what is at a path, given the path. */
const READERS = ['readFileSync', 'openSync', 'createReadStream', 'existsSync', 'statSync', 'lstatSync', 'accessSync', 'readdirSync', 'opendirSync'];
const CALLBACK_READERS = ['readFile', 'open', 'stat', 'lstat', 'access', 'readdir', 'opendir'];

// This module's own, before any is replaced: what a read is recorded with.
const ownStat = fs.statSync;
const ownRead = fs.readFileSync;

/** The absolute path a reader was given; undefined for a file descriptor (its open was recorded). */
function pathOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return resolve(arg);
  if (arg instanceof URL) return arg.protocol === 'file:' ? fileURLToPath(arg) : undefined;
  if (Buffer.isBuffer(arg)) return resolve(arg.toString());
  return undefined;
}

/** Records, in the running app code's scope, what is at a path it reads (see AppCodeScope.reads). */
function recordRead(arg: unknown): void {
  const reads = state.runs.getStore()?.scope.reads;
  if (!reads) return;
  const path = pathOf(arg);
  if (!path || reads.has(path) || path.split(sep).includes('node_modules')) return;
  // The bundle an app runs as is read again for each stack trace its source map serves: never hashed.
  for (const dir of state.programDirs ?? []) if (path.startsWith(`${dir}${sep}`)) return;
  let hash = '-';
  try {
    if (ownStat(path).isFile()) hash = createHash('sha1').update(ownRead(path)).digest('hex');
  } catch {
    // not there, or not readable: no file
  }
  reads.set(path, hash);
}

/** Replaces the readers of `node:fs` with ones that record what app code reads, then do as ever. */
function guardReads(): void {
  const replace = (module: Record<string, unknown>, names: readonly string[]) => {
    for (const name of names) {
      const own = module[name];
      if (typeof own !== 'function') continue;
      module[name] = function (this: unknown, path: unknown, ...rest: unknown[]) {
        recordRead(path);
        return (own as (...args: unknown[]) => unknown).call(this, path, ...rest);
      };
    }
  };
  replace(fs as unknown as Record<string, unknown>, [...READERS, ...CALLBACK_READERS]);
  replace(fs.promises as unknown as Record<string, unknown>, CALLBACK_READERS);
}

/** Says that the files under `dir` are the program's own (a bundle of apps): reading them is no read of an app. */
export function programDir(dir: string): void {
  (state.programDirs ??= new Set()).add(dir);
}

/** The files the code of this app object read (see AppCodeScope.reads), in its modules as they loaded and in every render. */
export function readsOf(app: object): Map<string, string> {
  state.reads ??= new WeakMap();
  let reads = state.reads.get(app);
  if (!reads) {
    reads = new Map();
    state.reads.set(app, reads);
  }
  return reads;
}

/** What a write to a file descriptor puts there: `(data, offset, length)` of a buffer, `(text, position, encoding)` of a string. */
function writtenText(data: unknown, rest: readonly unknown[]): string {
  if (typeof data === 'string') return typeof rest[1] === 'string' ? Buffer.from(data, rest[1] as BufferEncoding).toString('utf8') : data;
  if (!ArrayBuffer.isView(data)) return String(data);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const options = rest[0] !== null && typeof rest[0] === 'object' ? (rest[0] as { offset?: number; length?: number }) : undefined;
  const offset = options ? (options.offset ?? 0) : typeof rest[0] === 'number' ? rest[0] : 0;
  const length = options ? (options.length ?? bytes.length - offset) : typeof rest[1] === 'number' ? rest[1] : bytes.length - offset;
  return Buffer.from(bytes.subarray(offset, offset + length)).toString('utf8');
}

/** Paths that are this process's stdout, whatever file or pipe it is. */
const stdoutPaths = () => new Set(['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1', `/proc/${process.pid}/fd/1`]);

/** Whether a file argument of `node:fs` (a descriptor, a path, a file URL) is stdout. */
function isStdout(target: unknown): boolean {
  if (target === 1) return true;
  if (target instanceof URL) return target.protocol === 'file:' && stdoutPaths().has(resolve(fileURLToPath(target)));
  return typeof target === 'string' && stdoutPaths().has(resolve(target));
}

/**
 * What app code writes to stdout through `node:fs` rather than the stream: `writeSync(1, ...)`,
 * `write`, `writeFile` and `appendFile` (sync, callback and promise) to descriptor 1 or
 * `/dev/stdout`, is routed to stderr after the app's name, as console output is. Opening stdout by
 * its path is refused: what the app would write there cannot be told from the command's output.
 * Other descriptors and files (2 included) are written as ever. The ESM bindings of `node:fs` are
 * synced, so an app's `import { writeSync } from 'node:fs'` sees the same functions.
 */
function guardDescriptorWrites(): void {
  const files = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => unknown>;
  const toStderr = (data: unknown, rest: readonly unknown[]): number => {
    const run = state.runs.getStore()!;
    const text = writtenText(data, rest);
    process.stderr.write(prefixed(run.scope.app, text));
    return Buffer.byteLength(text);
  };
  const routed = (on: Record<string, (...args: unknown[]) => unknown>, name: string, answer: (args: unknown[], written: number) => unknown) => {
    const own = on[name]!;
    // A whole file's data is written whole: its options are not an offset and length.
    const whole = name.includes('File');
    on[name] = function (this: unknown, target: unknown, data: unknown, ...rest: unknown[]) {
      if (!state.runs.getStore() || !(whole ? isStdout(target) : target === 1)) return own.call(this, target, data, ...rest);
      return answer([target, data, ...rest], toStderr(data, whole ? [] : rest));
    };
  };
  const callback = (args: unknown[], ...results: unknown[]) => {
    const done = args.findLast((a): a is (...r: unknown[]) => void => typeof a === 'function');
    if (done) process.nextTick(done, null, ...results);
    return undefined;
  };
  routed(files, 'writeSync', (_, written) => written);
  routed(files, 'writeFileSync', () => undefined);
  routed(files, 'appendFileSync', () => undefined);
  routed(files, 'write', (args, written) => callback(args, written, args[1]));
  routed(files, 'writeFile', (args) => callback(args));
  routed(files, 'appendFile', (args) => callback(args));
  routed(promises, 'writeFile', () => Promise.resolve());
  routed(promises, 'appendFile', () => Promise.resolve());
  const refused = (on: Record<string, (...args: unknown[]) => unknown>, name: string) => {
    const own = on[name]!;
    on[name] = function (this: unknown, target: unknown, ...rest: unknown[]) {
      const run = state.runs.getStore();
      if (!run || !isStdout(target)) return own.call(this, target, ...rest);
      const err = new AppExitError(
        `${run.scope.doing} opened ${String(target)}, which is the command's own output (a report, a patch); print with console.log, which goes to stderr after the app's name`,
      );
      run.exited ??= err;
      throw err;
    };
  };
  refused(files, 'openSync');
  refused(files, 'open');
  refused(promises, 'open');
  syncBuiltinESMExports();
}

/** `text` with the app's name before each line it starts. */
function prefixed(app: string, text: string): string {
  if (text === '') return text;
  const open = state.lineOpen.get(app) ?? false;
  state.lineOpen.set(app, !text.endsWith('\n'));
  const lines = text.split('\n');
  const last = lines.pop()!;
  const out = lines.map((line, i) => (i === 0 && open ? line : `${app}: ${line}`));
  if (last !== '') out.push(lines.length === 0 && open ? last : `${app}: ${last}`);
  return out.join('\n') + (text.endsWith('\n') ? '\n' : '');
}

/**
 * Runs `fn`, app code, so that it cannot end the process: an exit it calls is thrown as an
 * AppExitError, and thrown again when the app's code caught it and went on.
 */
export function runAppCode<T>(scope: AppCodeScope, fn: () => T): T {
  guard();
  const run: Run = { scope };
  const code = process.exitCode;
  let result: T;
  try {
    result = state.runs.run(run, fn);
  } catch (err) {
    keepExitCode(run, code);
    throw run.exited ?? err;
  }
  keepExitCode(run, code);
  if (run.exited) throw run.exited;
  return result;
}

/** As runAppCode, for app code that runs asynchronously (a module as it loads). */
export async function runAppCodeAsync<T>(scope: AppCodeScope, fn: () => Promise<T>): Promise<T> {
  guard();
  const run: Run = { scope };
  const code = process.exitCode;
  let result: T;
  try {
    result = await state.runs.run(run, fn);
  } catch (err) {
    keepExitCode(run, code);
    throw run.exited ?? err;
  }
  keepExitCode(run, code);
  if (run.exited) throw run.exited;
  return result;
}

/**
 * Puts back `process.exitCode` when app code set it, and makes that the app's failure: the command
 * would otherwise end with a status no line explains (1 for a generate that wrote everything, say).
 * The property cannot be replaced, so the change is found once the app's call returns.
 */
function keepExitCode(run: Run, before: typeof process.exitCode): void {
  const after = process.exitCode;
  if (after === before) return;
  process.exitCode = before;
  run.exited ??= new AppExitError(
    `${run.scope.doing} set process.exitCode to ${shownArg(after)}; an app returns its objects or throws an Error, and never sets how the process ends`,
  );
}

/** Records that app code failed after its call had returned: no change is committed from then on. */
export function recordAppFailure(failure: Error): void {
  state.failures.push(failure);
}

/** What app code threw after its call had returned, in this process, in order. */
export function appCodeFailures(): readonly Error[] {
  return state.failures;
}

/**
 * Once apps were rendered, before what they rendered is written: lets the timers and promises
 * their code started at once run, and throws the first failure of app code by then, so that a
 * render that throws asynchronously fails the command before anything is written.
 */
export async function settleAppCode(): Promise<void> {
  await new Promise((done) => setTimeout(done, 0));
  const [first] = state.failures;
  if (first) throw first;
}
