import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Environment } from '@strata/core';
import type { Problem } from '@strata/project';
import { lineOf, writeEnvConfigs, writeTemplateApp } from '@strata/testing/workspace-copy';
import { validate } from '@strata/validate';
import { pipeline } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// Two apps of one env whose Services ask for the same node port: the env's cluster creates the first
// Service and refuses the second, so the pipeline refuses it offline, also when one of the two apps
// is reused from the cache.

/** Writes the app `name` from the new-app template, its Service a NodePort one on `ports[env]`. */
function writeApp(root: string, name: string, ports: Record<Environment, number>): void {
  writeTemplateApp(repo, root, name, {
    setting: { name: 'nodePort', type: 'number', value: '30000' },
    render: [
      [
        "spec: { selector: m.selector, ports: [{ name: 'http', port: 80,",
        "spec: { type: 'NodePort', selector: m.selector, ports: [{ name: 'http', port: 80, nodePort: c.nodePort,",
      ],
    ],
  });
  setPorts(root, name, ports);
}

/** Gives the app's Service `ports[env]` in each env. */
function setPorts(root: string, name: string, ports: Record<Environment, number>): void {
  writeEnvConfigs(root, name, (env) => `{ nodePort: ${ports[env]} }`);
}

const TAKEN = 'provided port is already allocated';
const taken = (problems: readonly Problem[]) => problems.filter((p) => p.message.includes(TAKEN));

/** The line of `nodePort: <port>` in a built file. */
const lineOfPort = (root: string, file: string, port: number) => lineOf(join(root, file), `nodePort: ${port}`);

describe('node ports two apps of one env ask for, in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  // alpha comes before beta in apply order. dev: both on 30080, beta refused. staging: beta on
  // 30080, which only dev's alpha asks for, in another cluster. prod: no port shared.
  writeApp(ws.root, 'alpha', { dev: 30080, staging: 30081, prod: 30082 });
  writeApp(ws.root, 'beta', { dev: 30080, staging: 30080, prod: 30083 });
  const refusal = () => [
    {
      file: 'dist/dev/beta.yaml',
      line: lineOfPort(ws.root, 'dist/dev/beta.yaml', 30080),
      apiVersion: 'v1',
      kind: 'Service',
      namespace: 'beta',
      name: 'beta',
      path: 'spec.ports[0].nodePort',
      message: `Invalid value: 30080: ${TAKEN} (to Service alpha/alpha, dist/dev/alpha.yaml:${lineOfPort(ws.root, 'dist/dev/alpha.yaml', 30080)}, applied first: the cluster creates that one and refuses this one; a dry run lets both through)`,
      rule: 'server-validation',
      severity: 'error',
      resource: expect.stringMatching(/^dist\/dev\/beta\.yaml#\d+$/),
    },
  ];

  it("refuses the later app's Service at its line, naming the first, as validate of the built output does; another env may use the port", async () => {
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(0);
    expect(taken(r.problems)).toStrictEqual(refusal());
    expect(taken(r.problems)).toStrictEqual(taken((await validate(ws.root, ['dist'])).problems));
  });

  it('refuses it again when both apps are reused from the cache', async () => {
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(2);
    expect(taken(r.problems)).toStrictEqual(refusal());
  });

  it('refuses it when only the app that asks is rendered anew, and the one that holds the port is reused', async () => {
    setPorts(ws.root, 'beta', { dev: 30080, staging: 30080, prod: 30084 });
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(1);
    expect(taken(r.problems)).toStrictEqual(refusal());
  });

  it('refuses it when only the app that holds the port is rendered anew, and the one refused is reused', async () => {
    setPorts(ws.root, 'alpha', { dev: 30080, staging: 30081, prod: 30085 });
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(1);
    expect(taken(r.problems)).toStrictEqual(refusal());
    // The verdict is the same without the cache.
    expect(taken((await pipeline(ws.root, { cache: false })).problems)).toStrictEqual(refusal());
  });

  it('passes once the ports differ, with the unchanged app reused', async () => {
    setPorts(ws.root, 'beta', { dev: 30086, staging: 30080, prod: 30084 });
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(1);
    expect(taken(r.problems)).toStrictEqual([]);
    expect((await pipeline(ws.root)).reused).toBe(2);
  });

  it('leaves the ports to the real server when the offline server checks judge only what a dry run leaves out (strata ci)', async () => {
    setPorts(ws.root, 'beta', { dev: 30080, staging: 30080, prod: 30084 });
    const r = await pipeline(ws.root, { serverChecks: 'unapplied' });
    // alpha's verdicts were reached with every check: not reused by a run that makes fewer.
    expect(r.reused).toBe(0);
    expect(taken(r.problems)).toStrictEqual([]);
    expect((await pipeline(ws.root, { serverChecks: 'unapplied' })).reused).toBe(2);
    // What it judged so is not reused by a run that makes every check.
    const checked = await pipeline(ws.root);
    expect(checked.reused).toBe(0);
    expect(taken(checked.problems)).toStrictEqual(refusal());
  });
});
