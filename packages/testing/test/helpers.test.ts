import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Manifest } from '@strata/core';
import type { KubeconformResult } from '@strata/kubeconform-wrapper';
import { all, container, countKinds, envOf, expectAllValid, expectInventory, find, findGenerated, podSpec } from '../src/index.ts';

const deployment: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        initContainers: [{ name: 'migrate', image: 'web:1' }],
        containers: [
          {
            name: 'web',
            image: 'web:1',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'b' } } },
            ],
          },
        ],
      },
    },
  },
};
const cronJob: Manifest = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly' },
  spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job' }], restartPolicy: 'Never' } } } } },
};
const config: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config-5f7h8t2k9b' }, data: { A: '1' } };
const objects = [deployment, cronJob, config];

describe('find and all', () => {
  it('type an object by its kind, so its fields are read without casts', () => {
    const d = find(objects, 'Deployment', 'web');
    expect(d.spec.replicas).toBe(2);
    expectTypeOf(d.spec.replicas).toEqualTypeOf<number>();
    // @ts-expect-error a Deployment's spec has no field `replica`
    expect(d.spec.replica).toBeUndefined();
    expectTypeOf(all(objects, 'ConfigMap')[0]!.data).toEqualTypeOf<{ [key: string]: string }>();
  });

  it('read an unknown kind as a plain manifest', () => {
    expectTypeOf(find([{ apiVersion: 'x/v1', kind: 'Widget', metadata: { name: 'w' } }], 'Widget', 'w')).toEqualTypeOf<Manifest>();
  });

  it('name the objects there are when the one asked for is missing', () => {
    expect(() => find(objects, 'Deployment', 'api')).toThrow(
      'expected exactly one Deployment/api, found 0; objects: Deployment/web, CronJob/nightly, ConfigMap/web-config-5f7h8t2k9b',
    );
  });
});

describe('findGenerated', () => {
  it('finds a generated ConfigMap by its name without the hash suffix', () => {
    expect(findGenerated(objects, 'web-config').data).toStrictEqual({ A: '1' });
    expect(() => findGenerated(objects, 'api-config')).toThrow('expected one generated ConfigMap api-config-<hash>, found 0');
  });
});

describe('podSpec, container and envOf', () => {
  it('find the pod spec of a Deployment and of a CronJob', () => {
    expect(podSpec(deployment).containers.map((c) => c.name)).toStrictEqual(['web']);
    expect(podSpec(cronJob).restartPolicy).toBe('Never');
    expect(() => podSpec(config)).toThrow('ConfigMap/web-config-5f7h8t2k9b has no pod spec at spec.template.spec');
  });

  it('find containers and init containers by name', () => {
    expect(container(deployment, 'migrate').image).toBe('web:1');
    expect(() => container(deployment, 'sidecar')).toThrow('Deployment/web has no container sidecar');
  });

  it('map env vars to their values or references', () => {
    expect(envOf(container(deployment, 'web'))).toStrictEqual({ A: '1', B: { secretKeyRef: { name: 's', key: 'b' } } });
  });
});

describe('countKinds', () => {
  it('counts the objects of each kind, in the order of the kinds', () => {
    expect(Object.entries(countKinds([config, deployment, config]))).toStrictEqual([
      ['ConfigMap', 2],
      ['Deployment', 1],
    ]);
  });
});

describe('expectAllValid', () => {
  const verdict = (m: Manifest, status: KubeconformResult['status']): KubeconformResult => ({
    filename: 'stdin',
    kind: m.kind,
    name: m.metadata.name,
    version: m.apiVersion,
    status,
    message: '',
    errors: [],
  });

  it('passes one valid verdict per object', () => {
    expectAllValid(
      objects.map((m) => verdict(m, 'valid')),
      objects,
    );
  });

  it('fails a verdict that is not valid, and an object without a verdict', () => {
    expect(() => expectAllValid([verdict(deployment, 'valid'), verdict(cronJob, 'invalid'), verdict(config, 'valid')], objects)).toThrow();
    expect(() => expectAllValid([verdict(deployment, 'valid'), verdict(cronJob, 'valid')], objects)).toThrow();
  });
});

describe('expectInventory', () => {
  const labelled = (m: Manifest, labels: Record<string, string>): Manifest => ({ ...m, metadata: { ...m.metadata, labels } });
  const ours = { 'app.kubernetes.io/part-of': 'web', 'app.kubernetes.io/managed-by': 'strata' };

  it('passes the exact count of each kind when every object carries the labels of the app', () => {
    expectInventory([labelled(deployment, ours), labelled(config, { ...ours, tier: 'x' })], 'web', { ConfigMap: 1, Deployment: 1 });
  });

  it('fails a count that differs, a kind too many, and an object without the labels', () => {
    const both = [labelled(deployment, ours), labelled(config, ours)];
    expect(() => expectInventory(both, 'web', { ConfigMap: 2, Deployment: 1 })).toThrow();
    expect(() => expectInventory(both, 'web', { Deployment: 1 })).toThrow();
    expect(() => expectInventory([labelled(deployment, ours), config], 'web', { ConfigMap: 1, Deployment: 1 })).toThrow();
    expect(() => expectInventory(both, 'api', { ConfigMap: 1, Deployment: 1 })).toThrow('Deployment/web');
  });
});
