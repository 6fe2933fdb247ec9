import { describe, expect, it } from 'vitest';
import { requireSeccompProfile } from '../../src/rules/require-seccomp-profile.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment, summary } from '../support.ts';

const { seccompProfile: _unused, ...noProfile } = SECURE_CONTAINER_CONTEXT;
const withPod = (securityContext: object, containers = [container({ securityContext: noProfile })]) =>
  deployment('web', { pod: { securityContext, containers } });

describe('require-seccomp-profile', () => {
  it('allows RuntimeDefault or Localhost on the pod', () => {
    const localhost = withPod({ runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/web.json' } });
    expect(check(requireSeccompProfile, [deployment(), localhost])).toStrictEqual([]);
  });

  it('allows every container setting its own profile while the pod sets none', () => {
    const each = withPod({ runAsNonRoot: true }, [
      container({ securityContext: { ...noProfile, seccompProfile: { type: 'RuntimeDefault' } } }),
      container({
        name: 'sidecar',
        ports: [],
        securityContext: { ...noProfile, seccompProfile: { type: 'Localhost', localhostProfile: 'side.json' } },
      }),
    ]);
    expect(check(requireSeccompProfile, [each])).toStrictEqual([]);
  });

  it('reports once at pod level, as restricted, when no profile is set anywhere', () => {
    const found = check(requireSeccompProfile, [withPod({ runAsNonRoot: true })]);
    expect(summary(found)).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.securityContext.seccompProfile.type',
        message: 'The pod runs without a seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault on the pod.',
      },
    ]);
    expect(found[0]?.podSecurity).toBe('restricted');
  });

  it('names the container left without a profile when the others set one', () => {
    const some = withPod({ runAsNonRoot: true }, [
      container({ securityContext: { ...noProfile, seccompProfile: { type: 'RuntimeDefault' } } }),
      container({ name: 'log', ports: [], securityContext: noProfile }),
    ]);
    expect(check(requireSeccompProfile, [some]).map((f) => f.path)).toStrictEqual([
      'spec.template.spec.containers[1].securityContext.seccompProfile.type',
    ]);
  });

  it('reports Unconfined as baseline, on the pod or on a container that overrides a good pod profile', () => {
    const podUnconfined = withPod({ runAsNonRoot: true, seccompProfile: { type: 'Unconfined' } });
    const containerUnconfined = deployment('web', {
      pod: { containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, seccompProfile: { type: 'Unconfined' } } })] },
    });
    const found = check(requireSeccompProfile, [podUnconfined, containerUnconfined]);
    expect(found.map((f) => [f.path, f.podSecurity])).toStrictEqual([
      ['spec.template.spec.securityContext.seccompProfile.type', 'baseline'],
      ['spec.template.spec.containers[0].securityContext.seccompProfile.type', 'baseline'],
    ]);
    expect(found[1]?.message).toContain('sets seccompProfile.type Unconfined');
  });

  it('asks nothing of a Windows pod, which has no seccomp', () => {
    const windows = deployment('web', {
      pod: { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [container({ securityContext: {} })] },
    });
    expect(check(requireSeccompProfile, [windows])).toStrictEqual([]);
  });
});
