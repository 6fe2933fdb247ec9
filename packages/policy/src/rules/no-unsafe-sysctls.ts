import { podSecuritySpecsOf } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { list, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-unsafe-sysctls';

/** The sysctls that are namespaced per pod and isolated from the node and other pods (Kubernetes 1.32+). */
const SAFE = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);

export const noUnsafeSysctls: Rule = {
  id,
  description: 'The pod sets only safe sysctls (namespaced, isolated from the node and other pods).',
  podSecurity: 'Sysctls',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      list(rec(pod.spec.securityContext)?.sysctls).forEach((s, i) => {
        const name = rec(s)?.name;
        if (typeof name === 'string' && SAFE.has(name)) return;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `The pod sets sysctl ${String(name)}, which is not isolated from the node or other pods: remove it, or set it on the node.`,
            `${pod.specPath}.securityContext.sysctls[${i}].name`,
          ),
        );
      });
    }
    return out;
  },
};
