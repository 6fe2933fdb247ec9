import { existsSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppExitError, appCodeScope, recordAppFailure } from './app-code.ts';
export { restoreInterruptListeners, setAsideForAppCode, yieldToAppCode } from './interrupts.ts';

export {
  AppExitError,
  appCodeFailures,
  appCodeScope,
  installed,
  judgeReads,
  outsideAppCode,
  runAppCode,
  programDir,
  readsOf,
  runAppCodeAsync,
  settleAppCode,
  type AppCodeScope,
  type ReadJudge,
} from './app-code.ts';

/**
 * Where an app's errors point: the files it was loaded from, and the original lines of the bundle
 * that apps are loaded as. Errors name the app author's own files, never a temporary bundle.
 */

interface Origin {
  /** The workspace root. */
  readonly root: string;
  /** The app's folder, relative to the root: `apps/<name>`. */
  readonly dir: string;
}

interface Bundle {
  readonly payload: string;
  /** Where the bundle was written: the map's sources are relative to it. */
  readonly dir: string;
  map?: SourceMap;
}

/**
 * What every copy of this module in the process shares: one copy records where an app was loaded
 * from and the bundle it was loaded as (the program's), another reads them when the app throws (the
 * one the app imports). They differ when the apps' @strata/core is not the program's own, such as a
 * workspace with its own copy of packages/core that the loader compiles into the apps' bundle.
 */
interface Registry {
  /** Where each app was loaded from. */
  readonly origins: WeakMap<object, Origin>;
  /** Source maps of the bundles loaded by this process, by the bundle's path; parsed when an error needs one. */
  readonly bundles: Map<string, Bundle>;
}

const REGISTRY: unique symbol = Symbol.for('@strata/core/sources');
const shared = globalThis as typeof globalThis & { [REGISTRY]?: Registry };
const registry: Registry = (shared[REGISTRY] ??= { origins: new WeakMap(), bundles: new Map() });
const { origins, bundles } = registry;

/** Records that `app` was loaded from `<root>/<dir>`, so its errors can name its files. */
export function setOrigin(app: object, root: string, dir: string): void {
  origins.set(app, { root, dir });
}

export function originOf(app: object): Origin | undefined {
  return origins.get(app);
}

/** `<dir>/src/<file>` relative to the root when it exists, else the app's `src/app.ts`. */
function ownFile(origin: Origin, file: string): string {
  const path = `${origin.dir}/src/${file}`;
  return existsSync(join(origin.root, path)) ? path : `${origin.dir}/src/app.ts`;
}

/** The file that holds an env's differences (`src/env/<env>.ts` by the layout), relative to the root. */
export const envFileOf = (origin: Origin, env: string) => ownFile(origin, `env/${env}.ts`);
/** The file that holds the defaults (`src/config.ts` by the layout). */
export const defaultsFileOf = (origin: Origin) => ownFile(origin, 'config.ts');
export const appFileOf = (origin: Origin) => `${origin.dir}/src/app.ts`;
/** The file that holds the render function (`src/render.ts` by the layout). */
export const renderFileOf = (origin: Origin) => ownFile(origin, 'render.ts');

export function registerBundle(file: string, payload: string, dir: string): void {
  bundles.set(file, { payload, dir });
}

export interface SourceLocation {
  /** Absolute path. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const FRAME = /\(?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?$/;

/** The original place of one stack frame: the bundle's lines mapped back to their own files. */
function frameLocation(text: string): SourceLocation | undefined {
  const m = FRAME.exec(text.trim());
  if (!m) return undefined;
  const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
  const line = Number(m[2]);
  const column = Number(m[3]);
  const bundle = bundles.get(file);
  if (!bundle) return { file, line, column };
  bundle.map ??= new SourceMap(JSON.parse(bundle.payload) as SourceMapPayload);
  const entry = bundle.map.findEntry(line - 1, column - 1);
  if (!('originalSource' in entry)) return undefined;
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : entry.originalSource;
  return { file: isAbsolute(source) ? source : resolve(bundle.dir, source), line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

/**
 * Where `err` was thrown from inside `folder` (an app's own folder, say): the innermost frame of its
 * stack in that folder, outside node_modules. Undefined when no frame lies there.
 */
export function errorLocation(err: unknown, folder: string): SourceLocation | undefined {
  return errorLocationIn(err, [folder])?.at;
}

/** As errorLocation, for several folders: the innermost frame in any of them, and which one holds it. */
function errorLocationIn(err: unknown, folders: readonly string[]): { at: SourceLocation; index: number } | undefined {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  for (const text of stack.split('\n').slice(1)) {
    const at = frameLocation(text);
    if (!at) continue;
    const index = folders.findIndex((folder) => {
      const rel = relative(folder, at.file);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('node_modules');
    });
    if (index >= 0) return { at, index };
  }
  return undefined;
}

/**
 * The line and column where a key path (`resources.requests.cpu`) is written in a source file: each
 * key is looked for after the one before it, the last one followed by its value when that is given
 * (so the defaults are found rather than the interface that declares them). Undefined when it
 * cannot be found.
 */
export function keyPosition(text: string, path: readonly string[], value?: unknown): { line: number; column: number } | undefined {
  const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const literal =
    typeof value === 'string'
      ? `\\s*(['"\`])${escape(value)}\\3`
      : typeof value === 'number' || typeof value === 'boolean'
        ? `\\s*${escape(String(value))}\\b`
        : undefined;
  let from = 0;
  let at = -1;
  for (const [i, key] of path.entries()) {
    // A key as written, `key:` or `'key':`, or computed, `['key']:` (the one way to write a key `__proto__`).
    const find = (tail: string) => {
      const matches = [`(['"]?)${escape(key)}\\2`, `\\[\\s*(['"\`])${escape(key)}\\2\\s*\\]`].map((written) => {
        const re = new RegExp(`(^|[{,\\s])${written}\\s*:${tail}`, 'gm');
        re.lastIndex = from;
        return re.exec(text);
      });
      return matches.reduce<RegExpExecArray | null>((first, m) => (m && (!first || m.index < first.index) ? m : first), null);
    };
    const m = (i === path.length - 1 && literal ? find(literal) : null) ?? find('');
    if (!m) return undefined;
    at = m.index + m[1]!.length;
    from = at + 1;
  }
  if (at < 0) return undefined;
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** The folder that holds all of these (relative paths, `/`-separated): `apps` for `apps/web` and `apps/api`. */
function commonFolder(dirs: readonly string[]): string {
  const parts = dirs.map((d) => d.split('/'));
  const common: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length - 1 && p[i] === parts[0]![i]); i++) common.push(parts[0]![i]!);
  return common.join('/') || '.';
}

/** An app's code that threw after its call had returned: from a timer or a promise it started. */
export class AppCodeError extends Error {
  override readonly name = 'AppCodeError';
}

/**
 * For an exception nothing caught, or a rejection nothing handled: when app code threw it (the
 * code that runs is app code's, or something app code started), the app's failure, at the place
 * in its own files it was thrown from, recorded so that no change is committed from then on.
 * Undefined for anything else, which is the program's own.
 */
export function asyncAppFailure(err: unknown): AppCodeError | undefined {
  const scope = appCodeScope();
  if (!scope) return undefined;
  let message: string;
  if (err instanceof Error) message = err.message.split('\n').join('; ');
  else {
    try {
      message = `a non-Error value: ${JSON.stringify(err) ?? String(err)}`;
    } catch {
      message = `a non-Error value: ${String(err)}`;
    }
  }
  // The apps' modules load as one bundle: the failure is the app's in whose folder it was thrown,
  // or, when no frame of the stack lies in one, the only app or any of them.
  const apps = scope.apps ?? (scope.dir ? [{ app: scope.app, dir: scope.dir }] : []);
  const found = scope.root
    ? errorLocationIn(
        err,
        apps.map((a) => join(scope.root!, a.dir)),
      )
    : undefined;
  const own = found ? apps[found.index] : apps.length === 1 ? apps[0] : undefined;
  let where = own?.dir ?? (scope.apps ? commonFolder(scope.apps.map((a) => a.dir)) : `apps/${scope.app}`);
  const app = own ? `app ${own.app}` : scope.apps ? `one of the apps ${scope.apps.map((a) => a.app).join(', ')}` : `app ${scope.app}`;
  if (scope.root && own) {
    const origin = { root: scope.root, dir: own.dir };
    where = found
      ? `${relative(scope.root, found.at.file)}:${found.at.line}:${found.at.column}`
      : scope.doing === 'render'
        ? renderFileOf(origin)
        : appFileOf(origin);
  }
  // An exit status a callback set is said as such (see app-code.ts), anything else as thrown.
  const what = err instanceof AppExitError ? message : `${scope.doing} threw asynchronously: ${message}`;
  const failure = new AppCodeError(`${where}: ${app}: ${what}`, { cause: err });
  recordAppFailure(failure);
  return failure;
}
