import { argoCdSkips } from '@strata/core/argocd';
import type { Manifest } from '@strata/core';
import type { PolicyObject } from '@strata/policy';
import { envOf } from './env-of.ts';
import { siblingFiles, siblingObjects } from './siblings.ts';
import type { SourceDoc } from './types.ts';

const isLimitRange = (m: Manifest) => m.kind === 'LimitRange' && m.apiVersion === 'v1';

/**
 * The LimitRanges each cluster holds: those of the documents given, and those of the other built
 * files of their envs as they are in dist/ (a run given one app's output judges its pods against
 * every app of its env), but for what Argo CD never applies.
 */
export function clusterLimitRanges(root: string, docs: readonly SourceDoc[], argoCdOnly: boolean): PolicyObject[] {
  const applied = (m: Manifest) => isLimitRange(m) && !(argoCdOnly && argoCdSkips(m));
  const out: PolicyObject[] = docs.filter((d) => applied(d.manifest)).map((d) => ({ manifest: d.manifest, file: d.file }));
  for (const { file, text } of siblingFiles(
    root,
    docs.map((d) => d.file),
  )) {
    // Most built files hold no LimitRange: they are not parsed.
    if (!/^kind: LimitRange\s*$/m.test(text)) continue;
    for (const manifest of (siblingObjects(text) ?? []).filter(applied)) out.push({ manifest, file });
  }
  return out;
}

/** The LimitRanges of the cluster of `file` (its env's; other files are one cluster together) that files other than `set`'s create. */
export function limitRangesElsewhere(ranges: readonly PolicyObject[], file: string, set: ReadonlySet<string>): PolicyObject[] {
  const cluster = envOf(file)?.env ?? '';
  return ranges.filter((r) => !set.has(r.file) && (envOf(r.file)?.env ?? '') === cluster);
}
