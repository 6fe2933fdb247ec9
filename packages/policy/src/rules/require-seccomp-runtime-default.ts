import { containerLabel, podOrEveryContainer, podsOf, sentenceStart } from '../pods.ts';
import { at, finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'require-seccomp-runtime-default';

const ALLOWED = new Set(['RuntimeDefault', 'Localhost']);

export const requireSeccompRuntimeDefault: Rule = {
  id,
  description: 'seccompProfile.type RuntimeDefault or Localhost on the pod or on every container; never Unconfined.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      const path = `${pod.specPath}.securityContext.seccompProfile.type`;
      const read = (sc: object) => at(sc, 'seccompProfile', 'type');
      for (const bad of podOrEveryContainer(pod, read, (v) => typeof v === 'string' && ALLOWED.has(v))) {
        if (bad.where === 'nowhere') {
          out.push(finding(id, pod.object, 'The pod runs without a seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault on the pod.', path));
        } else if (bad.where === 'pod') {
          out.push(finding(id, pod.object, `The pod sets seccompProfile.type ${String(bad.value)}: use RuntimeDefault (or a Localhost profile).`, path));
        } else {
          const who = sentenceStart(containerLabel(bad.container));
          const message =
            bad.value === undefined
              ? `${who} runs without a seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault on it or on the pod.`
              : `${who} sets seccompProfile.type ${String(bad.value)}: use RuntimeDefault (or a Localhost profile).`;
          out.push(finding(id, pod.object, message, `${bad.container.path}.securityContext.seccompProfile.type`));
        }
      }
    }
    return out;
  },
};
