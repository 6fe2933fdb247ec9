import { parseExact, stringifyExact, type Problem } from '@strata/project';
import { appliedName, withArgoCdNaming } from '@strata/core/hook-names';
import type { SourceDoc } from './types.ts';

/**
 * The Argo CD and Helm hooks among `docs` that have only a generateName, with the name Argo CD gives
 * each (`appliedName`, the one verify applies them under): the server field checks judge a hook under
 * it, as the cluster does, so that a generateName too long for the name Argo CD makes of it is
 * refused offline, as verify refuses it, and not first in a sync.
 */
export function argoCdNames(docs: readonly SourceDoc[]): Map<string, { readonly doc: SourceDoc; readonly name: string }> {
  const named = new Map<string, { doc: SourceDoc; name: string }>();
  for (const doc of docs) {
    const name = appliedName(doc.manifest);
    if (name !== undefined && name !== doc.manifest.metadata.name) named.set(doc.id, { doc, name });
  }
  return named;
}

/** An object's JSON text (exact, as the checks are given it) under another name. */
export function jsonNamed(json: string, name: string): string {
  const o = parseExact(json) as { metadata: Record<string, unknown> };
  o.metadata = { ...o.metadata, name };
  return stringifyExact(o);
}

/** The server field checks' problems, a refusal of a name that `argoCdNames` gave saying how Argo CD makes it, in verify's words. */
export function withArgoCdNames(problems: readonly Problem[], named: ReturnType<typeof argoCdNames>): Problem[] {
  if (named.size === 0) return [...problems];
  return problems.map((p) => {
    const hook = p.resource === undefined ? undefined : named.get(p.resource);
    return hook ? { ...p, message: withArgoCdNaming(p.message, hook.doc.manifest, hook.name) } : p;
  });
}
