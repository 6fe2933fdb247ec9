import { argoCdSkips } from '@strata/core/argocd';
import type { Manifest } from '@strata/core';
import type { PolicyObject } from '@strata/policy';
import { envOf } from './env-of.ts';
import { siblingFiles, siblingObjects } from './siblings.ts';
import type { ClusterLimitRange, NamespaceClaims, SourceDoc } from './types.ts';

const isLimitRange = (m: Manifest) => m.kind === 'LimitRange' && m.apiVersion === 'v1';

/**
 * The LimitRanges each cluster holds: those of the documents given, and those of the other built
 * files of their envs as they are in dist/ (a run given one app's output judges its pods against
 * every app of its env), but for what Argo CD never applies; `others` stands for the other built
 * files where the caller holds their LimitRanges (the pipeline, those of the apps it reuses).
 */
export function clusterLimitRanges(
  root: string,
  docs: readonly SourceDoc[],
  argoCdOnly: boolean,
  others?: readonly ClusterLimitRange[],
): ClusterLimitRange[] {
  const applied = (m: Manifest) => isLimitRange(m) && !(argoCdOnly && argoCdSkips(m));
  const out: ClusterLimitRange[] = docs.filter((d) => applied(d.manifest)).map((d) => ({ file: d.file, manifest: d.manifest }));
  if (others) return [...out, ...others];
  for (const { file, text } of siblingFiles(
    root,
    docs.map((d) => d.file),
  )) {
    // Most built files hold no LimitRange: they are not parsed.
    if (!/^kind: LimitRange\s*$/m.test(text)) continue;
    for (const manifest of (siblingObjects(text) ?? []).filter(applied)) out.push({ file, manifest });
  }
  return out;
}

/** The LimitRanges of the cluster of `file` (its env's; other files are one cluster together) that files other than `set`'s create. */
export function limitRangesElsewhere(ranges: readonly ClusterLimitRange[], file: string, set: ReadonlySet<string>): PolicyObject[] {
  const cluster = envOf(file)?.env ?? '';
  return ranges.filter((r) => !set.has(r.file) && (envOf(r.file)?.env ?? '') === cluster);
}

/**
 * The LimitRanges of other apps of its env in the namespaces the objects of an app's built files
 * (`mine`) live in, as its pods and claims were judged against them: when they change, its pods and
 * claims are judged again (within-limit-ranges) though the app itself did not change.
 */
export function limitRangeBasis(mine: readonly NamespaceClaims[], ranges: readonly ClusterLimitRange[]): string {
  const basis: [string, string, [string, Manifest][]][] = [];
  for (const c of mine) {
    const env = envOf(c.file)?.env ?? '';
    for (const ns of [...new Set(c.uses.map((u) => u.namespace))].sort()) {
      const there = ranges.filter((r) => r.file !== c.file && (envOf(r.file)?.env ?? '') === env && r.manifest.metadata?.namespace === ns);
      if (there.length > 0) basis.push([c.file, ns, there.map((r) => [r.file, r.manifest])]);
    }
  }
  return JSON.stringify(basis);
}
