import { describe, expect, it } from 'vitest';
import { PodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import { SecurityContext } from 'kubernetes-models/v1/SecurityContext';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../src/index.ts';

describe('restrictedPodSecurityContext', () => {
  it('with no identity: non-root and RuntimeDefault seccomp, the image keeps its user', () => {
    expect(restrictedPodSecurityContext()).toStrictEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('gives the user to the group and the group to fsGroup unless they are named', () => {
    expect(restrictedPodSecurityContext({ user: 1000 })).toStrictEqual({
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(restrictedPodSecurityContext({ user: 1000, group: 3000 })).toMatchObject({ runAsUser: 1000, runAsGroup: 3000, fsGroup: 3000 });
    expect(restrictedPodSecurityContext({ user: 1000, group: 3000, fsGroup: 2000 })).toMatchObject({ runAsGroup: 3000, fsGroup: 2000 });
  });

  it('is valid for its model', () => {
    expect(() => new PodSecurityContext(restrictedPodSecurityContext({ user: 1000 })).validate()).not.toThrow();
  });

  it('refuses root and ids that are no whole numbers, saying what to give', () => {
    expect(() => restrictedPodSecurityContext({ user: 0 })).toThrow('pod securityContext.runAsUser is 0, which is root');
    expect(() => restrictedPodSecurityContext({ user: 1000, group: -1 })).toThrow('pod securityContext.runAsGroup is -1: give a whole number');
    expect(() => restrictedPodSecurityContext({ user: 10.5 })).toThrow('runAsUser is 10.5');
  });

  it('accepts group 0, which the restricted profile allows', () => {
    expect(restrictedPodSecurityContext({ user: 1000, group: 0 })).toMatchObject({ runAsGroup: 0, fsGroup: 0 });
  });
});

describe('restrictedContainerSecurityContext', () => {
  it('is secure with no options: read-only root, nothing escalates, every capability dropped, seccomp of its own', () => {
    expect(restrictedContainerSecurityContext()).toStrictEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('names the user and group only when given', () => {
    expect(restrictedContainerSecurityContext({ user: 101 })).toMatchObject({ runAsUser: 101 });
    expect(restrictedContainerSecurityContext({ user: 101 })).not.toHaveProperty('runAsGroup');
    expect(restrictedContainerSecurityContext({ user: 101, group: 102 })).toMatchObject({ runAsUser: 101, runAsGroup: 102 });
  });

  it('standalone: false leaves seccomp to the pod and privileged to the API default, and keeps the rest', () => {
    expect(restrictedContainerSecurityContext({ user: 999, standalone: false })).toStrictEqual({
      runAsUser: 999,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('adds back only NET_BIND_SERVICE when asked to bind low ports', () => {
    expect(restrictedContainerSecurityContext({ bindLowPorts: true }).capabilities).toStrictEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
  });

  it('makes the root filesystem writable only when asked', () => {
    expect(restrictedContainerSecurityContext({ readOnlyRootFilesystem: false }).readOnlyRootFilesystem).toBe(false);
  });

  it('is valid for its model', () => {
    expect(() => new SecurityContext(restrictedContainerSecurityContext({ user: 1000, group: 1000, bindLowPorts: true })).validate()).not.toThrow();
  });

  it('refuses root', () => {
    expect(() => restrictedContainerSecurityContext({ user: 0 })).toThrow('container securityContext.runAsUser is 0, which is root');
  });
});
