import { LATEST, sharedChecks } from '../pod-security-admission.ts';
import { podSecuritySpecsOf } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-unsafe-sysctls';

export const noUnsafeSysctls: Rule = {
  id,
  description: 'The pod sets only safe sysctls (namespaced, isolated from the node and other pods).',
  podSecurity: 'Sysctls',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      for (const r of sharedChecks.sysctls(pod, LATEST)) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `The pod sets sysctl ${String(r.value)}, which is not isolated from the node or other pods: remove it, or set it on the node.`,
            r.path,
          ),
        );
      }
    }
    return out;
  },
};
