import { describe, expect, it } from 'vitest';
import { noPrivileged } from '../../src/rules/no-privileged.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment, summary } from '../support.ts';

describe('no-privileged', () => {
  it('stays quiet when no container is privileged (false or unset)', () => {
    const explicit = deployment('web', { pod: { containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, privileged: false } })] } });
    expect(check(noPrivileged, [deployment(), explicit])).toStrictEqual([]);
  });

  it('reports a privileged sidecar', () => {
    const d = deployment('web', {
      pod: { containers: [container(), container({ name: 'tor', ports: [], securityContext: { ...SECURE_CONTAINER_CONTEXT, privileged: true } })] },
    });
    expect(summary(check(noPrivileged, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[1].securityContext.privileged',
        message: 'Container "tor" runs privileged, with full access to the node: remove securityContext.privileged or set it to false.',
      },
    ]);
  });
});
