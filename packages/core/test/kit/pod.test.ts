import { describe, expect, it } from 'vitest';
import { PodSpec } from 'kubernetes-models/v1/PodSpec';
import { hardenedContainer, hardenedPodSpec } from '../../src/index.ts';

const web = hardenedContainer({ name: 'web', image: 'example.com/web:1' }, { writable: ['/tmp'] });

describe('hardenedPodSpec', () => {
  it('is restricted with nothing but its containers: pod context, no service account token, their volumes', () => {
    expect(hardenedPodSpec({ containers: [web] })).toStrictEqual({
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [web.container],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    });
  });

  it('runs as the given user and mounts a token only when asked', () => {
    const spec = hardenedPodSpec({ containers: [web], runAs: { user: 1000 }, automountServiceAccountToken: true });
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(spec.automountServiceAccountToken).toBe(true);
  });

  it('collects the volumes of init containers, then containers, then its own, each once', () => {
    const init = hardenedContainer({ name: 'init' }, { writable: ['/tmp', '/run'] });
    const spec = hardenedPodSpec({ initContainers: [init], containers: [web], volumes: [{ name: 'config', configMap: { name: 'web' } }] });
    expect(spec.initContainers).toStrictEqual([init.container]);
    expect(spec.volumes?.map((v) => v.name)).toStrictEqual(['tmp', 'run', 'config']);
  });

  it('writes no empty volume list', () => {
    expect(hardenedPodSpec({ containers: [hardenedContainer({ name: 'web' })] })).not.toHaveProperty('volumes');
  });

  it('passes other pod fields through', () => {
    const spec = hardenedPodSpec({ containers: [web], terminationGracePeriodSeconds: 30, enableServiceLinks: false, hostNetwork: false });
    expect(spec).toMatchObject({ terminationGracePeriodSeconds: 30, enableServiceLinks: false, hostNetwork: false });
  });

  it('does not let the host namespaces open or a security context in', () => {
    // @ts-expect-error hostNetwork may only be false
    hardenedPodSpec({ containers: [web], hostNetwork: true });
    // @ts-expect-error the kit sets the pod's security context
    const spec = hardenedPodSpec({ containers: [web], securityContext: {} });
    expect(spec.securityContext).toStrictEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('refuses a pod without containers and two containers of one name', () => {
    expect(() => hardenedPodSpec({ containers: [] })).toThrow('a pod needs at least one container');
    expect(() => hardenedPodSpec({ containers: [web, web] })).toThrow('two containers are named web');
  });

  it('refuses two different volumes of one name from two containers', () => {
    const other = hardenedContainer({ name: 'other' }, { writable: [{ path: '/tmp', sizeLimit: '1Gi' }] });
    expect(() => hardenedPodSpec({ containers: [web, other] })).toThrow('pod: two different volumes are named tmp');
  });

  it('is valid for its model', () => {
    expect(() => new PodSpec(hardenedPodSpec({ containers: [web], runAs: { user: 1000 } })).validate()).not.toThrow();
  });
});
