import { scaleTargets } from '../autoscalers.ts';
import { finding, findObject, kindLabel } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'scale-target-exists';

export const scaleTargetExists: Rule = {
  id,
  description: 'The scaleTargetRef of every HorizontalPodAutoscaler and KEDA ScaledObject names a workload in the set.',
  defaultSeverity: 'error',
  check(objects, ctx) {
    const applied = ctx.applyNamespace ?? '';
    const out: RuleFinding[] = [];
    for (const t of scaleTargets(objects, applied)) {
      if (findObject(objects, t, t.name, t.namespace, applied)) continue;
      out.push(
        finding(
          id,
          t.autoscaler,
          `scaleTargetRef names ${kindLabel(t)} "${t.name}", which is not in the set: fix the name and kind or add the workload.`,
          'spec.scaleTargetRef.name',
        ),
      );
    }
    return out;
  },
};
