import { describe, ENVIRONMENTS, isPlainObject, type Environment, type Manifest } from '@strata/core';

/**
 * What a cluster or a client keeps on an object, never part of the app: an object that `kubectl get
 * -o yaml` exported carries it, and the import leaves it out.
 */

/**
 * Annotations that record a client's or the cluster's state of the object. kubectl's last applied
 * configuration is a full copy of the object as last applied, a Secret's values included; kubectl
 * writes it again on every client-side apply.
 */
const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

/** What was dropped from the sources: the fields by name, and how many objects had one. */
export interface Dropped {
  readonly fields: string[];
  readonly objects: number;
}

/**
 * Removes the client's and the cluster's own state from every object of the sources, in place (an
 * object keeps its place, so where it is in the sources still holds), before the app is modelled.
 */
export function dropClusterState(objects: Record<Environment, Manifest[]>): Dropped {
  const fields = new Set<string>();
  const touched = new Set<string>();
  for (const env of ENVIRONMENTS) {
    for (const m of objects[env]) {
      const dropped = dropFrom(m);
      if (dropped.length === 0) continue;
      for (const f of dropped) fields.add(f);
      touched.add(describe(m));
    }
  }
  return { fields: [...fields].sort(), objects: touched.size };
}

function dropFrom(m: Manifest): string[] {
  const out: string[] = [];
  const annotations = m.metadata.annotations;
  if (isPlainObject(annotations)) {
    for (const a of DROPPED_ANNOTATIONS) {
      if (!Object.hasOwn(annotations, a)) continue;
      delete annotations[a];
      out.push(`annotation ${a}`);
    }
    if (Object.keys(annotations).length === 0) delete m.metadata.annotations;
  }
  return out;
}
