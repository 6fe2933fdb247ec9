import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { normalize } from '../src/index.ts';

const configMap = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, data: {} }) as Manifest;

describe('normalize', () => {
  it("drops only a suffix kustomize's hash spells: a plain ConfigMap named with a date beside the generator keeps its name and its references", () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'shop' },
      spec: {
        volumes: [
          { name: 'a', configMap: { name: 'settings-ttchg99576' } },
          { name: 'b', configMap: { name: 'settings-2024120701' } },
        ],
      },
    } as unknown as Manifest;
    const out = normalize([configMap('settings-ttchg99576'), configMap('settings-2024120701'), pod], new Set(['settings']));
    expect(out.map((m) => m.metadata.name)).toStrictEqual(['settings', 'settings-2024120701', 'p']);
    expect((out[2] as unknown as { spec: { volumes: { configMap: { name: string } }[] } }).spec.volumes.map((v) => v.configMap.name)).toStrictEqual([
      'settings',
      'settings-2024120701',
    ]);
  });
});
