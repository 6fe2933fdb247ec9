import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { findRoot, type Problem } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { NODE_PORT_CLASH, nodePortService, TAKEN, TAKEN_AFTER } from '../../verify/test/helpers.ts';
import { nodePortProblems, validate, type NodePortClaim } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-node-ports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The first test to ask on a fresh machine builds the helper (minutes, once per machine).
beforeAll(() => ensureHelper(), 20 * 60_000);

/** A workspace holding only built output, `dist/<env>/<app>.yaml` for each key `<env>/<app>`, and strata.config.json's `kubernetes`. */
function workspace(built: Record<string, readonly object[]>, kubernetes?: object): string {
  const root = mkdtempSync(join(dir, 'ws-'));
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  if (kubernetes) writeFileSync(join(root, 'strata.config.json'), JSON.stringify({ kubernetes }));
  for (const [where, objects] of Object.entries(built)) {
    const file = join(root, 'dist', `${where}.yaml`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  }
  return root;
}

/** The 1-based line of the first line of `file` under `root` after `after` that contains `text`. */
function lineOf(root: string, file: string, text: string, after = ''): number {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = after ? lines.findIndex((l) => l.includes(after)) : 0;
  return lines.findIndex((l, i) => i >= start && l.includes(text)) + 1;
}

/** A message without what it adds in parentheses. */
const words = (m: string) => (m.includes(' (') ? m.slice(0, m.indexOf(' (')) : m);
const taken = (r: { problems: readonly Problem[] }) => r.problems.filter((p) => p.message.includes(TAKEN));

describe('node ports two Services of one env ask for, offline', () => {
  it("refuses the later Service in apply order at its field's line, naming the first with its line, and lets another env have the same port", async () => {
    const root = workspace(NODE_PORT_CLASH);
    const r = await validate(root, ['dist'], { policy: false });
    expect(r.problems).toStrictEqual([
      {
        file: 'dist/dev/web.yaml',
        line: lineOf(root, 'dist/dev/web.yaml', 'nodePort: 30080'),
        apiVersion: 'v1',
        kind: 'Service',
        namespace: 'shop-dev',
        name: 'web',
        path: 'spec.ports[1].nodePort',
        message: `Invalid value: 30080: ${TAKEN} (to Service shop-dev/api, dist/dev/api.yaml:${lineOf(root, 'dist/dev/api.yaml', 'nodePort: 30080')}, ${TAKEN_AFTER}`,
        rule: 'server-validation',
        severity: 'error',
        resource: 'dist/dev/web.yaml#0',
      },
    ]);
    // Each env on its own, or one app alone, has nothing to clash with.
    expect((await validate(root, ['dist/staging'], { policy: false })).problems).toStrictEqual([]);
    expect((await validate(root, ['dist/dev/web.yaml', 'dist/staging'], { policy: false })).problems).toStrictEqual([]);
  });

  it('takes the apps by name, not by file name, and each file in the order of its objects', async () => {
    // "a-b.yaml" sorts before "a.yaml", but the app a comes before a-b; in one file the first object keeps the port.
    const root = workspace({
      'dev/a-b': [nodePortService('ab', 'ns', [{ port: 80, nodePort: 30100 }])],
      'dev/a': [
        nodePortService('first', 'ns', [{ port: 80, nodePort: 30101 }]),
        nodePortService('a', 'ns', [{ port: 80, nodePort: 30100 }]),
        nodePortService('second', 'ns', [{ port: 80, nodePort: 30101 }]),
      ],
    });
    const r = await validate(root, ['dist'], { policy: false });
    expect(taken(r).map((p) => [p.file, p.name, p.message.slice(p.message.indexOf('(to '), p.message.indexOf(', applied'))])).toStrictEqual([
      ['dist/dev/a-b.yaml', 'ab', `(to Service ns/a, dist/dev/a.yaml:${lineOf(root, 'dist/dev/a.yaml', 'nodePort: 30100')}`],
      // In the same file: by its line alone.
      ['dist/dev/a.yaml', 'second', `(to Service ns/first, line ${lineOf(root, 'dist/dev/a.yaml', 'nodePort: 30101')} of this file`],
    ]);
  });

  it('refuses a health check node port another Service holds, and a node port of UDP that another holds for TCP, but not TCP and UDP of one port', async () => {
    const root = workspace({
      'dev/dns': [
        nodePortService('dns', 'ns', [
          { port: 53, protocol: 'TCP', nodePort: 30053 },
          { port: 53, protocol: 'UDP', nodePort: 30053 },
        ]),
      ],
      'dev/lb': [
        nodePortService('lb', 'ns', [{ port: 80, nodePort: 30054 }], {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Local',
          healthCheckNodePort: 30053,
        }),
      ],
      'dev/udp': [nodePortService('udp', 'ns', [{ port: 80, protocol: 'UDP', nodePort: 30053 }])],
    });
    const r = await validate(root, ['dist'], { policy: false });
    expect(r.problems.map((p) => [p.name, p.path, words(p.message)])).toStrictEqual([
      ['lb', 'spec.healthCheckNodePort', `failed to allocate requested HealthCheck NodePort 30053: ${TAKEN}`],
      ['udp', 'spec.ports[0].nodePort', `Invalid value: 30053: ${TAKEN}`],
    ]);
  });

  it("gives no port to a Service the server refuses, by the clusters' node port range (kubernetes.serviceNodePortRange)", async () => {
    const built = {
      'dev/a': [nodePortService('a', 'ns', [{ port: 80, nodePort: 8080 }])],
      'dev/b': [nodePortService('b', 'ns', [{ port: 80, nodePort: 8080 }])],
      'dev/c': [
        nodePortService('c', 'ns', [
          { port: 80, nodePort: 8090 },
          { port: 81, nodePort: 30085 },
        ]),
      ],
      'dev/d': [nodePortService('d', 'ns', [{ port: 81, nodePort: 30085 }])],
    };
    const outside = (port: number, range: string) =>
      `Invalid value: ${port}: provided port is not in the valid range. The range of valid ports is ${range}`;
    // By default a, b and c are refused for the range, so none of them holds a port: d takes 30085.
    const byDefault = await validate(workspace(built), ['dist'], { policy: false });
    expect(byDefault.problems.map((p) => [p.name, p.path, words(p.message)])).toStrictEqual([
      ['a', 'spec.ports[0].nodePort', outside(8080, '30000-32767')],
      ['b', 'spec.ports[0].nodePort', outside(8080, '30000-32767')],
      ['c', 'spec.ports[0].nodePort', outside(8090, '30000-32767')],
    ]);
    // With 8000-9000, a is created and keeps 8080; c and d are refused 30085 for the range.
    const ranged = await validate(workspace(built, { serviceNodePortRange: '8000-9000' }), ['dist'], { policy: false });
    expect(ranged.problems.map((p) => [p.name, p.path, words(p.message)])).toStrictEqual([
      ['b', 'spec.ports[0].nodePort', `Invalid value: 8080: ${TAKEN}`],
      ['c', 'spec.ports[1].nodePort', outside(30085, '8000-9000')],
      ['d', 'spec.ports[0].nodePort', outside(30085, '8000-9000')],
    ]);
  });

  it('gives a Service Argo CD never applies no node port and refuses it none, as verify leaves it out and the cluster never holds it', async () => {
    const annotated = (o: object, hook: string) => {
      (o as { metadata: Record<string, unknown> }).metadata.annotations = { 'argocd.argoproj.io/hook': hook };
      return o;
    };
    const root = workspace({
      // Skipped first: b takes the port.
      'dev/a': [annotated(nodePortService('a', 'ns', [{ port: 80, nodePort: 30095 }]), 'Skip')],
      'dev/b': [nodePortService('b', 'ns', [{ port: 80, nodePort: 30095 }])],
      // A hook of no phase Argo CD runs (a misspelt PreSync) after c, which keeps its port: nothing is refused.
      'dev/c': [nodePortService('c', 'ns', [{ port: 80, nodePort: 30094 }])],
      'dev/d': [annotated(nodePortService('d', 'ns', [{ port: 80, nodePort: 30094 }]), 'Presync')],
      // A PreSync hook is applied: it keeps its port, and f is refused.
      'dev/e': [annotated(nodePortService('e', 'ns', [{ port: 80, nodePort: 30093 }]), 'PreSync,Skip')],
      'dev/f': [nodePortService('f', 'ns', [{ port: 80, nodePort: 30093 }])],
      // Unannotated in staging, the second is refused.
      'staging/a': [nodePortService('a', 'ns', [{ port: 80, nodePort: 30095 }])],
      'staging/b': [nodePortService('b', 'ns', [{ port: 80, nodePort: 30095 }])],
    });
    const r = await validate(root, ['dist'], { policy: false });
    expect(taken(r).map((p) => [p.file, p.name, words(p.message)])).toStrictEqual([
      ['dist/dev/f.yaml', 'f', `Invalid value: 30093: ${TAKEN}`],
      ['dist/staging/b.yaml', 'b', `Invalid value: 30095: ${TAKEN}`],
    ]);
    expect(r.nodePortClaims?.map((c) => c.file)).toStrictEqual([
      'dist/dev/b.yaml',
      'dist/dev/c.yaml',
      'dist/dev/e.yaml',
      'dist/dev/f.yaml',
      'dist/staging/a.yaml',
      'dist/staging/b.yaml',
    ]);
  });

  it('gives a Service annotated for Argo CD its node port where Flux applies the tree too: Flux reads no hook', async () => {
    const annotated = (o: object, hook: string) => {
      (o as { metadata: Record<string, unknown> }).metadata.annotations = { 'argocd.argoproj.io/hook': hook };
      return o;
    };
    const built = {
      'dev/a': [annotated(nodePortService('a', 'ns', [{ port: 80, nodePort: 30095 }]), 'Skip')],
      'dev/b': [nodePortService('b', 'ns', [{ port: 80, nodePort: 30095 }])],
    };
    const withConsumer = (consumer: string) => {
      const root = workspace(built);
      const gitops = { consumer, repoURL: 'https://git.example.test/team/fixture.git', targetRevision: 'main' };
      writeFileSync(join(root, 'strata.config.json'), JSON.stringify({ gitops }));
      return root;
    };
    const argo = await validate(withConsumer('argocd'), ['dist'], { policy: false });
    expect(taken(argo)).toStrictEqual([]);
    for (const consumer of ['flux', 'both']) {
      const r = await validate(withConsumer(consumer), ['dist'], { policy: false });
      expect(taken(r).map((p) => [p.file, p.name, words(p.message)])).toStrictEqual([['dist/dev/b.yaml', 'b', `Invalid value: 30095: ${TAKEN}`]]);
      expect(r.nodePortClaims?.map((c) => c.file)).toStrictEqual(['dist/dev/a.yaml', 'dist/dev/b.yaml']);
    }
  });

  it('takes files that are not built output as one cluster, in the order given', async () => {
    const root = workspace({});
    writeFileSync(join(root, 'one.yaml'), stringify(nodePortService('one', 'ns', [{ port: 80, nodePort: 30090 }])));
    writeFileSync(join(root, 'two.yaml'), stringify(nodePortService('two', 'ns', [{ port: 80, nodePort: 30090 }])));
    const r = await validate(root, ['two.yaml', 'one.yaml'], { policy: false });
    expect(taken(r).map((p) => [p.file, p.name, p.line])).toStrictEqual([['one.yaml', 'one', lineOf(root, 'one.yaml', 'nodePort')]]);
  });

  it('names the file of the Service that keeps the port as the person typed it from a subfolder, as it names the refused one', async () => {
    const root = workspace({
      'dev/api': [nodePortService('api', 'ns', [{ port: 80, nodePort: 30096 }])],
      'dev/web': [nodePortService('web', 'ns', [{ port: 80, nodePort: 30096 }])],
    });
    mkdirSync(join(root, 'one'));
    mkdirSync(join(root, 'two'));
    writeFileSync(join(root, 'two', 'held.yaml'), stringify(nodePortService('held', 'ns', [{ port: 80, nodePort: 30097 }])));
    writeFileSync(join(root, 'one', 'asks.yaml'), stringify(nodePortService('asks', 'ns', [{ port: 80, nodePort: 30097 }])));
    const holder = (p: Problem) => [p.file, p.name, p.message.slice(p.message.indexOf('(to '), p.message.indexOf(', applied'))];
    // Named files, one of them beside the folder the person is in: both as typed.
    const named = await validate(root, ['../two/held.yaml', 'asks.yaml'], { policy: false, cwd: join(root, 'one') });
    expect(taken(named).map(holder)).toStrictEqual([
      ['asks.yaml', 'asks', `(to Service ns/held, ../two/held.yaml:${lineOf(root, 'two/held.yaml', 'nodePort')}`],
    ]);
    // Built output validated from inside its env's folder.
    const built = await validate(root, ['.'], { policy: false, cwd: join(root, 'dist', 'dev') });
    expect(taken(built).map(holder)).toStrictEqual([
      ['web.yaml', 'web', `(to Service ns/api, api.yaml:${lineOf(root, 'dist/dev/api.yaml', 'nodePort')}`],
    ]);
  });

  it('leaves the ports to the real server when its checks are off, and to the caller when asked to', async () => {
    const root = workspace({
      'dev/api': [nodePortService('api', 'ns', [{ port: 80, nodePort: 30080 }])],
      'dev/web': [nodePortService('web', 'ns', [{ port: 80, nodePort: 30080 }])],
    });
    const off = await validate(root, ['dist'], { policy: false, serverChecks: false });
    expect(off.problems).toStrictEqual([]);
    expect(off.nodePortClaims).toBeUndefined();
    const claimsOnly = await validate(root, ['dist'], { policy: false, nodePortClashes: false });
    expect(claimsOnly.problems).toStrictEqual([]);
    const claims = claimsOnly.nodePortClaims ?? [];
    expect(claims.map((c) => [c.file, c.name, c.ports])).toStrictEqual([
      ['dist/dev/api.yaml', 'api', [{ port: 30080, path: 'spec.ports[0].nodePort', line: lineOf(root, 'dist/dev/api.yaml', 'nodePort') }]],
      ['dist/dev/web.yaml', 'web', [{ port: 30080, path: 'spec.ports[0].nodePort', line: lineOf(root, 'dist/dev/web.yaml', 'nodePort') }]],
    ]);
    // Judged by the caller, in any order it hands them: web is refused, as validate refuses it.
    const judged = nodePortProblems(JSON.parse(JSON.stringify([...claims].reverse())) as NodePortClaim[]);
    expect(judged).toStrictEqual(taken(await validate(root, ['dist'], { policy: false })));
    expect(judged.map((p) => p.name)).toStrictEqual(['web']);
  });
});
