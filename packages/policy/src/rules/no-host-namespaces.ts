import { LATEST, sharedChecks } from '../pod-security-admission.ts';
import { podSecuritySpecsOf } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-host-namespaces';

const SHARED: Readonly<Record<string, string>> = {
  hostNetwork: "the node's network",
  hostPID: "the node's processes",
  hostIPC: "the node's shared memory",
};

export const noHostNamespaces: Rule = {
  id,
  description: 'No hostNetwork, hostPID or hostIPC.',
  podSecurity: 'Host Namespaces',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      for (const r of sharedChecks.hostNamespaces(pod, LATEST)) {
        const field = String(r.value);
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `The pod sets ${field}: true and shares ${SHARED[field]}: remove ${field} (expose ports through a Service instead).`,
            r.path,
          ),
        );
      }
    }
    return out;
  },
};
