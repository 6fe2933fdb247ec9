import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import timers from 'node:timers';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AppExitError, judgeReads, runAppCode } from '../src/app-code.ts';
import { errorLocation } from '../src/sources.ts';

// The functions that app code is watched through (the timers, node:fs) stand in for the
// originals in the whole process: outside app code, and in it where nothing is refused or routed,
// they must do exactly what the originals do, down to what util.promisify reads from them.
describe('the functions app code is watched through', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-app-code-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const originals = [setTimeout, timers.setTimeout, setImmediate, fs.write];
  // The first run of app code puts them in place.
  runAppCode({ app: 'web', doing: 'render' }, () => undefined);

  it('promisify as the originals do: the timers to their promise forms, fs.write to both of its results', async () => {
    expect([setTimeout, timers.setTimeout, setImmediate, fs.write].filter((f, i) => f === originals[i])).toStrictEqual([]);
    expect(await promisify(setTimeout)(1, 'later')).toBe('later');
    expect(await promisify(timers.setTimeout)(1, 'later')).toBe('later');
    expect(await promisify(setImmediate)('soon')).toBe('soon');
    const fd = fs.openSync(join(dir, 'written'), 'w');
    try {
      const buffer = Buffer.from('text');
      expect(await promisify(fs.write)(fd, buffer)).toStrictEqual({ bytesWritten: 4, buffer });
    } finally {
      fs.closeSync(fd);
    }
  });
});

/**
 * What a render would depend on besides the repository, each asked for from a module in an app's
 * folder (so, app code) inside one run: every one fails the run at the module's own line, with
 * one message that says what to do instead, and nothing is written or sent. Asked for by the
 * program's own code in the same run, each answers as ever.
 */
describe('what app code may not ask the machine, the network or the clock for, nor write', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'strata-probe-')));
  const dir = 'apps/probe';
  const outside = join(root, 'written');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const REPOSITORY_ALONE = 'a render depends on the repository alone, so that the cache, a clone and every other machine render the same tree';
  const NETWORK = `${REPOSITORY_ALONE}, and what a server answers changes without a commit: commit what it serves into the app (a JSON file it imports), or put the value in the app's config`;
  const MACHINE = `${REPOSITORY_ALONE}: put the value in the app's config (src/env/<env>.ts for one env)`;
  const ENVIRONMENT = `${REPOSITORY_ALONE}: put the value in the app's config (src/config.ts, or src/env/<env>.ts for one env)`;
  const TIME = `${REPOSITORY_ALONE}: pass a fixed time in the app's config, or use a committed constant (new Date('2026-01-01'))`;
  const CHANCE = `${REPOSITORY_ALONE}: put the value in the app's config, or derive it from the config (a hash of the app's name, say)`;
  const WRITE =
    'a render writes nothing, its objects are what generate writes, atomically, into the tree: return them from render, or make the file once and commit it';
  const OUTSIDE = 'which lies outside the repository';
  const w = JSON.stringify(outside);
  // Each: what the app's code does (one line of the probe module each), and what the run fails with.
  const inputs: [string, string][] = [
    ["fetch('http://127.0.0.1:9/')", `called fetch("http://127.0.0.1:9/"); ${NETWORK}`],
    ["http.get('http://127.0.0.1:9/')", `called http.get("http://127.0.0.1:9/"); ${NETWORK}`],
    ["https.request('https://127.0.0.1:9/')", `called https.request("https://127.0.0.1:9/"); ${NETWORK}`],
    ["http2.connect('http://127.0.0.1:9')", `called http2.connect("http://127.0.0.1:9"); ${NETWORK}`],
    ["net.connect(9, '127.0.0.1')", `called net.connect(); ${NETWORK}`],
    ["net.createConnection(9, '127.0.0.1')", `called net.createConnection(); ${NETWORK}`],
    ["new net.Socket().connect(9, '127.0.0.1')", `called net.Socket.connect(); ${NETWORK}`],
    ["tls.connect(9, '127.0.0.1')", `called tls.connect(); ${NETWORK}`],
    ["dgram.createSocket('udp4')", `called dgram.createSocket(); ${NETWORK}`],
    ["dns.lookup('example.com', () => {})", `called dns.lookup("example.com"); ${NETWORK}`],
    ["dns.promises.resolve4('example.com')", `called dns.promises.resolve4("example.com"); ${NETWORK}`],
    ["new dns.Resolver().resolveTxt('example.com', () => {})", `called dns.Resolver.resolveTxt("example.com"); ${NETWORK}`],
    ['process.report.getReport()', `called process.report.getReport(); ${ENVIRONMENT}`],
    ['process.cwd()', `called process.cwd(); ${MACHINE}`],
    ['process.argv', `read process.argv; ${MACHINE}`],
    ['process.execPath', `read process.execPath; ${MACHINE}`],
    ['process.getuid()', `called process.getuid(); ${MACHINE}`],
    ['process.getgid()', `called process.getgid(); ${MACHINE}`],
    ['process.memoryUsage()', `called process.memoryUsage(); ${MACHINE}`],
    ['os.cpus()', `called os.cpus(); ${MACHINE}`],
    ['os.totalmem()', `called os.totalmem(); ${MACHINE}`],
    ['os.freemem()', `called os.freemem(); ${MACHINE}`],
    ['os.networkInterfaces()', `called os.networkInterfaces(); ${MACHINE}`],
    ['os.release()', `called os.release(); ${MACHINE}`],
    ['os.uptime()', `called os.uptime(); ${MACHINE}`],
    ['os.loadavg()', `called os.loadavg(); ${MACHINE}`],
    ['os.homedir()', `called os.homedir(); ${MACHINE}`],
    ['os.tmpdir()', `called os.tmpdir(); ${MACHINE}`],
    ['os.hostname()', `called os.hostname(); ${MACHINE}`],
    ['os.userInfo()', `called os.userInfo(); ${MACHINE}`],
    ["fs.realpathSync('/proc/self/cwd')", `read /proc/self/cwd, ${OUTSIDE}`],
    ["fs.realpathSync.native('/proc/self/cwd')", `read /proc/self/cwd, ${OUTSIDE}`],
    ["fs.readlinkSync('/proc/self/exe')", `read /proc/self/exe, ${OUTSIDE}`],
    ['crypto.randomUUID()', `called crypto.randomUUID(); ${CHANCE}`],
    ['globalThis.crypto.randomUUID()', `called crypto.randomUUID(); ${CHANCE}`],
    ['crypto.getRandomValues(new Uint8Array(4))', `called crypto.getRandomValues(); ${CHANCE}`],
    ['globalThis.crypto.getRandomValues(new Uint8Array(4))', `called crypto.getRandomValues(); ${CHANCE}`],
    ['crypto.randomBytes(4)', `called crypto.randomBytes(); ${CHANCE}`],
    ['crypto.randomInt(10)', `called crypto.randomInt(); ${CHANCE}`],
    ['crypto.randomFillSync(new Uint8Array(4))', `called crypto.randomFillSync(); ${CHANCE}`],
    ['Math.random()', `called Math.random(); ${CHANCE}`],
    ['process.pid', `read process.pid; ${CHANCE}`],
    ['process.ppid', `read process.ppid; ${CHANCE}`],
    ['performance.now()', `called performance.now(); ${TIME}`],
    ['process.hrtime()', `called process.hrtime(); ${TIME}`],
    ['process.hrtime.bigint()', `called process.hrtime.bigint(); ${TIME}`],
    ['process.uptime()', `called process.uptime(); ${TIME}`],
    ['Date.now()', `called Date.now(); ${TIME}`],
    [
      "childProcess.spawnSync('true')",
      `called child_process.spawnSync("true"); ${REPOSITORY_ALONE}, and what a program prints depends on the machine it runs on: commit what it makes, or compute the value in the app's code`,
    ],
    [`fs.writeFileSync(${w}, 'x')`, `called fs.writeFileSync(${w}); ${WRITE}`],
    [`fs.appendFileSync(${w}, 'x')`, `called fs.appendFileSync(${w}); ${WRITE}`],
    [`fs.writeFile(${w}, 'x', () => {})`, `called fs.writeFile(${w}); ${WRITE}`],
    [`fs.promises.writeFile(${w}, 'x')`, `called fs.promises.writeFile(${w}); ${WRITE}`],
    [
      `fs.copyFileSync(${JSON.stringify(join(root, dir, 'probe.mjs'))}, ${w})`,
      `called fs.copyFileSync(${JSON.stringify(join(root, dir, 'probe.mjs'))}); ${WRITE}`,
    ],
    [`fs.cpSync(${JSON.stringify(join(root, dir))}, ${w}, { recursive: true })`, `called fs.cpSync(${JSON.stringify(join(root, dir))}); ${WRITE}`],
    [
      `fs.linkSync(${JSON.stringify(join(root, dir, 'probe.mjs'))}, ${w})`,
      `called fs.linkSync(${JSON.stringify(join(root, dir, 'probe.mjs'))}); ${WRITE}`,
    ],
    [`fs.symlinkSync('/etc/hostname', ${w})`, `called fs.symlinkSync("/etc/hostname"); ${WRITE}`],
    [`fs.mkdirSync(${w})`, `called fs.mkdirSync(${w}); ${WRITE}`],
    [`fs.mkdtempSync(${w})`, `called fs.mkdtempSync(${w}); ${WRITE}`],
    [`fs.rmSync(${JSON.stringify(join(root, 'kept'))})`, `called fs.rmSync(${JSON.stringify(join(root, 'kept'))}); ${WRITE}`],
    [`fs.unlinkSync(${JSON.stringify(join(root, 'kept'))})`, `called fs.unlinkSync(${JSON.stringify(join(root, 'kept'))}); ${WRITE}`],
    [`fs.renameSync(${JSON.stringify(join(root, 'kept'))}, ${w})`, `called fs.renameSync(${JSON.stringify(join(root, 'kept'))}); ${WRITE}`],
    [`fs.openSync(${w}, 'w')`, `opened ${outside} to write it; ${WRITE}`],
    [`fs.createWriteStream(${w})`, `called fs.createWriteStream(${w}); ${WRITE}`],
  ];
  const HEADER = [
    "import childProcess from 'node:child_process';",
    "import crypto from 'node:crypto';",
    "import dgram from 'node:dgram';",
    "import dns from 'node:dns';",
    "import fs from 'node:fs';",
    "import http from 'node:http';",
    "import http2 from 'node:http2';",
    "import https from 'node:https';",
    "import net from 'node:net';",
    "import os from 'node:os';",
    "import { resolve } from 'node:path';",
    "import tls from 'node:tls';",
    'export const asks = [',
  ];
  const probe = join(root, dir, 'probe.mjs');
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'kept'), 'kept');
  writeFileSync(
    probe,
    [
      ...HEADER,
      ...inputs.map(([code]) => `  () => ${code},`),
      '];',
      // What stays allowed: the same on every machine of an OS, or a path the program resolves.
      "export const allowed = () => [process.platform, os.platform(), os.EOL, os.arch(), resolve('a'), new Date('2026-01-01').getTime(), Intl.DateTimeFormat().resolvedOptions().timeZone];",
      '',
    ].join('\n'),
  );
  const scope = { app: 'probe', doing: 'render', root, dir };
  judgeReads((path) => (path.startsWith(`${root}/`) ? undefined : OUTSIDE));
  afterAll(() => judgeReads(undefined));

  it.each(
    inputs.map(([code, message], i) => [code, message, HEADER.length + 1 + i] as const),
  )('app code that runs %s fails at its line: render %s', async (_, message, line) => {
    const { asks } = (await import(pathToFileURL(probe).href)) as { asks: (() => unknown)[] };
    const ask = asks[line - HEADER.length - 1]!;
    let thrown: unknown;
    try {
      const result = runAppCode(scope, ask);
      // A promise form fails at the call as well; what it would resolve to is never waited for.
      if (result instanceof Promise) result.catch(() => undefined);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppExitError);
    expect((thrown as Error).message).toBe(`render ${message}`);
    expect(errorLocation(thrown, join(root, dir))).toMatchObject({ file: probe, line });
    expect(existsSync(outside)).toBe(false);
    expect(readFileSync(join(root, 'kept'), 'utf8')).toBe('kept');
  });

  it('the same run may ask for what is the same on every machine of an OS, and the time zone is UTC; the program asks for all of it as ever', async () => {
    const { allowed } = (await import(pathToFileURL(probe).href)) as { allowed: () => unknown[] };
    expect(runAppCode(scope, allowed)).toStrictEqual([process.platform, os.platform(), os.EOL, os.arch(), resolve('a'), Date.UTC(2026, 0, 1), 'UTC']);
    // Not app code (this file lies outside the app's folder), in the app's run.
    const own = runAppCode(scope, () => [
      typeof os.cpus().length,
      typeof process.pid,
      typeof process.ppid,
      typeof process.cwd(),
      typeof crypto.randomUUID(),
      typeof performance.now(),
      typeof process.report.getReport(),
      fs.writeFileSync(outside, 'x'),
      fs.rmSync(outside),
    ]);
    expect(own).toStrictEqual(['number', 'number', 'number', 'string', 'string', 'number', 'object', undefined, undefined]);
  });
});

/**
 * A file under node_modules is no read of the app's only when it is a file of a package the
 * workspace installed (which the lockfile says, and the cache keys on): in a node_modules of the
 * workspace's own, or where one of its links leads (pnpm's store). Any other node_modules, and a
 * tool's cache in the workspace's own, is the machine's, and judged as any other read.
 */
describe('what app code reads under node_modules', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'strata-modules-')));
  const store = realpathSync(mkdtempSync(join(tmpdir(), 'strata-store-')));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(store, { recursive: true, force: true });
  });
  const dir = 'apps/probe';
  const files = {
    own: join(root, 'node_modules/pkg/index.js'),
    linked: join(root, 'node_modules/linked/index.js'),
    cache: join(root, 'node_modules/.cache/secret'),
    elsewhere: join(store, 'node_modules/secret'),
  };
  for (const file of [files.own, files.cache, files.elsewhere, join(store, 'linked/index.js')]) {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'x');
  }
  symlinkSync(join(store, 'linked'), join(root, 'node_modules/linked'));
  mkdirSync(join(root, dir), { recursive: true });
  const probe = join(root, dir, 'probe.mjs');
  writeFileSync(probe, "import { readFileSync } from 'node:fs';\nexport const read = (file) => readFileSync(file, 'utf8');\n");
  // As the repository's judge: node_modules is git-ignored, and anything outside the root is not the repository's.
  const judge = (path: string) =>
    !path.startsWith(`${root}/`) ? 'which lies outside the repository' : path.startsWith(`${root}/node_modules/`) ? 'which git ignores' : undefined;

  it.each([
    ['a file of an installed package', files.own, undefined],
    ['a file of an installed package in the store its link leads to', realpathSync(files.linked), undefined],
    ["a file of a tool's cache in the workspace's node_modules", files.cache, `render read node_modules/.cache/secret, which git ignores`],
    ['a file of a node_modules outside the workspace', files.elsewhere, `render read ${files.elsewhere}, which lies outside the repository`],
  ])('%s: %s', async (_, file, refused) => {
    judgeReads(judge);
    const { read } = (await import(pathToFileURL(probe).href)) as { read: (file: string) => string };
    const reads = new Map<string, string>();
    const run = () => runAppCode({ app: 'probe', doing: 'render', root, dir, reads }, () => read(file));
    try {
      if (refused) expect(run).toThrow(new AppExitError(refused));
      else expect(run()).toBe('x');
      // A package's file comes with the lockfile: not recorded as the app's.
      expect([...reads.keys()]).toStrictEqual([]);
    } finally {
      judgeReads(undefined);
    }
  });

  // The record of a read hashes the file with node:fs's own functions, whose readFileSync opens it
  // through fs.openSync, which is watched too: that open was judged and recorded in turn, and so on
  // until the stack overflowed (seconds, a minute with source maps, of stack traces taken).
  it('records a file of the repository the app reads with the hash of what it holds', async () => {
    const file = join(root, dir, 'settings.json');
    writeFileSync(file, '{"replicas": 3}\n');
    const { read } = (await import(pathToFileURL(probe).href)) as { read: (file: string) => string };
    const reads = new Map<string, string>();
    judgeReads(judge);
    // Each watched call that may be the app's takes a stack trace to tell whose it is: counted.
    const traces = vi.spyOn(Error, 'captureStackTrace');
    let taken: number;
    try {
      expect(runAppCode({ app: 'probe', doing: 'render', root, dir, reads }, () => read(file))).toBe('{"replicas": 3}\n');
    } finally {
      taken = traces.mock.calls.length;
      traces.mockRestore();
      judgeReads(undefined);
    }
    expect([...reads]).toStrictEqual([[file, crypto.createHash('sha1').update('{"replicas": 3}\n').digest('hex')]]);
    // The app's read, and the record's own open of the file once: not once per level of a recursion.
    expect(taken).toBeLessThan(5);
  });

  // The code itself, as the app runs it: a library of an installed package reads the clock as ever,
  // code from any other node_modules is the app's own.
  const clock = 'export const now = () => Date.now();\n';
  const clocks = {
    installed: join(root, 'node_modules/pkg/clock.mjs'),
    linked: join(realpathSync(files.linked), '../clock.mjs'),
    cache: join(root, 'node_modules/.cache/clock.mjs'),
    elsewhere: join(store, 'node_modules/clock.mjs'),
  };
  for (const file of Object.values(clocks)) writeFileSync(file, clock);
  it.each([
    ['an installed package', 'a library', clocks.installed],
    ['an installed package in the store its link leads to', 'a library', clocks.linked],
    ["a tool's cache in the workspace's node_modules", "the app's own", clocks.cache],
    ['a node_modules outside the workspace', "the app's own", clocks.elsewhere],
  ])('code from %s that app code runs is %s', async (_, whose, file) => {
    const refused = whose !== 'a library';
    const { now } = (await import(pathToFileURL(file).href)) as { now: () => number };
    const run = () => runAppCode({ app: 'probe', doing: 'render', root, dir }, now);
    if (refused) expect(run).toThrow(AppExitError);
    else expect(typeof run()).toBe('number');
  });
});

/**
 * The machine's locale (LANG, LC_ALL), which Node takes as it starts, is no input of a render: once
 * app code has run, every way to ask for the default locale gets en-US, as on a machine that sets
 * none, and a locale a call names is kept. Proven in a process of its own, started with another.
 */
describe('the locale app code runs in', () => {
  const script = [
    `const { runAppCode } = await import(${JSON.stringify(pathToFileURL(resolve(import.meta.dirname, '../src/app-code.ts')).href)});`,
    "runAppCode({ app: 'probe', doing: 'render' }, () => undefined);",
    'class Sub extends Intl.NumberFormat {}',
    'console.log(JSON.stringify([',
    '  new Intl.DateTimeFormat().resolvedOptions().locale,',
    '  Intl.NumberFormat().resolvedOptions().locale,',
    '  new Intl.Collator([]).resolvedOptions().locale,',
    '  (1234.5).toLocaleString(),',
    "  (1234.5).toLocaleString('zz'),",
    '  new Date(0).toLocaleString(),',
    '  12345n.toLocaleString(),',
    '  [1234.5, 6789].toLocaleString(),',
    "  ['b', 'ä', 'a', 'z'].sort((x, y) => x.localeCompare(y)).join(''),",
    '  new Sub().format(1e6),',
    "  (1234.5).toLocaleString('de'),",
    "  Intl.NumberFormat.supportedLocalesOf(['de', 'zz']),",
    ']));',
  ].join('\n');
  it.each([
    ['de_DE.UTF-8', 'de_DE.UTF-8'],
    ['sv_SE.UTF-8', ''],
    ['C', 'tr_TR.UTF-8'],
  ])('LANG=%s LC_ALL=%s: the default locale is en-US, a named one kept', (LANG, LC_ALL) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, LANG, LC_ALL },
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toStrictEqual([
      'en-US',
      'en-US',
      'en-US',
      '1,234.5',
      '1,234.5',
      '1/1/1970, 12:00:00 AM',
      '12,345',
      '1,234.5,6,789',
      'aäbz',
      '1,000,000',
      '1.234,5',
      ['de'],
    ]);
  });
});
