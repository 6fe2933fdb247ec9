import { describe, expect, it } from 'vitest';
import { restrictVolumeTypes } from '../../src/rules/restrict-volume-types.ts';
import { check, deployment } from '../support.ts';

const volumes = (...list: object[]) => deployment('web', { pod: { volumes: list } });

describe('restrict-volume-types', () => {
  it('allows the volume types restricted allows, and a volume without a source (an emptyDir once defaulted)', () => {
    const allowed = volumes(
      { name: 'a', configMap: { name: 'c' } },
      { name: 'b', secret: { secretName: 's' } },
      { name: 'c', emptyDir: {} },
      { name: 'd', projected: { sources: [] } },
      { name: 'e', downwardAPI: { items: [] } },
      { name: 'f', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'g', ephemeral: { volumeClaimTemplate: { spec: {} } } },
      { name: 'h', csi: { driver: 'x' } },
      { name: 'i', image: { reference: 'ghcr.io/acme/model:1' } },
      { name: 'j' },
    );
    expect(check(restrictVolumeTypes, [deployment(), allowed])).toStrictEqual([]);
  });

  it('reports nfs and iscsi as restricted, and leaves hostPath to no-host-path', () => {
    const found = check(restrictVolumeTypes, [
      volumes(
        { name: 'share', nfs: { server: 'nfs', path: '/x' } },
        { name: 'lun', iscsi: { targetPortal: '10.0.0.1', iqn: 'iqn.2001-04.com.example:storage', lun: 0 } },
        { name: 'node', hostPath: { path: '/var' } },
      ),
    ]);
    expect(found.map((f) => [f.path, f.podSecurity])).toStrictEqual([
      ['spec.template.spec.volumes[0].nfs', 'restricted'],
      ['spec.template.spec.volumes[1].iscsi', 'restricted'],
    ]);
    expect(found[0]?.message).toBe(
      'Volume "share" is a nfs volume, which the restricted profile does not allow: use a PersistentVolumeClaim (or a CSI volume) instead.',
    );
  });
});
