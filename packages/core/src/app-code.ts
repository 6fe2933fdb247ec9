import { AsyncLocalStorage } from 'node:async_hooks';
import crypto, { createHash } from 'node:crypto';
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import timers from 'node:timers';
import tls from 'node:tls';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promiseHooks } from 'node:v8';
import { pinLocale } from './locale.ts';
import { setAsideForAppCode } from './interrupts.ts';

/**
 * Running an app's own code (its modules as they load, its render) inside the program that judges
 * it: whatever that code does to the process is its own result, never the program's. An app that
 * ends the process (exit, abort, a signal to itself) fails with an error naming it, so a gate never
 * passes because nothing was checked; what it prints, through the stream or to file descriptor 1,
 * goes to stderr, each line after the app's name, so that a report on stdout (JSON, SARIF, a patch)
 * stays whole. What it would depend on besides the repository (an environment variable, a file git
 * ignores or one outside the repository) fails it too: neither the cache nor a clone would see it.
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
   * The apps whose modules load in this one run (one bundle of them all), each with its folder
   * relative to the root: what the code does is the app's in whose folder it was done.
   */
  readonly apps?: readonly { readonly app: string; readonly dir: string }[];
  /**
   * Where the files the code reads through `node:fs` are recorded, by absolute path, each with the
   * SHA-1 of what it held when first read, or `-` when what is at the path is no file (a folder
   * listed, a file looked for and not found): what its result depends on besides its modules.
   * Files of the workspace's installed packages are left out: they come with the lockfile (see installed).
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

/** One run of app code: its scope, the exit it called, if any, whether its call is asynchronous (a module as it loads) and has returned. */
interface Run {
  readonly scope: AppCodeScope;
  exited?: AppExitError;
  readonly async?: boolean;
  returned?: boolean;
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
  /** What refuses app code's reads of files that are not the repository's: see judgeReads. */
  judge?: ReadJudge;
  /** Whether a read is being recorded (its file hashed): what node:fs does for that is no read of app code's. */
  recording?: boolean;
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

/**
 * Whether a call of one of those functions ends or stops this process. `process.kill` sends a signal
 * to this process when given its own id, 0 (its process group), a negative id (a group, -1 every
 * process); signal 0 only asks whether the process exists, and a signal to another process is that
 * process's affair.
 */
function ends(name: string, args: readonly unknown[]): boolean {
  if (name !== 'kill' && name !== '_kill') return true;
  const [pid, signal] = args;
  if (signal === 0) return false;
  return pid === process.pid || pid === process.ppid || (typeof pid === 'number' && pid <= 0);
}

/** How the call reads in the app's code: `process.kill(process.pid, 'SIGTERM')`. */
function callText(name: string, args: readonly unknown[]): string {
  if (name === 'kill' || name === '_kill') {
    const [pid, signal] = args;
    const target = pid === process.pid ? 'process.pid' : pid === process.ppid ? 'process.ppid' : String(pid);
    return `process.kill(${target}${signal === undefined ? '' : `, ${shownArg(signal)}`})`;
  }
  return `process.${name}(${shownArg(args[0])})`;
}

type Call = (...args: unknown[]) => unknown;

/**
 * What a replaced function does when app code calls it: given the run, the arguments, the function
 * as it was (bound to the call's `this`) and its name.
 */
type InApp = (run: Run, args: unknown[], own: Call, name: string, replaced: Call) => unknown;

/**
 * The one way app code is watched: replaces each function `names` of `on` (the process, its stdout,
 * node:fs, the timers) with one that does `inApp` when app code calls it, and as ever when anything
 * else does.
 */
function intercept(on: object, names: readonly string[], inApp: InApp): void {
  const functions = on as Record<string, Call>;
  for (const name of names) {
    const own = functions[name];
    // A function only a getter gives (node:crypto's getRandomValues, which calls the Web Crypto one) is watched where it leads.
    const given = Object.getOwnPropertyDescriptor(on, name);
    if (typeof own !== 'function' || (given?.get && !given.set)) continue;
    const replaced = function (this: unknown, ...args: unknown[]) {
      const run = state.runs.getStore();
      if (!run) return own.apply(this, args);
      return inApp(run, args, (...a) => own.apply(this, a), name, replaced);
    };
    // What util.promisify reads (setTimeout's promise form, fs.write's results) stays as it was.
    for (const key of Object.getOwnPropertySymbols(own)) Object.defineProperty(replaced, key, Object.getOwnPropertyDescriptor(own, key)!);
    // And so do the functions hung on it (process.hrtime.bigint, fs.realpathSync.native), each watched on its own.
    for (const key of Object.keys(own)) (replaced as unknown as Record<string, unknown>)[key] = (own as unknown as Record<string, unknown>)[key];
    functions[name] = replaced;
  }
}

/** Fails the app's run with `message`: thrown now, and thrown again should the app's code catch it and go on. */
function refuse(run: Run, message: string): never {
  const err = new AppExitError(message);
  run.exited ??= err;
  throw err;
}

/**
 * Replaces, once per process, what app code could end the process with or write into the
 * command's output through, and what it reads files with: called from app code an ender throws an
 * AppExitError, output goes to stderr after the app's name, a read is recorded, and a callback it
 * starts may not set the exit status; called from anything else each does as ever.
 */
function guard(): void {
  if (state.exit) return;
  state.exit = process.exit;
  // The time zone is the machine's, and Intl and a Date's local fields follow it: UTC for every
  // render, set before app code runs (Node reads TZ again when it is set).
  process.env.TZ = 'UTC';
  // And so is the locale, which Node took from LANG and LC_ALL as it started (see locale.ts).
  pinLocale();
  intercept(process, ENDERS, (run, args, own, name) =>
    ends(name, args)
      ? refuse(run, `${run.scope.doing} called ${callText(name, args)}; an app returns its objects or throws an Error, and never ends the process`)
      : own(...args),
  );
  // console.log and the like write through the stream's own write: app code's output goes to stderr.
  intercept(process.stdout, ['write'], (run, [chunk, ...rest]) => {
    const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8';
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(encoding);
    const done = rest.find((r): r is (err?: Error | null) => void => typeof r === 'function');
    return process.stderr.write(prefixed(run.scope.app, text), done);
  });
  guardFiles();
  guardCallbacks();
  guardEnvironment();
  guardMachine();
  // The ESM bindings of the builtins follow, so that `import { writeSync } from 'node:fs'` in an app sees the same functions.
  syncBuiltinESMExports();
}

/** The functions of `node:fs` (and `node:fs/promises`) that read a file, or look at what is at a path, given the path. */
const READERS = [
  'readFileSync',
  'createReadStream',
  'existsSync',
  'statSync',
  'lstatSync',
  'accessSync',
  'readdirSync',
  'opendirSync',
  'realpathSync',
  'readlinkSync',
];
const CALLBACK_READERS = ['readFile', 'stat', 'lstat', 'access', 'readdir', 'opendir', 'realpath', 'readlink'];

// This module's own, before any is replaced: what a read is recorded with.
const ownStat = fs.statSync;
const ownRead = fs.readFileSync;
const ownList = fs.readdirSync;
const ownRealpath = fs.realpathSync;

/** The absolute path a reader was given; undefined for a file descriptor (its open was recorded). */
function pathOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return resolve(arg);
  if (arg instanceof URL) return arg.protocol === 'file:' ? fileURLToPath(arg) : undefined;
  if (Buffer.isBuffer(arg)) return resolve(arg.toString());
  return undefined;
}

/** Records, in the scope of the app code's run, what is at a path it reads (see AppCodeScope.reads). */
function recordRead(run: Run, arg: unknown): void {
  const reads = run.scope.reads;
  if (!reads || state.recording) return;
  const path = pathOf(arg);
  if (!path || reads.has(path) || (run.scope.root !== undefined && installed(path, run.scope.root))) return;
  // The bundle an app runs as is read again for each stack trace its source map serves: never hashed.
  if (inProgramDir(path)) return;
  let hash = '-';
  // node:fs's own readFileSync opens the file through fs.openSync, which is watched: that open is
  // this record's, not the app's, and recording it again would recur until the stack overflowed.
  state.recording = true;
  try {
    if (ownStat(path).isFile()) hash = createHash('sha1').update(ownRead(path)).digest('hex');
  } catch {
    // not there, or not readable: no file
  } finally {
    state.recording = false;
  }
  reads.set(path, hash);
}

/**
 * Why app code may not read what is at `path` (absolute) in the workspace at `root`, or undefined
 * when it may: a file git ignores, or one outside the repository, is on this machine only, and a
 * render that reads it makes a tree that a clone of the repository cannot make again.
 */
export type ReadJudge = (path: string, root: string) => string | undefined;

/**
 * Says what judges app code's reads through `node:fs` (see ReadJudge): a read it refuses fails the
 * app at the line of its own code that read, as an exit does. Reads by Node or by a library under
 * node_modules are not judged, nor are reads of app code whose workspace is not known.
 */
export function judgeReads(judge: ReadJudge | undefined): void {
  state.judge = judge;
}

/** Whether an `open` with these flags (`'w'`, `'a+'`, `O_WRONLY`) opens a file to write it. */
function forWriting(flags: unknown): boolean {
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) !== 0;
  return typeof flags === 'string' && !flags.startsWith('r');
}

const inProgramDir = (path: string) => [...(state.programDirs ?? [])].some((dir) => path.startsWith(`${dir}${sep}`));

/** Per workspace root, the folders its installed packages are in: see installed. */
const packageFolders = new Map<string, readonly string[]>();

/**
 * The folders of the packages installed in the workspace at `root`: its node_modules folders (the
 * root's, each app's and each package's, and one beside them in apps/ or packages/), and where the
 * links in them lead (a store elsewhere).
 */
function packageFoldersOf(root: string): readonly string[] {
  let folders = packageFolders.get(root);
  if (folders) return folders;
  const modules = [join(root, 'node_modules')];
  for (const top of ['apps', 'packages']) {
    // One beside the apps (or packages) too: the loader resolves their imports from there as well.
    modules.push(join(root, top, 'node_modules'));
    try {
      for (const entry of ownList(join(root, top))) modules.push(join(root, top, entry, 'node_modules'));
    } catch {
      // no such folder
    }
  }
  const found = new Set<string>();
  const real = ownRealpath(root);
  for (const dir of modules) {
    let entries: string[];
    try {
      entries = ownList(dir);
    } catch {
      continue;
    }
    found.add(dir);
    found.add(ownRealpath(dir));
    for (const entry of entries) {
      const names = entry.startsWith('@') ? safeList(join(dir, entry)).map((name) => join(entry, name)) : [entry];
      for (const name of names) {
        if (!isPackageName(name.split(sep).at(-1)!)) continue;
        try {
          // A store elsewhere; a link back into the workspace is a package of its own (an app), whose files are the repository's.
          const target = ownRealpath(join(dir, name));
          if (!`${target}${sep}`.startsWith(`${real}${sep}`)) found.add(target);
        } catch {
          // a broken link
        }
      }
    }
  }
  folders = [...found];
  packageFolders.set(root, folders);
  return folders;
}

const safeList = (dir: string): string[] => {
  try {
    return ownList(dir);
  } catch {
    return [];
  }
};

/** Each list of package folders by folder, with its place in the list. */
const placesOf = new WeakMap<readonly string[], ReadonlyMap<string, number>>();

/**
 * The first folder of `folders`, in their order, that `path` lies under. Looked up by the path's own
 * folders, one at a time: at 500 apps, whose bundles name thousands of files each in a store outside
 * the workspace (a linked node_modules, pnpm's global virtual store), a scan of every folder per file
 * took half a second.
 */
export function firstFolderAbove(folders: readonly string[], path: string): string | undefined {
  let places = placesOf.get(folders);
  if (!places) placesOf.set(folders, (places = new Map(folders.map((f, i) => [f, i] as const).reverse())));
  let first: number | undefined;
  for (let end = path.lastIndexOf(sep); end > 0; end = path.lastIndexOf(sep, end - 1)) {
    const place = places.get(path.slice(0, end));
    if (place !== undefined && (first === undefined || place < first)) first = place;
  }
  return first === undefined ? undefined : folders[first];
}

/** Whether a name in node_modules is a package's (or pnpm's store of them), not a tool's own folder (`.cache`, `.vite`, `.bin`). */
const isPackageName = (name: string) => !name.startsWith('.') || name === '.pnpm';

/**
 * Whether `path` is a file of a package the workspace at `root` installed (what the lockfile
 * installs, which the cache keys on): under one of its package folders, and under every
 * node_modules on the way in a package's folder. A node_modules anywhere else (the machine's
 * global one, /tmp/x/node_modules) and a tool's cache in the workspace's own (node_modules/.cache)
 * are the machine's, and judged as any other read.
 */
export function installed(path: string, root: string): boolean {
  // Asked for the same files again and again (every app's bundle imports the same packages): each
  // answer is kept, as the folders it comes from are.
  const key = `${root}\0${path}`;
  let answer = installedAnswers.get(key);
  if (answer === undefined) {
    const folder = firstFolderAbove(packageFoldersOf(root), path);
    const parts = folder ? [...(folder.endsWith(`${sep}node_modules`) ? ['node_modules'] : []), ...path.slice(folder.length + 1).split(sep)] : [];
    answer = folder !== undefined && parts.every((part, i) => i === 0 || parts[i - 1] !== 'node_modules' || isPackageName(part));
    if (installedAnswers.size >= 100_000) installedAnswers.clear();
    installedAnswers.set(key, answer);
  }
  return answer;
}

const installedAnswers = new Map<string, boolean>();

/** Refuses app code's read of `arg` when the judge says the file is not the repository's (see judgeReads). */
function judgeRead(run: Run, arg: unknown, replaced: Call): void {
  const { judge } = state;
  const { root } = run.scope;
  if (!judge || !root) return;
  const path = pathOf(arg);
  if (!path || installed(path, root) || inProgramDir(path) || !calledByApp(replaced, run.scope, true)) return;
  const why = judge(path, root);
  if (!why) return;
  const rel = relative(root, path);
  const shown = rel.startsWith('..') || rel === '' ? path : rel;
  refuse(run, `${run.scope.doing} read ${shown}, ${why}`);
}

/** The file of one line of a stack: a path, `node:<module>` for Node's own code, undefined for a builtin (`JSON.stringify`). */
function frameFile(line: string): string | undefined {
  const m = /(?:\(|at )((?:file:\/\/|node:|\/)[^()]*?)(?::\d+)?(?::\d+)?\)?$/.exec(line.trim());
  if (!m) return undefined;
  try {
    return m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1];
  } catch {
    return undefined;
  }
}

/**
 * Whether the code that called `fn` (a replaced function of node:fs, a trap of process.env) is the
 * app's own: a bundle that apps are loaded as, a file of the app's folder, not under
 * node_modules, or a file under a node_modules that holds no package the workspace installed (see
 * installed). Builtins between (`JSON.stringify`) are looked through; so is Node's own code when
 * `throughNode` (a require, a promisified read: Node reads for its caller), and else Node's own
 * code is no app code (the console reads the environment for colours, whoever prints). With
 * `libraries`, a library under node_modules that app code runs counts as the app's (the network:
 * no library has a reason to go there during a render, and its connect comes later, off the app's stack).
 */
function calledByApp(fn: Call | ((...args: never[]) => unknown), scope: AppCodeScope, throughNode: boolean, libraries = false): boolean {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  Error.captureStackTrace(holder, fn);
  Error.stackTraceLimit = limit;
  const folder = scope.root && scope.dir ? join(scope.root, scope.dir) : undefined;
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const file = frameFile(line);
    if (file === undefined) continue;
    if (file.startsWith('node:')) {
      if (throughNode) continue;
      return false;
    }
    // A package the workspace installed is a library; any other node_modules (the machine's global
    // one, a tool's cache) is no package the lockfile pins, and code the app runs from there is its own.
    if (file.split(sep).includes('node_modules')) return scope.root === undefined || installed(file, scope.root) ? libraries : true;
    return inProgramDir(file) || (folder !== undefined && file.startsWith(`${folder}${sep}`));
  }
  return false;
}

/** Why a render may read nothing but the repository, before what to do instead. */
const REPOSITORY_ALONE = 'a render depends on the repository alone, so that the cache, a clone and every other machine render the same tree';

/** What a render reads of the environment, said once for every way it reads it. */
const ENVIRONMENT_ADVICE = `${REPOSITORY_ALONE}: put the value in the app's config (src/config.ts, or src/env/<env>.ts for one env)`;

/** What to do instead of reading the clock. */
const TIME_ADVICE = `${REPOSITORY_ALONE}: pass a fixed time in the app's config, or use a committed constant (new Date('2026-01-01'))`;

/** The functions of `node:child_process` that start a program. */
const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'];

/** What to do instead of asking the machine. */
const MACHINE_ADVICE = `${REPOSITORY_ALONE}: put the value in the app's config (src/env/<env>.ts for one env)`;

/** What to do instead of drawing a random value. */
const CHANCE_ADVICE = `${REPOSITORY_ALONE}: put the value in the app's config, or derive it from the config (a hash of the app's name, say)`;

/** What to do instead of going to the network. */
const NETWORK_ADVICE = `${REPOSITORY_ALONE}, and what a server answers changes without a commit: commit what it serves into the app (a JSON file it imports), or put the value in the app's config`;

/** What to do instead of writing a file. */
const WRITE_ADVICE =
  'a render writes nothing, its objects are what generate writes, atomically, into the tree: return them from render, or make the file once and commit it';

/** The functions of `node:dns` (and its promises and Resolver) that ask a name server. */
const RESOLVERS = [
  'lookup',
  'lookupService',
  'resolve',
  'resolve4',
  'resolve6',
  'resolveAny',
  'resolveCaa',
  'resolveCname',
  'resolveMx',
  'resolveNaptr',
  'resolveNs',
  'resolvePtr',
  'resolveSoa',
  'resolveSrv',
  'resolveTxt',
  'reverse',
];

/** The functions of `node:fs` that write, make, move or remove a file or folder (`open` for writing is judged where it opens). */
const WRITERS = [
  'writeFile',
  'appendFile',
  'copyFile',
  'cp',
  'link',
  'symlink',
  'mkdir',
  'mkdtemp',
  'rm',
  'rmdir',
  'rename',
  'unlink',
  'truncate',
  'chmod',
  'chown',
  'lchown',
  'lchmod',
  'utimes',
  'lutimes',
];

/**
 * One input of a render besides the repository, as app code asks for it: the functions `names` of
 * `on`, how the call reads in a message, what to do instead, whether Node's own code between counts
 * for its caller and whether a library's call in the app's run is the app's.
 */
interface MachineInput {
  readonly on: object | undefined;
  readonly names: readonly string[];
  readonly what: (name: string, args: readonly unknown[]) => string;
  readonly advice: string;
  readonly throughNode?: boolean;
  readonly libraries?: boolean;
  /** A call that is no such input after all (a write to stdout, which goes to stderr: see guardFiles). */
  readonly unless?: (args: readonly unknown[]) => boolean;
}

const called = (prefix: string) => (name: string) => `${prefix}${name}()`;
const calledWith = (prefix: string) => (name: string, args: readonly unknown[]) =>
  `${prefix}${name}(${shownArg(typeof args[0] === 'string' || args[0] instanceof URL ? String(args[0]) : undefined)})`;

/**
 * What differs from run to run or machine to machine, besides the environment and files (judged
 * as reads): each function is replaced once, and app code that calls one fails at its line.
 * - the clock: `Date.now()`, `new Date()` and `Date()` with no argument (a date given its time stays
 *   allowed), `performance.now()`, `process.hrtime()`, `process.uptime()`;
 * - chance: `Math.random()`, `crypto.randomUUID()`, `getRandomValues`, `randomBytes`, `randomInt`, `randomFill`;
 * - the machine and the process: `os.hostname()`, `os.userInfo()`, `os.homedir()` and `os.tmpdir()`
 *   (which read $HOME and $TMPDIR inside Node), its processors, memory, network interfaces, kernel
 *   release and load, `process.cwd()`, `process.argv`, `process.execPath`, the user
 *   and group ids, the process's own and its parent's (`process.pid`, `process.ppid`),
 *   `process.report` (which holds every environment variable);
 * - programs started through `node:child_process`;
 * - the network: `fetch`, `node:http`, `https`, `http2`, `net`, `tls`, `dgram` and `dns`, also
 *   through a library (undici) the app calls;
 * - files written, copied, linked, moved or removed through `node:fs`: a render writes nothing.
 * What is the same on every machine of an OS (`process.platform`, `os.platform()`, `os.EOL`,
 * `os.arch()`) stays allowed; the time zone is UTC and the locale en-US for the whole process
 * (see guard). Node's own
 * code and the libraries under node_modules call them as ever (but for the network).
 */
function guardMachine(): void {
  const judged = (
    fn: (...args: never[]) => unknown,
    run: Run | undefined,
    throughNode: boolean,
    what: string,
    advice: string,
    libraries = false,
  ): void => {
    if (run && calledByApp(fn, run.scope, throughNode, libraries)) refuse(run, `${run.scope.doing} called ${what}; ${advice}`);
  };
  const handler: ProxyHandler<DateConstructor> = {
    construct(target, args, newTarget) {
      if (args.length === 0)
        judged(handler.construct!, state.runs.getStore(), false, 'new Date() with no argument, which reads the clock', TIME_ADVICE);
      return Reflect.construct(target, args, newTarget === shared.Date ? target : newTarget) as object;
    },
    apply(target, self, args) {
      // Date(), called, is the time now as text, whatever it is given.
      judged(handler.apply!, state.runs.getStore(), false, 'Date(), which reads the clock', TIME_ADVICE);
      return Reflect.apply(target, self, args);
    },
  };
  shared.Date = new Proxy(Date, handler);
  const webcrypto = (globalThis as { crypto?: object }).crypto;
  const inputs: MachineInput[] = [
    { on: Date, names: ['now'], what: called('Date.'), advice: TIME_ADVICE },
    { on: performance, names: ['now'], what: called('performance.'), advice: TIME_ADVICE },
    // bigint first: hrtime, replaced after, carries the replaced one.
    { on: process.hrtime, names: ['bigint'], what: called('process.hrtime.'), advice: TIME_ADVICE },
    { on: process, names: ['hrtime', 'uptime'], what: called('process.'), advice: TIME_ADVICE },
    { on: Math, names: ['random'], what: called('Math.'), advice: CHANCE_ADVICE },
    {
      on: crypto,
      names: ['randomUUID', 'randomBytes', 'pseudoRandomBytes', 'randomInt', 'randomFill', 'randomFillSync'],
      what: called('crypto.'),
      advice: CHANCE_ADVICE,
      throughNode: true,
    },
    // node:crypto's getRandomValues calls this one.
    { on: webcrypto, names: ['randomUUID', 'getRandomValues'], what: called('crypto.'), advice: CHANCE_ADVICE, throughNode: true },
    {
      on: os,
      names: [
        'hostname',
        'userInfo',
        'homedir',
        'tmpdir',
        'cpus',
        'availableParallelism',
        'totalmem',
        'freemem',
        'networkInterfaces',
        'release',
        'version',
        'uptime',
        'loadavg',
        'machine',
        'getPriority',
      ],
      what: called('os.'),
      advice: MACHINE_ADVICE,
      throughNode: true,
    },
    {
      on: process,
      names: [
        'cwd',
        'getuid',
        'geteuid',
        'getgid',
        'getegid',
        'getgroups',
        'memoryUsage',
        'cpuUsage',
        'resourceUsage',
        'availableMemory',
        'constrainedMemory',
      ],
      what: called('process.'),
      advice: MACHINE_ADVICE,
    },
    { on: process.report, names: ['getReport', 'writeReport'], what: called('process.report.'), advice: ENVIRONMENT_ADVICE },
    {
      on: childProcess,
      names: STARTERS,
      what: calledWith('child_process.'),
      advice: `${REPOSITORY_ALONE}, and what a program prints depends on the machine it runs on: commit what it makes, or compute the value in the app's code`,
      throughNode: true,
    },
    { on: globalThis, names: ['fetch'], what: calledWith(''), advice: NETWORK_ADVICE, libraries: true },
    { on: http, names: ['request', 'get'], what: calledWith('http.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: https, names: ['request', 'get'], what: calledWith('https.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: http2, names: ['connect'], what: calledWith('http2.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: net, names: ['connect', 'createConnection'], what: called('net.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: net.Socket.prototype, names: ['connect'], what: () => 'net.Socket.connect()', advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: tls, names: ['connect'], what: called('tls.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: dgram, names: ['createSocket'], what: called('dgram.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: dns, names: RESOLVERS, what: calledWith('dns.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: dns.promises, names: RESOLVERS, what: calledWith('dns.promises.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    { on: dns.Resolver.prototype, names: RESOLVERS, what: calledWith('dns.Resolver.'), advice: NETWORK_ADVICE, throughNode: true, libraries: true },
    {
      on: fs,
      names: [...WRITERS, ...WRITERS.map((n) => `${n}Sync`), 'cpSync'],
      what: calledWith('fs.'),
      advice: WRITE_ADVICE,
      throughNode: true,
      unless: (args) => isStdout(args[0]),
    },
    {
      on: fs.promises,
      names: WRITERS,
      what: calledWith('fs.promises.'),
      advice: WRITE_ADVICE,
      throughNode: true,
      unless: (args) => isStdout(args[0]),
    },
  ];
  for (const { on, names, what, advice, throughNode = false, libraries = false, unless } of inputs) {
    if (!on) continue;
    intercept(on, names, (run, args, own, name, replaced) => {
      if (!unless?.(args)) judged(replaced, run, throughNode, what(name, args), advice, libraries);
      return own(...args);
    });
  }
  // Values rather than functions: read through a getter that judges the read as a call. The
  // process ids differ on every run, as a random value does (process.kill(process.pid) is refused
  // at the read, and still judged as an exit when the id comes otherwise).
  const values = [
    ...(['argv', 'execPath', 'execArgv', 'title'] as const).map((name) => [name, MACHINE_ADVICE] as const),
    ...(['pid', 'ppid'] as const).map((name) => [name, CHANCE_ADVICE] as const),
  ];
  for (const [name, advice] of values) {
    const given = Object.getOwnPropertyDescriptor(process, name);
    // ppid is asked of the system on each read (it changes when the parent ends); the others are kept.
    let value: unknown = given?.get ? undefined : process[name];
    let ownGet = given?.get?.bind(process);
    const get = () => {
      const run = state.runs.getStore();
      if (run && calledByApp(get, run.scope, false)) refuse(run, `${run.scope.doing} read process.${name}; ${advice}`);
      return ownGet ? ownGet() : value;
    };
    Object.defineProperty(process, name, {
      get,
      set: (v: unknown) => {
        value = v;
        ownGet = undefined;
      },
      enumerable: true,
      configurable: true,
    });
  }
}

/**
 * Environment variables are no input of a render: app code that reads one, looks for one, lists
 * them or sets one fails at its line, as an exit does. Node's own code and the libraries under
 * node_modules read them as ever (the console's colours, a library's debug switch), and so does the
 * program, whatever runs.
 */
function guardEnvironment(): void {
  const env = process.env;
  const judged = (trap: (...args: never[]) => unknown, what: string): void => {
    const run = state.runs.getStore();
    if (run && calledByApp(trap, run.scope, false)) refuse(run, `${run.scope.doing} ${what}; ${ENVIRONMENT_ADVICE}`);
  };
  const handler: ProxyHandler<NodeJS.ProcessEnv> = {
    get(target, key) {
      if (typeof key === 'string') judged(handler.get!, `read the environment variable ${key}`);
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (typeof key === 'string') judged(handler.has!, `looked for the environment variable ${key}`);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      judged(handler.ownKeys!, 'listed the environment variables');
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string') judged(handler.getOwnPropertyDescriptor!, `read the environment variable ${key}`);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    set(target, key, value) {
      if (typeof key === 'string') judged(handler.set!, `set the environment variable ${key}`);
      return Reflect.set(target, key, value);
    },
    defineProperty(target, key, descriptor) {
      if (typeof key === 'string') judged(handler.defineProperty!, `set the environment variable ${key}`);
      return Reflect.defineProperty(target, key, descriptor);
    },
    deleteProperty(target, key) {
      if (typeof key === 'string') judged(handler.deleteProperty!, `removed the environment variable ${key}`);
      return Reflect.deleteProperty(target, key);
    },
  };
  process.env = new Proxy(env, handler);
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

/** Refuses app code's opening of stdout (`what` it opened): what it would write there cannot be told from the command's output. */
function refuseStdout(run: Run, what: string): never {
  return refuse(
    run,
    `${run.scope.doing} opened ${what}, which is the command's own output (a report, a patch); print with console.log, which goes to stderr after the app's name`,
  );
}

/**
 * What app code does with files through `node:fs` (and `node:fs/promises`):
 * - what it reads, or looks for, is recorded (see AppCodeScope.reads);
 * - what it writes to stdout rather than through the stream: `writeSync(1, ...)`, `write`,
 *   `writeFile` and `appendFile` (sync, callback and promise) to descriptor 1 or `/dev/stdout`, goes
 *   to stderr after the app's name, as console output does;
 * - opening stdout, by its path or as a write stream on descriptor 1, is refused: what the app
 *   would write there cannot be told from the command's output.
 * Other descriptors and files (2 included) are read and written as ever.
 */
function guardFiles(): void {
  const promises = fs.promises;
  const reading: InApp = (run, args, own, _name, replaced) => {
    judgeRead(run, args[0], replaced);
    recordRead(run, args[0]);
    return own(...args);
  };
  // The native forms first: realpathSync and realpath, replaced after, carry the replaced ones.
  intercept(fs.realpathSync, ['native'], reading);
  intercept(fs.realpath, ['native'], reading);
  intercept(fs, [...READERS, ...CALLBACK_READERS], reading);
  intercept(promises, CALLBACK_READERS, reading);
  const opening: InApp = (run, args, own, _name, replaced) => {
    if (isStdout(args[0])) return refuseStdout(run, String(args[0]));
    if (!forWriting(args[1])) judgeRead(run, args[0], replaced);
    else if (calledByApp(replaced, run.scope, true)) refuse(run, `${run.scope.doing} opened ${String(args[0])} to write it; ${WRITE_ADVICE}`);
    recordRead(run, args[0]);
    return own(...args);
  };
  intercept(fs, ['openSync', 'open'], opening);
  intercept(promises, ['open'], opening);
  intercept(fs, ['createWriteStream'], (run, args, own, _name, replaced) => {
    const [path, options] = args;
    const fd = options !== null && typeof options === 'object' ? (options as { fd?: unknown }).fd : undefined;
    if (fd === 1) return refuseStdout(run, 'a write stream on file descriptor 1');
    if (fd === undefined && isStdout(path)) return refuseStdout(run, `a write stream on ${String(path)}`);
    // Its file is opened later, off the app's stack: refused here, at the app's line.
    if (fd === undefined && calledByApp(replaced, run.scope, true))
      refuse(run, `${run.scope.doing} called fs.createWriteStream(${shownArg(String(path))}); ${WRITE_ADVICE}`);
    return own(...args);
  });

  const toStderr = (run: Run, data: unknown, rest: readonly unknown[]): number => {
    const text = writtenText(data, rest);
    process.stderr.write(prefixed(run.scope.app, text));
    return Buffer.byteLength(text);
  };
  const routed = (on: object, name: string, answer: (args: unknown[], written: number) => unknown) => {
    // A whole file's data is written whole: its options are not an offset and length.
    const whole = name.includes('File');
    intercept(on, [name], (run, args, own) => {
      const [target, data, ...rest] = args;
      if (!(whole ? isStdout(target) : target === 1)) return own(...args);
      return answer(args, toStderr(run, data, whole ? [] : rest));
    });
  };
  const callback = (args: unknown[], ...results: unknown[]) => {
    const done = args.findLast((a): a is (...r: unknown[]) => void => typeof a === 'function');
    if (done) process.nextTick(done, null, ...results);
    return undefined;
  };
  routed(fs, 'writeSync', (_, written) => written);
  routed(fs, 'writeFileSync', () => undefined);
  routed(fs, 'appendFileSync', () => undefined);
  routed(fs, 'write', (args, written) => callback(args, written, args[1]));
  routed(fs, 'writeFile', (args) => callback(args));
  routed(fs, 'appendFile', (args) => callback(args));
  routed(promises, 'writeFile', () => Promise.resolve());
  routed(promises, 'appendFile', () => Promise.resolve());
}

/** The failure of app code that set `process.exitCode` to `set` in a callback it started at `started` (an Error made there, if known). */
function exitCodeSetLater(run: Run, set: typeof process.exitCode, started: Error | undefined): AppExitError {
  const err = new AppExitError(
    `${run.scope.doing} set process.exitCode to ${shownArg(set)} in a callback it started; an app returns its objects or throws an Error, and never sets how the process ends`,
  );
  err.stack = `${err.name}: ${err.message}\n${started?.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  return err;
}

/** What starts a callback later: each callback app code starts is watched as the app's code (see guardCallbacks). */
const SCHEDULERS = ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask'];

/**
 * Callbacks app code starts (timers, ticks) run after its call has returned, where runAppCode no
 * longer looks: each is wrapped so that setting `process.exitCode` there is put back and thrown as
 * the app's failure (reported as any late failure of app code is), at the line that started it.
 */
function guardCallbacks(): void {
  const watched: InApp = (run, args, own) => {
    const [callback, ...rest] = args;
    if (typeof callback !== 'function') return own(...args);
    // Where the app started it: the line a failure is reported at, the callback's own being gone by then.
    const started = new Error();
    return own(
      function (this: unknown, ...a: unknown[]) {
        const code = process.exitCode;
        let set: typeof code;
        let result: unknown;
        try {
          result = (callback as Call).apply(this, a);
        } finally {
          set = process.exitCode;
          if (set !== code) process.exitCode = code;
        }
        if (set !== code) throw exitCodeSetLater(run, set, started);
        return result;
      },
      ...rest,
    );
  };
  intercept(globalThis, SCHEDULERS, watched);
  intercept(timers, SCHEDULERS, watched);
  intercept(process, ['nextTick'], watched);
  guardPromises();
}

/**
 * The callbacks of promises app code makes (`.then`, what follows an `await` in its async
 * functions) are no function it hands over, so they are watched through V8's promise hooks: each
 * promise made in app code is marked with where it was made, and when a reaction of a marked one
 * has run after the app's call returned, a changed `process.exitCode` is put back and the change
 * thrown, from the next tick, as the app's failure at that line, as a timer's is.
 */
function guardPromises(): void {
  const made = new WeakMap<Promise<unknown>, { run: Run; started?: Error }>();
  /** The reactions running now, innermost last, each with the exit status before it (undefined for an unmarked promise's). */
  const running: ({ run: Run; started?: Error; code: typeof process.exitCode } | undefined)[] = [];
  promiseHooks.onInit((promise) => {
    const run = state.runs.getStore();
    if (!run) return;
    // A module that loads makes thousands of the loader's promises: where each was made is left
    // out (its failure is placed at the app's file), as that would take a tenth of a second.
    made.set(promise, run.async && !run.returned ? { run } : { run, started: new Error() });
  });
  promiseHooks.onBefore((promise) => {
    const mark = made.get(promise);
    // Before the app's call has returned (a module as it loads), a change is found as it returns.
    running.push(mark?.run.returned ? { ...mark, code: process.exitCode } : undefined);
  });
  promiseHooks.onAfter(() => {
    const reaction = running.pop();
    if (!reaction) return;
    const set = process.exitCode;
    if (set === reaction.code) return;
    process.exitCode = reaction.code;
    const err = exitCodeSetLater(reaction.run, set, reaction.started);
    // A promise hook may not throw: the failure is thrown where an uncaught one is seen as the app's.
    state.runs.run(reaction.run, () =>
      process.nextTick(() => {
        throw err;
      }),
    );
  });
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
  // It may not give the event loop back for a long time, or ever: a signal must still end the run.
  setAsideForAppCode();
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
  const run: Run = { scope, async: true };
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
  run.returned = true;
  const after = process.exitCode;
  if (after === before) return;
  process.exitCode = before;
  run.exited ??= new AppExitError(
    `${run.scope.doing} set process.exitCode to ${shownArg(after)}; an app returns its objects or throws an Error, and never sets how the process ends`,
  );
}

/**
 * Runs `fn`, the program's own code, outside the app code that called it (an uncaught failure of
 * app code is handled where it was thrown): what it does, such as set the exit status, is the
 * program's, and not the app's.
 */
export function outsideAppCode<T>(fn: () => T): T {
  return state.runs.exit(fn);
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
