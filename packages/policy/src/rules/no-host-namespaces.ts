import { podSecuritySpecsOf } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-host-namespaces';

const FIELDS = [
  ['hostNetwork', "the node's network"],
  ['hostPID', "the node's processes"],
  ['hostIPC', "the node's shared memory"],
] as const;

export const noHostNamespaces: Rule = {
  id,
  description: 'No hostNetwork, hostPID or hostIPC.',
  podSecurity: 'Host Namespaces',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      for (const [field, what] of FIELDS) {
        if (pod.spec[field] !== true) continue;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `The pod sets ${field}: true and shares ${what}: remove ${field} (expose ports through a Service instead).`,
            `${pod.specPath}.${field}`,
          ),
        );
      }
    }
    return out;
  },
};
