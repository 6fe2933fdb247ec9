import { describe, expect, it } from 'vitest';
import { noHostPath } from '../../src/rules/no-host-path.ts';
import { check, deployment, summary } from '../support.ts';

describe('no-host-path', () => {
  it('stays quiet with emptyDir and ConfigMap volumes', () => {
    const d = deployment('web', {
      pod: {
        volumes: [
          { name: 'tmp', emptyDir: {} },
          { name: 'config', configMap: { name: 'web' } },
        ],
      },
    });
    expect(check(noHostPath, [d])).toStrictEqual([]);
  });

  it('reports a hostPath volume with the node path it exposes', () => {
    const d = deployment('web', {
      pod: {
        volumes: [
          { name: 'tmp', emptyDir: {} },
          { name: 'docker', hostPath: { path: '/var/run/docker.sock' } },
        ],
      },
    });
    expect(summary(check(noHostPath, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.volumes[1].hostPath',
        message: 'Volume "docker" mounts /var/run/docker.sock from the node: use an emptyDir, a ConfigMap or a PersistentVolumeClaim instead.',
      },
    ]);
  });
});
