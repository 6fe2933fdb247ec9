/**
 * Which deployed objects a sync deletes and creates anew instead of updating, so that a change the
 * server refuses on update (an immutable field) ships all the same: read from the objects as the
 * tools that apply the tree read them (`gitops.consumer`: Argo CD, Flux or both).
 */

import { isPlainObject, type Manifest } from '@strata/core';
import {
  ARGOCD_HOOK_DELETE_POLICY,
  ARGOCD_SYNC_OPTIONS,
  argoCdDeletesBeforeCreation,
  argoCdReplaces,
  argoCdServerSideApply,
} from '@strata/core/argocd';

export const FLUX_FORCE = 'kustomize.toolkit.fluxcd.io/force';

/**
 * Whether Flux's kustomize-controller deletes and recreates an object whose update the server
 * refuses as invalid or conflicting (an immutable field): `kustomize.toolkit.fluxcd.io/force:
 * enabled` as a label or an annotation, in any case, of the object applied or of the one deployed
 * (fluxcd/pkg ssa, `AnyInMetadata` with `strings.EqualFold`). A CustomResourceDefinition or a
 * Namespace is judged as an update whatever it asks for, as for Argo CD: recreated, it takes every
 * object of it along, which no check here should pass quietly.
 */
export function fluxForces(m: Manifest, live?: Manifest): boolean {
  if (isCrdOrNamespace(m)) return false;
  const forced = (o: Manifest) =>
    [o.metadata?.labels, o.metadata?.annotations].some((map) => {
      const value = isPlainObject(map) ? map[FLUX_FORCE] : undefined;
      return typeof value === 'string' && value.toLowerCase() === 'enabled';
    });
  return forced(m) || (live !== undefined && forced(live));
}

function isCrdOrNamespace(m: Manifest): boolean {
  return (
    (m.kind === 'CustomResourceDefinition' && m.apiVersion.startsWith('apiextensions.k8s.io/')) || (m.kind === 'Namespace' && m.apiVersion === 'v1')
  );
}

/**
 * Why a sync deletes the deployed object and creates the new one: `hook`, an Argo CD sync hook
 * deleted before its creation (`BeforeHookCreation`, the default delete policy); `replace-force`,
 * Argo CD's `Force=true,Replace=true`; `apply-force`, Argo CD's `Force=true` alone under client-side
 * apply; `flux-force`, Flux's force label or annotation.
 */
export type Recreation = 'hook' | 'replace-force' | 'apply-force' | 'flux-force';

/**
 * Why every tool that applies the tree deletes `live`, the deployed object of `m`'s name, and creates
 * `m` instead of updating it; undefined when one of them updates it (where Argo CD and Flux both
 * apply the tree, an update by either meets the server's refusal). `serverSideApply`: whether Argo
 * CD applies `m` server-side, as its Application says (the object's own sync option wins).
 */
export function recreation(
  m: Manifest,
  live: Manifest | undefined,
  consumers: { readonly argocd: boolean; readonly flux: boolean },
  serverSideApply: boolean,
): Recreation | undefined {
  let argoCd: Recreation | undefined;
  if (consumers.argocd) {
    const replaces = argoCdReplaces(m, live);
    if (argoCdDeletesBeforeCreation(m)) argoCd = 'hook';
    else if (replaces === 'recreate') argoCd = 'replace-force';
    else if (replaces === 'force' && !(argoCdServerSideApply(m) ?? serverSideApply)) argoCd = 'apply-force';
    else return undefined;
  }
  if (consumers.flux && !fluxForces(m, live)) return undefined;
  return argoCd ?? 'flux-force';
}

/** What deletes and recreates the objects (`many`: more than one), for a note: `<who> <does> (<the option that says so>)`. */
export function recreationWords(why: Recreation, many: boolean): string {
  const it = many ? 'them' : 'it';
  switch (why) {
    case 'hook':
      return `Argo CD deletes the ${many ? 'hooks' : 'hook'} before it creates ${it} anew (${ARGOCD_HOOK_DELETE_POLICY}: BeforeHookCreation, the default when none is named)`;
    case 'replace-force':
      return `Argo CD deletes and recreates ${it} (${ARGOCD_SYNC_OPTIONS}: Force=true,Replace=true)`;
    case 'apply-force':
      return `Argo CD's client-side apply deletes and recreates ${it} as the server refuses the update (${ARGOCD_SYNC_OPTIONS}: Force=true, kubectl apply --force)`;
    case 'flux-force':
      return `Flux deletes and recreates ${it} (${FLUX_FORCE}: enabled)`;
  }
}

/**
 * The limit of all annotations of an object together (apimachinery's `TotalAnnotationSizeLimitB`),
 * which client-side apply's copy of the object must fit in.
 */
const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

/**
 * Whether the Application that syncs these objects (one app's built output in one env) applies them
 * server-side, as the generated gitops/ decides (packages/gitops, `syncPlan`): when the app holds a
 * CRD or an object too large for client-side apply's annotation. An object that surely fits is at
 * most nine bytes of annotation per character of its JSON (kubectl's copy and the rest), plus 4 KiB;
 * one that might not fit is taken to make the app server-side, where `Force=true` alone recreates
 * nothing, so the doubt fails the check rather than passing it.
 */
export function appliesServerSide(manifests: readonly Manifest[]): boolean {
  return manifests.some(
    (m) =>
      (m.kind === 'CustomResourceDefinition' && m.apiVersion.startsWith('apiextensions.k8s.io/')) ||
      9 * JSON.stringify(m).length + 4096 > ANNOTATIONS_SIZE_LIMIT,
  );
}
