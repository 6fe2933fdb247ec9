import { describe, expect, it } from 'vitest';
import { noCustomSelinuxOptions } from '../../src/rules/no-custom-selinux-options.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment } from '../support.ts';

const podOptions = (seLinuxOptions: object) => deployment('web', { pod: { securityContext: { runAsNonRoot: true, seLinuxOptions } } });

describe('no-custom-selinux-options', () => {
  it('allows the container types and a level', () => {
    const allowed = ['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t', ''].map((type) =>
      podOptions({ type, level: 's0:c1,c2' }),
    );
    expect(check(noCustomSelinuxOptions, [deployment(), podOptions({ level: 's0:c5' }), ...allowed])).toStrictEqual([]);
  });

  it('reports spc_t on the pod, as baseline', () => {
    const found = check(noCustomSelinuxOptions, [podOptions({ type: 'spc_t' })]);
    expect(found.map((f) => [f.path, f.podSecurity, f.message])).toStrictEqual([
      ['spec.template.spec.securityContext.seLinuxOptions.type', 'baseline', 'The pod sets SELinux type spc_t: use container_t (or leave it unset).'],
    ]);
  });

  it('reports a user and a role on a container', () => {
    const d = deployment('web', {
      pod: { containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, seLinuxOptions: { user: 'system_u', role: 'system_r' } } })] },
    });
    expect(check(noCustomSelinuxOptions, [d]).map((f) => f.path)).toStrictEqual([
      'spec.template.spec.containers[0].securityContext.seLinuxOptions.user',
      'spec.template.spec.containers[0].securityContext.seLinuxOptions.role',
    ]);
  });
});
