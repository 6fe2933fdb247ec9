import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { inUserNamespace, podSecurityFinding } from '../pod-security.ts';
import { rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-root-user';

export const noRootUser: Rule = {
  id,
  description: 'No runAsUser: 0 on the pod or any container, unless the pod runs in a user namespace (hostUsers: false).',
  podSecurity: 'Running as Non-root user',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      if (inUserNamespace(pod)) continue;
      // runAsNonRoot is only checked by the kubelet at start; a UID 0 in the manifest is wrong on its face.
      if (rec(pod.spec.securityContext)?.runAsUser === 0) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            'restricted',
            'The pod sets runAsUser: 0 (root): use a non-zero UID such as 1000.',
            `${pod.specPath}.securityContext.runAsUser`,
          ),
        );
      }
      for (const c of pod.containers) {
        if (securityContext(c.container).runAsUser !== 0) continue;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'restricted',
            `${sentenceStart(containerLabel(c))} sets runAsUser: 0 (root): use a non-zero UID such as 1000.`,
            `${c.path}.securityContext.runAsUser`,
          ),
        );
      }
    }
    return out;
  },
};
