import { containerLabel, podOrEveryContainer, podSecuritySpecsOf, sentenceStart } from '../pods.ts';
import { inUserNamespace, podSecurityFinding } from '../pod-security.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'require-run-as-non-root';

export const requireRunAsNonRoot: Rule = {
  id,
  description: 'runAsNonRoot: true on the pod or on every container, and false nowhere; any value in a user namespace (hostUsers: false).',
  podSecurity: 'Running as Non-root',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      if (inUserNamespace(pod)) continue;
      const sc = `${pod.specPath}.securityContext`;
      for (const bad of podOrEveryContainer(
        pod,
        (s) => s.runAsNonRoot ?? undefined,
        (v) => v === true,
      )) {
        if (bad.where === 'nowhere') {
          out.push(
            podSecurityFinding(
              id,
              pod,
              'restricted',
              'Nothing stops these containers from running as root: set securityContext.runAsNonRoot: true on the pod (or on every container).',
              `${sc}.runAsNonRoot`,
            ),
          );
        } else if (bad.where === 'pod') {
          out.push(
            podSecurityFinding(
              id,
              pod,
              'restricted',
              `The pod sets runAsNonRoot: ${String(bad.value)}: set it to true so that no container may run as root.`,
              `${sc}.runAsNonRoot`,
            ),
          );
        } else {
          const who = sentenceStart(containerLabel(bad.container));
          const message =
            bad.value === undefined
              ? `${who} may run as root: set securityContext.runAsNonRoot: true on it or on the pod.`
              : `${who} sets runAsNonRoot: ${String(bad.value)}: set it to true.`;
          out.push(podSecurityFinding(id, pod, 'restricted', message, `${bad.container.path}.securityContext.runAsNonRoot`));
        }
      }
    }
    return out;
  },
};
