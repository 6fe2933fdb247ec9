import { describe, expect, it } from 'vitest';
import { requireSeccompRuntimeDefault } from '../../src/rules/require-seccomp-runtime-default.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment, summary } from '../support.ts';

const { seccompProfile: _unused, ...noProfile } = SECURE_CONTAINER_CONTEXT;

describe('require-seccomp-runtime-default', () => {
  it('stays quiet with RuntimeDefault on the pod, or Localhost on every container', () => {
    const localhost = deployment('web', {
      pod: { securityContext: { runAsNonRoot: true }, containers: [container({ securityContext: { ...noProfile, seccompProfile: { type: 'Localhost', localhostProfile: 'web.json' } } })] },
    });
    expect(check(requireSeccompRuntimeDefault, [deployment(), localhost])).toStrictEqual([]);
  });

  it('reports a pod without any profile once, at pod level', () => {
    const d = deployment('web', { pod: { securityContext: { runAsNonRoot: true }, containers: [container({ securityContext: noProfile })] } });
    expect(summary(check(requireSeccompRuntimeDefault, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.securityContext.seccompProfile.type',
        message: 'The pod runs without a seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault on the pod.',
      },
    ]);
  });

  it('reports a container that opts out with Unconfined', () => {
    const d = deployment('web', { pod: { containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, seccompProfile: { type: 'Unconfined' } } })] } });
    const [f] = check(requireSeccompRuntimeDefault, [d]);
    expect(f?.path).toBe('spec.template.spec.containers[0].securityContext.seccompProfile.type');
    expect(f?.message).toContain('sets seccompProfile.type Unconfined');
  });
});
