/**
 * Which deployed objects a sync deletes and creates anew instead of updating, so that a change the
 * server refuses on update (an immutable field) ships all the same: read from the objects as the
 * tools that apply the tree read them (`gitops.consumer`: Argo CD, Flux or both).
 */

import { isPlainObject, type Manifest } from '@strata/core';
import { fitsClientSideApply, type ArgoCdTracking } from '@strata/policy';
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

/** The server's refusal of an update, as a client reads it from the Status it answers with. */
export interface Refusal {
  /** The HTTP status code. */
  readonly code: number;
  /** The Status's reason (`Invalid`, `Conflict`, `Forbidden`, ...), when it gives one. */
  readonly reason?: string;
  /** The Status's message, what a Go client's error says. */
  readonly message: string;
}

/** The reasons apimachinery knows (k8s.io/apimachinery/pkg/api/errors, `knownReasons`): a known one decides alone, whatever the code. */
const KNOWN_REASONS = new Set([
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Gone',
  'Invalid',
  'ServerTimeout',
  'StoreReadError',
  'Timeout',
  'TooManyRequests',
  'BadRequest',
  'MethodNotAllowed',
  'NotAcceptable',
  'RequestEntityTooLarge',
  'UnsupportedMediaType',
  'InternalError',
  'Expired',
  'ServiceUnavailable',
]);

/**
 * Whether `kubectl apply --force` deletes the object and creates it anew after this refusal of its
 * update (k8s.io/kubectl pkg/cmd/apply/patcher.go, `Patch`: `IsConflict(err) || IsInvalid(err)`):
 * the reason Invalid or Conflict, or a reason apimachinery does not know with the code 422 or 409.
 * Any other refusal (Forbidden by an admission plugin or policy, say) fails the apply as it is.
 */
export function kubectlForceRecreates(r: Refusal): boolean {
  if (r.reason === 'Invalid' || r.reason === 'Conflict') return true;
  return !KNOWN_REASONS.has(r.reason ?? '') && (r.code === 422 || r.code === 409);
}

/**
 * Whether Flux's kustomize-controller deletes the object and applies it anew after this refusal of
 * its dry-run apply (fluxcd/pkg ssa, `shouldForceApply` and errors.IsImmutableError): as kubectl
 * does, or when the message says `is immutable` or `immutable field` (how admission webhooks and CEL
 * rules word it), whatever the code.
 */
export function fluxForceRecreates(r: Refusal): boolean {
  return kubectlForceRecreates(r) || /is\simmutable|immutable\sfield/.test(r.message);
}

/**
 * Why every tool that applies the tree deletes `live`, the deployed object of `m`'s name, and creates
 * `m` instead of updating it, after the server refused the update with `refused`; undefined when one
 * of them updates it (where Argo CD and Flux both apply the tree, an update by either meets the
 * server's refusal). A hook under BeforeHookCreation and Force=true,Replace=true delete the object
 * whatever the update would meet; Force=true alone (kubectl apply --force) and Flux's force recreate
 * it only after a refusal they take for an immutable field, and fail with any other.
 * `serverSideApply`: whether Argo CD applies `m` server-side, as its Application says (the object's
 * own sync option wins).
 */
export function recreation(
  m: Manifest,
  live: Manifest | undefined,
  consumers: { readonly argocd: boolean; readonly flux: boolean },
  serverSideApply: boolean,
  refused: Refusal,
): Recreation | undefined {
  return recreationAsked(m, live, consumers, serverSideApply, (why) =>
    why === 'apply-force' ? kubectlForceRecreates(refused) : why === 'flux-force' ? fluxForceRecreates(refused) : true,
  );
}

/**
 * Why every tool that applies the tree would delete and recreate `live` rather than update it, were
 * the update refused as each of them needs (`after`: whether that tool's recreation follows the
 * refusal at hand); undefined when one of them updates it.
 */
function recreationAsked(
  m: Manifest,
  live: Manifest | undefined,
  consumers: { readonly argocd: boolean; readonly flux: boolean },
  serverSideApply: boolean,
  after: (why: Recreation) => boolean,
): Recreation | undefined {
  let argoCd: Recreation | undefined;
  if (consumers.argocd) {
    const replaces = argoCdReplaces(m, live);
    if (argoCdDeletesBeforeCreation(m)) argoCd = 'hook';
    else if (replaces === 'recreate') argoCd = 'replace-force';
    else if (replaces === 'force' && !(argoCdServerSideApply(m) ?? serverSideApply)) argoCd = 'apply-force';
    else return undefined;
    if (!after(argoCd)) return undefined;
  }
  if (consumers.flux && !(fluxForces(m, live) && after('flux-force'))) return undefined;
  return argoCd ?? 'flux-force';
}

/**
 * What asks to recreate `live` but does not after this refusal: `apply-force` or `flux-force` when
 * every tool that applies the tree would recreate it after a refusal it takes for an immutable field,
 * and one of them takes `refused` for none; undefined otherwise.
 */
export function recreationRefused(
  m: Manifest,
  live: Manifest | undefined,
  consumers: { readonly argocd: boolean; readonly flux: boolean },
  serverSideApply: boolean,
  refused: Refusal,
): 'apply-force' | 'flux-force' | undefined {
  if (!recreationAsked(m, live, consumers, serverSideApply, () => true)) return undefined;
  if (recreation(m, live, consumers, serverSideApply, refused)) return undefined;
  const argoCd = consumers.argocd ? recreationAsked(m, live, { argocd: true, flux: false }, serverSideApply, () => true) : undefined;
  return argoCd === 'apply-force' && !kubectlForceRecreates(refused) ? 'apply-force' : 'flux-force';
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
 * Whether the Application that syncs these objects (one app's built output in one env) applies them
 * server-side, as the generated gitops/ decides (packages/gitops, `syncPlan`): when the app holds a
 * CRD or an object whose annotations, with the copy of it that client-side apply adds, pass the API
 * server's limit, measured as kubectl makes that copy (`fitsClientSideApply` of @strata/policy), with
 * the tracking id Argo CD writes in (`argoCd`: the Application's name and destination) when known.
 */
export function appliesServerSide(manifests: readonly Manifest[], argoCd?: ArgoCdTracking): boolean {
  return manifests.some(
    (m) => (m.kind === 'CustomResourceDefinition' && m.apiVersion.startsWith('apiextensions.k8s.io/')) || !fitsClientSideApply(m, argoCd),
  );
}
