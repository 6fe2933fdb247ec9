import { describe, expect, it } from 'vitest';
import { listMergeKey } from '../src/index.ts';

const podSpec = ['spec', 'template', 'spec'];

describe('listMergeKey', () => {
  it('merges Deployment containers on name', () => {
    expect(listMergeKey('apps/v1', 'Deployment', [...podSpec, 'containers'])).toBe('name');
  });

  it('merges volumeMounts on mountPath, through the containers list', () => {
    expect(listMergeKey('apps/v1', 'Deployment', [...podSpec, 'containers', 'volumeMounts'])).toBe('mountPath');
    expect(listMergeKey('apps/v1', 'Deployment', [...podSpec, 'containers', '0', 'volumeMounts'])).toBe('mountPath');
  });

  it('merges env on name', () => {
    expect(listMergeKey('apps/v1', 'StatefulSet', [...podSpec, 'initContainers', 'env'])).toBe('name');
    expect(listMergeKey('batch/v1', 'CronJob', ['spec', 'jobTemplate', ...podSpec, 'containers', 'env'])).toBe('name');
  });

  it('merges volumes on name although their strategy also retains keys', () => {
    expect(listMergeKey('v1', 'Pod', ['spec', 'volumes'])).toBe('name');
  });

  it('returns undefined for atomic lists', () => {
    expect(listMergeKey('apps/v1', 'Deployment', [...podSpec, 'tolerations'])).toBeUndefined();
    expect(listMergeKey('apps/v1', 'Deployment', [...podSpec, 'containers', 'args'])).toBeUndefined();
  });

  it('returns undefined for fields that are not lists', () => {
    expect(listMergeKey('apps/v1', 'Deployment', ['spec', 'replicas'])).toBeUndefined();
    expect(listMergeKey('apps/v1', 'Deployment', ['spec', 'noSuchField'])).toBeUndefined();
  });

  it('returns undefined for unknown kinds and custom resources', () => {
    expect(listMergeKey('apps/v1', 'NoSuchKind', ['spec', 'containers'])).toBeUndefined();
    expect(listMergeKey('monitoring.coreos.com/v1', 'ServiceMonitor', ['spec', 'endpoints'])).toBeUndefined();
  });
});

describe('listItemKeys', () => {
  it('lists the merge key first and the other list-map keys after it', async () => {
    const { listItemKeys } = await import('../src/index.ts');
    expect(listItemKeys('apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers', 'ports'])).toStrictEqual(['containerPort', 'protocol']);
    expect(listItemKeys('v1', 'Service', ['spec', 'ports'])).toStrictEqual(['port', 'protocol']);
    expect(listItemKeys('apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers', 'env'])).toStrictEqual(['name']);
    expect(listItemKeys('apps/v1', 'Deployment', ['spec', 'template', 'spec', 'tolerations'])).toBeUndefined();
  });
});
