import { describe, expect, it } from 'vitest';
import { Container } from 'kubernetes-models/v1/Container';
import { hardenedContainer, mergeVolumes } from '../../src/index.ts';

describe('hardenedContainer', () => {
  it('is restricted and read-only with nothing but a name and an image', () => {
    const { container, volumes } = hardenedContainer({ name: 'web', image: 'example.com/web:1' });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container).not.toHaveProperty('volumeMounts');
    expect(volumes).toStrictEqual([]);
  });

  it('mounts an emptyDir at each writable path, named after its last segment unless named', () => {
    const { container, volumes } = hardenedContainer(
      { name: 'web', image: 'example.com/web:1' },
      { writable: ['/tmp', { path: '/home/app/.cache', name: 'cache', sizeLimit: '1Gi' }] },
    );
    expect(container.volumeMounts).toStrictEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'cache', mountPath: '/home/app/.cache' },
    ]);
    expect(volumes).toStrictEqual([
      { name: 'tmp', emptyDir: {} },
      { name: 'cache', emptyDir: { sizeLimit: '1Gi' } },
    ]);
  });

  it('mounts a claim, or a StatefulSet claim template without a pod volume', () => {
    const { container, volumes } = hardenedContainer(
      { name: 'db', image: 'postgres:17' },
      {
        writable: [
          { path: '/var/lib/postgresql/data', name: 'data', claimTemplate: true },
          { path: '/backups', claim: 'db-backups' },
        ],
      },
    );
    expect(container.volumeMounts).toStrictEqual([
      { name: 'data', mountPath: '/var/lib/postgresql/data' },
      { name: 'backups', mountPath: '/backups' },
    ]);
    expect(volumes).toStrictEqual([{ name: 'backups', persistentVolumeClaim: { claimName: 'db-backups' } }]);
  });

  it("keeps the container's own mounts after the writable ones, and brings the volumes they read", () => {
    const { container, volumes } = hardenedContainer(
      { name: 'tor', image: 'tor:1', volumeMounts: [{ name: 'torrc', mountPath: '/etc/tor', readOnly: true }] },
      { writable: [{ path: '/var/lib/tor', name: 'tor-data' }], volumes: [{ name: 'torrc', configMap: { name: 'torrc' } }] },
    );
    expect(container.volumeMounts?.map((m) => m.name)).toStrictEqual(['tor-data', 'torrc']);
    expect(volumes.map((v) => v.name)).toStrictEqual(['tor-data', 'torrc']);
  });

  it('passes the security options through', () => {
    const { container } = hardenedContainer({ name: 'web' }, { user: 1000, group: 1000, standalone: false });
    expect(container.securityContext).toStrictEqual({
      runAsUser: 1000,
      runAsGroup: 1000,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('does not let a security context in through the container', () => {
    // @ts-expect-error the kit sets the security context; a container spec cannot carry one
    const { container } = hardenedContainer({ name: 'web', securityContext: { privileged: true } });
    expect(container.securityContext?.privileged).toBe(false);
  });

  it('refuses a path whose last segment is no volume name, and says to name it', () => {
    expect(() => hardenedContainer({ name: 'web' }, { writable: ['/home/app/.cache'] })).toThrow(
      `writable path /home/app/.cache: its last segment ".cache" is no volume name; give it a name`,
    );
    expect(() => hardenedContainer({ name: 'web' }, { writable: [{ path: '/x', name: 'Bad_Name' }] })).toThrow('name "Bad_Name" is no DNS label');
  });

  it('refuses a path or a name mounted twice', () => {
    expect(() => hardenedContainer({ name: 'web', volumeMounts: [{ name: 'scratch', mountPath: '/tmp' }] }, { writable: ['/tmp'] })).toThrow(
      'container web: two volume mounts have mountPath /tmp',
    );
    expect(() => hardenedContainer({ name: 'web' }, { writable: ['/a/tmp', '/b/tmp'] })).toThrow('container web: two volume mounts have name tmp');
  });

  it('is valid for its model', () => {
    const { container } = hardenedContainer({ name: 'web', image: 'example.com/web:1' }, { user: 1000, writable: ['/tmp'] });
    expect(() => new Container(container).validate()).not.toThrow();
  });
});

describe('mergeVolumes', () => {
  it('keeps each volume once, in order of first appearance', () => {
    const tmp = { name: 'tmp', emptyDir: {} };
    expect(
      mergeVolumes(
        [
          [tmp],
          [
            { name: 'tmp', emptyDir: {} },
            { name: 'run', emptyDir: {} },
          ],
        ],
        'pod',
      ).map((v) => v.name),
    ).toStrictEqual(['tmp', 'run']);
  });

  it('refuses two different volumes of one name', () => {
    expect(() => mergeVolumes([[{ name: 'tmp', emptyDir: {} }], [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }]], 'pod')).toThrow(
      'pod: two different volumes are named tmp; give one of them another name.',
    );
  });
});
