import { groupOf } from '@strata/core';
import { argoCdSkips } from '@strata/core/argocd';
import { objectName, type Problem } from '@strata/project';
import type { Clash, Holder } from '@strata/node-ports';
import { RULE as SERVER_RULE } from '@strata/server-validation';
import { envOf } from './env-of.ts';
import type { ClaimingObject, SourceDoc } from './types.ts';

/**
 * The checks whose errors mean that the API server refuses the object itself (its strict schema and
 * its own create validation): an object they refuse is never created, so it claims nothing and is
 * refused nothing either (verify leaves out what its dry run refused the same way).
 */
const REFUSING = new Set(['schema', SERVER_RULE]);

/**
 * Each object of `docs` that claims something (`claimed` gives it a non-empty list), with what it
 * claims, but for the objects that `problems` (the schema's and the server field checks') say the
 * server refuses, and, where Argo CD alone applies the tree (`argoCdOnly`, see gitopsConsumers), for
 * those it never applies (`argocd.argoproj.io/hook: Skip`, or a hook of no phase it runs): the
 * cluster never creates them, so they claim nothing and are refused nothing, as verify leaves them
 * out. Flux reads no hook annotation: where it applies the tree, it creates them as any other object.
 */
export function claimants<T>(
  docs: readonly SourceDoc[],
  problems: readonly Problem[],
  argoCdOnly: boolean,
  claimed: (d: SourceDoc) => readonly T[],
): { readonly doc: SourceDoc; readonly claimant: ClaimingObject; readonly claimed: readonly T[] }[] {
  const refused = new Set(problems.filter((p) => p.severity === 'error' && REFUSING.has(p.rule) && p.resource).map((p) => p.resource));
  const found: { doc: SourceDoc; claimant: ClaimingObject; claimed: readonly T[] }[] = [];
  for (const d of docs) {
    const asked = claimed(d);
    if (asked.length === 0 || refused.has(d.id) || (argoCdOnly && argoCdSkips(d.manifest))) continue;
    const m = d.manifest;
    const namespace = m.metadata.namespace;
    const name = objectName(m.metadata);
    const claimant: ClaimingObject = {
      file: d.file,
      line: d.line,
      resource: d.id,
      apiVersion: m.apiVersion,
      kind: m.kind,
      ...(typeof namespace === 'string' && namespace ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
    };
    found.push({ doc: d, claimant, claimed: asked });
  }
  return found;
}

/**
 * The claims by the cluster their objects are applied to, each in apply order. Built output
 * (`dist/<env>/<app>.yaml`) and an env's overlays go to their env's cluster (`envOf`), each env
 * being a cluster of its own, an env's apps taken by name; anything else goes to one cluster
 * together. The sort is stable: a file's objects keep their order, and so do files of no one app.
 */
export function inApplyOrder<T extends ClaimingObject>(claims: readonly T[]): T[][] {
  const clusters = new Map<string, T[]>();
  for (const c of claims) {
    const key = envOf(c.file)?.env ?? '';
    const group = clusters.get(key);
    if (group) group.push(c);
    else clusters.set(key, [c]);
  }
  const app = (c: T) => envOf(c.file)?.app ?? '';
  return [...clusters.values()].map((group) => [...group].sort((a, b) => (app(a) < app(b) ? -1 : app(a) > app(b) ? 1 : 0)));
}

/** The same object again (applied as an update of it): same group, kind, namespace and name. */
export const sameObject = (a: ClaimingObject, b: ClaimingObject): boolean =>
  groupOf(a.apiVersion) === groupOf(b.apiVersion) && a.kind === b.kind && (a.namespace ?? '') === (b.namespace ?? '') && a.name === b.name;

/** A dotted field path as segments: `spec.ports[1].nodePort` -> ['spec', 'ports', 1, 'nodePort']. */
export const segments = (path: string): (string | number)[] =>
  path
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/**
 * What an earlier object of the same cluster holds, refused as the cluster refuses it when it
 * creates the later object (`clashes` of each cluster's claims in apply order: an env's apps by
 * name, each file's objects in the order given), at the asked field's line and naming the object
 * that holds it, in `message`'s words (rule `server-validation`, the words of `strata verify`).
 * `shown` names a file in the message as the person typed it (the claims know files by their key),
 * as the report names the file of the refused object.
 */
export function clashProblems<C extends ClaimingObject, A extends { readonly path: string; readonly line: number }>(
  claims: readonly C[],
  asksOf: (claim: C) => readonly A[],
  clashes: (ordered: readonly C[], askedOf: (claim: C) => readonly A[], same: (a: C, b: C) => boolean) => readonly Clash<C, A>[],
  message: (asked: A, holder: Holder, askerFile: string) => string,
  shown: (file: string) => string,
): Problem[] {
  const problems: Problem[] = [];
  for (const ordered of inApplyOrder(claims)) {
    for (const { item, asked, holder, held } of clashes(ordered, asksOf, sameObject)) {
      problems.push({
        file: item.file,
        line: asked.line ?? item.line,
        apiVersion: item.apiVersion,
        kind: item.kind,
        ...(item.namespace ? { namespace: item.namespace } : {}),
        ...(item.name !== undefined ? { name: item.name } : {}),
        path: asked.path,
        message: message(
          asked,
          {
            ...(holder.namespace ? { namespace: holder.namespace } : {}),
            ...(holder.name !== undefined ? { name: holder.name } : {}),
            file: shown(holder.file),
            line: held.line ?? holder.line,
          },
          shown(item.file),
        ),
        rule: SERVER_RULE,
        severity: 'error',
        ...(item.resource ? { resource: item.resource } : {}),
      });
    }
  }
  return problems;
}
