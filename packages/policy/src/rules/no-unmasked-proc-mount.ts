import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { inUserNamespace, podSecurityFinding } from '../pod-security.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-unmasked-proc-mount';

export const noUnmaskedProcMount: Rule = {
  id,
  description:
    'procMount, where set, is Default: /proc keeps its masked paths. Baseline allows Unmasked in a user namespace (hostUsers: false); restricted never does.',
  podSecurity: '/proc Mount Type',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      const level = inUserNamespace(pod) ? 'restricted' : 'baseline';
      for (const c of pod.containers) {
        const value = securityContext(c.container).procMount;
        if (value === undefined || value === null || value === 'Default') continue;
        out.push(
          podSecurityFinding(
            id,
            pod,
            level,
            `${sentenceStart(containerLabel(c))} sets procMount: ${String(value)}, exposing the node's /proc paths: remove it (Default).`,
            `${c.path}.securityContext.procMount`,
          ),
        );
      }
    }
    return out;
  },
};
