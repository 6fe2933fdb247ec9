import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editFile, repo, strata, suiteWorkspace, treeOf } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';
const RENDER = `apps/${APP}/src/render.ts`;
const START = 'export function render(c: RelayConfig): KubeObject[] {\n';

/**
 * What app code does while it loads or renders is its own business only as far as its result: it
 * cannot end the run, write into the command's output, or change what the next render sees.
 */
describe('app code run by strata', () => {
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });
  /** Puts `code` at the start of the app's render function, until the test ends. */
  const inRender = (code: string) => {
    const file = join(ws.root, RENDER);
    const before = editFile(file, (t) => t.replace(START, `${START}  ${code}\n`));
    restore = () => writeFileSync(file, before);
  };

  /**
   * Runs `strata <args>` and expects it to fail for the app's code: exit 1, stdout whole JSON when
   * JSON was asked for, and of the lines of stderr that name `about`, exactly one, matching `line`.
   */
  const expectAppFailure = (args: readonly string[], about: string | RegExp, line: RegExp, context = '') => {
    const r = strata(ws.root, args);
    const what = `${context}strata ${args.join(' ')}`;
    expect(r.status, `${what}: ${r.stderr}`).toBe(1);
    if (args.includes('json')) expect(() => JSON.parse(r.stdout), `${what}: ${r.stdout.slice(0, 200)}`).not.toThrow();
    const names = (l: string) => (typeof about === 'string' ? l.includes(about) : about.test(l));
    expect(r.stderr.split('\n').filter(names), `${what}: ${r.stderr}`).toStrictEqual([expect.stringMatching(line)]);
    return r;
  };

  it('a render that changes its config in place changes only its own render: no env sees what another added', () => {
    inRender(`(c.networkPolicy.extraEgress as unknown as { cidr: string; port: number }[]).push({ cidr: '10.9.9.9/32', port: 443 });`);
    const r = strata(ws.root, ['generate', '--app', APP]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const tree = treeOf(ws.root);
    const counts = Object.entries(tree).flatMap(([path, text]) => (text.includes('10.9.9.9') ? [[path, text.split('10.9.9.9').length - 1]] : []));
    // Every render added the rule once to its own config: base holds it once, and an overlay that
    // lists the env's own egress (dev's and prod's do) once too, never what the renders before it added.
    expect(Object.fromEntries(counts)).toStrictEqual({
      [`base/${APP}/networkpolicy.${APP}.yaml`]: 1,
      [`overlays/dev/${APP}/networkpolicy.${APP}.patch.yaml`]: 1,
      [`overlays/prod/${APP}/networkpolicy.${APP}.patch.yaml`]: 1,
    });
  });
  it('Maps, Sets and Dates in the config are copied for each render: what one render changes in them no other render sees', () => {
    const config = join(ws.root, `apps/${APP}/src/config.ts`);
    const saved = editFile(config, (t) =>
      t.replace(
        '  serviceMonitor: { enabled: false },',
        "  serviceMonitor: { enabled: false, seen: new Set<string>(), byName: new Map([['a', { n: 0 }]]), at: new Date(0) } as never,",
      ),
    );
    inRender(
      "const own = c.serviceMonitor as unknown as { seen: Set<string>; byName: Map<string, { n: number }>; at: Date }; if (own.seen.size !== 0 || own.byName.get('a')!.n !== 0 || own.at.getTime() !== 0) throw new Error('a render saw what another changed'); own.seen.add('x'); own.byName.get('a')!.n++; own.at.setTime(1);",
    );
    const r = strata(ws.root, ['generate', '--dry-run']);
    writeFileSync(config, saved);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('a function or a class instance in the config is one line at its key in the defaults or env file, exit 1, as no render could get a copy of its own', () => {
    const tree = treeOf(ws.root);
    const config = join(ws.root, `apps/${APP}/src/config.ts`);
    const advice =
      'is no config value: each render gets a copy of the config of its own, and this value would be shared by every render instead; give plain data (objects, arrays, strings, numbers, booleans, or a Map, Set or Date), and keep code in render';
    const saved = editFile(config, (t) =>
      t.replace('  serviceMonitor: { enabled: false },', '  serviceMonitor: { enabled: false, client: new (class Client {})() } as never,'),
    );
    const inDefaults = strata(ws.root, ['generate']);
    writeFileSync(config, saved);
    expect(inDefaults.status).toBe(1);
    expect(inDefaults.stderr.trimEnd().split('\n')).toStrictEqual([
      expect.stringMatching(
        new RegExp(
          `^strata: apps/${APP}/src/config\\.ts:\\d+:\\d+: serviceMonitor\\.client: an instance of Client ${advice.replace(/[()]/g, '\\$&')}$`,
        ),
      ),
    ]);
    const env = join(ws.root, `apps/${APP}/src/env/prod.ts`);
    for (const [value, what] of [
      ['new Number(2) as unknown as number', 'an instance of Number'],
      ['(() => 2) as unknown as number', 'a function'],
    ]) {
      const before = editFile(env, (t) => t.replace('replicas: 2,', `replicas: ${value},`));
      const r = strata(ws.root, ['check']);
      writeFileSync(env, before);
      expect(r.status, value).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), value).toStrictEqual([`strata: apps/${APP}/src/env/prod.ts:7:5: replicas: ${what} ${advice}`]);
    }
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it('app code that ends the process fails the command in one line naming the render file, exit 1, whatever the command', () => {
    inRender('if (c.namespace) process.exit(0);');
    const tree = treeOf(ws.root);
    for (const args of [['check'], ['pipeline'], ['ci'], ['ci', '-o', 'json'], ['diff', '--from', 'dev', '--to', 'prod'], ['generate']])
      expectAppFailure(args, 'process.exit(0)', new RegExp(`${RENDER}:\\d+:\\d+: app ${APP} .*render called process\\.exit\\(0\\)`));
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });

  it('app code that aborts, signals its own process or calls reallyExit fails the command in one line at its own line, exit 1, nothing written', () => {
    const tree = treeOf(ws.root);
    for (const [code, called] of [
      ["if (c.namespace) process.kill(0, 'SIGTERM');", 'process\\.kill\\(0, "SIGTERM"\\)'],
      ['if (c.namespace) process.abort();', 'process\\.abort\\(\\)'],
      ['if (c.namespace) (process as unknown as { reallyExit(code: number): never }).reallyExit(0);', 'process\\.reallyExit\\(0\\)'],
    ] as const) {
      inRender(code);
      for (const args of [['generate'], ['ci', '-o', 'json']])
        expectAppFailure(
          args,
          new RegExp(called),
          new RegExp(
            `^strata: ${RENDER}:32:\\d+: app ${APP} .*render called ${called}; an app returns its objects or throws an Error, and never ends the process$`,
          ),
          `${code}: `,
        );
      restore?.();
      restore = undefined;
      expect(treeOf(ws.root), code).toStrictEqual(tree);
    }
  });
  it("a render that sets process.exitCode fails the command in one line naming the render file, exit 1 and not the app's status", () => {
    inRender('if (c.namespace) process.exitCode = 7;');
    const tree = treeOf(ws.root);
    for (const args of [['generate'], ['check']]) {
      const r = strata(ws.root, args);
      expect(r.status, `strata ${args.join(' ')}`).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), `strata ${args.join(' ')}`).toStrictEqual([
        `strata: ${RENDER}: app ${APP} defaults: render set process.exitCode to 7; an app returns its objects or throws an Error, and never sets how the process ends`,
      ]);
    }
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it('a render may still ask with signal 0 whether a process runs: that ends nothing', () => {
    inRender('if (c.namespace) process.kill(0, 0);');
    const r = strata(ws.root, ['generate']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('set image with a render that ends the process changes nothing, pins included, and leaves no half-done change', () => {
    inRender('if (c.namespace) process.exit(0);');
    const pins = join(ws.root, `apps/${APP}/images.json`);
    const before = readFileSync(pins, 'utf8');
    const tree = treeOf(ws.root);
    const r = strata(ws.root, ['set', 'image', '--app', APP, '--env', 'staging', ':1.6.0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/render called process\.exit\(0\)/);
    expect(readFileSync(pins, 'utf8')).toBe(before);
    expect(treeOf(ws.root)).toStrictEqual(tree);
    const journal = join(ws.root, '.strata', 'write');
    expect(existsSync(journal) ? readdirSync(journal).filter((f) => f.startsWith('txn-')) : []).toStrictEqual([]);
  });
  it('a module that ends the process as it loads fails the command in one line naming its file, exit 1', () => {
    const file = join(ws.root, RENDER);
    const before = editFile(file, (t) => `${t}\nif (process.platform) process.exit(3);\n`);
    restore = () => writeFileSync(file, before);
    const r = strata(ws.root, ['check']);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toStrictEqual([
      expect.stringMatching(new RegExp(`^strata: ${RENDER}:\\d+:\\d+: cannot load: the module called process\\.exit\\(3\\);`)),
    ]);
  });
  it("a module that throws from a timer or a promise it started as it loads fails the command in one line at the app's own file and line, exit 1", () => {
    const file = join(ws.root, RENDER);
    for (const [code, where, message] of [
      ["setTimeout(() => { throw new Error('warm-up failed'); }, 0);", RENDER, 'warm-up failed'],
      ["Promise.reject(new Error('warm-up failed'));", RENDER, 'warm-up failed'],
      // Nothing to place it by but the app whose module it is.
      ["Promise.reject('warm-up failed');", `apps/${APP}/src/app.ts`, 'a non-Error value: "warm-up failed"'],
    ] as const) {
      const before = editFile(file, (t) => `${t}\n${code}\n`);
      restore = () => writeFileSync(file, before);
      const line = where === RENDER ? `:${before.split('\n').length + 1}:\\d+` : '';
      const r = strata(ws.root, ['check']);
      expect(r.status, code).toBe(1);
      expect(
        r.stderr.split('\n').filter((l) => l.includes('warm-up')),
        code,
      ).toStrictEqual([expect.stringMatching(new RegExp(`^strata: ${where}${line}: app ${APP}: the module threw asynchronously: ${message}$`))]);
      restore();
      restore = undefined;
    }
  });
  it("what app code prints goes to stderr after the app's name, so JSON, SARIF and patches on stdout stay whole", () => {
    inRender("console.log('debug: rendering', c.namespace);");
    // The first ci renders the app (the second may find its renders cached); diff renders it again.
    const printed = [
      ['ci', '-o', 'json'],
      ['ci', '-o', 'sarif'],
      ['diff', '--from', 'dev', '--to', 'prod', '-o', 'json'],
    ].map((args) => {
      const r = strata(ws.root, args);
      expect(() => JSON.parse(r.stdout), `strata ${args.join(' ')}: ${r.stdout.slice(0, 200)}`).not.toThrow();
      return r.stderr.includes(`${APP}: debug: rendering tokenplace\n`);
    });
    expect([printed[0], printed[2]]).toStrictEqual([true, true]);
    const r = strata(ws.root, ['generate', '--dry-run']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('debug: rendering');
    expect(r.stderr).toContain(`${APP}: debug: rendering tokenplace\n`);
  });
  it("what app code writes to file descriptor 1 goes to stderr after the app's name, so JSON and SARIF on stdout stay whole; fd 2 is its own", () => {
    const file = join(ws.root, RENDER);
    const before = editFile(
      file,
      (t) =>
        `import { appendFileSync, write, writeFileSync, writeSync } from 'node:fs';\n${t.replace(
          START,
          `${START}  if (c.namespace) { writeSync(1, 'fd: one\\n'); writeSync(process.stdout.fd, Buffer.from('fd: two\\n')); writeFileSync(1, 'fd: three\\n'); appendFileSync(1, 'fd: four\\n'); write(1, 'fd: five\\n', () => {}); writeSync(2, 'fd: own stderr\\n'); }\n`,
        )}`,
    );
    restore = () => writeFileSync(file, before);
    for (const args of [
      ['generate', '--dry-run'],
      ['ci', '-o', 'json'],
      ['ci', '-o', 'sarif'],
    ]) {
      const r = strata(ws.root, args);
      expect(r.stdout, `strata ${args.join(' ')}`).not.toContain('fd: ');
      if (args.includes('ci')) expect(() => JSON.parse(r.stdout), `strata ${args.join(' ')}: ${r.stdout.slice(0, 200)}`).not.toThrow();
      else expect(r.status).toBe(0);
      // ci may find its renders cached, and then nothing is written at all.
      if (args[0] === 'generate')
        expect(
          r.stderr
            .split('\n')
            .filter((l) => l.includes('fd: '))
            .slice(0, 6),
        ).toStrictEqual([`${APP}: fd: one`, `${APP}: fd: two`, `${APP}: fd: three`, `${APP}: fd: four`, `${APP}: fd: five`, 'fd: own stderr']);
    }
  });
  it("what app code writes to /dev/stdout by its path goes to stderr after the app's name; opening it is one line at the app's own line, exit 1", () => {
    const file = join(ws.root, RENDER);
    const before = editFile(
      file,
      (t) =>
        `import { appendFile, writeFileSync } from 'node:fs';\nimport { writeFile } from 'node:fs/promises';\n${t.replace(
          START,
          `${START}  if (c.namespace) { writeFileSync('/dev/stdout', 'path: one\\n'); appendFile(new URL('file:///dev/stdout'), 'path: two\\n', () => {}); void writeFile('/proc/self/fd/1', 'path: three\\n'); }\n`,
        )}`,
    );
    restore = () => writeFileSync(file, before);
    const r = strata(ws.root, ['generate', '--dry-run']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('path: ');
    expect(
      r.stderr
        .split('\n')
        .filter((l) => l.includes('path: '))
        .slice(0, 3),
    ).toStrictEqual([`${APP}: path: one`, `${APP}: path: two`, `${APP}: path: three`]);
    restore();
    // Caught by the app, and still the command's failure.
    inRender("if (c.namespace) { try { fs.openSync('/dev/stdout', 'w'); } catch {} }");
    writeFileSync(file, `import * as fs from 'node:fs';\n${readFileSync(file, 'utf8')}`);
    const tree = treeOf(ws.root);
    const open = strata(ws.root, ['generate']);
    expect(open.status).toBe(1);
    expect(open.stderr.trimEnd().split('\n')).toStrictEqual([
      expect.stringMatching(
        new RegExp(
          `^strata: ${RENDER}:33:\\d+: app ${APP} defaults: render opened /dev/stdout, which is the command's own output \\(a report, a patch\\); print with console\\.log, which goes to stderr after the app's name$`,
        ),
      ),
    ]);
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it("a write stream app code opens on stdout (by /dev/stdout, or on descriptor 1) is one line at the app's own line, exit 1, stdout untouched", () => {
    const file = join(ws.root, RENDER);
    const tree = treeOf(ws.root);
    for (const [open, opened] of [
      ["createWriteStream('/dev/stdout')", 'a write stream on /dev/stdout'],
      ["createWriteStream('', { fd: 1 })", 'a write stream on file descriptor 1'],
      ["createWriteStream('/dev/null', { fd: process.stdout.fd })", 'a write stream on file descriptor 1'],
    ]) {
      const before = editFile(
        file,
        (t) =>
          `import { createWriteStream } from 'node:fs';\n${t.replace(START, `${START}  if (c.namespace) { const out = ${open}; out.write('stream: one\\n'); out.write('stream: two\\n'); out.end('stream: three\\n'); }\n`)}`,
      );
      restore = () => writeFileSync(file, before);
      for (const args of [['generate'], ['ci', '-o', 'json']]) {
        const r = expectAppFailure(
          args,
          'opened',
          new RegExp(
            `^strata: ${RENDER}:33:\\d+: app ${APP} .*render opened ${opened}, which is the command's own output \\(a report, a patch\\); print with console\\.log, which goes to stderr after the app's name$`,
          ),
          `${open}: `,
        );
        expect(r.stdout, open).not.toContain('stream: ');
      }
      restore();
      restore = undefined;
      expect(treeOf(ws.root), open).toStrictEqual(tree);
    }
  });
  it("a render that sets process.exitCode from a timer, a promise or an async function it started is one line at the app's own line, exit 1 and not the app's status, the JSON on stdout whole", () => {
    const tree = treeOf(ws.root);
    // Set at once (before the command writes), or 1.5 s later, after check has ended and as ci runs.
    for (const [code, later] of [
      ['setTimeout(() => { process.exitCode = 7; }, 0);', false],
      ['setTimeout(() => { process.exitCode = 7; }, 1500);', true],
      ['void Promise.resolve().then(() => { process.exitCode = 7; });', false],
      ['void (async () => { await null; process.exitCode = 7; })();', false],
      ['void (async () => { await new Promise((done) => setTimeout(done, 1500)); process.exitCode = 7; })();', true],
    ] as const) {
      inRender(`if (c.namespace) ${code}`);
      for (const args of [['check'], ['ci', '-o', 'json'], ...(later ? [] : [['generate']])])
        expectAppFailure(
          args,
          'exitCode',
          new RegExp(
            `^strata: ${RENDER}:32:\\d+: app ${APP}: render set process\\.exitCode to 7 in a callback it started; an app returns its objects or throws an Error, and never sets how the process ends$`,
          ),
          `${code}: `,
        );
      restore?.();
      restore = undefined;
    }
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it('a render that returns something else than an array of objects is one line naming the render file and what to return, exit 1', () => {
    const cases: [string, string][] = [
      ['if (c.namespace) return undefined as unknown as KubeObject[];', 'render returned undefined;'],
      ['if (c.namespace) return Promise.resolve([]) as unknown as KubeObject[];', 'render returned a Promise (an async render is not supported);'],
      ['if (c.namespace) return [null] as unknown as KubeObject[];', 'render returned null as item 0;'],
    ];
    const tree = treeOf(ws.root);
    for (const [code, says] of cases) {
      inRender(code);
      const r = strata(ws.root, ['generate']);
      restore?.();
      expect(r.status, code).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), code).toStrictEqual([
        `strata: ${RENDER}: app ${APP} defaults: ${says} render must be synchronous and return an array of Kubernetes objects`,
      ]);
    }
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });

  it('a NaN or Infinity in any rendered field is one line naming the object, the field and to quote it, exit 1, where JSON would write null', () => {
    const tree = treeOf(ws.root);
    const file = join(ws.root, RENDER);
    const before = editFile(file, (t) =>
      t.replace(
        '  return [deployment, service,',
        "  const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: m.of('settings'), data: { ratio: Number.POSITIVE_INFINITY } } as unknown as KubeObject;\n  return [settings, deployment, service,",
      ),
    );
    restore = () => writeFileSync(file, before);
    const r = strata(ws.root, ['generate']);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toStrictEqual([
      `strata: apps/${APP}/src/app.ts: v1/ConfigMap tokenplace/settings: data.ratio: Infinity is no number JSON or YAML can hold, and would be written as null; give a finite number, or quote it as a string ("Infinity") where the field takes text`,
    ]);
    restore();
    // From an env file: the line names the env file, as for any refused field.
    const env = join(ws.root, `apps/${APP}/src/env/prod.ts`);
    const saved = editFile(env, (t) => t.replace('replicas: 2,', 'replicas: Number.NaN,'));
    restore = () => writeFileSync(env, saved);
    const nan = strata(ws.root, ['check']);
    expect(nan.status).toBe(1);
    expect(nan.stderr.split('\n').filter((l) => l.includes('NaN'))).toStrictEqual([
      `strata: apps/${APP}/src/env/prod.ts: apps/v1/Deployment tokenplace/${APP}: spec.replicas: NaN is no number JSON or YAML can hold, and would be written as null; give a finite number, or quote it as a string ("NaN") where the field takes text`,
    ]);
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it("an object rendered as plain data is checked by its kind's model at generate, one line at the app, nothing written", () => {
    const tree = treeOf(ws.root);
    const file = join(ws.root, RENDER);
    const before = editFile(file, (t) =>
      t.replace(
        '  return [deployment, service,',
        "  const vendored = { apiVersion: 'v1', kind: 'ConfigMap', metadata: m.of('vendored'), data: { a: 7301, b: true } } as unknown as KubeObject;\n  return [vendored, deployment, service,",
      ),
    );
    restore = () => writeFileSync(file, before);
    const r = strata(ws.root, ['generate']);
    expect(r.stderr.trimEnd().split('\n')).toStrictEqual([
      `strata: apps/${APP}/src/app.ts: v1/ConfigMap tokenplace/vendored: data.a: must be string (and 1 more field)`,
    ]);
    expect(r.status).toBe(1);
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it('a refused value is placed at a config field only when it comes from there, not at one that merely holds the same value', () => {
    const tree = treeOf(ws.root);
    const file = join(ws.root, RENDER);
    const config = join(ws.root, `apps/${APP}/src/config.ts`);
    // The defaults hold 5015 once, at gpu.port: a render that writes 5015 itself is refused at the app, not there.
    expect(readFileSync(config, 'utf8').match(/5015/g)).toHaveLength(2); // the field and its doc comment
    const refuse = (value: string) => {
      const before = editFile(file, (t) =>
        t.replace(
          '  return [deployment, service,',
          `  const vendored = { apiVersion: 'v1', kind: 'ConfigMap', metadata: m.of('vendored'), data: { a: ${value} } } as unknown as KubeObject;\n  return [vendored, deployment, service,`,
        ),
      );
      const r = strata(ws.root, ['generate']);
      writeFileSync(file, before);
      expect(r.status, value).toBe(1);
      return r.stderr.trimEnd().split('\n');
    };
    expect(refuse('5015')).toStrictEqual([`strata: apps/${APP}/src/app.ts: v1/ConfigMap tokenplace/vendored: data.a: must be string`]);
    expect(refuse('c.gpu.port')).toStrictEqual([
      expect.stringMatching(
        new RegExp(`^strata: apps/${APP}/src/config\\.ts:\\d+:\\d+: gpu\\.port: v1/ConfigMap tokenplace/vendored: data\\.a: must be string$`),
      ),
    ]);
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it('a Map in a rendered field is one line naming the object, the field and Object.fromEntries, exit 1, where YAML would write {}', () => {
    const tree = treeOf(ws.root);
    const file = join(ws.root, RENDER);
    const before = editFile(file, (t) =>
      t.replace(
        '  return [deployment, service,',
        "  const mapped = { apiVersion: 'v1', kind: 'ConfigMap', metadata: m.of('mapped'), data: new Map([['LOG_LEVEL', 'debug']]) } as unknown as KubeObject;\n  return [mapped, deployment, service,",
      ),
    );
    restore = () => writeFileSync(file, before);
    const r = strata(ws.root, ['generate']);
    expect(r.stderr.trimEnd().split('\n')).toStrictEqual([
      `strata: apps/${APP}/src/app.ts: v1/ConfigMap tokenplace/mapped: data: a Map, which YAML would write as {} and lose its entries; give a plain object (Object.fromEntries(map))`,
    ]);
    expect(r.status).toBe(1);
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it('an override written with __proto__: {...} is one line at its place in the env file, as it sets a prototype and no key', () => {
    const file = join(ws.root, `apps/${APP}/src/env/prod.ts`);
    const before = editFile(file, (t) =>
      t.replace('serviceMonitor: { enabled: true },', 'serviceMonitor: { enabled: true, __proto__: { enabled: false } } as never,'),
    );
    restore = () => writeFileSync(file, before);
    const r = strata(ws.root, ['generate']);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toStrictEqual([
      expect.stringMatching(
        new RegExp(
          `^strata: apps/${APP}/src/env/prod\\.ts:\\d+:\\d+: serviceMonitor\\.__proto__: \`__proto__:\` in an object literal sets the object's prototype and is no key`,
        ),
      ),
    ]);
  });
  it('a key named __proto__, constructor or prototype below the top of an env override is one line at its own line and column, as at the top', () => {
    const file = join(ws.root, `apps/${APP}/src/env/prod.ts`);
    const cases: [string, string, string][] = [
      ["serviceMonitor: { enabled: true, ['__proto__']: { enabled: false } } as never,", 'serviceMonitor.__proto__', '38'],
      ['serviceMonitor: { enabled: true, ["__proto__"]: { enabled: false } } as never,', 'serviceMonitor.__proto__', '38'],
      ['serviceMonitor: { enabled: true, constructor: { prototype: { enabled: false } } } as never,', 'serviceMonitor.constructor', '38'],
      ['serviceMonitor: { enabled: true, prototype: { enabled: false } } as never,', 'serviceMonitor.prototype', '38'],
      ["serviceMonitor: { enabled: true }, ['__proto__']: { replicas: 9 } as never,", '__proto__', '40'],
    ];
    const tree = treeOf(ws.root);
    for (const [written, key, column] of cases) {
      const before = editFile(file, (t) => t.replace('serviceMonitor: { enabled: true },', written));
      const r = strata(ws.root, ['generate']);
      writeFileSync(file, before);
      expect(r.status, written).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), written).toStrictEqual([
        `strata: apps/${APP}/src/env/prod.ts:11:${column}: ${key}: not a key of app ${APP}'s config; an optional key that the defaults leave out is declared in defineApp({ optional })`,
      ]);
    }
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it('an app that renders nothing in any env gets a base that kustomize builds, and its overlays and env roots build to nothing of it', () => {
    const file = join(ws.root, RENDER);
    const before = editFile(file, (t) => t.replace(START, `${START}  return [];\n`));
    restore = () => {
      writeFileSync(file, before);
      expect(strata(ws.root, ['generate']).status).toBe(0);
    };
    const r = strata(ws.root, ['generate']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(ws.root, `base/${APP}/kustomization.yaml`), 'utf8')).toMatch(/\nkind: Kustomization\nresources: \[\]\n$/);
    for (const dir of [`base/${APP}`, `overlays/dev/${APP}`, 'overlays/prod']) {
      const built = spawnSync(join(repo, '.tools/bin/kustomize'), ['build', dir], { cwd: ws.root, encoding: 'utf8' });
      expect(built.stderr, dir).toBe('');
      expect(built.status, dir).toBe(0);
      expect(built.stdout, dir).toBe('');
    }
    const check = strata(ws.root, ['check']);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });
  it('an env left out of envs is one line at envs in app.ts from every command, diff included, and nothing is written', () => {
    const file = join(ws.root, `apps/${APP}/src/app.ts`);
    const before = editFile(file, (t) => t.replace('envs: { dev, staging, prod },', 'envs: { dev, staging },'));
    restore = () => writeFileSync(file, before);
    const tree = treeOf(ws.root);
    const line = `strata: apps/${APP}/src/app.ts:24:3: envs: prod is missing; every app defines dev, staging, prod: add prod, its definition ({ config, components }, {} for the defaults), as the others have`;
    for (const args of [['generate'], ['check'], ['diff', '--from', 'staging', '--to', 'prod', '-a', APP]]) {
      const r = strata(ws.root, args);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toStrictEqual([line]);
      expect(r.status, args.join(' ')).toBe(1);
    }
    expect(treeOf(ws.root)).toStrictEqual(tree);
  });
  it("a render that throws from a timer or a promise it started fails the command in one line at the app's own line, and set image then writes nothing", () => {
    for (const code of [
      "if (c.namespace) setTimeout(() => { throw new Error('late'); }, 0);",
      "if (c.namespace) Promise.reject(new Error('late'));",
    ]) {
      inRender(code);
      const line = new RegExp(`^strata: ${RENDER}:32:\\d+: app ${APP}: render threw asynchronously: late$`);
      const check = strata(ws.root, ['check']);
      expect(check.status, code).toBe(1);
      expect(
        check.stderr.split('\n').filter((l) => l.includes('late')),
        code,
      ).toStrictEqual([expect.stringMatching(line)]);
      expect(check.stderr, code).not.toContain('strata-apps-');

      const pins = join(ws.root, `apps/${APP}/images.json`);
      const before = readFileSync(pins, 'utf8');
      const tree = treeOf(ws.root);
      const set = strata(ws.root, ['set', 'image', '--app', APP, '--env', 'staging', ':1.6.0']);
      expect(set.status, code).toBe(1);
      expect(
        set.stderr.split('\n').filter((l) => l.includes('late')),
        code,
      ).toStrictEqual([expect.stringMatching(line)]);
      expect(readFileSync(pins, 'utf8')).toBe(before);
      expect(treeOf(ws.root)).toStrictEqual(tree);
      restore?.();
      restore = undefined;
    }
  });

  it('a render that throws from a timer after its change was written reports the error and says the change stands, exit 0', () => {
    inRender("if (c.namespace) setTimeout(() => { throw new Error('late'); }, 1500);");
    const r = strata(ws.root, ['set', 'image', '--app', APP, '--env', 'staging', ':1.6.0']);
    expect(r.stderr).toMatch(new RegExp(`^strata: ${RENDER}:32:\\d+: app ${APP}: render threw asynchronously: late$`, 'm'));
    expect(r.stderr).toMatch(/^strata: the change to the tree was written before the app failed, from what its render returned; it stands$/m);
    expect(r.status).toBe(0);
    expect(readFileSync(join(ws.root, `apps/${APP}/images.json`), 'utf8')).toContain('"1.6.0"');
  });
});
