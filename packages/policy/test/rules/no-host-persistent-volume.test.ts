import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/index.ts';
import { noHostPersistentVolume } from '../../src/rules/no-host-persistent-volume.ts';
import { check, manifest, objects, summary } from '../support.ts';

const pv = (name: string, source: Record<string, unknown>, claimRef?: Record<string, string>) =>
  manifest(
    'v1',
    'PersistentVolume',
    name,
    {
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'manual',
        ...(claimRef && { claimRef }),
        ...source,
      },
    },
    undefined,
  );

describe('no-host-persistent-volume', () => {
  it('stays quiet for volumes a storage system serves', () => {
    expect(
      check(noHostPersistentVolume, [
        pv('nfs', { nfs: { server: 'nfs.example.com', path: '/exports' } }),
        pv('csi', { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-1' } }),
      ]),
    ).toStrictEqual([]);
  });

  it("reports a hostPath volume pre-bound to the app's claim, naming the node path and the claim", () => {
    expect(
      summary(check(noHostPersistentVolume, [pv('host-root', { hostPath: { path: '/', type: 'Directory' } }, { namespace: 'shop', name: 'root' })])),
    ).toStrictEqual([
      {
        name: 'host-root',
        path: 'spec.hostPath',
        message:
          'The volume serves / from the node (hostPath) to every pod of the claim shop/root, which the Pod Security hostPath control does not see: ' +
          'let a StorageClass provision the volume, or add a policy exception that says why the app needs the node path.',
      },
    ]);
  });

  it('reports a local volume, bound to any claim', () => {
    const local = pv('node-disk', {
      local: { path: '/' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } },
    });
    expect(summary(check(noHostPersistentVolume, [local]))).toStrictEqual([
      {
        name: 'node-disk',
        path: 'spec.local',
        message: expect.stringMatching(/^The volume serves \/ from the node \(local\) to every pod of any claim it binds to, /),
      },
    ]);
  });

  it('is an error in every env, and waived only by an exception with a reason', () => {
    const set = objects(pv('cache', { local: { path: '/mnt/ssd' } }));
    for (const env of ['dev', 'staging', 'prod'] as const) {
      expect(
        runPolicy(set, { env })
          .filter((f) => f.rule === 'no-host-persistent-volume')
          .map((f) => f.severity),
      ).toStrictEqual(['error']);
    }
    const [waived] = runPolicy(set, {
      exceptions: [
        { rule: 'no-host-persistent-volume', kind: 'PersistentVolume', name: 'cache', reason: 'node-local cache disk, data is disposable' },
      ],
    }).filter((f) => f.rule === 'no-host-persistent-volume');
    expect(waived?.exception).toBe('node-local cache disk, data is disposable');
  });
});
