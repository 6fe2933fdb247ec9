import { admissionRefusals, ENFORCE_LABEL, ENFORCE_VERSION_LABEL, enforcePolicy, type EnforcePolicy } from '../pod-security-admission.ts';
import { podSecuritySpecsOf } from '../pods.ts';
import { namespaceOf, nameOf, stringMap } from '../read.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'namespace-admits-pods';

/**
 * Each pod template against the Pod Security level its namespace enforces, as the API server's
 * PodSecurity admission decides when the pods are created: the Deployment is admitted (enforce
 * judges pods only), and then every pod its ReplicaSet makes is refused. Not a matter of taste, so no
 * env lowers it: the policy rules for the same controls may be warnings in dev, this stays an error.
 */
export const namespaceAdmitsPods: Rule = {
  id,
  description:
    'Every pod a workload makes passes the Pod Security level that its Namespace, in the same set or created by another app of its env, enforces (pod-security.kubernetes.io/enforce at its enforce-version), as the API server admits pods; and each of its Pod Security labels (enforce, audit, warn and their versions) is one the server takes. Its severity cannot be lowered.',
  defaultSeverity: 'error',
  fixedSeverity: true,
  check(objects, ctx) {
    const own = new Map<string, PolicyObject>();
    for (const o of objects) {
      const name = nameOf(o);
      if (o.manifest.kind === 'Namespace' && o.manifest.apiVersion === 'v1' && name !== undefined && !own.has(name)) own.set(name, o);
    }
    if (own.size === 0 && !ctx.namespaces?.length) return [];
    const out: RuleFinding[] = [];
    const policies = new Map<string, EnforcePolicy | undefined>();
    for (const [name, ns] of own) {
      const policy = enforcePolicy(stringMap(ns.manifest.metadata.labels));
      if ('problems' in policy) {
        policies.set(name, undefined);
        for (const p of policy.problems)
          out.push({
            rule: id,
            object: ns,
            path: `metadata.labels.${p.label}`,
            message: `Label ${p.label}: ${JSON.stringify(p.value)} ${p.message}: the API server refuses to create this Namespace, and so everything in it; fix the label.`,
          });
      } else policies.set(name, policy);
    }
    // The env's other apps may create the namespace: its labels decide there as well, looked up only
    // for the namespaces the set's pods run in. What is wrong with such a Namespace's own labels is
    // said where it is.
    let others: Map<string, PolicyObject> | undefined;
    const elsewhere = (name: string): PolicyObject | undefined => {
      if (!others) {
        others = new Map();
        for (const o of ctx.namespaces ?? []) {
          const n = nameOf(o);
          if (n !== undefined && !others.has(n)) others.set(n, o);
        }
      }
      return others.get(name);
    };
    const policyOf = (name: string, ns: PolicyObject): EnforcePolicy | undefined => {
      if (!policies.has(name)) {
        const policy = enforcePolicy(stringMap(ns.manifest.metadata.labels));
        policies.set(name, 'problems' in policy ? undefined : policy);
      }
      return policies.get(name);
    };
    for (const pod of podSecuritySpecsOf(objects)) {
      if (!pod.runs) continue;
      const namespace = namespaceOf(pod.object, ctx.applyNamespace);
      const ns = own.get(namespace) ?? elsewhere(namespace);
      const policy = ns && policyOf(namespace, ns);
      if (!ns || !policy || policy.level === 'privileged') continue;
      const labels = stringMap(ns.manifest.metadata.labels);
      const version = labels[ENFORCE_VERSION_LABEL] === undefined ? '' : `, ${ENFORCE_VERSION_LABEL}: ${labels[ENFORCE_VERSION_LABEL]}`;
      const what = pod.isPod ? 'this Pod' : `every pod this ${pod.object.manifest.kind} makes`;
      for (const r of admissionRefusals(pod, policy))
        out.push({
          rule: id,
          object: pod.object,
          path: r.path,
          message: `${r.message} Namespace ${namespace}${own.has(namespace) ? '' : ` (${ns.file})`} enforces Pod Security ${policy.shown} (${ENFORCE_LABEL}: ${labels[ENFORCE_LABEL]}${version}), so the API server refuses ${what} (${r.reason}).`,
        });
    }
    return out;
  },
};
