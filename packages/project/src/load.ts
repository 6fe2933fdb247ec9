import { type Dirent, existsSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Message, Metafile, OnResolveArgs, OnResolveResult, Plugin } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installed, programDir, registerBundle, runAppCodeAsync } from '@strata/core/sources';
import { makeScratchDir } from './scratch.ts';

/** Apps that do not compile: esbuild's messages, each located in its file (an absolute path). */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(readonly messages: readonly { readonly file?: string; readonly line: number; readonly column: number; readonly text: string }[]) {
    super(messages.map((m) => `${m.file ? `${m.file}:${m.line}:${m.column}: ` : ''}${m.text}`).join('\n'));
  }
}

interface EsbuildMessage {
  readonly text: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column: number } | null;
}

function compileError(err: unknown): CompileError | undefined {
  const errors = (err as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return new CompileError(
    (errors as EsbuildMessage[]).map((e) => ({
      // esbuild names files relative to its working folder, and counts columns from 0.
      ...(e.location ? { file: resolve(e.location.file), line: e.location.line, column: e.location.column + 1 } : { line: 0, column: 0 }),
      text: e.text,
    })),
  );
}

/** One module as the loader compiled and imported it. */
export interface Loaded {
  readonly exports: Record<string, unknown>;
  /** Compiled into the bundle. */
  readonly inputs: readonly string[];
  /** Imported from the workspace as packages, by the file the import resolved to. */
  readonly linked: readonly string[];
  /**
   * For each of the inputs but the module itself, a file that imports it and the specifier it is
   * imported by there ('' when esbuild did not keep it: a module imported from its own file).
   */
  readonly importers: ReadonlyMap<string, { readonly file: string; readonly specifier: string }>;
  /** Whether a file it was compiled from uses `import.meta`: it may read files beside it. */
  readonly locates: boolean;
  /**
   * What the code of its bundle read through `node:fs` as it loaded (see AppCodeScope.reads): of
   * modules loaded together, what any of them read, since which one read it is not known.
   */
  readonly reads: ReadonlyMap<string, string>;
  /** What the compiler read of one of its inputs (by real path): the bytes its exports were made of. */
  compiled(file: string): string | undefined;
}

/**
 * Loads many modules at once: their own TypeScript files are compiled together into one module by
 * esbuild (one call, well under a second for thousands of files), which is then imported once.
 * Loading them one by one through the TypeScript loader costs a round trip per file: seconds for a
 * few hundred apps. Each call compiles the files as they are now, so a module loaded again sees
 * every edit since (Node's module cache would keep the first).
 *
 * Whatever resolves into one of the `packages` folders (node_modules folders, say) stays out of the
 * bundle and is imported from its own file, so the modules share one copy of kubernetes-models,
 * @strata/core and the rest with the program that loads them.
 *
 * Resolves to each file's exports, the files it was compiled from (itself and every file of its own
 * it imports) and the files outside any node_modules folder that it imports as packages (workspace
 * packages such as @strata/core), all as real paths, in the order given; or to undefined for a file
 * that cannot be loaded this way (it reaches a module that uses `import.meta` for more than its url,
 * dirname and filename, which would then describe the bundle): the caller loads those one by one,
 * and the others are bundled without them. Rejects when the files do not compile or a module throws
 * while loading; `importApart` then says which. `onCompiled` is called once they compiled, before
 * the bundle is imported. `root`, the workspace they are apps of, is what their code's reads are
 * judged against (see judgeReads).
 */
export async function importTogether(
  files: readonly string[],
  packages: readonly string[],
  onCompiled?: () => void,
  root?: string,
): Promise<(Loaded | undefined)[]> {
  const loaded = await importBundle(files, packages, false, onCompiled, root);
  return loaded.map((l) => {
    if (l && 'error' in l) throw l.error;
    return l;
  });
}

/** A module of `importApart` that threw while it loaded. */
export interface Failed {
  readonly error: unknown;
}

/**
 * As `importTogether`, but each file is a module of its own (what they share is in chunks they
 * import), so that one that throws while it loads fails alone: resolves to each file's `Loaded` or
 * what it threw.
 */
export function importApart(files: readonly string[], packages: readonly string[], root?: string): Promise<(Loaded | Failed | undefined)[]> {
  return importBundle(files, packages, true, undefined, root);
}

/** Compiled copies of workspace packages that this process runs, by the real path of the source they stand for. */
const prebuilt = new Map<string, string>();
const prebuiltOf = new Map<string, string>();

let typescript: (() => Promise<void>) | undefined;

/**
 * Says that this process runs compiled copies of workspace packages (the `strata` command's
 * bundle): an app importing one of those sources imports the copy instead, so that the app and
 * the CLI share one `@strata/core`; any other TypeScript package an app imports is compiled into
 * the apps' bundle, since plain Node cannot import TypeScript. `loadTypeScript` makes Node able to
 * import TypeScript after all (registers tsx): it is called before an app is imported from its own
 * file, which happens only when the apps cannot be loaded together (one of them throws, say).
 */
export function usePrebuilt(copies: ReadonlyMap<string, string>, loadTypeScript?: () => Promise<void>): void {
  typescript = loadTypeScript;
  for (const [source, copy] of copies) {
    let real = source;
    try {
      real = realpathSync(source);
    } catch {
      // not there: nothing resolves to it
    }
    prebuilt.set(real, copy);
    prebuiltOf.set(copy, real);
  }
}

/** Before a TypeScript file is imported on its own: makes that possible in a process that runs prebuilt copies. */
export async function beforeTypeScriptImport(): Promise<void> {
  if (prebuilt.size === 0 || !typescript) return;
  const load = typescript;
  typescript = undefined;
  await load();
}

const TYPESCRIPT = /\.[cm]?tsx?$/;
const SKIP = Symbol('resolving');

/**
 * The packages linked into these node_modules folders from outside any node_modules folder: the
 * workspace's own packages, the only ones that can be a prebuilt copy or TypeScript source.
 */
function workspacePackages(folders: readonly string[]): string[] {
  const names = new Set<string>();
  const visit = (dir: string, scope: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!scope && e.name.startsWith('@') && e.isDirectory()) visit(join(dir, e.name), `${e.name}/`);
      else if (e.isSymbolicLink() && !names.has(scope + e.name)) {
        try {
          if (!realpathSync(join(dir, e.name)).split(sep).includes('node_modules')) names.add(scope + e.name);
        } catch {
          // a dangling link resolves to nothing
        }
      }
    }
  };
  for (const f of folders) visit(f, '');
  return [...names].sort();
}

/**
 * The folder a bare import of one of `names` is resolved from, as far as the answer goes: the
 * nearest folder, from `dir` up, that holds a node_modules folder, a tsconfig.json or jsconfig.json
 * (`paths`, `baseUrl`), or a package.json named as one of them (a package importing itself by name
 * resolves through its own `exports`). Any other package.json adds nothing to the search for these
 * names (its `imports` answer only `#` specifiers), so every app folder under one node_modules
 * resolves them alike: esbuild is asked once, not once per app.
 */
function resolutionFolders(names: ReadonlySet<string>): (dir: string) => string {
  const known = new Map<string, string>();
  const namesItself = (file: string) => {
    try {
      const { name } = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
      return typeof name === 'string' && names.has(name);
    } catch {
      return existsSync(file); // unreadable: esbuild may read it otherwise, so it is a folder of its own
    }
  };
  const marks = (dir: string) =>
    ['node_modules', 'tsconfig.json', 'jsconfig.json'].some((m) => existsSync(join(dir, m))) || namesItself(join(dir, 'package.json'));
  const of = (dir: string): string => {
    const cached = known.get(dir);
    if (cached !== undefined) return cached;
    const parent = dirname(dir);
    const found = parent === dir || marks(dir) ? dir : of(parent);
    known.set(dir, found);
    return found;
  };
  return of;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Imports of the workspace's own packages: to the prebuilt copy when there is one (see
 * usePrebuilt), compiled into the bundle when they are TypeScript. Only these imports go through
 * the plugin: a round trip to it for every import of every app costs seconds at 500 apps.
 */
const prebuiltPackages = (names: readonly string[]): Plugin => ({
  name: 'strata-prebuilt',
  setup(build) {
    if (prebuilt.size === 0 || names.length === 0) return;
    // Asking esbuild to resolve costs about half a millisecond of its time: once per folder that
    // resolves alike, not once per import (3,000 imports of @strata/core at 500 apps).
    const answers = new Map<string, Promise<OnResolveResult | undefined>>();
    const lookup = resolutionFolders(new Set(names));
    const answer = async (args: OnResolveArgs): Promise<OnResolveResult | undefined> => {
      const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: SKIP });
      // A package folder given as external still resolves to its file; a builtin has no path.
      if (r.errors.length > 0 || !isAbsolute(r.path)) return undefined;
      let real = r.path;
      try {
        real = realpathSync(r.path);
      } catch {
        // esbuild found it; keep its path
      }
      const copy = prebuilt.get(real);
      if (copy) return { path: pathToFileURL(copy).href, external: true };
      return TYPESCRIPT.test(real) ? { path: real } : undefined;
    };
    build.onResolve({ filter: new RegExp(`^(${names.map(escapeRegExp).join('|')})(/|$)`) }, (args) => {
      if (args.pluginData === SKIP) return undefined;
      const key = `${args.kind}\0${args.path}\0${lookup(args.resolveDir)}`;
      const known = answers.get(key);
      if (known) return known;
      const fresh = answer(args);
      answers.set(key, fresh);
      return fresh;
    });
  },
});

/**
 * Characters a path keeps only as a file URL: Node reads an import's specifier as a URL, relative
 * ones too, so a `#` or `?` would end the path there and a `%2F` would be refused or another `%XX`
 * read as the letter it encodes (a checkout in a CI workspace named after its branch,
 * `strata_feature%2Fx`), and a backslash would be read as a slash.
 */
const READ_AS_URL = /[#?%\\]/;

/**
 * Imports that stay out of the bundle (those resolving into `packages`, see importBundle's
 * `external`) written as file URLs, where a folder's name would be read otherwise in the path
 * esbuild writes (see READ_AS_URL). Only then: each import goes through the plugin, which costs a
 * round trip per import of every app (seconds at 500 apps).
 */
const externalsByUrl = (packages: readonly string[]): Plugin => ({
  name: 'strata-external-urls',
  setup(build) {
    if (!packages.some((p) => READ_AS_URL.test(p))) return;
    const answers = new Map<string, Promise<OnResolveResult | undefined>>();
    const answer = async (args: OnResolveArgs): Promise<OnResolveResult | undefined> => {
      const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: SKIP });
      return r.errors.length === 0 && r.external && isAbsolute(r.path) ? { path: pathToFileURL(r.path).href, external: true } : undefined;
    };
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.pluginData === SKIP || args.path.startsWith('node:')) return undefined;
      const key = `${args.kind}\0${args.path}\0${args.resolveDir}`;
      const known = answers.get(key);
      if (known) return known;
      const fresh = answer(args);
      answers.set(key, fresh);
      return fresh;
    });
  },
});

/** The fields of `import.meta` that a bundled file gets as its own; any other would describe the bundle. */
const META_FIELDS = ['url', 'dirname', 'filename'] as const;
const metaName = (field: string) => `__strata_import_meta_${field}`;
// Spelt in parts: the strata command's own bundle (cli/bin/prebuilt.mjs) rewrites that text in its sources.
const META_DEFINE = Object.fromEntries(META_FIELDS.map((f) => [['import', 'meta', f].join('.'), metaName(f)]));
// Spelt in parts, as META_DEFINE is.
const BANNER = `import { createRequire as __strataCreateRequire } from 'node:module'; const require = __strataCreateRequire(${['import', 'meta', 'url'].join('.')});`;
const LOADERS: Record<string, 'ts' | 'tsx' | 'js' | 'jsx'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.jsx': 'jsx' };

/** The declarations a file that uses `import.meta` starts with in the bundle: on its first line, so no line moves. */
function metaPrefix(file: string): string {
  const values: Record<(typeof META_FIELDS)[number], string> = { url: pathToFileURL(file).href, dirname: dirname(file), filename: file };
  return `const ${META_FIELDS.map((f) => `${metaName(f)} = ${JSON.stringify(values[f])}`).join(', ')};`;
}

/** Gives each of these files its own url, dirname and filename in `import.meta` (see META_DEFINE). */
const ownImportMeta = (files: ReadonlySet<string>): Plugin => ({
  name: 'strata-import-meta',
  setup(build) {
    if (files.size === 0) return;
    build.onLoad({ filter: new RegExp(`^(${[...files].map(escapeRegExp).join('|')})$`) }, (args) => ({
      contents: metaPrefix(args.path) + readFileSync(args.path, 'utf8'),
      loader: LOADERS[extname(args.path)] ?? 'js',
    }));
  },
});

/**
 * The files that still use `import.meta` in code (not in a string or a comment), as esbuild finds
 * them: compiled as for a target without `import.meta`, it warns at each use it would leave empty.
 */
const usingMeta = (r: { warnings: readonly Message[] }) =>
  new Set(r.warnings.filter((w) => w.id === 'empty-import-meta' && w.location).map((w) => resolve(w.location!.file)));

async function importBundle(
  files: readonly string[],
  packages: readonly string[],
  apart: boolean,
  onCompiled?: () => void,
  /** The workspace the files are apps of: what their code reads is judged against it (see judgeReads). */
  root?: string,
): Promise<(Loaded | Failed | undefined)[]> {
  const { build } = await import('esbuild');
  const dir = makeScratchDir('apps');
  programDir(dir);
  try {
    const compile = (meta: ReadonlySet<string>) =>
      build({
        plugins: [prebuiltPackages(prebuilt.size > 0 ? workspacePackages(packages) : []), externalsByUrl(packages), ownImportMeta(meta)],
        ...(apart
          ? { entryPoints: files.map((f, i) => ({ in: f, out: `m${i}` })), splitting: true }
          : { stdin: { contents: files.map((f, i) => `export * as m${i} from ${JSON.stringify(f)};`).join('\n'), loader: 'ts', resolveDir: dir } }),
        ...(meta.size > 0 ? { define: META_DEFINE } : {}),
        // Any other use is left empty and warned about (see usingMeta): such a build is not used.
        supported: { 'import-meta': false },
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        outdir: dir,
        // ES modules wherever the scratch folder is, whatever package.json lies above it.
        outExtension: { '.js': '.mjs' },
        write: false,
        metafile: true,
        // Kept beside the bundle, so that an exception thrown in render can name its own file and line.
        sourcemap: 'external',
        logLevel: 'silent',
        // Matched against resolved paths too: imports of these are written as paths to their files.
        external: packages.map((p) => join(p, '*')),
        // A CommonJS package compiled in (one a workspace package imports from outside these
        // folders) may require Node's builtins: give the bundle a require of its own.
        banner: { js: BANNER },
      }).catch((err: unknown) => {
        throw compileError(err) ?? err;
      });
    let result = await compile(new Set());
    const meta = usingMeta(result);
    // Rare: compiled again with each such file's own url, dirname and filename.
    if (meta.size > 0) {
      result = await compile(meta);
      const still = usingMeta(result);
      if (still.size > 0) {
        // Only the files that reach such a use are left to the caller: the others are compiled
        // again without them, and still load together.
        const reach = sourcesOf(result.metafile, files, dir, root);
        const kept = reach.flatMap((r, i) => (r.inputs.some((input) => still.has(input)) ? [] : [i]));
        const loaded =
          kept.length > 0
            ? await importBundle(
                kept.map((i) => files[i]!),
                packages,
                apart,
                onCompiled,
                root,
              )
            : [];
        const byIndex = new Map(kept.map((i, n) => [i, loaded[n]]));
        return files.map((_, i) => byIndex.get(i));
      }
    }
    onCompiled?.();
    const maps = result.outputFiles.filter((f) => f.path.endsWith('.map'));
    for (const f of result.outputFiles) {
      if (f.path.endsWith('.map')) continue;
      writeFileSync(f.path, f.contents);
      const map = maps.find((m) => m.path === `${f.path}.map`);
      if (map) registerBundle(f.path, map.text, dir);
    }
    // What the compiler read, from the maps' sources: asked for only when a file was written while it loaded.
    let read: Map<string, string> | undefined;
    const compiled = (file: string) => {
      if (!read) {
        read = new Map();
        for (const m of maps) {
          const { sources, sourcesContent } = JSON.parse(m.text) as { sources: string[]; sourcesContent?: (string | null)[] };
          sources.forEach((s, i) => {
            const text = sourcesContent?.[i];
            if (typeof text !== 'string') return;
            const path = resolve(dir, s);
            read!.set(path, meta.has(path) ? text.slice(metaPrefix(path).length) : text);
          });
        }
      }
      return read.get(file);
    };
    const sources = sourcesOf(result.metafile, files, dir, root);
    // What the bundle's own files are read as (a loader hook reads the module it imports): not the apps' reads.
    const ownFiles = (reads: ReadonlyMap<string, string>) => new Map([...reads].filter(([path]) => !path.startsWith(`${dir}${sep}`)));
    const loaded = (exports: Record<string, unknown>, i: number, reads: ReadonlyMap<string, string>): Loaded => ({
      exports,
      ...sources[i]!,
      locates: sources[i]!.inputs.some((f) => meta.has(f)),
      reads: ownFiles(reads),
      compiled,
    });
    // Each entry is an app's src/app.ts: its folder, relative to the root, is two levels up.
    const appOf = (file: string) => ({
      app: basename(dirname(dirname(file))),
      dir: root
        ? relative(root, dirname(dirname(file)))
            .split(sep)
            .join('/')
        : '',
    });
    if (!apart) {
      const reads = new Map<string, string>();
      const mod = (await runAppCodeAsync(
        { app: 'apps', doing: 'the module', reads, ...(root ? { root, apps: files.map(appOf) } : {}) },
        () => import(pathToFileURL(join(dir, 'stdin.mjs')).href),
      )) as Record<string, Record<string, unknown>>;
      return files.map((_, i) => loaded(mod[`m${i}`]!, i, reads));
    }
    const out: (Loaded | Failed)[] = [];
    for (const [i] of files.entries()) {
      try {
        const { app, dir: own } = appOf(files[i]!);
        const reads = new Map<string, string>();
        const mod = await runAppCodeAsync(
          { app, doing: 'the module', reads, ...(root ? { root, dir: own } : {}) },
          () => import(pathToFileURL(join(dir, `m${i}.mjs`)).href),
        );
        out.push(loaded(mod as Record<string, unknown>, i, reads));
      } catch (error) {
        out.push({ error });
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Per entry file, the compiled files it reaches through its own imports (and the files it imports
 * from a node_modules of no package the workspace at `root` installed), and the files outside any
 * node_modules folder that those import as packages. The metafile names compiled files relative to
 * the working folder, and packages relative to the output folder.
 */
function sourcesOf(
  meta: Metafile,
  entries: readonly string[],
  outdir: string,
  root?: string,
): { inputs: string[]; linked: string[]; importers: Map<string, { file: string; specifier: string }> }[] {
  // Apps share most of what they import: each path is resolved once.
  const resolved = new Map<string, string | undefined>();
  const real = (p: string) => {
    if (!resolved.has(p)) {
      try {
        resolved.set(p, realpathSync(p));
      } catch {
        resolved.set(p, undefined);
      }
    }
    return resolved.get(p);
  };
  return entries.map((entry) => {
    const seen = new Set<string>();
    const linked = new Set<string>();
    const importers = new Map<string, { file: string; specifier: string }>();
    const queue = [relative(process.cwd(), real(entry) ?? entry)];
    while (queue.length > 0) {
      const key = queue.pop()!;
      if (seen.has(key) || !meta.inputs[key]) continue;
      seen.add(key);
      for (const i of meta.inputs[key].imports) {
        if (!i.external) {
          queue.push(i.path);
          if (i.original !== undefined && !importers.has(resolve(i.path)))
            importers.set(resolve(i.path), { file: resolve(key), specifier: i.original });
        } else if (!i.path.startsWith('node:')) {
          // Written as a path relative to the output folder, or as a file URL (a prebuilt copy, and
          // any import where a path would be read otherwise: see READ_AS_URL).
          // A prebuilt copy counts as the source it stands for.
          const path = i.path.startsWith('file:') ? fileURLToPath(i.path) : resolve(outdir, i.path);
          const target = prebuiltOf.get(path) ?? real(path);
          if (target && !target.split(sep).includes('node_modules')) linked.add(target);
          // Imported from a node_modules that holds no package the workspace installed (a tool's
          // cache in its own): an input of the app's as a compiled file is, judged as one.
          else if (target && root !== undefined && !installed(target, root)) {
            seen.add(relative(process.cwd(), target));
            // esbuild keeps no specifier of an import it leaves out: found in the importer's text (see ignoredImports).
            if (!importers.has(target)) importers.set(target, { file: resolve(key), specifier: i.original ?? '' });
          }
        }
      }
    }
    return { inputs: [...seen].map((k) => resolve(k)).sort(), linked: [...linked].sort(), importers };
  });
}
