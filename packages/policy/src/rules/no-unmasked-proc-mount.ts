import { LATEST, sharedChecks } from '../pod-security-admission.ts';
import { containerLabel, podSecuritySpecsOf, sentenceStart } from '../pods.ts';
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
      for (const r of sharedChecks.procMount(pod, LATEST)) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            level,
            `${sentenceStart(containerLabel(r.container!))} sets procMount: ${String(r.value)}, exposing the node's /proc paths: remove it (Default).`,
            r.path,
          ),
        );
      }
    }
    return out;
  },
};
