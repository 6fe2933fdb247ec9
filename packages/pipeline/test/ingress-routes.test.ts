import { afterAll, describe, expect, it } from 'vitest';
import type { Environment } from '@strata/core';
import type { Problem } from '@strata/project';
import { writeEnvConfigs, writeTemplateApp } from '@strata/testing/workspace-copy';
import { INGRESS_ROUTE_RULE, validate } from '@strata/validate';
import { pipeline } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// Two apps of one env whose Ingresses route the same host and path in one class: the class's
// controller serves one of them, so the pipeline reports the later one, also when one of the two
// apps is reused from the cache.

/** Writes the app `name` from the new-app template, with an Ingress of class nginx for `hosts[env]`, path /. */
function writeApp(root: string, name: string, hosts: Record<Environment, string>): void {
  writeTemplateApp(repo, root, name, {
    setting: { name: 'host', type: 'string', value: "'example.com'" },
    render: [
      [
        "import { Service } from 'kubernetes-models/v1/Service';",
        "import { Service } from 'kubernetes-models/v1/Service';\nimport { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';",
      ],
      [
        '    // Everything in the namespace starts closed;',
        [
          '    new Ingress({',
          '      metadata: m.of(NAME),',
          '      spec: {',
          "        ingressClassName: 'nginx',",
          "        rules: [{ host: c.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { name: 'http' } } } }] } }],",
          '      },',
          '    }),',
          '    // Everything in the namespace starts closed;',
        ].join('\n'),
      ],
    ],
  });
  setHosts(root, name, hosts);
}

/** Gives the app's Ingress `hosts[env]` in each env. */
function setHosts(root: string, name: string, hosts: Record<Environment, string>): void {
  writeEnvConfigs(root, name, (env) => `{ host: '${hosts[env]}' }`);
}

const routed = (problems: readonly Problem[]) =>
  problems.filter((p) => p.rule === INGRESS_ROUTE_RULE).map((p) => [p.file, p.name, p.message.slice(0, p.message.indexOf(' ('))]);

describe('hosts and paths two apps of one env route, in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  // alpha comes before beta in apply order. dev: both route shop.example.com, beta reported. staging:
  // beta routes the host that only dev's alpha routes, in another cluster.
  writeApp(ws.root, 'alpha', { dev: 'shop.example.com', staging: 'alpha.example.com', prod: 'alpha.example.org' });
  writeApp(ws.root, 'beta', { dev: 'shop.example.com', staging: 'shop.example.com', prod: 'beta.example.org' });
  const report = [
    ['dist/dev/beta.yaml', 'beta', 'host "shop.example.com" and path "/" of IngressClass "nginx" are routed already by Ingress alpha/alpha'],
  ];

  it("reports the later app's Ingress, naming the first, as validate of the built output does", async () => {
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(0);
    expect(routed(r.problems)).toStrictEqual(report);
    expect(r.problems.filter((p) => p.rule === INGRESS_ROUTE_RULE)).toStrictEqual(
      (await validate(ws.root, ['dist'])).problems.filter((p) => p.rule === INGRESS_ROUTE_RULE),
    );
  });

  it('reports it again when both apps are reused, and when only the first is rendered anew', async () => {
    const both = await pipeline(ws.root);
    expect(both.reused).toBe(2);
    expect(routed(both.problems)).toStrictEqual(report);
    setHosts(ws.root, 'alpha', { dev: 'shop.example.com', staging: 'alpha.example.com', prod: 'alpha.example.net' });
    const one = await pipeline(ws.root);
    expect(one.reused).toBe(1);
    expect(routed(one.problems)).toStrictEqual(report);
  });

  it('passes once the hosts differ, with the unchanged app reused', async () => {
    setHosts(ws.root, 'beta', { dev: 'beta.example.com', staging: 'shop.example.com', prod: 'beta.example.org' });
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(1);
    expect(routed(r.problems)).toStrictEqual([]);
  });
});
