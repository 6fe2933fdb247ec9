import { isDefaultDeny, networkPolicies, openRules } from '../network-policies.ts';
import { podsOf, type PodView } from '../pods.ts';
import { displayName, finding, namespaceOf, sameNamespace } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'default-deny-network-policy';

export const defaultDenyNetworkPolicy: Rule = {
  id,
  description:
    'Every namespace with pods has, in its set or in another app of its env, a NetworkPolicy with an empty podSelector, both policyTypes and no rules, and no NetworkPolicy undoes it for every pod with a rule that allows every peer on every port.',
  defaultSeverity: 'error',
  check(objects, ctx) {
    // Applied as written, a deny-all or a pod without a namespace is in the one kubectl applies it into.
    const applied = ctx.applyNamespace ?? '';
    const denies = networkPolicies(objects).filter(isDefaultDeny);
    const firstPodOf = new Map<string, PodView>();
    for (const pod of podsOf(objects)) {
      const namespace = pod.namespace || applied;
      if (!firstPodOf.has(namespace)) firstPodOf.set(namespace, pod);
    }
    const out: RuleFinding[] = [];
    for (const [namespace, pod] of firstPodOf) {
      if (denies.some((d) => sameNamespace(namespaceOf(d, applied), namespace))) continue;
      // The cluster is the env: another app's default deny for the namespace closes it as well.
      if (namespace && ctx.networkPolicies?.(namespace).some(isDefaultDeny)) continue;
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
    for (const policy of networkPolicies(objects)) {
      const namespace = namespaceOf(policy, applied);
      const pods = namespace ? `every pod of namespace "${namespace}"` : 'every pod of its namespace';
      for (const open of openRules(policy)) {
        const direction = open.type === 'Ingress' ? 'in from' : 'out to';
        out.push(
          finding(
            id,
            policy,
            `NetworkPolicy "${displayName(policy)}" selects ${pods} (podSelector: {}) and its ${open.type} rule ${open.path.replace(/\D+/g, '')} has no ${open.peers} and no ports, ` +
              `so every pod there lets traffic ${direction} any peer on any port and the default deny denies nothing: ` +
              `name the peers (${open.peers}) and ports the pods need; for a deliberate opening, add a policy exception that says why.`,
            open.path,
          ),
        );
      }
    }
    return out;
  },
};
