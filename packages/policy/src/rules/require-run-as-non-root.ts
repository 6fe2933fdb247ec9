import { containerLabel, podOrEveryContainer, podsOf, securityContext, sentenceStart } from '../pods.ts';
import { finding, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'require-run-as-non-root';

export const requireRunAsNonRoot: Rule = {
  id,
  description: 'runAsNonRoot: true on the pod or on every container, and no runAsUser 0 (Pod Security Standards, restricted).',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      const sc = `${pod.specPath}.securityContext`;
      for (const bad of podOrEveryContainer(pod, (s) => s.runAsNonRoot, (v) => v === true)) {
        if (bad.where === 'nowhere') {
          out.push(finding(id, pod.object, 'Nothing stops these containers from running as root: set securityContext.runAsNonRoot: true on the pod (or on every container).', `${sc}.runAsNonRoot`));
        } else if (bad.where === 'pod') {
          out.push(finding(id, pod.object, `The pod sets runAsNonRoot: ${String(bad.value)}: set it to true so that no container may run as root.`, `${sc}.runAsNonRoot`));
        } else {
          const who = sentenceStart(containerLabel(bad.container));
          const message =
            bad.value === undefined
              ? `${who} may run as root: set securityContext.runAsNonRoot: true on it or on the pod.`
              : `${who} sets runAsNonRoot: ${String(bad.value)}: set it to true.`;
          out.push(finding(id, pod.object, message, `${bad.container.path}.securityContext.runAsNonRoot`));
        }
      }
      // runAsNonRoot is only checked by the kubelet at start; a UID 0 in the manifest is wrong on its face.
      if (rec(pod.spec.securityContext)?.runAsUser === 0) {
        out.push(finding(id, pod.object, 'The pod sets runAsUser: 0 (root): use a non-zero UID such as 1000.', `${sc}.runAsUser`));
      }
      for (const c of pod.containers) {
        if (securityContext(c.container).runAsUser === 0) {
          out.push(finding(id, pod.object, `${sentenceStart(containerLabel(c))} sets runAsUser: 0 (root): use a non-zero UID such as 1000.`, `${c.path}.securityContext.runAsUser`));
        }
      }
    }
    return out;
  },
};
