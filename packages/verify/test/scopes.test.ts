import { afterAll, describe, expect, it } from 'vitest';
import { builtinScopes, type Scope } from '@strata/schemas';
import { ensureServers, startServer, type Server } from '../src/index.ts';
import { BUILD_TIMEOUT } from './helpers.ts';

// Strata's scope of each built-in kind (what the Argo CD project whitelists, which objects count in a
// namespace) must be the cluster's: kube-apiserver's discovery, every group version it can serve.

let server: Server | undefined;
afterAll(async () => {
  await server?.stop();
});

interface ResourceList {
  readonly groupVersion: string;
  readonly resources: readonly { readonly name: string; readonly kind: string; readonly namespaced: boolean }[];
}

async function get<T>(path: string): Promise<T> {
  const r = await server!.client.request('GET', path);
  expect(r.status, path).toBe(200);
  return r.body as T;
}

describe('the scope of built-in kinds', () => {
  it(
    "is kube-apiserver's discovery for every resource it serves with every API enabled, and lists nothing it does not serve",
    async () => {
      server = await startServer(await ensureServers(), { allApis: true });
      const groups = await get<{ groups: { name: string; versions: { groupVersion: string }[] }[] }>('/apis');
      const paths = ['/api/v1', ...groups.groups.flatMap((g) => g.versions.map((v) => `/apis/${v.groupVersion}`))];
      const served = new Map<string, Scope>();
      for (const path of paths) {
        const list = await get<ResourceList>(path);
        const group = list.groupVersion.includes('/') ? list.groupVersion.slice(0, list.groupVersion.indexOf('/')) : '';
        for (const r of list.resources) {
          if (r.name.includes('/')) continue; // a subresource
          served.set(`${group}/${r.kind}`, r.namespaced ? 'Namespaced' : 'Cluster');
        }
      }
      // Alpha group versions and feature-gated kinds are served too, not only the default ones.
      expect(served.get('storagemigration.k8s.io/StorageVersionMigration')).toBe('Cluster');
      expect(served.size).toBeGreaterThan(70);
      expect(Object.fromEntries([...builtinScopes()].sort())).toStrictEqual(Object.fromEntries([...served].sort()));
    },
    BUILD_TIMEOUT,
  );
});
