import { createHash } from 'node:crypto';
import { type Dirent, existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENVIRONMENTS, envKeyProblems, type App, type EnvKeyProblem, type Environment } from '@strata/core';
import {
  appFileOf,
  defaultsFileOf,
  envFileOf,
  errorLocation,
  judgeReads,
  keyPosition,
  originOf,
  readsOf,
  runAppCodeAsync,
  setOrigin,
  type ReadJudge,
} from '@strata/core/sources';
import { ToolError, ToolMissingError, UsageError } from './errors.ts';
import { filesIn } from './files.ts';
import { Layout } from './layout.ts';
import { beforeTypeScriptImport, CompileError, importApart, importTogether, type Loaded } from './load.ts';
import { installedPackageFile, outsideRoot, repositoryReads, type RepositoryJudge } from './repository-files.ts';

/** Application folders under apps/ that have src/app.ts, sorted by name. */
export function appDirs(root: string): string[] {
  const apps = join(root, Layout.apps);
  if (!existsSync(apps)) return [];
  return readdirSync(apps, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, Layout.appModule(d.name))))
    .map((d) => d.name)
    .sort();
}

/**
 * Apps already loaded in this process, by file. One compiled by the loader is loaded again once a
 * file it was made of changed (see `stamps`); one imported on its own (an app that uses
 * `import.meta` for more than its url, dirname and filename) stays as first loaded, as Node's module
 * cache keeps it.
 */
const loaded = new Map<string, App>();
/** The files each compiled app was made of, or imports from the workspace, or may read (see appSources). */
const sources = new Map<string, readonly string[]>();
/**
 * What each of those files was when the app was loaded: a long-lived process (tests, a watch, the
 * gate) plans again after an edit to images.json or an env file, and must see it.
 */
const stamps = new Map<string, ReadonlyMap<string, string>>();

/**
 * A file written this close before the loader started, or since, may hold other bytes than the
 * compiler read with the same size and times (file system clocks tick in steps): its content
 * decides, as git's index does for a racy entry.
 */
const RACY_MS = 100;
/** The stamp of a file that is known to differ from what its app was loaded from: matches no file. */
const CHANGED = 'changed';

/** A file's size, inode and times: any write changes its ctime. Missing is a stamp too. */
function stampOf(file: string): string {
  const st = statSync(file, { throwIfNoEntry: false, bigint: true });
  return st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : 'missing';
}

const contentStamp = (file: string) => {
  try {
    return `content:${createHash('sha1').update(readFileSync(file)).digest('hex')}`;
  } catch {
    return 'missing';
  }
};

/**
 * The stamp of a file an app was just loaded from, the loader having started at `since` (ms): its
 * size, inode and times, or, when it was written since or just before, its content as long as that
 * is what the compiler read (`read`, asked only then), and else CHANGED, so that the next load takes
 * it afresh.
 */
function loadedStamp(file: string, since: number, read: () => string | undefined): string {
  const st = statSync(file, { throwIfNoEntry: false, bigint: true });
  if (!st) return 'missing';
  const written = Number((st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs) / 1_000_000n);
  if (written < since - RACY_MS) return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  let now: string | undefined;
  try {
    now = readFileSync(file, 'utf8');
  } catch {
    // gone since: changed
  }
  return now !== undefined && now === read() ? `content:${createHash('sha1').update(now).digest('hex')}` : CHANGED;
}

/** A file's stamp now, of the kind of `then`; `seen` shares the stat calls and reads of one load between apps. */
function stampNow(file: string, then: string, seen?: Map<string, string>): string {
  const byContent = then.startsWith('content:');
  const key = byContent ? `content:${file}` : file;
  let now = seen?.get(key);
  if (now === undefined) {
    now = byContent ? contentStamp(file) : stampOf(file);
    seen?.set(key, now);
  }
  return now;
}

/** Whether a file the app was loaded from changed since. */
function changedSince(file: string, seen: Map<string, string>): boolean {
  const then = stamps.get(file);
  if (!then) return false;
  for (const [source, stamp] of then) if (stampNow(source, stamp, seen) !== stamp) return true;
  return false;
}

/** The stamps of each compiled app object, as loaded: a later load of the same app replaces `stamps`, not these. */
const stampsOf = new WeakMap<App, ReadonlyMap<string, string>>();

/**
 * Whether `file`, one of the files this app object was made of (see appSources), still holds what
 * it was loaded from: false once it changed, even while it was being loaded, and for an app loaded
 * on its own, whose files are unknown.
 */
export function sourceAsLoaded(app: App, file: string): boolean {
  const then = stampsOf.get(app)?.get(file);
  return then !== undefined && stampNow(file, then) === then;
}

/** Files imported one by one: Node keeps them, so they cannot be loaded afresh in this process. */
const imported = new Set<string>();

/**
 * The files (real, absolute paths) that `apps/<name>/src/app.ts` was made of when this process
 * loaded it: its own modules, every file of the workspace packages it imports (not those under
 * node_modules) and, when its modules use `import.meta` (to read a file beside them, say), every
 * file of its folder. Undefined when it was not loaded, or was loaded on its own.
 */
export function appSources(root: string, name: string): readonly string[] | undefined {
  return sources.get(join(root, Layout.appModule(name)));
}

/** How a library hands its caller a warning to show: libraries never print, the CLI does. */
export interface WarningOptions {
  /** Called once per warning, with one line that says what happened. @default ignored */
  readonly onWarning?: (message: string) => void;
}

/** One app's failure (to load, in its env keys, to render), in lines of its own. */
export interface AppFailure {
  readonly app: string;
  readonly error: Error;
}

/**
 * The failures of the apps of one run, each in its own lines, in the order of the apps' names (an
 * app's lines as they came), a line said twice once: a run says everything that is wrong, as tsc
 * reports every error, rather than one app a run. `loaded` holds the apps that loaded without
 * failing, for a caller that renders them to report their failures too.
 */
export class AppFailures extends Error {
  override readonly name = 'AppFailures';
  readonly failures: readonly AppFailure[];
  constructor(
    failures: readonly AppFailure[],
    readonly loaded: readonly App[] = [],
  ) {
    const sorted = [...failures].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
    super([...new Set(sorted.flatMap((f) => f.error.message.split('\n')))].join('\n'));
    this.failures = sorted;
  }
}

/**
 * Whether `err`, thrown for one app, is that app's own failure (its code or its input, exit 1),
 * reported with the others': not a bug of strata's own code, a failed system call, a tool that
 * failed or a wrong call, which end the run as they are.
 */
export function isAppFailure(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if (err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError) return false;
  if (err instanceof UsageError || err instanceof ToolError || err instanceof ToolMissingError) return false;
  return typeof (err as NodeJS.ErrnoException).syscall !== 'string';
}

/**
 * `each` of every app in turn, the next one going on after an app's own failure (see
 * isAppFailure); once all ran, the failures, after the `earlier` ones (the load's), are thrown
 * together: one as it was thrown, several as AppFailures.
 */
export function eachApp<T>(apps: readonly App[], each: (app: App) => T, earlier: readonly AppFailure[] = []): T[] {
  const failures = [...earlier];
  const out: T[] = [];
  for (const app of apps) {
    try {
      out.push(each(app));
    } catch (err) {
      if (!isAppFailure(err)) throw err;
      failures.push({ app: app.name, error: err });
    }
  }
  if (failures.length === 1) throw failures[0]!.error;
  if (failures.length > 1) throw new AppFailures(failures);
  return out;
}

/**
 * As loadApps, but the apps that fail to load are handed back beside those that loaded: a caller
 * that renders those reports every app's failure in one run (see eachApp).
 */
export async function loadEveryApp(
  root: string,
  only?: readonly string[],
  options: Parameters<typeof loadApps>[2] = {},
): Promise<{ readonly apps: readonly App[]; readonly failures: readonly AppFailure[] }> {
  try {
    return { apps: await loadApps(root, only, options), failures: [] };
  } catch (err) {
    if (err instanceof AppFailures) return { apps: err.loaded, failures: err.failures };
    throw err;
  }
}

/**
 * Imports every application's `src/app.ts` and returns its exported `app`, sorted by name. A module
 * that fails to load, or that exports no app, is an error that names its file. An app loaded before
 * in this process is loaded again once a file it was made of changed; `fresh` loads the apps'
 * current sources in any case (an app that can only be imported on its own, because it uses
 * `import.meta` for more than its url, dirname and filename, is then an error: Node would give its
 * old modules). Apps that load one by one, but not together, load slower: that goes to `onWarning`.
 * Every app that fails to load is said, each in its own lines (see AppFailures), not the first alone.
 */
export async function loadApps(
  root: string,
  only?: readonly string[],
  options: {
    fresh?: boolean;
    /**
     * Called once the apps' sources are compiled, before they are imported and checked (or when
     * there is nothing to compile): a caller that loads apps in turns can start compiling the next
     * ones then, while this call imports its own. Not called when they do not compile.
     */
    onCompiled?: () => void;
    /**
     * What judges the apps' reads (see repositoryReads): one for a run that loads its apps in
     * turns, so that git is asked once for the run.
     * @default a judge of this load's own
     */
    judge?: ReadJudge;
  } & WarningOptions = {},
): Promise<App[]> {
  const dirs = appDirs(root);
  const known = new Set(dirs);
  for (const name of only ?? []) {
    if (!known.has(name)) {
      throw new UsageError(`unknown app "${name}"; known apps: ${dirs.join(', ') || '(none)'}`);
    }
  }
  const wanted = only && only.length > 0 ? dirs.filter((d) => only.includes(d)) : dirs;
  const fileOf = (dir: string) => join(root, Layout.appModule(dir));
  // What app code reads is judged afresh in each load, unless it is a turn of one run: the files,
  // and what git ignores, may have changed.
  const judge = options.judge ?? repositoryReads();
  judgeReads(judge);
  const realRoot = realpathSync(root);
  const seen = new Map<string, string>();
  const missing = options.fresh ? wanted : wanted.filter((dir) => !loaded.has(fileOf(dir)) || changedSince(fileOf(dir), seen));
  for (const dir of missing) {
    loaded.delete(fileOf(dir));
    sources.delete(fileOf(dir));
    stamps.delete(fileOf(dir));
  }
  let together: string | undefined;
  // Each app that failed to load, by folder: said together once every app was tried.
  const failed = new Map<string, Error>();
  let told = false;
  const compiled = () => {
    if (!told) options.onCompiled?.();
    told = true;
  };
  if (missing.length > 0) {
    // All at once, and apart only when that fails: then each module's own error names its file.
    // Stamped once loaded, each file as the compiler read it (see loadedStamp).
    const since = Date.now();
    const folders = packageFolders(root, missing);
    const taken = new Map<string, string>();
    const packages = new Map<string, string[]>();
    const keep = (dir: string, module: Loaded) => {
      // Compiled from a file outside the repository, by a symbolic link, or from one git ignores.
      const outside = module.inputs.filter((f) => outsideRoot(realRoot, f) && !installedPackageFile(f, realRoot));
      const refused = outside.length > 0 ? outsideLinks(root, [dir], outside) : ignoredImports(root, module, judge);
      if (refused.length > 0) {
        failed.set(dir, new Error(refused.join('\n')));
        return;
      }
      let app: App;
      try {
        app = appOf(dir, module.exports);
      } catch (err) {
        failed.set(dir, err as Error);
        return;
      }
      loaded.set(fileOf(dir), app);
      const reads = readsOf(app);
      for (const [file, hash] of module.reads) reads.set(file, hash);
      const files = [
        ...new Set([
          ...module.inputs,
          ...module.linked.flatMap((f) => packageFiles(f, packages)),
          ...(module.locates ? filesIn(realpathSync(join(root, Layout.app(dir))), { skip: ['node_modules'] }) : []),
        ]),
      ].sort();
      sources.set(fileOf(dir), files);
      const stamp = (f: string) =>
        taken.get(f) ??
        taken
          .set(
            f,
            loadedStamp(f, since, () => module.compiled(f)),
          )
          .get(f)!;
      const stamped = new Map(files.map((f) => [f, stamp(f)]));
      stamps.set(fileOf(dir), stamped);
      stampsOf.set(app, stamped);
    };
    // What git ignores is listed while esbuild compiles: the first import judged does not wait on git.
    // A git that cannot run there (see runGit) fails the load once the compile is done, as a tool's failure.
    const preparing =
      'prepare' in judge
        ? (judge as RepositoryJudge).prepare(root).then(
            () => undefined,
            (e: unknown) => e,
          )
        : undefined;
    let unprepared: unknown;
    try {
      const modules = await importTogether(missing.map(fileOf), folders, compiled, root);
      unprepared = await preparing;
      missing.forEach((dir, i) => {
        const m = modules[i];
        if (m) keep(dir, m);
        else together = 'an app uses import.meta for more than its url, dirname and filename';
      });
    } catch (err) {
      // esbuild says where every file fails to compile: loading them one by one would say no more.
      // A file outside the repository that fails to compile (its imports resolve from there) is
      // said as the link that leads to it.
      if (err instanceof CompileError) {
        const outside = err.messages.flatMap((m) =>
          m.file && outsideRoot(realRoot, m.file) && !installedPackageFile(m.file, realRoot) ? [m.file] : [],
        );
        const links = outside.length > 0 ? outsideLinks(root, missing, outside) : [];
        throw links.length > 0 ? new Error(links.join('\n')) : compileProblems(root, err);
      }
      together = (err as Error).message.split('\n')[0];
      // Each in a module of its own: those that load are kept as loaded together would be. One that
      // fails there too is imported from its own file below, where Node says why, or loads it when
      // the bundle alone could not (a package that requires another while it runs, say).
      const left = missing.filter((dir) => !loaded.has(fileOf(dir)) && !failed.has(dir));
      const modules = await importApart(left.map(fileOf), folders, root).catch(() => undefined);
      unprepared = await preparing;
      left.forEach((dir, i) => {
        const m = modules?.[i];
        if (m && !('error' in m)) keep(dir, m);
      });
    }
    if (unprepared) throw unprepared;
  }
  compiled(); // nothing to compile, or compiled apart
  for (const dir of wanted) {
    const file = fileOf(dir);
    if (loaded.has(file) || failed.has(dir)) continue;
    if (options.fresh && imported.has(file)) {
      failed.set(dir, new Error(`${Layout.appModule(dir)}: cannot load it afresh in this process (${together}); run strata again`));
      continue;
    }
    const reads = new Map<string, string>();
    try {
      imported.add(file);
      await beforeTypeScriptImport();
      const mod = (await runAppCodeAsync(
        { app: dir, doing: 'the module', root, dir: Layout.app(dir), reads },
        () => import(pathToFileURL(file).href),
      )) as Record<string, unknown>;
      const app = appOf(dir, mod);
      loaded.set(file, app);
      for (const [path, hash] of reads) readsOf(app).set(path, hash);
    } catch (err) {
      failed.set(dir, err instanceof ExportError ? err : loadProblem(root, dir, err));
    }
  }
  for (const dir of wanted) {
    const app = loaded.get(fileOf(dir));
    if (!app || failed.has(dir)) continue;
    setOrigin(app, root, Layout.app(dir));
    // A misspelt env key would merge into nothing and the env would silently keep the default; a
    // misspelt key of the definition would turn a guard off or drop the image pins. The app's own
    // input is wrong, as when it does not render: exit 1, like any invalid input.
    const misspelt = envKeyLines(root, app);
    if (misspelt.length > 0) failed.set(dir, new Error(misspelt.join('\n')));
  }
  if (failed.size > 0) {
    throw new AppFailures(
      [...failed].map(([app, error]) => ({ app, error })),
      wanted.flatMap((dir) => (failed.has(dir) ? [] : [loaded.get(fileOf(dir))!])),
    );
  }
  // Every app loaded, but not together: say why, since it is slower.
  if (together && !together.startsWith('an app uses import.meta'))
    options.onWarning?.(`apps loaded one by one, as loading them together failed: ${together}`);
  return wanted.map((dir) => loaded.get(fileOf(dir))!);
}

/**
 * One line for each file a module was compiled from that git ignores (as `judge` says, see
 * repositoryReads), at the import that brought it in: a clone of the repository lacks the file, so
 * the app would not load there, or would load another file in its place.
 */
function ignoredImports(root: string, module: Loaded, judge: ReadJudge): string[] {
  const lines: string[] = [];
  for (const file of module.inputs) {
    if (installedPackageFile(file, root)) continue;
    const why = judge(file, root);
    if (!why) continue;
    const importer = module.importers.get(file);
    if (!importer) {
      lines.push(`${relative(root, file)}: cannot load: the app is compiled from it, ${why}`);
      continue;
    }
    const text = module.compiled(importer.file) ?? readFileSync(importer.file, 'utf8');
    const at = importer.specifier ? specifierPosition(text, importer.specifier) : pathPosition(text, importer.file, file);
    lines.push(
      `${relative(root, importer.file)}${at ? `:${at.line}:${at.column}` : ''}: cannot load: the module imports ${relative(root, file)}, ${why}`,
    );
  }
  return lines;
}

/** Where `specifier` is written as a string in `text` (an import's, say): its line and column, 1-based. */
function specifierPosition(text: string, specifier: string): { line: number; column: number } | undefined {
  const at = ['"', "'", '`'].map((q) => text.indexOf(`${q}${specifier}${q}`)).filter((i) => i >= 0);
  if (at.length === 0) return undefined;
  const before = text.slice(0, Math.min(...at)).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/**
 * Where a string in `text`, the source of `importer`, names `file` as a path relative to it or an
 * absolute one: an import esbuild left out of the bundle keeps no specifier of its own.
 */
function pathPosition(text: string, importer: string, file: string): { line: number; column: number } | undefined {
  for (const m of text.matchAll(/(['"`])([./][^'"`\n]*)\1/g)) {
    let real: string;
    try {
      real = realpathSync(resolve(dirname(importer), m[2]!));
    } catch {
      continue;
    }
    if (real !== file) continue;
    const before = text.slice(0, m.index).split('\n');
    return { line: before.length, column: before.at(-1)!.length + 1 };
  }
  return undefined;
}

/**
 * One line for each symbolic link in these apps' folders that leads to one of the `files` (real
 * paths outside the repository), or to a folder that holds one: the app's code would come from
 * where the link points, which a clone of the repository does not hold (the link dangles there), and
 * what the cache keys the app on would not be what it was compiled from. A file reached otherwise is
 * named itself.
 */
function outsideLinks(root: string, dirs: readonly string[], files: readonly string[]): string[] {
  const found = new Set<string>();
  const lines: string[] = [];
  for (const dir of dirs) {
    for (const link of linksIn(join(root, Layout.app(dir)))) {
      let real: string;
      try {
        real = realpathSync(link);
      } catch {
        continue; // dangling: nothing was compiled from it
      }
      const reached = files.filter((f) => f === real || f.startsWith(`${real}${sep}`));
      if (reached.length === 0) continue;
      for (const f of reached) found.add(f);
      lines.push(
        `${relative(root, link)}: a symbolic link to ${readlinkSync(link)}, outside the repository: the app is compiled from there, which a clone of the repository lacks; copy the file into the repository in place of the link`,
      );
    }
  }
  for (const f of files) {
    if (!found.has(f)) lines.push(`${f}: outside the repository, yet an app is compiled from it; copy it into the repository`);
  }
  return lines;
}

/** The symbolic links under `dir` (absolute paths), not followed, node_modules folders left out. */
function linksIn(dir: string): string[] {
  const links: string[] = [];
  const pending = [dir];
  for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isSymbolicLink()) links.push(join(folder, e.name));
      else if (e.isDirectory() && e.name !== 'node_modules') pending.push(join(folder, e.name));
    }
  }
  return links.sort();
}

/** Every file of the workspace package that holds `file` (its node_modules aside), by package folder. */
function packageFiles(file: string, cache: Map<string, string[]>): string[] {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  let files = cache.get(dir);
  if (!files) {
    files = filesIn(dir, { skip: ['node_modules'] });
    cache.set(dir, files);
  }
  return files;
}

/** Where the apps' imports of packages resolve: each app's node_modules, and those above it. */
function packageFolders(root: string, dirs: readonly string[]): string[] {
  const folders = [
    ...dirs.map((d) => join(root, Layout.app(d), 'node_modules')),
    join(root, Layout.apps, 'node_modules'),
    join(root, 'node_modules'),
  ];
  return [...new Set(folders.flatMap((f) => (existsSync(f) ? [f, realpathSync(f)] : [f])))];
}

/** An app module that loaded, but exports no app of its folder's name. */
class ExportError extends Error {}

/** The `app` export of `apps/<dir>/src/app.ts`, checked. */
function appOf(dir: string, mod: Record<string, unknown>): App {
  const app = mod.app as App | undefined;
  if (!app || typeof app.manifests !== 'function') {
    throw new ExportError(`${Layout.appModule(dir)}: must export \`const app = defineApp({...})\``);
  }
  if (app.name !== dir) throw new ExportError(`${Layout.appModule(dir)}: app name "${app.name}" must equal its folder name "${dir}"`);
  return app;
}

/** An `--env` value checked against the known environments; undefined when none was given. */
export function checkEnv(env: string | undefined): Environment | undefined {
  if (env === undefined) return undefined;
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
    throw new UsageError(`unknown env "${env}"; known envs: ${ENVIRONMENTS.join(', ')}`);
  }
  return env as Environment;
}

const UNRESOLVED = /^Could not resolve "((?:@[^/"]+\/)?[^/"]+)[^"]*"/;

/**
 * The apps whose compile failed only for want of their install: a package their package.json
 * declares cannot be resolved and their node_modules is missing, as after a branch switch that brings
 * back an app `remove-app` took away (git restores its sources, not its ignored node_modules).
 */
function uninstalledApps(root: string, err: CompileError): string[] {
  const dirs = new Set<string>();
  for (const m of err.messages) {
    const name = UNRESOLVED.exec(m.text)?.[1];
    const [group, dir] = m.file ? relative(root, m.file).split(sep) : [];
    if (!name || group !== Layout.apps || !dir || existsSync(join(root, Layout.app(dir), 'node_modules'))) continue;
    let pkg: Record<string, Record<string, string> | undefined>;
    try {
      pkg = JSON.parse(readText(root, join(Layout.app(dir), 'package.json')));
    } catch {
      continue;
    }
    if (pkg.dependencies?.[name] !== undefined || pkg.devDependencies?.[name] !== undefined) dirs.add(dir);
  }
  return [...dirs].sort();
}

/** esbuild's messages, each at its file (relative to the root), line and column. */
function compileProblems(root: string, err: CompileError): Error {
  const uninstalled = uninstalledApps(root, err);
  if (uninstalled.length > 0)
    return new ToolMissingError(
      `the dependencies of ${uninstalled.map((d) => Layout.app(d)).join(', ')} are not installed (no ${uninstalled.map((d) => `${Layout.app(d)}/node_modules`).join(', ')})`,
      'run `npm run setup`, which installs them',
    );
  return new Error(
    err.messages.map((m) => `${m.file ? `${relative(root, m.file)}:${m.line}:${m.column}` : 'apps'}: cannot compile: ${m.text}`).join('\n'),
  );
}

/**
 * Why an app failed to load on its own: the compiler's located message when it does not compile
 * (the loader reports it after a line of its own), else the exception with the place in the app's
 * folder it was thrown from.
 */
function loadProblem(root: string, dir: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const compiled = /^(\/.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(message);
  if (compiled) return new Error(`${relative(root, compiled[1]!)}:${compiled[2]}:${compiled[3]}: cannot compile: ${compiled[4]}`);
  const at = errorLocation(err, join(root, Layout.app(dir)));
  const where = at ? `${relative(root, at.file)}:${at.line}:${at.column}` : Layout.appModule(dir);
  return new Error(`${where}: cannot load: ${message.split('\n')[0]}`, { cause: err });
}

/** The text of a workspace file, or '' when it cannot be read (its messages then name the file alone). */
function readText(root: string, file: string): string {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch {
    return '';
  }
}

/**
 * Where a key of an app's definition is written (`['policy', 'exceptions', '0', 'rule']`, with its
 * value when it has one): its `src/app.ts` with the key's line and column, or the file alone when the key is written elsewhere
 * (a policy held in a variable of another file, say). Indexes of lists are skipped when looking.
 */
export function appKeyLocation(root: string, app: string, path: readonly string[], value?: unknown): string {
  return keyLocation(Layout.appModule(app), readText(root, Layout.appModule(app)), path, value);
}

/** Where a key is written; its scalar value, when given, tells apart the same key in the items of a list. */
function keyLocation(file: string, text: string, path: readonly string[], value?: unknown): string {
  const keys = path.filter((k) => !/^\d+$/.test(k));
  // The whole path first; then the key alone, for a part of the definition written apart from defineApp's call.
  const pos = keyPosition(text, keys, value) ?? (keys.length > 1 ? keyPosition(text, keys.slice(-1), value) : undefined);
  return pos ? `${file}:${pos.line}:${pos.column}` : file;
}

/** `policy.exceptions[0].nmae` */
const dottedKey = (path: readonly string[]) => path.map((k, i) => (/^\d+$/.test(k) ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

/**
 * One line per key that the app's config does not have, at its place in the env file, and per key
 * of the definition that it does not take (or whose value it cannot take), at its place in app.ts.
 */
function envKeyLines(root: string, app: App): string[] {
  const origin = originOf(app)!;
  const texts = new Map<string, string>();
  const text = (file: string) => {
    if (!texts.has(file)) texts.set(file, readText(root, file));
    return texts.get(file)!;
  };
  return envKeyProblems(app).map((p: EnvKeyProblem) => {
    const file = p.in === 'defaults' ? defaultsFileOf(origin) : p.env && p.in !== 'envs' ? envFileOf(origin, p.env) : appFileOf(origin);
    // Envs (and defaults) written inside app.ts are found under their own key.
    const keys =
      file === appFileOf(origin) && p.env
        ? [p.env, ...(p.in === 'config' ? ['config'] : []), ...p.path]
        : file === appFileOf(origin) && p.in === 'defaults'
          ? ['defaults', ...p.path]
          : p.path;
    const at = keyLocation(file, text(file), keys);
    const key = dottedKey(p.path);
    const hint = p.suggestion ? `did you mean ${dottedKey([...p.path.slice(0, -1), p.suggestion])}?` : undefined;
    if (p.in === 'app') {
      const field = dottedKey(p.path);
      if (p.problem) return `${at}: ${field}: ${p.problem}`;
      const part = p.path.length === 1 ? 'defineApp' : dottedKey(p.path.slice(0, -1));
      return `${at}: ${field}: not a key of ${part}${hint ? `; did you mean ${p.suggestion}?` : `; known keys: ${(p.known ?? []).join(', ')}`}`;
    }
    if (p.problem) return `${at}: ${key}: ${p.problem}`;
    if (p.in === 'envs') return `${at}: envs.${key}: not an environment (${ENVIRONMENTS.join(', ')})${hint ? `; ${hint}` : ''}`;
    if (p.in === 'env') return `${at}: ${p.env}.${key}: not a field of an env definition (config, components)${hint ? `; ${hint}` : ''}`;
    return `${at}: ${key}: not a key of app ${app.name}'s config${
      hint ? `; ${hint}` : '; an optional key that the defaults leave out is declared in defineApp({ optional })'
    }`;
  });
}
