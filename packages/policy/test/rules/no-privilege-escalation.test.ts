import { describe, expect, it } from 'vitest';
import { noPrivilegeEscalation } from '../../src/rules/no-privilege-escalation.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment, pod, summary } from '../support.ts';

const { allowPrivilegeEscalation: _unused, ...unset } = SECURE_CONTAINER_CONTEXT;

describe('no-privilege-escalation', () => {
  it('stays quiet when every container sets allowPrivilegeEscalation: false', () => {
    expect(check(noPrivilegeEscalation, [deployment(), pod()])).toStrictEqual([]);
  });

  it('reports a container that leaves it unset, since unset means allowed', () => {
    const d = deployment('web', { pod: { containers: [container({ securityContext: unset })] } });
    expect(summary(check(noPrivilegeEscalation, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
        message: 'Container "web" may gain privileges through setuid binaries: set securityContext.allowPrivilegeEscalation: false.',
      },
    ]);
  });

  it('reports ephemeral containers too', () => {
    const p = pod('web', {
      pod: { ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36', securityContext: { allowPrivilegeEscalation: true } }] },
    });
    const [f] = check(noPrivilegeEscalation, [p]);
    expect(f?.path).toBe('spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation');
    expect(f?.message).toContain('Ephemeral container "debug" sets allowPrivilegeEscalation: true');
  });
});
