import { autoscalerLabel, scaleTargets, type ScaleTarget } from '../autoscalers.ts';
import { finding, groupOfRef } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'single-autoscaler';

export const singleAutoscaler: Rule = {
  id,
  description: 'At most one autoscaler per workload: never an HPA and a KEDA ScaledObject (or two of either) on the same target.',
  defaultSeverity: 'error',
  check(objects, ctx) {
    const byTarget = new Map<string, ScaleTarget[]>();
    for (const t of scaleTargets(objects, ctx.applyNamespace)) {
      // By the target's group too where the reference gives it: `Deployment` of apps.acme.io is another kind.
      const key = `${t.namespace}\0${groupOfRef(t)}\0${t.kind}\0${t.name}`;
      byTarget.set(key, [...(byTarget.get(key) ?? []), t]);
    }
    const out: RuleFinding[] = [];
    for (const [first, ...others] of byTarget.values()) {
      if (!first) continue;
      for (const t of others) {
        // A ScaledObject drives its own HPA, so either pairing leaves two controllers writing replicas.
        out.push(
          finding(
            id,
            t.autoscaler,
            `${autoscalerLabel(t)} and ${autoscalerLabel(first)} both scale ${t.kind} "${t.name}" and would fight over its replicas: keep one of them for this env.`,
            'spec.scaleTargetRef',
          ),
        );
      }
    }
    return out;
  },
};
