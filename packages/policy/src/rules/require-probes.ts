import { containerLabel, podsOf, sentenceStart } from '../pods.ts';
import { finding, list } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'require-probes';

export const requireProbes: Rule = {
  id,
  description: 'readinessProbe and livenessProbe on every container that declares ports; a startupProbe does not replace them.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      for (const c of pod.containers) {
        // Plain init containers run to completion before the pod serves and may not have probes.
        const runsBesideApp = c.group === 'containers' || c.sidecar;
        if (!runsBesideApp || list(c.container.ports).length === 0) continue;
        const who = sentenceStart(containerLabel(c));
        // A startup probe only holds the other two off until the first success; it ends there.
        const startup = c.container.startupProbe ? ' (its startupProbe stops after the first success and does not replace it)' : '';
        if (!c.container.readinessProbe) {
          out.push(
            finding(
              id,
              pod.object,
              `${who} serves ports but has no readinessProbe${startup}: add one so that traffic reaches it only when it is ready.`,
              `${c.path}.readinessProbe`,
            ),
          );
        }
        if (!c.container.livenessProbe) {
          out.push(
            finding(
              id,
              pod.object,
              `${who} serves ports but has no livenessProbe${startup}: add one so that a hung process is restarted.`,
              `${c.path}.livenessProbe`,
            ),
          );
        }
      }
    }
    return out;
  },
};
