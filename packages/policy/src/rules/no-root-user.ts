import { LATEST, sharedChecks } from '../pod-security-admission.ts';
import { containerLabel, podSecuritySpecsOf, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
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
      // runAsNonRoot is only checked by the kubelet at start; a UID 0 in the manifest is wrong on its face.
      // Nothing in a user namespace, as the admission decides.
      for (const r of sharedChecks.runAsUser(pod, LATEST)) {
        const who = r.container ? `${sentenceStart(containerLabel(r.container))} sets` : 'The pod sets';
        out.push(podSecurityFinding(id, pod, 'restricted', `${who} runAsUser: 0 (root): use a non-zero UID such as 1000.`, r.path));
      }
    }
    return out;
  },
};
