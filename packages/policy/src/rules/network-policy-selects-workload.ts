import { isDefaultDeny, networkPolicies } from '../network-policies.ts';
import { podsOf, type PodView } from '../pods.ts';
import { at, finding, namespaceOf, sameNamespace } from '../read.ts';
import { formatLabels, labelSelectorMatches } from '../selectors.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'network-policy-selects-workload';

export const networkPolicySelectsWorkload: Rule = {
  id,
  description:
    "Every workload's pod labels are selected by a NetworkPolicy in its namespace (in its set or in another app of its env) other than the default deny, which states the traffic it needs.",
  defaultSeverity: 'error',
  check(objects, ctx) {
    // Applied as written, a policy or a pod without a namespace is in the one kubectl applies it into.
    const applied = ctx.applyNamespace ?? '';
    const policies = networkPolicies(objects).filter((p) => !isDefaultDeny(p));
    const out: RuleFinding[] = [];
    // A missing podSelector is invalid in the API; reading it as {} keeps the rule from piling on.
    const selects = (p: PolicyObject, labels: PodView['labels']) => labelSelectorMatches(at(p.manifest, 'spec', 'podSelector') ?? {}, labels);
    for (const pod of podsOf(objects)) {
      const namespace = pod.namespace || applied;
      if (policies.some((p) => sameNamespace(namespaceOf(p, applied), namespace) && selects(p, pod.labels))) continue;
      // The cluster is the env: another app's policy in the namespace may state the traffic.
      if (namespace && ctx.networkPolicies?.(namespace).some((p) => !isDefaultDeny(p) && selects(p, pod.labels))) continue;
      out.push(
        finding(
          id,
          pod.object,
          `No NetworkPolicy besides the default deny selects these pods (labels ${formatLabels(pod.labels)}): add one whose podSelector matches them and allows the traffic they need.`,
          pod.specPath.replace(/spec$/, 'metadata.labels'),
        ),
      );
    }
    return out;
  },
};
