import { isDefaultDeny, networkPolicies } from '../network-policies.ts';
import { podsOf, type PodView } from '../pods.ts';
import { finding, namespaceOf, sameNamespace } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'default-deny-network-policy';

export const defaultDenyNetworkPolicy: Rule = {
  id,
  description: 'Every namespace with pods has a NetworkPolicy with an empty podSelector, both policyTypes and no rules.',
  defaultSeverity: 'error',
  check(objects) {
    const denies = networkPolicies(objects).filter(isDefaultDeny);
    const firstPodOf = new Map<string, PodView>();
    for (const pod of podsOf(objects)) if (!firstPodOf.has(pod.namespace)) firstPodOf.set(pod.namespace, pod);
    const out: RuleFinding[] = [];
    for (const [namespace, pod] of firstPodOf) {
      if (denies.some((d) => sameNamespace(namespaceOf(d), namespace))) continue;
      // Reported on the namespace's first workload: a finding needs an object, and a namespace may not be in the set.
      const where = namespace ? `Namespace "${namespace}"` : 'The set';
      out.push(
        finding(
          id,
          pod.object,
          `${where} runs pods but has no default-deny NetworkPolicy: add one with podSelector: {}, policyTypes: [Ingress, Egress] and no rules.`,
        ),
      );
    }
    return out;
  },
};
