import { LATEST, sharedChecks } from '../pod-security-admission.ts';
import { containerLabel, podSecuritySpecsOf, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-privileged';

export const noPrivileged: Rule = {
  id,
  description: 'No container runs privileged.',
  podSecurity: 'Privileged Containers',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      for (const r of sharedChecks.privileged(pod, LATEST)) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `${sentenceStart(containerLabel(r.container!))} runs privileged, with full access to the node: remove securityContext.privileged or set it to false.`,
            r.path,
          ),
        );
      }
    }
    return out;
  },
};
