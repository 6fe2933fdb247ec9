import { isPlainObject, type Manifest } from '@strata/core';
import { isDefaultDeny, type PolicyObject } from '@strata/policy';
import { envOf } from './env-of.ts';
import { clusterObjects } from './placement.ts';
import type { ClusterNetworkPolicy, NamespaceClaims, SourceDoc } from './types.ts';

/**
 * A NetworkPolicy as the rules of other apps read it: its name and namespace, its podSelector, and
 * whether it is a default deny; its rules are judged in its own app alone. One written without a
 * namespace is in `placed`, the namespace it is applied into (see `placement`), or in none known.
 */
function kept(file: string, m: Manifest, placed: string | undefined): ClusterNetworkPolicy | undefined {
  const written = m.metadata?.namespace;
  const namespace = typeof written === 'string' && written !== '' ? written : placed;
  if (namespace === undefined || namespace === '') return undefined;
  const spec = isPlainObject(m.spec) ? m.spec : {};
  const podSelector = spec.podSelector ?? {};
  const deny = isDefaultDeny({ manifest: m, file });
  return {
    file,
    manifest: {
      apiVersion: m.apiVersion,
      kind: m.kind,
      metadata: { name: m.metadata.name, namespace },
      spec: deny ? { podSelector, policyTypes: ['Ingress', 'Egress'] } : { podSelector },
    },
  };
}

/**
 * The NetworkPolicies each cluster holds: those of the documents given, and those of the other built
 * files of their envs as they are in dist/ (a run given one app's output judges its pods beside every
 * app of its env), but for what Argo CD never applies; each in its namespace, or for one written
 * without, the one it is applied into (`placement`; `appliedAsWritten` names the inputs applied as
 * written), and left out where that is unknown. `others` stands for the other built files where the
 * caller holds their policies (the pipeline, those of the apps it reuses).
 */
export function clusterNetworkPolicies(
  root: string,
  docs: readonly SourceDoc[],
  argoCdOnly: boolean,
  others?: readonly ClusterNetworkPolicy[],
  appliedAsWritten?: ReadonlySet<string>,
): ClusterNetworkPolicy[] {
  const found = clusterObjects(root, docs, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }, argoCdOnly, !others, appliedAsWritten);
  // Worked out only for a policy written without a namespace.
  const out = found.flatMap((o) => kept(o.file, o.manifest, o.manifest.metadata?.namespace ? undefined : o.place()) ?? []);
  return others ? [...out, ...others] : out;
}

/** The policies of each cluster by namespace, worked out once per list: every set of an env asks for its env's. */
const index = new WeakMap<readonly ClusterNetworkPolicy[], Map<string, Map<string, ClusterNetworkPolicy[]>>>();
function byNamespace(policies: readonly ClusterNetworkPolicy[]): Map<string, Map<string, ClusterNetworkPolicy[]>> {
  let found = index.get(policies);
  if (!found) {
    found = new Map();
    for (const p of policies) {
      const cluster = envOf(p.file)?.env ?? '';
      const namespaces = found.get(cluster) ?? found.set(cluster, new Map()).get(cluster)!;
      const ns = p.manifest.metadata.namespace as string;
      (namespaces.get(ns) ?? namespaces.set(ns, []).get(ns)!).push(p);
    }
    index.set(policies, found);
  }
  return found;
}

/**
 * The NetworkPolicies that files other than `set`'s ship in a namespace of the cluster of `file` (its
 * env's; other files are one cluster together), as PolicyContext.networkPolicies asks for them.
 */
export function networkPoliciesElsewhere(
  policies: readonly ClusterNetworkPolicy[],
  file: string,
  set: ReadonlySet<string>,
): (namespace: string) => PolicyObject[] {
  const cluster = byNamespace(policies).get(envOf(file)?.env ?? '');
  return (namespace) => (cluster?.get(namespace) ?? []).filter((p) => !set.has(p.file));
}

/**
 * The NetworkPolicies of other apps of its env in the namespaces the objects of an app's built files
 * (`mine`) live in, as its pods were judged beside them: when they change, its pods are judged again
 * (default-deny-network-policy, network-policy-selects-workload) though the app itself did not change.
 */
export function networkPolicyBasis(mine: readonly NamespaceClaims[], policies: readonly ClusterNetworkPolicy[]): string {
  const clusters = byNamespace(policies);
  const basis: [string, string, [string, Manifest][]][] = [];
  for (const c of mine) {
    const cluster = clusters.get(envOf(c.file)?.env ?? '');
    for (const ns of [...new Set(c.uses.map((u) => u.namespace))].sort()) {
      const there = (cluster?.get(ns) ?? []).filter((p) => p.file !== c.file);
      if (there.length > 0) basis.push([c.file, ns, there.map((p) => [p.file, p.manifest])]);
    }
  }
  return JSON.stringify(basis);
}
