import { templateLabelsOf } from '../pods.ts';
import { finding, namespaceOf, ofKind } from '../read.ts';
import { formatLabels } from '../selectors.ts';
import { selectedPods, serviceSelector } from '../services.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'service-selects-pods';

export const serviceSelectsPods: Rule = {
  id,
  description: 'A Service with a selector selects the pod template of some workload in the set; ExternalName and selector-less Services are skipped.',
  defaultSeverity: 'error',
  check(objects, ctx) {
    const applied = ctx.applyNamespace ?? '';
    const templates = templateLabelsOf(objects);
    const out: RuleFinding[] = [];
    for (const service of ofKind(objects, 'Service')) {
      const selector = serviceSelector(service);
      if (!selector || selectedPods(service, templates, namespaceOf(service, applied), applied).length > 0) continue;
      out.push(
        finding(
          id,
          service,
          `The Service selects no pods: no pod template in the set has the labels ${formatLabels(selector)}, so fix spec.selector or the workload's template labels.`,
          'spec.selector',
        ),
      );
    }
    return out;
  },
};
