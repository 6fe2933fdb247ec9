import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
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

  /** Where the API server keeps an object of the two kinds the fixture holds. */
  const pathOf = (m: { kind: string; metadata: { name: string; namespace: string } }, named: boolean) =>
    `${m.kind === 'Deployment' ? '/apis/apps/v1' : '/api/v1'}/namespaces/${m.metadata.namespace}/${m.kind === 'Deployment' ? 'deployments' : 'configmaps'}${named ? `/${m.metadata.name}` : ''}`;

  it(
    'leaves out what the API server and its controllers set, so that the tree applies again and again without a Conflict',
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
      // What kubectl apply does with the built objects, through the API: a create of each, then for
      // a change a merge patch of the object as the tree has it (kubectl's client-side apply sends
      // the tree's fields that differ from the live object, a resourceVersion in the tree among them).
      const objects = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } });
      expect(objects.map((o) => o.kind).sort()).toStrictEqual(['ConfigMap', 'Deployment']);
      expect(
        (await server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'expapp' } })).status,
      ).toBe(201);
      for (const o of objects) expect((await server.client.request('POST', pathOf(o, false), o)).status, o.kind).toBe(201);
      // A change of the app, applied as kubectl apply -k and Argo CD apply it: a stale resourceVersion
      // in the tree would make every apply after the first a Conflict.
      const changed = dev!.yaml.replace(/^ {2}a: b$/m, '  a: c');
      expect(changed).not.toBe(dev!.yaml);
      const configMap = parseAllDocuments(changed)
        .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } })
        .find((o) => o.kind === 'ConfigMap')!;
      for (let i = 0; i < 2; i++) {
        const again = await server.client.request('PATCH', pathOf(configMap, true), configMap, 'application/merge-patch+json');
        expect(again.status, JSON.stringify(again.body)).toBe(200);
      }
      // The same patch with the exported resourceVersion kept, as the tree had it before: a Conflict.
      const stale = { ...configMap, metadata: { ...configMap.metadata, resourceVersion: '123456' } };
      expect((await server.client.request('PATCH', pathOf(stale, true), stale, 'application/merge-patch+json')).status).toBe(409);
      const live = (await server.client.request('GET', pathOf(configMap, true))).body as { data: { a: string } };
      expect(live.data.a).toBe('c');
    },
  );
});
