import { podsOf } from '../pods.ts';
import { finding } from '../read.ts';
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
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      for (const [field, what] of FIELDS) {
        if (pod.spec[field] !== true) continue;
        out.push(finding(id, pod.object, `The pod sets ${field}: true and shares ${what}: remove ${field} (expose ports through a Service instead).`, `${pod.specPath}.${field}`));
      }
    }
    return out;
  },
};
