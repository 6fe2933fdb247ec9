import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
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
      for (const c of pod.containers) {
        if (securityContext(c.container).privileged !== true) continue;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `${sentenceStart(containerLabel(c))} runs privileged, with full access to the node: remove securityContext.privileged or set it to false.`,
            `${c.path}.securityContext.privileged`,
          ),
        );
      }
    }
    return out;
  },
};
