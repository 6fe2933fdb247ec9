import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Environment } from '@strata/core';
import type { Problem } from '@strata/project';
import { lineOf, writeEnvConfigs, writeTemplateApp } from '@strata/testing/workspace-copy';
import { validate } from '@strata/validate';
import { pipeline } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// Two apps of one env whose Services ask for the same cluster IP: the env's cluster creates the first
// Service and refuses the second, so the pipeline refuses it offline, also when one of the two apps
// is reused from the cache.

/** Writes the app `name` from the new-app template, its Service asking for `ips[env]`. */
function writeApp(root: string, name: string, ips: Record<Environment, string>): void {
  writeTemplateApp(repo, root, name, {
    setting: { name: 'clusterIP', type: 'string', value: "''" },
    render: [['spec: { selector: m.selector,', 'spec: { clusterIP: c.clusterIP, selector: m.selector,']],
  });
  setIps(root, name, ips);
}

function setIps(root: string, name: string, ips: Record<Environment, string>): void {
  writeEnvConfigs(root, name, (env) => `{ clusterIP: '${ips[env]}' }`);
}

const TAKEN = 'provided IP is already allocated';
const taken = (problems: readonly Problem[]) => problems.filter((p) => p.message.includes(TAKEN));

/** The line of `clusterIP: <ip>` in a built file. */
const lineOfIp = (root: string, file: string, ip: string) => lineOf(join(root, file), `clusterIP: ${ip}`);

describe('cluster IPs two apps of one env ask for, in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  // alpha comes before beta in apply order. dev: both on 10.96.0.50, beta refused. staging: beta on
  // 10.96.0.50, which only dev's alpha asks for, in another cluster.
  writeApp(ws.root, 'alpha', { dev: '10.96.0.50', staging: '10.96.0.51', prod: 'None' });
  writeApp(ws.root, 'beta', { dev: '10.96.0.50', staging: '10.96.0.50', prod: 'None' });
  const refusal = () => [
    {
      file: 'dist/dev/beta.yaml',
      line: lineOfIp(ws.root, 'dist/dev/beta.yaml', '10.96.0.50'),
      apiVersion: 'v1',
      kind: 'Service',
      namespace: 'beta',
      name: 'beta',
      path: 'spec.clusterIP',
      message: `Invalid value: ["10.96.0.50"]: failed to allocate IP 10.96.0.50: ${TAKEN} (to Service alpha/alpha, dist/dev/alpha.yaml:${lineOfIp(ws.root, 'dist/dev/alpha.yaml', '10.96.0.50')}, applied first: the cluster creates that one and refuses this one; a dry run lets both through)`,
      rule: 'server-validation',
      severity: 'error',
      resource: expect.stringMatching(/^dist\/dev\/beta\.yaml#\d+$/),
    },
  ];

  it("refuses the later app's Service at its line, naming the first, as validate of the built output does, and again when both are reused", async () => {
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(0);
    expect(taken(r.problems)).toStrictEqual(refusal());
    expect(taken(r.problems)).toStrictEqual(taken((await validate(ws.root, ['dist'])).problems));
    const again = await pipeline(ws.root);
    expect(again.reused).toBe(2);
    expect(taken(again.problems)).toStrictEqual(refusal());
  });

  it('refuses it when only the app that asks is rendered anew, and passes once the IPs differ', async () => {
    setIps(ws.root, 'beta', { dev: '10.96.0.50', staging: '10.96.0.50', prod: '' });
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(1);
    expect(taken(r.problems)).toStrictEqual(refusal());
    setIps(ws.root, 'beta', { dev: '10.96.0.52', staging: '10.96.0.50', prod: '' });
    expect(taken((await pipeline(ws.root)).problems)).toStrictEqual([]);
  });
});
