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
    'Every pod a workload makes passes the Pod Security level that its Namespace, in the same set or created by another app of its env, enforces (pod-security.kubernetes.io/enforce at its enforce-version), as the API server admits pods; and that label is one the server takes. Its severity cannot be lowered.',
  defaultSeverity: 'error',
  fixedSeverity: true,
  check(objects, ctx) {
    const namespaces = new Map<string, PolicyObject>();
    for (const o of objects) {
      const name = nameOf(o);
      if (o.manifest.kind === 'Namespace' && o.manifest.apiVersion === 'v1' && name !== undefined && !namespaces.has(name)) namespaces.set(name, o);
    }
    // The env's other apps may create the namespace: its labels decide there as well. What is wrong with
    // such a Namespace's own labels is said where it is.
    const elsewhere = new Set<string>();
    for (const o of ctx.namespaces ?? []) {
      const name = nameOf(o);
      if (name !== undefined && !namespaces.has(name)) {
        namespaces.set(name, o);
        elsewhere.add(name);
      }
    }
    if (namespaces.size === 0) return [];
    const out: RuleFinding[] = [];
    const policies = new Map<string, EnforcePolicy | undefined>();
    for (const [name, ns] of namespaces) {
      const policy = enforcePolicy(stringMap(ns.manifest.metadata.labels));
      if ('problems' in policy) {
        policies.set(name, undefined);
        if (!elsewhere.has(name))
          for (const p of policy.problems)
            out.push({
              rule: id,
              object: ns,
              path: `metadata.labels.${p.label}`,
              message: `Label ${p.label}: ${JSON.stringify(p.value)} ${p.message}: the API server refuses to create this Namespace, and so everything in it; fix the label.`,
            });
      } else policies.set(name, policy);
    }
    for (const pod of podSecuritySpecsOf(objects)) {
      if (!pod.runs) continue;
      const namespace = namespaceOf(pod.object, ctx.applyNamespace);
      const policy = policies.get(namespace);
      if (!policy || policy.level === 'privileged') continue;
      const labels = stringMap(namespaces.get(namespace)!.manifest.metadata.labels);
      const version = labels[ENFORCE_VERSION_LABEL] === undefined ? '' : `, ${ENFORCE_VERSION_LABEL}: ${labels[ENFORCE_VERSION_LABEL]}`;
      const what = pod.isPod ? 'this Pod' : `every pod this ${pod.object.manifest.kind} makes`;
      for (const r of admissionRefusals(pod, policy))
        out.push({
          rule: id,
          object: pod.object,
          path: r.path,
          message: `${r.message} Namespace ${namespace}${elsewhere.has(namespace) ? ` (${namespaces.get(namespace)!.file})` : ''} enforces Pod Security ${policy.shown} (${ENFORCE_LABEL}: ${labels[ENFORCE_LABEL]}${version}), so the API server refuses ${what} (${r.reason}).`,
        });
    }
    return out;
  },
};
