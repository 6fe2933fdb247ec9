import { spawnSync } from 'node:child_process';
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from '@strata/core';
import { errorLocation } from '@strata/core/sources';
import { appSources, loadApps, ToolMissingError } from '../src/index.ts';
import { importTogether } from '../src/load.ts';
import { testTempDir } from './temp.ts';

// The apps of these workspaces import the real @strata/core, as the project's apps do.
const coreDir = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@strata', 'core'));

/** A workspace of apps, each `apps/<name>/src/app.ts` with the given source, that import @strata/core; removed after the test. */
function ws(apps: Record<string, string>): string {
  const root = testTempDir('strata-load-');
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - apps/*\n');
  mkdirSync(join(root, 'apps', 'node_modules', '@strata'), { recursive: true });
  symlinkSync(coreDir, join(root, 'apps', 'node_modules', '@strata', 'core'));
  for (const [name, source] of Object.entries(apps)) {
    mkdirSync(join(root, 'apps', name, 'src'), { recursive: true });
    writeFileSync(join(root, 'apps', name, 'src', 'app.ts'), source);
  }
  return root;
}

const appSource = (name: string, extra = '') => `import { defineApp } from '@strata/core';
import * as core from '@strata/core';
export const coreModule = core;
${extra}
export const app = defineApp({ name: '${name}', defaults: { n: 1 }, envs: { dev: {}, staging: {}, prod: {} }, render: () => [] });
`;

/** An app whose defaults are the given expression, after the given lines. */
const appReading = (name: string, lines: string, defaults: string) => `import { defineApp } from '@strata/core';
${lines}
export const app = defineApp({ name: '${name}', defaults: ${defaults}, envs: { dev: {}, staging: {}, prod: {} }, render: () => [] });
`;

describe('loading apps', () => {
  it('loads many apps in one bundle that shares @strata/core with the program', async () => {
    const root = ws({
      one: appSource('one', "import { replicas } from './settings.ts';\nexport const n = replicas;"),
      two: appSource('two'),
      three: appSource('three'),
    });
    writeFileSync(join(root, 'apps', 'one', 'src', 'settings.ts'), 'export const replicas: number = 3;\n');
    const files = ['one', 'two', 'three'].map((n) => join(root, 'apps', n, 'src', 'app.ts'));
    const mods = (await importTogether(files, [join(root, 'apps', 'node_modules')]))!;
    expect(mods.map((m) => (m!.exports.app as core.App).name)).toStrictEqual(['one', 'two', 'three']);
    expect(mods[0]!.exports.n).toBe(3);
    // The same module instance, not a copy compiled into the bundle.
    expect(mods[0]!.exports.coreModule).toBe(mods[2]!.exports.coreModule);
    expect((mods[0]!.exports.coreModule as typeof core).defineApp).toBe(core.defineApp);
    // Each app's own files, without the packages it imports.
    expect(mods[0]!.inputs).toStrictEqual([files[0], join(root, 'apps', 'one', 'src', 'settings.ts')]);
    expect(mods[1]!.inputs).toStrictEqual([files[1]]);
    const apps = await loadApps(root);
    expect(apps.map((a) => a.name)).toStrictEqual(['one', 'three', 'two']);
  });

  it("leaves an app that uses import.meta for more than its url, dirname and filename to the one-by-one loader, where it names the app's own file, and the others together", async () => {
    // Taken whole, import.meta would be the bundle's: in a module that located imports, too.
    const root = ws({
      plain: appSource('plain'),
      located: appSource('located', "export { here } from './where.ts';"),
      other: appSource('other'),
    });
    writeFileSync(join(root, 'apps', 'located', 'src', 'where.ts'), 'export const { url: here } = import.meta;\n');
    const files = ['plain', 'located', 'other'].map((n) => join(root, 'apps', n, 'src', 'app.ts'));
    const together = await importTogether(files, [join(root, 'apps', 'node_modules')]);
    expect(together.map((m) => (m?.exports.app as core.App | undefined)?.name)).toStrictEqual(['plain', undefined, 'other']);
    const apps = await loadApps(root);
    expect(apps.map((a) => a.name)).toStrictEqual(['located', 'other', 'plain']);
    // Loaded together, the others' files are known; located's, loaded on its own, are not.
    expect(appSources(root, 'plain')).toContain(realpathSync(files[0]!));
    expect(appSources(root, 'other')).toContain(realpathSync(files[2]!));
    expect(appSources(root, 'located')).toBeUndefined();
    const mod = (await import(pathToFileURL(files[1]!).href)) as { here: string };
    expect(mod.here).toBe(pathToFileURL(join(root, 'apps', 'located', 'src', 'where.ts')).href);
  });

  it("loads an app whose own CommonJS file requires Node's builtins, compiled into the bundle with it", async () => {
    const root = ws({ legacy: appSource('legacy', "import sep from './legacy.cjs';\nexport const separator = sep;"), plain: appSource('plain') });
    writeFileSync(
      join(root, 'apps', 'legacy', 'src', 'legacy.cjs'),
      "module.exports = require('node:path').sep + require('punycode').toASCII('x');\n",
    );
    const files = ['legacy', 'plain'].map((n) => join(root, 'apps', n, 'src', 'app.ts'));
    // In a plain Node process, as the strata command runs: this test's runner gives modules a require.
    const script = `const { importTogether } = await import(${JSON.stringify(pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'load.ts')).href)});
const mods = await importTogether(${JSON.stringify(files)}, ${JSON.stringify([join(root, 'apps', 'node_modules')])});
process.stdout.write(String(mods[0].exports.separator));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: join(dirname(fileURLToPath(import.meta.url)), '..'),
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/x');
  });

  it('loads with the others an app that only names import.meta in a string or a comment', async () => {
    // A script shipped in a ConfigMap, say: text, not a use of the bundle's import.meta.
    const script = 'export const script = "console.log(import.meta.url)"; // import.meta.dirname';
    const root = ws({ plain: appSource('plain'), scripted: appSource('scripted', script) });
    const files = ['plain', 'scripted'].map((n) => join(root, 'apps', n, 'src', 'app.ts'));
    const mods = await importTogether(files, [join(root, 'apps', 'node_modules')]);
    expect(mods?.map((m) => (m!.exports.app as core.App).name)).toStrictEqual(['plain', 'scripted']);
    expect(mods?.[1]?.exports.script).toBe('console.log(import.meta.url)');
    expect(mods?.[1]?.inputs).toStrictEqual([files[1]]);
  });

  it('names the line that throws while an app loads, even when it was loaded with others', async () => {
    const root = ws({ good: appSource('good'), bad: appSource('bad', "throw new Error('no settings for bad');") });
    await expect(loadApps(root)).rejects.toThrow(/^apps\/bad\/src\/app\.ts:4:7: cannot load: no settings for bad$/);
  });

  it('hands the caller a warning when the apps load one by one but not together, and prints nothing itself', async () => {
    // Throws on its first evaluation only (the bundle of all apps), so that it loads on its own.
    const once = `const seen = globalThis as { strataLoadOnce?: number };
seen.strataLoadOnce = (seen.strataLoadOnce ?? 0) + 1;
if (seen.strataLoadOnce === 1) throw new Error('only the first load fails');`;
    const root = ws({ good: appSource('good'), once: appSource('once', once) });
    const warnings: string[] = [];
    const emitted: string[] = [];
    const written: string[] = [];
    const onProcessWarning = (w: Error) => emitted.push(w.message);
    process.on('warning', onProcessWarning);
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return write.call(process.stderr, chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      const apps = await loadApps(root, undefined, { onWarning: (w) => warnings.push(w) });
      expect(apps.map((a) => a.name)).toStrictEqual(['good', 'once']);
      // A process warning would be printed on the next turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.stderr.write = write;
      process.off('warning', onProcessWarning);
      delete (globalThis as { strataLoadOnce?: number }).strataLoadOnce;
    }
    expect(warnings).toStrictEqual(['apps loaded one by one, as loading them together failed: only the first load fails']);
    expect(emitted).toStrictEqual([]);
    expect(written).toStrictEqual([]);
  });

  it('keeps an app loaded once until a file it was made of changes, then loads it again', async () => {
    const root = ws({ one: appSource('one', "import settings from '../settings.json';\nexport const n = settings.n;"), two: appSource('two') });
    writeFileSync(join(root, 'apps', 'one', 'settings.json'), '{ "n": 1 }\n');
    const [one, two] = await loadApps(root);
    const again = await loadApps(root);
    expect(again[0]).toBe(one);
    expect(again[1]).toBe(two);
    writeFileSync(join(root, 'apps', 'one', 'settings.json'), '{ "n": 2 }\n');
    const edited = await loadApps(root);
    expect(edited[0]).not.toBe(one);
    expect(edited[1]).toBe(two);
  });

  it('loads an app again when a file it was made of changed while it was being loaded', async () => {
    const root = ws({ one: appReading('one', "import settings from '../settings.json';", '{ n: settings.n }'), two: appSource('two') });
    const settings = join(root, 'apps', 'one', 'settings.json');
    writeFileSync(settings, '{ "n": 1 }\n');
    // Another writer (a release bot, say) edits settings.json once the compiler has read it.
    const [one, two] = await loadApps(root, undefined, { onCompiled: () => writeFileSync(settings, '{ "n": 2 }\n') });
    expect(one!.defaults).toStrictEqual({ n: 1 });
    const [again, twoAgain] = await loadApps(root);
    expect(again!.defaults).toStrictEqual({ n: 2 });
    expect(twoAgain).toBe(two);
    const [settled] = await loadApps(root);
    expect(settled).toBe(again);
  });

  it('loads an app that uses import.meta with the others, at its own URL, and again once a file it reads changes', async () => {
    const reads = `import settings from '../settings.json';
import { readFileSync } from 'node:fs';
const note = readFileSync(new URL('../note.txt', import.meta.url), 'utf8');`;
    const root = ws({ located: appReading('located', reads, '{ n: settings.n, note, here: import.meta.url }'), plain: appSource('plain') });
    writeFileSync(join(root, 'apps', 'located', 'settings.json'), '{ "n": 1 }\n');
    writeFileSync(join(root, 'apps', 'located', 'note.txt'), 'one');
    const file = realpathSync(join(root, 'apps', 'located', 'src', 'app.ts'));
    const warnings: string[] = [];
    const [located, plain] = await loadApps(root, undefined, { onWarning: (w) => warnings.push(w) });
    expect(located!.defaults).toStrictEqual({ n: 1, note: 'one', here: pathToFileURL(file).href });
    expect(warnings).toStrictEqual([]);
    writeFileSync(join(root, 'apps', 'located', 'settings.json'), '{ "n": 2 }\n');
    const [again, plainAgain] = await loadApps(root);
    expect(again!.defaults).toMatchObject({ n: 2, note: 'one' });
    expect(plainAgain).toBe(plain);
    writeFileSync(join(root, 'apps', 'located', 'note.txt'), 'two');
    expect((await loadApps(root))[0]!.defaults).toMatchObject({ n: 2, note: 'two' });
    // Loaded afresh as often as asked: Node's module cache does not hold it.
    expect((await loadApps(root, ['located'], { fresh: true }))[0]!.defaults).toMatchObject({ n: 2, note: 'two' });
  });

  it('loads again, once a file it reads changed, an app that loaded on its own because another failed', async () => {
    // z fails to load while its flag file exists; a loads on its own meanwhile.
    const root = ws({
      a: appReading('a', "import settings from '../settings.json';", '{ n: settings.n }'),
      z: appReading(
        'z',
        "import { existsSync } from 'node:fs';\nif (existsSync(new URL('../broken', import.meta.url))) throw new Error('z is broken');",
        '{}',
      ),
    });
    writeFileSync(join(root, 'apps', 'a', 'settings.json'), '{ "n": 1 }\n');
    writeFileSync(join(root, 'apps', 'z', 'broken'), '');
    await expect(loadApps(root)).rejects.toThrow(/^apps\/z\/src\/app\.ts:3:\d+: cannot load: z is broken$/);
    rmSync(join(root, 'apps', 'z', 'broken'));
    writeFileSync(join(root, 'apps', 'a', 'settings.json'), '{ "n": 2 }\n');
    const [a] = await loadApps(root);
    expect(a!.defaults).toStrictEqual({ n: 2 });
  });

  it('says once when the apps are compiled, before any is imported, and not when one does not compile', async () => {
    let calls = 0;
    const onCompiled = () => calls++;
    const good = ws({ one: appSource('one'), two: appSource('two') });
    expect((await loadApps(good, undefined, { fresh: true, onCompiled })).map((a) => a.name)).toStrictEqual(['one', 'two']);
    expect(calls).toBe(1);
    // Compiled, then one throws as it is imported: told already.
    const throwing = ws({ bad: appSource('bad', "throw new Error('no settings for bad');") });
    await expect(loadApps(throwing, undefined, { fresh: true, onCompiled })).rejects.toThrow(/no settings for bad/);
    expect(calls).toBe(2);
    const broken = ws({ typo: `${appSource('typo')}\nexport const = 1;\n` });
    await expect(loadApps(broken, undefined, { fresh: true, onCompiled })).rejects.toThrow(/cannot compile/);
    expect(calls).toBe(2);
  });

  it('says to install an app whose node_modules is missing, when what it cannot resolve is a package it declares', async () => {
    // What a branch switch leaves that brings back an app remove-app took away: its sources, not its node_modules.
    const importing = appSource('web', "import { Deployment } from 'kubernetes-models/apps/v1/Deployment';\nexport const kind = Deployment;");
    const root = ws({ web: importing });
    writeFileSync(
      join(root, 'apps/web/package.json'),
      JSON.stringify({ name: '@strata-apps/web', dependencies: { 'kubernetes-models': 'catalog:' } }),
    );
    const missing = await loadApps(root).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ToolMissingError);
    expect((missing as Error).message).toBe(
      'the dependencies of apps/web are not installed (no apps/web/node_modules): run `npm run setup`, which installs them',
    );
    // An import of a package the app does not declare is its code's mistake, said where it is.
    writeFileSync(join(root, 'apps/web/package.json'), JSON.stringify({ name: '@strata-apps/web', dependencies: {} }));
    await expect(loadApps(root, undefined, { fresh: true })).rejects.toThrow(
      /^apps\/web\/src\/app\.ts:4:\d+: cannot compile: Could not resolve "kubernetes-models\/apps\/v1\/Deployment"/,
    );
  });

  it("gives the compiler's message at the file, line and column that do not compile", async () => {
    const root = ws({ good: appSource('good'), typo: `${appSource('typo')}\nexport const = 1;\n` });
    await expect(loadApps(root)).rejects.toThrow(/^apps\/typo\/src\/app\.ts:7:14: cannot compile: Expected identifier but found "="$/);
  });
});

describe('loading apps in a process that runs prebuilt copies of workspace packages', () => {
  /** A throw-away folder laid out by hand, and a writer of files in it. */
  const handMade = () => {
    const root = testTempDir('strata-prebuilt-');
    const file = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    return { root, file };
  };

  it('sends the copied package to its copy, compiles other TypeScript workspace packages in, and leaves registry packages outside', async () => {
    const { root, file } = handMade();
    // Two workspace packages in TypeScript, one of which this process runs as a compiled copy.
    file('packages/kit/package.json', JSON.stringify({ name: '@acme/kit', type: 'module', exports: { '.': './src/index.ts' } }));
    file('packages/kit/src/index.ts', "export const from: string = 'kit source';\n");
    file('packages/lib/package.json', JSON.stringify({ name: '@acme/lib', type: 'module', exports: { '.': './src/index.ts' } }));
    file('packages/lib/src/index.ts', "export const from: string = 'lib source';\n");
    file('copies/kit.mjs', "export const from = 'kit copy';\n");
    // A registry package: plain JavaScript inside node_modules.
    file('node_modules/.store/left-pad/package.json', JSON.stringify({ name: 'left-pad', type: 'module', exports: './index.js' }));
    file('node_modules/.store/left-pad/index.js', "export const from = 'registry';\n");
    mkdirSync(join(root, 'node_modules', '@acme'), { recursive: true });
    symlinkSync(join(root, 'packages', 'kit'), join(root, 'node_modules', '@acme', 'kit'));
    symlinkSync(join(root, 'packages', 'lib'), join(root, 'node_modules', '@acme', 'lib'));
    symlinkSync(join(root, 'node_modules', '.store', 'left-pad'), join(root, 'node_modules', 'left-pad'));
    file(
      'apps/one/src/app.ts',
      "import { from as kit } from '@acme/kit';\nimport { from as lib } from '@acme/lib';\nimport { from as pad } from 'left-pad';\nexport const seen = [kit, lib, pad];\nexport function fail(): never {\n  throw new Error(kit);\n}\n",
    );
    // Its own module instance: the prebuilt state is this process's.
    const load = (await import(
      `${pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'load.ts')).href}?prebuilt`
    )) as typeof import('../src/load.ts');
    load.usePrebuilt(new Map([[join(root, 'packages', 'kit', 'src', 'index.ts'), join(root, 'copies', 'kit.mjs')]]));
    const [mod] = (await load.importTogether([join(root, 'apps', 'one', 'src', 'app.ts')], [join(root, 'node_modules')]))!;
    expect(mod!.exports.seen).toStrictEqual(['kit copy', 'lib source', 'registry']);
    // The copy counts as the source it stands for; the compiled package is one of the app's inputs.
    const real = realpathSync(root);
    expect(mod!.linked).toContain(join(real, 'packages', 'kit', 'src', 'index.ts'));
    expect(mod!.inputs).toContain(join(real, 'packages', 'lib', 'src', 'index.ts'));
    // The bundle's map names the app's own file and line, through the prebuilt package imports.
    let thrown: unknown;
    try {
      (mod!.exports.fail as () => never)();
    } catch (err) {
      thrown = err;
    }
    expect(errorLocation(thrown, join(real, 'apps'))).toStrictEqual({ file: join(real, 'apps', 'one', 'src', 'app.ts'), line: 6, column: 9 });
  });

  it('resolves a workspace package once per folder that resolves alike, and apart where an app has its own node_modules', async () => {
    const { root, file } = handMade();
    const pkg = (dir: string, from: string) => {
      file(`${dir}/package.json`, JSON.stringify({ name: '@acme/kit', type: 'module', exports: { '.': './src/index.ts' } }));
      file(`${dir}/src/index.ts`, `export const from: string = '${from}';\n`);
    };
    pkg('packages/kit', 'kit source');
    pkg('vendor/kit', 'vendored kit');
    file('copies/kit.mjs', "export const from = 'kit copy';\n");
    mkdirSync(join(root, 'node_modules', '@acme'), { recursive: true });
    symlinkSync(join(root, 'packages', 'kit'), join(root, 'node_modules', '@acme', 'kit'));
    // App two pins its own copy of the package, found first from any of its folders.
    mkdirSync(join(root, 'apps', 'two', 'node_modules', '@acme'), { recursive: true });
    symlinkSync(join(root, 'vendor', 'kit'), join(root, 'apps', 'two', 'node_modules', '@acme', 'kit'));
    for (const app of ['one', 'two', 'three']) {
      file(`apps/${app}/src/env/dev.ts`, "import { from } from '@acme/kit';\nexport const dev = from;\n");
      file(`apps/${app}/src/app.ts`, "import { from } from '@acme/kit';\nimport { dev } from './env/dev.ts';\nexport const seen = [from, dev];\n");
    }
    const load = (await import(
      `${pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'load.ts')).href}?folders`
    )) as typeof import('../src/load.ts');
    load.usePrebuilt(new Map([[join(root, 'packages', 'kit', 'src', 'index.ts'), join(root, 'copies', 'kit.mjs')]]));
    const mods = (await load.importTogether(
      ['one', 'two', 'three'].map((a) => join(root, 'apps', a, 'src', 'app.ts')),
      [join(root, 'node_modules'), join(root, 'apps', 'two', 'node_modules')],
    ))!;
    expect(mods.map((m) => m!.exports.seen)).toStrictEqual([
      ['kit copy', 'kit copy'],
      ['vendored kit', 'vendored kit'],
      ['kit copy', 'kit copy'],
    ]);
  });

  it('keeps apart the folders where a package.json names the package itself or a tsconfig.json maps it, and no other package.json', async () => {
    const { root, file } = handMade();
    file('packages/kit/package.json', JSON.stringify({ name: '@acme/kit', type: 'module', exports: { '.': './src/index.ts' } }));
    file('packages/kit/src/index.ts', "export const from: string = 'kit source';\n");
    file('copies/kit.mjs', "export const from = 'kit copy';\n");
    mkdirSync(join(root, 'node_modules', '@acme'), { recursive: true });
    symlinkSync(join(root, 'packages', 'kit'), join(root, 'node_modules', '@acme', 'kit'));
    const app = (name: string, manifest: object) => {
      file(`apps/${name}/package.json`, JSON.stringify(manifest));
      file(`apps/${name}/src/app.ts`, "import { from } from '@acme/kit';\nexport const seen = from;\n");
    };
    // Plain apps: their package.json files change nothing about where @acme/kit comes from.
    app('one', { name: '@apps/one', type: 'module', imports: { '#kit': './src/app.ts' } });
    // A package that is itself named @acme/kit imports its own exports.
    app('self', { name: '@acme/kit', type: 'module', exports: { '.': './src/own.ts' } });
    file('apps/self/src/own.ts', "export const from: string = 'its own';\n");
    // A tsconfig.json that maps the name elsewhere.
    app('mapped', { name: '@apps/mapped', type: 'module' });
    file('apps/mapped/tsconfig.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@acme/kit': ['./src/local.ts'] } } }));
    file('apps/mapped/src/local.ts', "export const from: string = 'mapped';\n");
    app('two', { name: '@apps/two', type: 'module' });
    const load = (await import(
      `${pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'load.ts')).href}?markers`
    )) as typeof import('../src/load.ts');
    load.usePrebuilt(new Map([[join(root, 'packages', 'kit', 'src', 'index.ts'), join(root, 'copies', 'kit.mjs')]]));
    const mods = (await load.importTogether(
      ['one', 'self', 'mapped', 'two'].map((a) => join(root, 'apps', a, 'src', 'app.ts')),
      [join(root, 'node_modules')],
    ))!;
    expect(mods.map((m) => m!.exports.seen)).toStrictEqual(['kit copy', 'its own', 'mapped', 'kit copy']);
  });
});
