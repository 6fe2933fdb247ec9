import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { findRoot } from '@strata/project';
import { INGRESS_ROUTE_RULE, validate } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-ingress-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A workspace holding only the given files (`dist/<env>/<app>.yaml` for built output), each a list of objects. */
function workspace(files: Record<string, readonly object[]>): string {
  const root = mkdtempSync(join(dir, 'ws-'));
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  for (const [where, objects] of Object.entries(files)) {
    const file = join(root, where);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  }
  return root;
}

interface Route {
  readonly host?: string;
  readonly path?: string;
}

function ingress(name: string, namespace: string, routes: readonly Route[], o: { ingressClass?: string; annotations?: Record<string, string> } = {}) {
  const ingressClass = o.ingressClass === undefined ? 'nginx' : o.ingressClass;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, ...(o.annotations && { annotations: o.annotations }) },
    spec: {
      ...(ingressClass && { ingressClassName: ingressClass }),
      rules: routes.map((r) => ({
        ...(r.host !== undefined && { host: r.host }),
        http: {
          paths: [{ ...(r.path !== undefined && { path: r.path }), pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }],
        },
      })),
    },
  };
}

const SHOP = { host: 'shop.example.com', path: '/' };

/** The 1-based line of the first line of `file` under `root` after `after` that contains `text`. */
function lineOf(root: string, file: string, text: string, after = ''): number {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = after ? lines.findIndex((l) => l.includes(after)) : 0;
  return lines.findIndex((l, i) => i >= start && l.includes(text)) + 1;
}

const routeProblems = async (root: string, inputs: string[]) =>
  (await validate(root, inputs, { policy: false, serverChecks: false })).problems.filter((p) => p.rule === INGRESS_ROUTE_RULE);

describe('hosts and paths two Ingresses of one class route, across the apps of an env', () => {
  it('reports the later Ingress in apply order at its path, naming the first with its file and line, and lets another env route the same', async () => {
    const root = workspace({
      'dist/dev/shop.yaml': [ingress('web1', 'ns1', [SHOP])],
      'dist/dev/store.yaml': [ingress('web2', 'ns2', [{ host: 'www.example.com', path: '/' }, SHOP])],
      'dist/staging/store.yaml': [ingress('web2', 'ns2', [SHOP])],
    });
    expect(await routeProblems(root, ['dist'])).toStrictEqual([
      {
        file: 'dist/dev/store.yaml',
        line: lineOf(root, 'dist/dev/store.yaml', 'path: /', 'host: shop.example.com'),
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        namespace: 'ns2',
        name: 'web2',
        path: 'spec.rules[1].http.paths[0].path',
        message:
          `host "shop.example.com" and path "/" of IngressClass "nginx" are routed already by Ingress ns1/web1 (dist/dev/shop.yaml:${lineOf(root, 'dist/dev/shop.yaml', 'path: /')}, applied first): ` +
          "the class's controller sends their traffic to one of the two only (ingress-nginx refuses this one at admission, others pick by age): " +
          'give one of them another host or path, or make this one a canary of that one (nginx.ingress.kubernetes.io/canary: "true")',
        rule: INGRESS_ROUTE_RULE,
        severity: 'error',
        resource: 'dist/dev/store.yaml#0',
      },
    ]);
    // One env, or one app, alone has nothing to clash with.
    expect(await routeProblems(root, ['dist/staging', 'dist/dev/store.yaml'])).toStrictEqual([]);
  });

  it('reports two loose files of one folder, as one cluster, once; and a host in another case, and rules with no host or path, alike', async () => {
    const root = workspace({
      'ing/ing1.yaml': [ingress('web1', 'ns1', [SHOP, {}], { ingressClass: '' })],
      'ing/ing2.yaml': [ingress('web2', 'ns2', [{ host: 'Shop.Example.com', path: '/' }, { path: '/' }], { ingressClass: '' })],
    });
    const found = await routeProblems(root, ['ing']);
    expect(found.map((p) => [p.file, p.name, p.path, p.message.slice(0, p.message.indexOf(' ns1/web1 ') + 9)])).toStrictEqual([
      [
        'ing/ing2.yaml',
        'web2',
        'spec.rules[0].http.paths[0].path',
        `host "shop.example.com" and path "/" of the cluster's default IngressClass are routed already by Ingress ns1/web1`,
      ],
      [
        'ing/ing2.yaml',
        'web2',
        'spec.rules[1].http.paths[0].path',
        `every host (no host) and path "/" of the cluster's default IngressClass are routed already by Ingress ns1/web1`,
      ],
    ]);
  });

  it('lets another class, host or path, a canary and the same Ingress in two files be', async () => {
    const root = workspace({
      'dist/dev/a.yaml': [ingress('web1', 'ns1', [SHOP])],
      'dist/dev/b.yaml': [
        ingress('other-class', 'ns2', [SHOP], { ingressClass: 'traefik' }),
        ingress('other-host', 'ns2', [{ host: 'api.example.com', path: '/' }]),
        ingress('other-path', 'ns2', [{ host: 'shop.example.com', path: '/api' }]),
        ingress('canary', 'ns2', [SHOP], { annotations: { 'nginx.ingress.kubernetes.io/canary': 'true' } }),
        ingress('no-class', 'ns2', [SHOP], { ingressClass: '' }),
      ],
      'dist/dev/c.yaml': [ingress('web1', 'ns1', [SHOP])],
    });
    expect(await routeProblems(root, ['dist'])).toStrictEqual([]);
  });

  it('leaves the judgement to a caller that asks for the claims only', async () => {
    const root = workspace({ 'dist/dev/a.yaml': [ingress('web1', 'ns1', [SHOP])], 'dist/dev/b.yaml': [ingress('web2', 'ns2', [SHOP])] });
    const r = await validate(root, ['dist'], { policy: false, serverChecks: false, ingressClashes: false });
    expect(r.problems.filter((p) => p.rule === INGRESS_ROUTE_RULE)).toStrictEqual([]);
    expect(r.ingressClaims?.map((c) => [c.file, c.name, c.routes.map((x) => [x.ingressClass, x.host, x.path])])).toStrictEqual([
      ['dist/dev/a.yaml', 'web1', [['nginx', 'shop.example.com', '/']]],
      ['dist/dev/b.yaml', 'web2', [['nginx', 'shop.example.com', '/']]],
    ]);
  });
});
