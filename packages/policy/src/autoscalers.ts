import { at, displayName, isKind, namespaceOf, str } from './read.ts';
import type { PolicyObject } from './types.ts';

export interface ScaleTarget {
  readonly autoscaler: PolicyObject;
  /** The target's apiVersion as the reference gives it: KEDA's default apps/v1, none for an HPA that names none. */
  readonly apiVersion?: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}

/**
 * HPAs and KEDA ScaledObjects, by group and kind (an `autoscaling` HPA, a `keda.sh` ScaledObject: a
 * custom kind of either name in another group scales nothing here), with the workload each one
 * scales, in the autoscaler's namespace; `applied` as in `namespaceOf`.
 */
export function scaleTargets(objects: readonly PolicyObject[], applied = ''): ScaleTarget[] {
  return objects.flatMap((o) => {
    const kind = o.manifest.kind;
    if (!isKind(o, 'HorizontalPodAutoscaler', 'ScaledObject')) return [];
    const ref = at(o.manifest, 'spec', 'scaleTargetRef');
    const name = str(at(ref, 'name'));
    if (!name) return [];
    // KEDA defaults the target to an apps/v1 Deployment; the HPA API requires the kind.
    const targetKind = str(at(ref, 'kind')) ?? (kind === 'ScaledObject' ? 'Deployment' : '?');
    const apiVersion = str(at(ref, 'apiVersion')) ?? (kind === 'ScaledObject' ? 'apps/v1' : undefined);
    return [{ autoscaler: o, ...(apiVersion !== undefined && { apiVersion }), kind: targetKind, name, namespace: namespaceOf(o, applied) }];
  });
}

export function autoscalerLabel(t: ScaleTarget): string {
  return `${t.autoscaler.manifest.kind} "${displayName(t.autoscaler)}"`;
}
