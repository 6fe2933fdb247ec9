import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '@strata/core';
import { buildOverlays } from '@strata/kustomize';
import { ensureServers, startServer, type Server } from '@strata/project/apiserver';
import { importApp } from '../src/index.ts';
import { emptyWorkspace, filesUnder, fixtures } from './workspace.ts';

describe('strata import of objects exported from a cluster', () => {
  let server: Server;
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(async () => {
    server = await startServer(await ensureServers());
    ws = emptyWorkspace();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    ws?.dispose();
  });

  /** kubectl against the test's API server, as the user it is started with. */
  const kubectl = (args: readonly string[], input?: string) => {
    const token = readFileSync(join(server.dir, 'tokens.csv'), 'utf8').split(',')[0]!;
    const r = spawnSync(
      'kubectl',
      ['--server', server.url, '--token', token, '--certificate-authority', join(server.dir, 'pki', 'apiserver.crt'), ...args],
      { encoding: 'utf8', ...(input !== undefined ? { input } : {}) },
    );
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  it(
    'leaves out what the API server and its controllers set, so that the tree applies with kubectl again and again without a Conflict',
    { timeout: 240_000 },
    async () => {
      const source = join(fixtures, 'exported', 'from-cluster.yaml');
      const r = await importApp(ws.root, { name: 'expapp', envs: ENVIRONMENTS.map((e) => `${e}=${source}`), install: false });
      expect(r.dropped).toStrictEqual({
        fields: [
          'annotation deployment.kubernetes.io/revision',
          'metadata.creationTimestamp',
          'metadata.generation',
          'metadata.managedFields',
          'metadata.resourceVersion',
          'metadata.selfLink',
          'metadata.uid',
          'status',
        ],
        objects: 2,
      });
      const written = Object.values({ ...filesUnder(ws.root, 'apps/expapp'), ...filesUnder(ws.root, 'base/expapp') }).join('\n');
      for (const kept of ['444455556666', 'resourceVersion', 'creationTimestamp', 'managedFields', 'selfLink', 'readyReplicas', 'revision'])
        expect(written).not.toContain(kept);
      // The app's own annotations stay.
      expect(written).toContain('team: web');

      const [dev] = await buildOverlays(ws.root, ['overlays/dev/expapp'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      const created = kubectl(['create', 'namespace', 'expapp']);
      expect(created.out).toContain('created');
      const first = kubectl(['apply', '-f', '-'], dev!.yaml);
      expect(first.out).toMatch(/configmap\/exported created/);
      expect(first.status).toBe(0);
      // A change of the app, applied as kubectl apply -k and Argo CD apply it: a stale resourceVersion
      // in the tree would make every apply after the first a Conflict.
      const changed = dev!.yaml.replace(/^ {2}a: b$/m, '  a: c');
      expect(changed).not.toBe(dev!.yaml);
      const file = join(ws.root, 'dev.yaml');
      writeFileSync(file, changed);
      for (let i = 0; i < 2; i++) {
        const again = kubectl(['apply', '-f', file]);
        expect(again.out).not.toContain('Conflict');
        expect(again.status).toBe(0);
      }
      expect(kubectl(['get', 'configmap', 'exported', '-n', 'expapp', '-o', 'jsonpath={.data.a}']).out).toBe('c');
    },
  );
});
