import type { Manifest } from '@strata/core';
import type { PolicyObject } from '@strata/policy';
import { envOf } from './env-of.ts';
import { clusterObjects } from './placement.ts';
import type { ClusterLimitRange, NamespaceClaims, SourceDoc } from './types.ts';

/**
 * A LimitRange as other files' pods and claims meet it: one written without a namespace is in
 * `placed`, the namespace it is applied into (see `placement`), or in none known ('').
 */
function kept(file: string, m: Manifest, placed: () => string | undefined): ClusterLimitRange {
  if (m.metadata?.namespace) return { file, manifest: m };
  const namespace = placed();
  return namespace ? { file, manifest: { ...m, metadata: { ...m.metadata, namespace } } } : { file, manifest: m };
}

/**
 * The LimitRanges each cluster holds: those of the documents given, and those of the other built
 * files of their envs as they are in dist/ (a run given one app's output judges its pods against
 * every app of its env), but for what Argo CD never applies; each in its namespace, or for one
 * written without, the one it is applied into (`placement`; `appliedAsWritten` names the inputs
 * applied as written), and in none known ('') where that is unknown. `others` stands for the other
 * built files where the caller holds their LimitRanges (the pipeline, those of the apps it reuses).
 */
export function clusterLimitRanges(
  root: string,
  docs: readonly SourceDoc[],
  argoCdOnly: boolean,
  others?: readonly ClusterLimitRange[],
  appliedAsWritten?: ReadonlySet<string>,
): ClusterLimitRange[] {
  const found = clusterObjects(root, docs, { apiVersion: 'v1', kind: 'LimitRange' }, argoCdOnly, !others, appliedAsWritten);
  const out = found.map((o) => kept(o.file, o.manifest, o.place));
  return others ? [...out, ...others] : out;
}

/** A LimitRange of a cluster and its place in the list given, which is the order the rule is given them in. */
interface Placed {
  readonly range: ClusterLimitRange;
  readonly at: number;
}

/**
 * The LimitRanges of each cluster by the namespace they name ('' for none), worked out once per list:
 * every set of an env asks for its env's, and filtering the whole list for each of 500 apps was
 * quadratic.
 */
const index = new WeakMap<readonly ClusterLimitRange[], Map<string, Map<unknown, Placed[]>>>();
function byNamespace(ranges: readonly ClusterLimitRange[]): Map<string, Map<unknown, Placed[]>> {
  let found = index.get(ranges);
  if (!found) {
    found = new Map();
    ranges.forEach((range, at) => {
      const cluster = envOf(range.file)?.env ?? '';
      const namespaces = found!.get(cluster) ?? found!.set(cluster, new Map()).get(cluster)!;
      const ns: unknown = range.manifest.metadata?.namespace || '';
      (namespaces.get(ns) ?? namespaces.set(ns, []).get(ns)!).push({ range, at });
    });
    index.set(ranges, found);
  }
  return found;
}

/**
 * The LimitRanges of the cluster of `file` (its env's; other files are one cluster together) that
 * files other than `set`'s create in `namespaces`, the namespaces the set's objects are in (as
 * within-limit-ranges reads them, the one it is applied into for one that names none), in the order
 * of the list: no other LimitRange limits a pod or claim of the set.
 */
export function limitRangesElsewhere(
  ranges: readonly ClusterLimitRange[],
  file: string,
  set: ReadonlySet<string>,
  namespaces: ReadonlySet<unknown>,
): PolicyObject[] {
  const cluster = byNamespace(ranges).get(envOf(file)?.env ?? '');
  if (!cluster) return [];
  const out: Placed[] = [];
  for (const ns of namespaces) {
    // A namespace unknown is one only within its file, and the set's files are left out; so is a
    // LimitRange of another file in none known. One written without a namespace is in the one it is
    // applied into (clusterLimitRanges).
    if (ns === '') continue;
    out.push(...(cluster.get(ns) ?? []));
  }
  return out
    .filter((p) => !set.has(p.range.file))
    .sort((a, b) => a.at - b.at)
    .map((p) => p.range);
}

/**
 * The LimitRanges of other apps of its env in the namespaces the objects of an app's built files
 * (`mine`) live in, as its pods and claims were judged against them: when they change, its pods and
 * claims are judged again (within-limit-ranges) though the app itself did not change.
 */
export function limitRangeBasis(mine: readonly NamespaceClaims[], ranges: readonly ClusterLimitRange[]): string {
  const clusters = byNamespace(ranges);
  const basis: [string, string, [string, Manifest][]][] = [];
  for (const c of mine) {
    const cluster = clusters.get(envOf(c.file)?.env ?? '');
    for (const ns of [...new Set(c.uses.map((u) => u.namespace))].sort()) {
      const there = (cluster?.get(ns) ?? []).filter((p) => p.range.file !== c.file);
      if (there.length > 0) basis.push([c.file, ns, there.map((p) => [p.range.file, p.range.manifest])]);
    }
  }
  return JSON.stringify(basis);
}
