import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppEntry, Stamp } from '../src/cache.ts';

// An entry's seal covers every field of it: a verdict is reused only with what it was judged with.

type Sealed = Required<Omit<AppEntry, 'seal'>>;

const stamp = (hash: string): Stamp => ({ hash, size: 10, mtime: 1_700_000_000_000, ctime: 1_700_000_000_000 });
const object = { file: 'dist/dev/a.yaml', line: 3, apiVersion: 'v1', kind: 'Service', namespace: 'a', name: 'a' };

/** An entry with every field set. */
const ENTRY: Sealed = {
  inputs: { 'apps/a/src/app.ts': stamp('1'), 'apps/a/src/render.ts': stamp('2') },
  outputs: { 'base/a/kustomization.yaml': stamp('3') },
  dirs: ['base/a'],
  sync: {} as Sealed['sync'],
  problems: [{ file: 'dist/dev/a.yaml', message: 'm', rule: 'r', severity: 'warning' }],
  resources: 4,
  nodePorts: [{ ...object, ports: [{ port: 30080, path: 'spec.ports[0].nodePort', line: 9 }] }],
  allocations: [{ ...object, asks: [{ pool: 'cluster-ip', key: '10.96.0.1', path: 'spec.clusterIP', line: 8 }] }],
  classes: [{ file: 'dist/dev/a.yaml', creates: ['PriorityClass/high'], uses: [] }],
  namespaces: [{ file: 'dist/dev/a.yaml', creates: ['a'], uses: [] }],
  podSecurityBasis: 'basis',
  limitRanges: [{ file: 'dist/dev/a.yaml', manifest: { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'a' } } }],
  limitRangeBasis: 'basis',
  clusterClasses: [{ file: 'dist/dev/a.yaml', manifest: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' } } }],
  classBasis: 'basis',
  networkPolicies: [
    {
      file: 'dist/dev/a.yaml',
      manifest: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'a' }, spec: {} },
    },
  ],
  networkPolicyBasis: 'basis',
  ingresses: [{ ...object, routes: [] }],
  findings: {} as Sealed['findings'],
  needsCluster: ['v1 Binding'],
  serverChecks: 'unapplied',
};

/** Every field of ENTRY, each with another value. */
const CHANGED: Sealed = {
  inputs: { ...ENTRY.inputs, 'apps/a/src/render.ts': stamp('5') },
  outputs: { 'base/a/kustomization.yaml': stamp('3'), 'base/a/service.a.yaml': stamp('6') },
  dirs: [],
  sync: { dev: {} } as Sealed['sync'],
  problems: [],
  resources: 5,
  nodePorts: [],
  allocations: [],
  classes: [],
  namespaces: [],
  podSecurityBasis: 'another',
  limitRanges: [],
  limitRangeBasis: 'another',
  clusterClasses: [],
  classBasis: 'another',
  networkPolicies: [],
  networkPolicyBasis: 'another',
  ingresses: [],
  findings: { dev: {} } as Sealed['findings'],
  needsCluster: [],
  serverChecks: 'none',
};

describe('the seal of a cache entry', () => {
  const { dir } = suiteTempDir('strata-seal-');
  afterEach(() => vi.unstubAllEnvs());

  /** The real sealing code under a fixed key: a fresh copy of the cache module, as the key is read once per process. */
  async function sealing(): Promise<typeof import('../src/cache.ts').sealOf> {
    mkdirSync(join(dir, 'strata'), { recursive: true });
    writeFileSync(join(dir, 'strata', 'pipeline.key'), Buffer.alloc(32, 7), { mode: 0o600 });
    vi.resetModules();
    vi.stubEnv('XDG_CACHE_HOME', dir);
    const fresh = (await import('../src/cache.ts')) as typeof import('../src/cache.ts');
    return fresh.sealOf;
  }

  it('is what this cache format has always made of an entry, so a cache written before stays reusable', async () => {
    const sealOf = await sealing();
    expect(sealOf('tool', ENTRY)).toBe('4f5b0a79a8e1a9fb4fc003c945a91d2d6dbc3545bd5a34199e017874a38fa331');
    // Fields left out are sealed as their defaults.
    const { needsCluster: _, serverChecks: __, ...older } = ENTRY;
    expect(sealOf('tool', older)).toBe(sealOf('tool', { ...ENTRY, needsCluster: [], serverChecks: undefined }));
  });

  it.each(Object.keys(ENTRY) as (keyof Sealed)[])('changes when %s changes', async (field) => {
    const sealOf = await sealing();
    expect(sealOf('tool', { ...ENTRY, [field]: CHANGED[field] })).not.toBe(sealOf('tool', ENTRY));
  });

  it("covers a file's hash, not its size or times, which verify compares with the file itself", async () => {
    const sealOf = await sealing();
    const touched = { ...ENTRY, inputs: { ...ENTRY.inputs, 'apps/a/src/app.ts': { ...stamp('1'), size: 11, mtime: -1, ctime: 5 } } };
    expect(sealOf('tool', touched)).toBe(sealOf('tool', ENTRY));
    expect(sealOf('another tool', ENTRY)).not.toBe(sealOf('tool', ENTRY));
  });
});
