import { describe, ENVIRONMENTS, isPlainObject, type Environment, type Manifest } from '@strata/core';
import { ImportError } from './errors.ts';
import type { SourceSet } from './sources.ts';

/**
 * What a cluster or a client keeps on an object, never part of the app: an object that `kubectl get
 * -o yaml` exported carries it, and the import leaves it out.
 */

/**
 * Fields of `metadata` the API server sets. A stale `resourceVersion` in the tree is sent in every
 * client-side apply patch (`kubectl apply`, Argo CD's default), so every apply after the first fails
 * with Conflict; the others are the old object's identity and history.
 */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  // The old cluster's uids: in a new one no owner has them, and the garbage collector deletes an
  // object whose owners are all gone. (An object its owner's controller made is refused instead.)
  'ownerReferences',
];

/**
 * Annotations that record a client's or the cluster's state of the object. kubectl's last applied
 * configuration is a full copy of the object as last applied, a Secret's values included; kubectl
 * writes it again on every client-side apply. The others are written by the controllers of the
 * cluster: the Deployment controller's revisions, the PersistentVolume controller's and the
 * scheduler's binding of a claim, the token controller's account uid (of the old cluster's account).
 */
const DROPPED_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
  'kubernetes.io/service-account.uid',
  'endpoints.kubernetes.io/last-change-trigger-time',
];

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
  const metadata = m.metadata as Record<string, unknown>;
  for (const f of SERVER_METADATA) {
    if (!Object.hasOwn(metadata, f)) continue;
    delete metadata[f];
    out.push(`metadata.${f}`);
  }
  // Status is what the controllers observed; the API server takes none of it from an apply.
  if (Object.hasOwn(m, 'status')) {
    delete (m as Record<string, unknown>).status;
    out.push('status');
  }
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

/**
 * Refuses an object that a controller made (an ownerReference with `controller: true`: a ReplicaSet
 * of a Deployment, a Pod of a ReplicaSet, a Job of a CronJob, an EndpointSlice of a Service), as
 * `kubectl get all -o yaml` exports them beside their owners: the owner's controller makes it again
 * wherever the owner runs, and a copy in the tree would run beside that one (a ReplicaSet's pods
 * twice). One line each, at the reference's line; nothing is written.
 */
export async function refuseControllerMade(sources: SourceSet): Promise<void> {
  const lines = new Set<string>();
  for (const env of ENVIRONMENTS) {
    for (const [i, m] of sources.objects[env].entries()) {
      const refs: unknown = (m.metadata as Record<string, unknown>).ownerReferences;
      if (!Array.isArray(refs)) continue;
      const j = refs.findIndex((r) => isPlainObject(r) && r.controller === true);
      if (j < 0) continue;
      const owner = refs[j] as { kind?: unknown; name?: unknown };
      const named = `${typeof owner.kind === 'string' ? owner.kind : 'owner'}${typeof owner.name === 'string' ? ` ${owner.name}` : ''}`;
      const at = await sources.where(env, i, ['metadata', 'ownerReferences', j]);
      lines.add(
        `${at}: ${describe(m)}: metadata.ownerReferences[${j}]: made by the controller of its owner, ${named}, which makes it again wherever the owner runs; leave it out of the sources and import the owner, then import; nothing was written`,
      );
    }
  }
  if (lines.size > 0) throw new ImportError([...lines]);
}
