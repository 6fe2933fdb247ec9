import { argoCdSkips } from '@strata/core/argocd';
import { isPlainObject, type Manifest } from '@strata/core';
import { isDefaultDeny, type PolicyObject } from '@strata/policy';
import { siblingFiles } from '@strata/project';
import { envOf } from './env-of.ts';
import { placement } from './placement.ts';
import { siblingObjects } from './siblings.ts';
import type { ClusterNetworkPolicy, NamespaceClaims, SourceDoc } from './types.ts';

const isNetworkPolicy = (m: Manifest) => m.kind === 'NetworkPolicy' && m.apiVersion === 'networking.k8s.io/v1';

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
  const applied = (m: Manifest) => !(argoCdOnly && argoCdSkips(m));
  const out: ClusterNetworkPolicy[] = [];
  const byFile = new Map<string, SourceDoc[]>();
  for (const d of docs) if (applied(d.manifest)) (byFile.get(d.file) ?? byFile.set(d.file, []).get(d.file)!).push(d);
  for (const [file, group] of byFile) {
    const policies = group.filter((d) => isNetworkPolicy(d.manifest));
    if (policies.length === 0) continue;
    // Worked out only for a file with a policy written without a namespace.
    let placed: [string | undefined] | undefined;
    const place = () =>
      (placed ??= [
        placement(
          root,
          file,
          group.map((d) => d.manifest),
          argoCdOnly,
          appliedAsWritten?.has(group[0]!.input) ?? false,
        ),
      ])[0];
    for (const d of policies) {
      const p = kept(file, d.manifest, d.manifest.metadata?.namespace ? undefined : place());
      if (p) out.push(p);
    }
  }
  if (others) return [...out, ...others];
  for (const { file, text } of siblingFiles(
    root,
    docs.map((d) => d.file),
  )) {
    if (!/^kind: NetworkPolicy\s*$/m.test(text)) continue;
    const manifests = (siblingObjects(text) ?? []).filter(applied);
    let placed: [string | undefined] | undefined;
    for (const manifest of manifests.filter(isNetworkPolicy)) {
      const p = kept(
        file,
        manifest,
        manifest.metadata?.namespace ? undefined : (placed ??= [placement(root, file, manifests, argoCdOnly, false)])[0],
      );
      if (p) out.push(p);
    }
  }
  return out;
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
