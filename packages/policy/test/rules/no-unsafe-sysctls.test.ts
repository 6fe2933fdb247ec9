import { describe, expect, it } from 'vitest';
import { noUnsafeSysctls } from '../../src/rules/no-unsafe-sysctls.ts';
import { check, deployment } from '../support.ts';

const sysctls = (...names: string[]) =>
  deployment('web', { pod: { securityContext: { runAsNonRoot: true, sysctls: names.map((name) => ({ name, value: '1' })) } } });

describe('no-unsafe-sysctls', () => {
  it('allows the safe set, including the ones added up to Kubernetes 1.32', () => {
    expect(
      check(noUnsafeSysctls, [
        deployment(),
        sysctls('kernel.shm_rmid_forced', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_wmem'),
      ]),
    ).toStrictEqual([]);
  });

  it('reports each other sysctl, as baseline', () => {
    const found = check(noUnsafeSysctls, [sysctls('net.ipv4.tcp_syncookies', 'kernel.msgmax', 'net.core.somaxconn')]);
    expect(found.map((f) => [f.path, f.podSecurity])).toStrictEqual([
      ['spec.template.spec.securityContext.sysctls[1].name', 'baseline'],
      ['spec.template.spec.securityContext.sysctls[2].name', 'baseline'],
    ]);
    expect(found[0]?.message).toBe(
      'The pod sets sysctl kernel.msgmax, which is not isolated from the node or other pods: remove it, or set it on the node.',
    );
  });
});
