import { describe, expect, it } from 'vitest';
import { noRootUser } from '../../src/rules/no-root-user.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment } from '../support.ts';

describe('no-root-user', () => {
  it('stays quiet for non-zero or unset UIDs', () => {
    expect(check(noRootUser, [deployment(), deployment('web', { pod: { securityContext: {} } })])).toStrictEqual([]);
  });

  it('reports runAsUser: 0 on the pod and on a container, as restricted', () => {
    const d = deployment('web', {
      pod: {
        securityContext: { runAsNonRoot: true, runAsUser: 0 },
        containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, runAsUser: 0 } })],
      },
    });
    const found = check(noRootUser, [d]);
    expect(found.map((f) => [f.path, f.podSecurity])).toStrictEqual([
      ['spec.template.spec.securityContext.runAsUser', 'restricted'],
      ['spec.template.spec.containers[0].securityContext.runAsUser', 'restricted'],
    ]);
    expect(found[0]?.message).toBe('The pod sets runAsUser: 0 (root): use a non-zero UID such as 1000.');
  });

  it('allows UID 0 in a user namespace (hostUsers: false), where it is not root on the node', () => {
    expect(check(noRootUser, [deployment('web', { pod: { hostUsers: false, securityContext: { runAsUser: 0 } } })])).toStrictEqual([]);
  });
});
