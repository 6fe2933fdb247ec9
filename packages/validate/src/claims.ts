import { groupOf } from '@strata/core';
import { distOf } from '@strata/project';

/** What the env-wide checks (node ports, Ingress routes) know of an object that claims something in its cluster. */
export interface ClaimedBy {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * The claims by the cluster their objects are applied to, each in apply order. Built output
 * (`dist/<env>/<app>.yaml`) goes to its env's cluster, each env being a cluster of its own, an env's
 * apps taken by name; anything else goes to one cluster together. The sort is stable: a file's
 * objects keep their order, and so do files that are not built output.
 */
export function inApplyOrder<T extends ClaimedBy>(claims: readonly T[]): T[][] {
  const clusters = new Map<string, T[]>();
  for (const c of claims) {
    const key = distOf(c.file)?.env ?? '';
    const group = clusters.get(key);
    if (group) group.push(c);
    else clusters.set(key, [c]);
  }
  const app = (c: T) => distOf(c.file)?.app ?? '';
  return [...clusters.values()].map((group) => [...group].sort((a, b) => (app(a) < app(b) ? -1 : app(a) > app(b) ? 1 : 0)));
}

/** The same object again (applied as an update of it): same group, kind, namespace and name. */
export const sameObject = (a: ClaimedBy, b: ClaimedBy): boolean =>
  groupOf(a.apiVersion) === groupOf(b.apiVersion) && a.kind === b.kind && (a.namespace ?? '') === (b.namespace ?? '') && a.name === b.name;

/** A dotted field path as segments: `spec.ports[1].nodePort` -> ['spec', 'ports', 1, 'nodePort']. */
export const segments = (path: string): (string | number)[] =>
  path
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
