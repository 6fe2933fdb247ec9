// The CLI compiled ahead of time: the workspace packages' TypeScript bundled by esbuild into
// packages/cli/dist/<key>/, so that `strata` starts as plain JavaScript instead of compiling every
// module through tsx's loader thread on each run (seconds at 500 apps, most of it waiting on that
// thread). The key is a hash of everything the bundle is made from, computed on every start, so a
// source edited a moment ago is never run stale: a new key is a new bundle, built on first use
// (about a second) or by scripts/setup.mjs.
//
// Third-party packages stay outside the bundle and are imported from node_modules, by the path
// esbuild resolved, so that the apps (loaded by packages/project) share kubernetes-models with the
// CLI. The workspace sources that use `import.meta` are given their own file's URL, so that paths
// they compute from it (the schemas, the helper's sources, the templates) stay what they are.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = dirname(cliDir);
const root = dirname(packagesDir);
/** Ignored by git (every dist/ folder is); one folder per key. */
export const distDir = join(cliDir, 'dist');

/** The bundle's entry points: the CLI, and the packages the apps import, as one copy of each. */
const ENTRIES = {
  strata: 'cli/src/main.ts',
  project: 'project/src/index.ts',
  core: 'core/src/index.ts',
  'core-sources': 'core/src/sources.ts',
};

// esbuild is a dependency of packages/project, which loads the apps with it.
const requireFromProject = createRequire(join(packagesDir, 'project', 'package.json'));

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') walk(p, out);
    } else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * The hash of everything the bundle is made from: every file under packages/<name>/src and each
 * package.json (names and contents), this file, the esbuild that compiles, and the installed
 * dependencies (pnpm's record of node_modules), whose paths the bundle imports.
 */
export function bundleKey() {
  const h = createHash('sha256').update('strata-cli-bundle/1\0').update(process.version.split('.')[0]);
  const files = [fileURLToPath(import.meta.url), join(root, 'node_modules', '.modules.yaml')];
  for (const p of existsSync(packagesDir) ? readdirSync(packagesDir).sort() : []) {
    files.push(join(packagesDir, p, 'package.json'));
    walk(join(packagesDir, p, 'src'), files);
  }
  for (const f of files) {
    let content;
    try {
      content = readFileSync(f);
    } catch {
      content = '-';
    }
    h.update(relative(root, f)).update('\0').update(content).update('\0');
  }
  try {
    h.update(JSON.parse(readFileSync(requireFromProject.resolve('esbuild/package.json'), 'utf8')).version);
  } catch {
    h.update('no esbuild');
  }
  return h.digest('hex').slice(0, 16);
}

/** A workspace source with `import.meta.url`, `.dirname` and `.filename` as they are for the file itself. */
function withOwnMeta(path, contents, outdir) {
  if (!contents.includes('import.meta')) return contents;
  const rel = JSON.stringify(relative(outdir, path).split(sep).join('/'));
  const url = `new URL(${rel}, import.meta.url)`;
  const out = contents
    .replaceAll('import.meta.url', `${url}.href`)
    .replaceAll('import.meta.dirname', `__strataDirname(__strataPath(${url}))`)
    .replaceAll('import.meta.filename', `__strataPath(${url})`);
  // Any other property of import.meta would describe the bundle: refuse rather than run it wrong.
  if (/import\.meta\.(?!url\b|dirname\b|filename\b)/.test(out)) {
    throw new Error(`${relative(root, path)}: uses import.meta in a way the CLI bundle cannot keep`);
  }
  return `import { dirname as __strataDirname } from 'node:path';\nimport { fileURLToPath as __strataPath } from 'node:url';\n${out}`;
}

/**
 * Builds the bundle for `key` into dist/<key>/ (written to a temporary folder and renamed, so a
 * concurrent start never sees half of it) and removes bundles of other keys built more than an
 * hour ago (a process started from one a moment ago may still load its chunks).
 */
export async function buildBundle(key = bundleKey()) {
  const esbuild = await import(pathToFileURL(requireFromProject.resolve('esbuild')).href);
  const final = join(distDir, key);
  const temp = `${final}.tmp-${process.pid}`;
  const SKIP = {};
  const resolveOutside = {
    name: 'strata-outside',
    setup(build) {
      // Third-party packages: imported from where esbuild finds them, relative to the bundle.
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === SKIP || args.path.startsWith('@strata/')) return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: SKIP });
        if (r.errors.length > 0) return { errors: r.errors };
        if (r.external) return { path: args.path, external: true };
        const path = relative(final, r.path).split(sep).join('/');
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
      build.onLoad({ filter: /\.(ts|mts|mjs|js)$/ }, (args) => {
        if (args.path.split(sep).includes('node_modules')) return undefined;
        const contents = withOwnMeta(args.path, readFileSync(args.path, 'utf8'), final);
        return { contents, loader: /\.m?ts$/.test(args.path) ? 'ts' : 'js', resolveDir: dirname(args.path) };
      });
    },
  };
  rmSync(temp, { recursive: true, force: true });
  try {
    await esbuild.build({
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(packagesDir, file)])),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir: temp,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunk-[hash]',
      // No keepNames: it names every function the code makes, with a call each time, which cost a
      // 500-app pipeline about 0.1 s, for names only a stack trace shows (each error class sets its
      // own name).
      sourcemap: 'linked',
      logLevel: 'silent',
      plugins: [resolveOutside],
    });
    mkdirSync(distDir, { recursive: true });
    try {
      renameSync(temp, final);
    } catch (err) {
      // Another process built the same key first: its bundle is as good as this one.
      if (!existsSync(join(final, 'strata.mjs'))) throw err;
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  const hourAgo = Date.now() - 3600 * 1000;
  for (const name of readdirSync(distDir)) {
    const path = join(distDir, name);
    if (name === key) continue;
    try {
      if (statSync(path).mtimeMs < hourAgo || name.includes('.tmp-')) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone already
    }
  }
  return final;
}

/**
 * The entry files of the bundle for the current sources, built first when missing; undefined when
 * it cannot be built (esbuild missing, a source that does not compile): the caller then runs the
 * sources through tsx, whose error says what is wrong.
 */
export async function prebuilt() {
  try {
    const key = bundleKey();
    let dir = join(distDir, key);
    if (!existsSync(join(dir, 'strata.mjs'))) dir = await buildBundle(key);
    return Object.fromEntries(Object.keys(ENTRIES).map((name) => [name, join(dir, `${name}.mjs`)]));
  } catch (err) {
    prebuiltFailure = (err instanceof Error ? err.message : String(err)).split('\n').filter(Boolean).slice(0, 2).join(': ');
    return undefined;
  }
}

/** Why the last prebuilt() could not give a bundle, in one line; undefined when it could. */
export let prebuiltFailure;

/** The workspace source files the bundle's entries stand for, for packages/project's app loader. */
export function prebuiltSources(entries) {
  return new Map(Object.entries(ENTRIES).map(([name, file]) => [join(packagesDir, file), entries[name]]));
}
