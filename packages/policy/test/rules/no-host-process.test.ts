import { describe, expect, it } from 'vitest';
import { noHostProcess } from '../../src/rules/no-host-process.ts';
import { check, container, deployment, pod } from '../support.ts';

describe('no-host-process', () => {
  it('stays quiet when hostProcess is unset or false', () => {
    const off = deployment('web', { pod: { securityContext: { windowsOptions: { hostProcess: false } } } });
    expect(check(noHostProcess, [deployment(), off])).toStrictEqual([]);
  });

  it('reports hostProcess on the pod and on each container, as baseline', () => {
    const p = pod('agent', {
      pod: {
        os: { name: 'windows' },
        hostNetwork: true,
        securityContext: { windowsOptions: { hostProcess: true } },
        containers: [container({ securityContext: { windowsOptions: { hostProcess: true } } })],
      },
    });
    const found = check(noHostProcess, [p]);
    expect(found.map((f) => [f.path, f.podSecurity])).toStrictEqual([
      ['spec.securityContext.windowsOptions.hostProcess', 'baseline'],
      ['spec.containers[0].securityContext.windowsOptions.hostProcess', 'baseline'],
    ]);
    expect(found[1]?.message).toBe(
      'Container "web" runs as a Windows HostProcess, with full access to the node: remove securityContext.windowsOptions.hostProcess.',
    );
  });
});
