import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editFile, strata, suiteWorkspace, treeOf } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';
const CONFIG = `apps/${APP}/src/config.ts`;
const RENDER = `apps/${APP}/src/render.ts`;
const START = 'export function render(c: RelayConfig): KubeObject[] {\n';
const CLONE_LACKS = 'a clone of the repository lacks it and cannot render the same tree';
const REPOSITORY_ALONE = 'a render depends on the repository alone, so that the cache, a clone and every other machine render the same tree';
const ENV_ADVICE =
  "a render depends on the repository alone, so that the cache, a clone and every other machine render the same tree: put the value in the app's config \\(src/config\\.ts, or src/env/<env>\\.ts for one env\\)";

/**
 * A render depends on the repository alone: what it would read besides (an environment variable, a
 * file git ignores or one outside the repository, a source linked from outside) is refused, since
 * neither the cache, which keys an app on the repository's files, nor a clone could render the same.
 */
describe('what a render reads besides the repository', () => {
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });
  const undo: (() => void)[] = [];
  afterEach(() => {
    for (const u of undo.splice(0).reverse()) u();
  });
  /** Rewrites a file of the workspace until the test ends. */
  const edit = (file: string, change: (text: string) => string) => {
    const before = editFile(join(ws.root, file), change);
    undo.push(() => writeFileSync(join(ws.root, file), before));
  };
  /** A folder outside the workspace, removed when the test ends. */
  const outside = () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-outside-'));
    undo.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  /** Runs strata and expects one line of stderr matching `line`, exit 1, the tree as it was. */
  const refused = (args: readonly string[], line: RegExp, env: Record<string, string> = {}) => {
    const tree = treeOf(ws.root);
    const r = strata(ws.root, args, undefined, env);
    expect(r.stderr.trimEnd().split('\n'), `strata ${args.join(' ')}`).toStrictEqual([expect.stringMatching(line)]);
    expect(r.status, `strata ${args.join(' ')}`).toBe(1);
    expect(treeOf(ws.root)).toStrictEqual(tree);
  };
  const git = (...args: string[]) => expect(spawnSync('git', args, { cwd: ws.root, encoding: 'utf8' }).status).toBe(0);

  it('a config that reads an environment variable as it loads, or a render that reads or lists them, is one line at its own line, exit 1, whatever the variable holds', () => {
    edit(CONFIG, (t) => t.replace('  replicas: 1,', '  replicas: Number(process.env.TR ?? 1),'));
    for (const args of [['pipeline'], ['check'], ['generate']])
      refused(args, new RegExp(`^strata: ${CONFIG}:50:\\d+: cannot load: the module read the environment variable TR; ${ENV_ADVICE}$`), { TR: '7' });
    undo.pop()!();
    edit(RENDER, (t) => t.replace(START, `${START}  const { TR } = process.env;\n  if (TR) c = { ...c, replicas: 7 };\n`));
    refused(['pipeline'], new RegExp(`^strata: ${RENDER}:\\d+:\\d+: app ${APP} defaults: render read the environment variable TR; ${ENV_ADVICE}$`));
    undo.pop()!();
    edit(RENDER, (t) => t.replace(START, `${START}  if (Object.keys(process.env).length < 0) c = { ...c, replicas: 7 };\n`));
    refused(['check'], new RegExp(`^strata: ${RENDER}:\\d+:\\d+: app ${APP} defaults: render listed the environment variables; ${ENV_ADVICE}$`));
  });

  it('a read of a file git ignores, or of one outside the repository, is one line at the read, exit 1; a file git would commit is read', () => {
    git('init', '-q');
    writeFileSync(join(ws.root, '.gitignore'), 'node_modules/\n.strata/\ndist/\n*.secret.env\n');
    undo.push(() => rmSync(join(ws.root, '.git'), { recursive: true, force: true }));
    const read = (url: string) =>
      edit(CONFIG, (t) =>
        `import { readFileSync } from 'node:fs';\n${t}`.replace(
          '  replicas: 1,',
          `  replicas: Number(readFileSync(new URL(${JSON.stringify(url)}, import.meta.url), 'utf8')),`,
        ),
      );
    writeFileSync(join(ws.root, `apps/${APP}/src/replicas.secret.env`), '1');
    undo.push(() => rmSync(join(ws.root, `apps/${APP}/src/replicas.secret.env`)));
    read('./replicas.secret.env');
    for (const args of [['pipeline'], ['check'], ['generate']])
      refused(
        args,
        new RegExp(
          `^strata: ${CONFIG}:51:\\d+: cannot load: the module read apps/${APP}/src/replicas\\.secret\\.env, which git ignores \\(\\.gitignore:4: \\*\\.secret\\.env\\): ${CLONE_LACKS}; commit it, or put the value in the app's config$`,
        ),
      );
    undo.pop()!();
    const dir = outside();
    writeFileSync(join(dir, 'replicas.txt'), '1');
    read(`file://${dir}/replicas.txt`);
    refused(
      ['pipeline'],
      new RegExp(
        `^strata: ${CONFIG}:51:\\d+: cannot load: the module read ${dir}/replicas\\.txt, which lies outside the repository: ${CLONE_LACKS}; copy it into the repository$`,
      ),
    );
    undo.pop()!();
    writeFileSync(join(ws.root, `apps/${APP}/src/replicas.txt`), '1');
    undo.push(() => rmSync(join(ws.root, `apps/${APP}/src/replicas.txt`)));
    read('./replicas.txt');
    const r = strata(ws.root, ['pipeline']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a read under a node_modules that is no package the workspace installed (one outside it) is one line at the read, exit 1', () => {
    const dir = join(outside(), 'node_modules');
    mkdirSync(dir);
    writeFileSync(join(dir, 'replicas.txt'), '1');
    edit(RENDER, (t) =>
      `import { readFileSync } from 'node:fs';\n${t}`.replace(
        START,
        `${START}  if (readFileSync(${JSON.stringify(join(dir, 'replicas.txt'))}, 'utf8') !== '1') c = { ...c, replicas: 7 };\n`,
      ),
    );
    refused(
      ['generate'],
      new RegExp(
        `^strata: ${RENDER}:33:\\d+: app ${APP} defaults: render read ${dir}/replicas\\.txt, which lies outside the repository: ${CLONE_LACKS}; copy it into the repository$`,
      ),
    );
  });

  it("an import of a module under a node_modules that is no package the workspace installed is one line, exit 1: one outside the workspace, or a tool's cache in its own", () => {
    const dir = join(outside(), 'node_modules/pkg');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.ts'), 'export const replicas = 1;\n');
    edit(RENDER, (t) =>
      `import { replicas } from ${JSON.stringify(join(dir, 'index.ts'))};\n${t}`.replace(START, `${START}  c = { ...c, replicas };\n`),
    );
    refused(
      ['generate'],
      new RegExp(`^strata: ${dir}/index\\.ts: outside the repository, yet an app is compiled from it; copy it into the repository$`),
    );
    undo.pop()!();
    git('init', '-q');
    writeFileSync(join(ws.root, '.gitignore'), 'node_modules/\n.strata/\ndist/\n');
    undo.push(() => rmSync(join(ws.root, '.git'), { recursive: true, force: true }));
    // A tool's own folder in the workspace's node_modules: no package the lockfile installs.
    const cache = join(ws.root, 'node_modules/.tool-cache');
    mkdirSync(cache);
    undo.push(() => rmSync(cache, { recursive: true, force: true }));
    writeFileSync(join(cache, 'replicas.mjs'), 'export const replicas = 1;\n');
    edit(RENDER, (t) =>
      `import { replicas } from '../../../node_modules/.tool-cache/replicas.mjs';\n${t}`.replace(START, `${START}  c = { ...c, replicas };\n`),
    );
    refused(
      ['generate'],
      new RegExp(
        `^strata: ${RENDER}:1:26: cannot load: the module imports node_modules/\\.tool-cache/replicas\\.mjs, which git ignores \\(\\.gitignore:1: node_modules/\\): ${CLONE_LACKS}; commit it, or put the value in the app's config$`,
      ),
    );
  });

  it('one git process judges every file a run compiles or reads, however many: reading eight files starts no git process more than reading none', () => {
    git('init', '-q');
    writeFileSync(join(ws.root, '.gitignore'), 'node_modules/\n.strata/\ndist/\n*.secret.env\n');
    undo.push(() => rmSync(join(ws.root, '.git'), { recursive: true, force: true }));
    const data = join(ws.root, `apps/${APP}/src/data`);
    mkdirSync(data);
    undo.push(() => rmSync(data, { recursive: true, force: true }));
    for (let n = 0; n < 8; n++) writeFileSync(join(data, `${n}.txt`), '1');
    // Every git process strata starts, by a git of the same name first on PATH that logs and runs the real one.
    const bin = outside();
    const log = join(bin, 'git.log');
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\nexec ${JSON.stringify(spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim())} "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const gitRuns = (files: number) => {
      writeFileSync(log, '');
      // As run by hand, outside CI: a run in CI is frozen and says its progress on stderr.
      const r = strata(ws.root, ['pipeline', '--no-cache'], undefined, { PATH: `${bin}:${process.env.PATH}`, CI: '' });
      expect(r.stderr, `reading ${files} files`).toBe('');
      expect(r.status).toBe(0);
      return readFileSync(log, 'utf8').split('\n').filter(Boolean);
    };
    const none = gitRuns(0);
    edit(RENDER, (t) =>
      `import { readFileSync } from 'node:fs';\n${t}`.replace(
        START,
        `${START}  for (let n = 0; n < 8; n++) if (readFileSync(new URL(\`./data/\${n}.txt\`, import.meta.url), 'utf8') !== '1') c = { ...c, replicas: 7 };\n`,
      ),
    );
    const eight = gitRuns(8);
    // The files the apps compile from are judged too: the one answer serves them and the reads alike.
    expect(eight, eight.join('\n')).toStrictEqual(none);
    expect(eight.filter((args) => args.includes('--ignored') || args.includes('check-ignore'))).toHaveLength(1);
    // And a file git ignores among them still fails the render at the line that read it.
    renameSync(join(data, '7.txt'), join(data, '7.secret.env'));
    edit(RENDER, (t) => t.replace('n < 8', 'n < 7').replace(START, `${START}  readFileSync(new URL('./data/7.secret.env', import.meta.url));\n`));
    refused(
      ['pipeline', '--no-cache'],
      new RegExp(
        `^strata: ${RENDER}:\\d+:\\d+: app ${APP} defaults: render read apps/${APP}/src/data/7\\.secret\\.env, which git ignores \\(\\.gitignore:4: \\*\\.secret\\.env\\): ${CLONE_LACKS}; commit it, or put the value in the app's config$`,
      ),
    );
  });

  it('a source replaced by a symbolic link to a file outside the repository is one line naming the link and its target, exit 1, also when the last pipeline reused the app', () => {
    expect(strata(ws.root, ['pipeline']).status).toBe(0);
    const dir = outside();
    const file = join(ws.root, CONFIG);
    renameSync(file, join(dir, 'config.ts'));
    symlinkSync(join(dir, 'config.ts'), file);
    undo.push(() => {
      rmSync(file);
      renameSync(join(dir, 'config.ts'), file);
    });
    const line = new RegExp(
      `^strata: ${CONFIG}: a symbolic link to ${dir}/config\\.ts, outside the repository: the app is compiled from there, which a clone of the repository lacks; copy the file into the repository in place of the link$`,
    );
    for (const args of [['pipeline', '--frozen'], ['check'], ['pipeline', '--frozen', '--no-cache']]) refused(args, line);
  });

  it('a symbolic link within the repository is rendered, and once pointed outside it is refused, though the file it pointed to is unchanged', () => {
    const file = join(ws.root, CONFIG);
    const shared = join(ws.root, `apps/${APP}/config.shared.ts`);
    renameSync(file, shared);
    symlinkSync('../config.shared.ts', file);
    undo.push(() => {
      rmSync(file);
      renameSync(shared, file);
    });
    const r = strata(ws.root, ['pipeline']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const dir = outside();
    writeFileSync(join(dir, 'config.ts'), readFileSync(shared));
    rmSync(file);
    symlinkSync(join(dir, 'config.ts'), file);
    refused(
      ['pipeline', '--frozen'],
      new RegExp(
        `^strata: ${CONFIG}: a symbolic link to ${dir}/config\\.ts, outside the repository: the app is compiled from there, which a clone of the repository lacks; copy the file into the repository in place of the link$`,
      ),
    );
  });

  const TIME_ADVICE = `${REPOSITORY_ALONE}: pass a fixed time in the app's config, or use a committed constant \\(new Date\\('2026-01-01'\\)\\)`;
  // Each: the line it puts at the top of render.ts (line 1), the statement at the start of render (line 33), and what the one line says.
  // The rest of what app code may not ask for is proven in one process in packages/core/test/app-code.test.ts.
  it.each([
    [
      'new Date() with no argument',
      '',
      'if (new Date().getFullYear() < 2000) c = { ...c, replicas: 7 };',
      `render called new Date\\(\\) with no argument, which reads the clock; ${TIME_ADVICE}`,
    ],
    ['Date() called', '', "if (Date() === '') c = { ...c, replicas: 7 };", `render called Date\\(\\), which reads the clock; ${TIME_ADVICE}`],
    [
      'child_process.execSync()',
      "import { execSync } from 'node:child_process';",
      "if (execSync('hostname', { encoding: 'utf8' }) === '') c = { ...c, replicas: 7 };",
      `render called child_process\\.execSync\\("hostname"\\); ${REPOSITORY_ALONE}, and what a program prints depends on the machine it runs on: commit what it makes, or compute the value in the app's code`,
    ],
    [
      'process.report.getReport(), which holds every environment variable,',
      '',
      "if (JSON.stringify(process.report.getReport()).includes('TR')) c = { ...c, replicas: 7 };",
      `render called process\\.report\\.getReport\\(\\); ${ENV_ADVICE}`,
    ],
    [
      'for process.pid, which differs on every run,',
      '',
      'if (process.pid < 0) c = { ...c, replicas: 7 };',
      `render read process\\.pid; ${REPOSITORY_ALONE}: put the value in the app's config, or derive it from the config \\(a hash of the app's name, say\\)`,
    ],
    [
      'crypto.randomUUID()',
      '',
      "if (crypto.randomUUID() === '') c = { ...c, replicas: 7 };",
      `render called crypto\\.randomUUID\\(\\); ${REPOSITORY_ALONE}: put the value in the app's config, or derive it from the config \\(a hash of the app's name, say\\)`,
    ],
  ])('a render that calls %s fails in one line at that line, exit 1, saying what to do instead', (_, header, statement, message) => {
    edit(RENDER, (t) => `${header || '// (nothing imported)'}\n${t}`.replace(START, `${START}  ${statement}\n`));
    refused(['pipeline'], new RegExp(`^strata: ${RENDER}:33:\\d+: app ${APP} defaults: ${message}$`));
  });

  it('a config that fetches a value over the network as it loads (a top-level await) is one line at the fetch, exit 1, and nothing is sent', async () => {
    // A server that counts what it is asked: the render must never reach it.
    const { createServer } = await import('node:http');
    let asked = 0;
    const server = createServer((_, res) => {
      asked++;
      res.end('3');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    undo.push(() => server.close());
    const { port } = server.address() as { port: number };
    edit(CONFIG, (t) =>
      t
        .replace(
          'export const defaults',
          `const REMOTE = Number(await (await fetch('http://127.0.0.1:${port}/replicas')).text());\nexport const defaults`,
        )
        .replace('  replicas: 1,', '  replicas: REMOTE,'),
    );
    const line =
      readFileSync(join(ws.root, CONFIG), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('fetch(')) + 1;
    // Run apart from this process, whose event loop answers the server.
    const { spawn } = await import('node:child_process');
    const tree = treeOf(ws.root);
    const child = spawn(process.execPath, [join(ws.root, 'packages/cli/bin/strata.mjs'), 'generate'], {
      cwd: ws.root,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const status = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr.trimEnd().split('\n')).toStrictEqual([
      expect.stringMatching(
        new RegExp(
          `^strata: ${CONFIG}:${line}:\\d+: cannot load: the module called fetch\\("http://127\\.0\\.0\\.1:${port}/replicas"\\); ${REPOSITORY_ALONE}, and what a server answers changes without a commit: commit what it serves into the app \\(a JSON file it imports\\), or put the value in the app's config$`,
        ),
      ),
    ]);
    expect(status).toBe(1);
    expect(asked).toBe(0);
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });

  it('a render that writes a file, in the tree or outside it, is one line at the write, exit 1, and the file is not there', () => {
    const dir = outside();
    edit(RENDER, (t) =>
      `import { writeFileSync } from 'node:fs';\n${t}`.replace(
        START,
        `${START}  writeFileSync(${JSON.stringify(join(dir, 'written'))}, 'x');\n  writeFileSync('overlays/dev/${APP}/extra.yaml', 'kind: x');\n`,
      ),
    );
    refused(
      ['generate'],
      new RegExp(
        `^strata: ${RENDER}:33:\\d+: app ${APP} defaults: render called fs\\.writeFileSync\\("${dir}/written"\\); a render writes nothing, its objects are what generate writes, atomically, into the tree: return them from render, or make the file once and commit it$`,
      ),
    );
    expect(existsSync(join(dir, 'written'))).toBe(false);
  });

  it('a render is made in UTC whatever time zone the machine has: a local hour renders the same tree under TZ=America/New_York', () => {
    edit(RENDER, (t) => t.replace(START, `${START}  if (new Date('2026-01-01T00:00:00Z').getHours() !== 0) c = { ...c, replicas: 7 };\n`));
    const tree = treeOf(ws.root);
    const r = strata(ws.root, ['check', '--no-cache'], undefined, { TZ: 'America/New_York' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });

  it('a render is made in the en-US locale whatever LANG and LC_ALL say: two runs under different locales write the same tree', () => {
    // Put back once the render is: the tree the other tests check against.
    undo.push(() => expect(strata(ws.root, ['generate']).status).toBe(0));
    const probe = [
      'new Intl.DateTimeFormat().resolvedOptions().locale',
      '(1234.5).toLocaleString()',
      "new Date('2026-01-02T03:04:05Z').toLocaleString()",
      'new Intl.NumberFormat().format(0.5)',
      "['b', 'ä', 'a', 'z'].sort((x, y) => x.localeCompare(y)).join('')",
      "(1234.5).toLocaleString('zz')",
    ].join(', ');
    edit(RENDER, (t) =>
      t.replace(
        "    { name: 'RELAY_HOST', value: '0.0.0.0' },\n",
        `    { name: 'RELAY_HOST', value: '0.0.0.0' },\n    { name: 'LOCALE_PROBE', value: [${probe}].join(' ') },\n`,
      ),
    );
    const generated = (env: Record<string, string>) => {
      const r = strata(ws.root, ['generate'], undefined, env);
      expect(r.stderr, JSON.stringify(env)).toBe('');
      expect(r.status).toBe(0);
      return treeOf(ws.root);
    };
    const german = generated({ LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' });
    const swedish = generated({ LANG: 'sv_SE.UTF-8', LC_ALL: '' });
    expect(swedish).toStrictEqual(german);
    expect(german[`base/${APP}/deployment.${APP}.yaml`]).toContain('value: en-US 1,234.5 1/2/2026, 3:04:05 AM 0.5 aäbz 1,234.5\n');
  });

  it('a date given its time is no hidden input: new Date("2026-01-01") renders', () => {
    edit(RENDER, (t) => t.replace(START, `${START}  if (new Date('2026-01-01').getUTCFullYear() !== 2026) c = { ...c, replicas: 7 };\n`));
    const r = strata(ws.root, ['pipeline']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('an installed package that reads the clock, Math.random and the host name as it loads and in render is compiled in and runs as ever', () => {
    const pkg = join(ws.root, `apps/${APP}/node_modules/clocked`);
    mkdirSync(pkg);
    undo.push(() => rmSync(pkg, { recursive: true, force: true }));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'clocked', version: '1.0.0', type: 'module', main: 'index.js' }));
    writeFileSync(
      join(pkg, 'index.js'),
      [
        "import { hostname } from 'node:os';",
        'export const loadedAt = Date.now() + new Date().getTime() + Math.random() + hostname().length;',
        'export function stamp() {',
        '  return Date.now() + new Date().getTime() + Math.random() + hostname().length;',
        '}',
        '',
      ].join('\n'),
    );
    edit(RENDER, (t) =>
      `import { loadedAt, stamp } from 'clocked';\n${t}`.replace(START, `${START}  if (stamp() < 0 || loadedAt < 0) c = { ...c, replicas: 7 };\n`),
    );
    const r = strata(ws.root, ['pipeline']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('an import of a file git ignores is one line at the import, exit 1', () => {
    git('init', '-q');
    writeFileSync(join(ws.root, '.gitignore'), 'node_modules/\n.strata/\ndist/\n*.secret.env\n*.local.ts\n');
    undo.push(() => rmSync(join(ws.root, '.git'), { recursive: true, force: true }));
    writeFileSync(join(ws.root, `apps/${APP}/src/replicas.local.ts`), 'export const replicas = 1;\n');
    undo.push(() => rmSync(join(ws.root, `apps/${APP}/src/replicas.local.ts`)));
    edit(RENDER, (t) => `import { replicas } from './replicas.local.ts';\n${t}`.replace(START, `${START}  c = { ...c, replicas };\n`));
    for (const args of [['pipeline'], ['check'], ['generate']])
      refused(
        args,
        new RegExp(
          `^strata: ${RENDER}:1:26: cannot load: the module imports apps/${APP}/src/replicas\\.local\\.ts, which git ignores \\(\\.gitignore:5: \\*\\.local\\.ts\\): ${CLONE_LACKS}; commit it, or put the value in the app's config$`,
        ),
      );
    // Committed under another name, the same import loads.
    renameSync(join(ws.root, `apps/${APP}/src/replicas.local.ts`), join(ws.root, `apps/${APP}/src/replicas.ts`));
    undo.push(() => renameSync(join(ws.root, `apps/${APP}/src/replicas.ts`), join(ws.root, `apps/${APP}/src/replicas.local.ts`)));
    edit(RENDER, (t) => t.replace("'./replicas.local.ts'", "'./replicas.ts'"));
    const r = strata(ws.root, ['pipeline'], undefined, { CI: '' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

/**
 * Every app that reads what a render may not is said in one run, one line each in the order of the
 * apps' names, whether it fails as its module loads or as it renders, as tsc reports every error:
 * a user fixes them all from one run, not one app a run. Nothing is written.
 */
describe('several apps that read besides the repository', () => {
  const APPS = ['rtmlib-ml-backend', 'tensafe', APP] as const;
  const ws = suiteWorkspace(APPS, { generate: true, timeout: 180_000 });

  it('each is one line, in the order of the apps, exit 1, nothing written, whatever the command', () => {
    const render = (app: string) => join(ws.root, `apps/${app}/src/render.ts`);
    const saved = APPS.map((app) => [app, readFileSync(render(app), 'utf8')] as const);
    try {
      editFile(render('rtmlib-ml-backend'), (t) =>
        t.replace('export function render(c: MlBackendConfig): KubeObject[] {\n', '$&  if (Math.random() < 0) c = { ...c };\n'),
      );
      editFile(render('tensafe'), (t) => `${t}\nexport const loadedAt = Date.now();\n`);
      editFile(render(APP), (t) => t.replace(START, `${START}  if (process.env.TR) c = { ...c, replicas: 7 };\n`));
      const tree = treeOf(ws.root);
      for (const args of [['pipeline'], ['check'], ['generate']]) {
        const r = strata(ws.root, args);
        expect(r.stderr.trimEnd().split('\n'), `strata ${args.join(' ')}`).toStrictEqual([
          expect.stringMatching(
            /^strata: apps\/rtmlib-ml-backend\/src\/render\.ts:\d+:\d+: app rtmlib-ml-backend defaults: render called Math\.random\(\); /,
          ),
          expect.stringMatching(/^strata: apps\/tensafe\/src\/render\.ts:\d+:\d+: cannot load: the module called Date\.now\(\); /),
          expect.stringMatching(new RegExp(`^strata: ${RENDER}:\\d+:\\d+: app ${APP} defaults: render read the environment variable TR; `)),
        ]);
        expect(r.status, `strata ${args.join(' ')}`).toBe(1);
        expect(treeOf(ws.root)).toStrictEqual(tree);
      }
    } finally {
      for (const [app, text] of saved) writeFileSync(render(app), text);
    }
  });
});
