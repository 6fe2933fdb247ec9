import { describe, expect, it } from 'vitest';
import { noUnconfinedApparmor } from '../../src/rules/no-unconfined-apparmor.ts';
import type { Manifest } from '@strata/core';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment } from '../support.ts';

const annotated = (annotations: Record<string, string>): Manifest => {
  const d = deployment();
  const spec = d.spec as { template: { metadata: Record<string, unknown> } };
  spec.template.metadata.annotations = annotations;
  return d;
};

describe('no-unconfined-apparmor', () => {
  it('allows RuntimeDefault and Localhost profiles, and the matching annotations', () => {
    const fields = deployment('web', {
      pod: {
        securityContext: { runAsNonRoot: true, appArmorProfile: { type: 'RuntimeDefault' } },
        containers: [
          container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, appArmorProfile: { type: 'Localhost', localhostProfile: 'web' } } }),
        ],
      },
    });
    const annotations = annotated({
      'container.apparmor.security.beta.kubernetes.io/web': 'localhost/web',
      'container.apparmor.security.beta.kubernetes.io/log': 'runtime/default',
    });
    expect(check(noUnconfinedApparmor, [deployment(), fields, annotations])).toStrictEqual([]);
  });

  it('reports Unconfined on the pod or a container, as baseline', () => {
    const d = deployment('web', {
      pod: {
        securityContext: { runAsNonRoot: true, appArmorProfile: { type: 'Unconfined' } },
        containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, appArmorProfile: { type: 'Unconfined' } } })],
      },
    });
    expect(check(noUnconfinedApparmor, [d]).map((f) => [f.path, f.podSecurity])).toStrictEqual([
      ['spec.template.spec.securityContext.appArmorProfile.type', 'baseline'],
      ['spec.template.spec.containers[0].securityContext.appArmorProfile.type', 'baseline'],
    ]);
  });

  it('reports the beta annotation asking for unconfined, at the template metadata', () => {
    const [f] = check(noUnconfinedApparmor, [annotated({ 'container.apparmor.security.beta.kubernetes.io/web': 'unconfined' })]);
    expect(f?.path).toBe('spec.template.metadata.annotations.container.apparmor.security.beta.kubernetes.io/web');
    expect(f?.message).toContain('asks for AppArmor profile unconfined');
  });
});
