/**
 * Which objects Argo CD applies, read from their hook annotations as its sync engine reads them
 * (gitops-engine's hook package, and the controller's delete hooks):
 *
 * - `argocd.argoproj.io/hook` is a comma-separated list; each item is trimmed, repeats count once,
 *   and an item counts only when it is one of the names below, spelled exactly (`skip` is no name).
 * - `Skip` skips the object only when it is the only name the list holds: `Skip, Bogus` is skipped,
 *   `PreSync,Skip` is a PreSync hook and is applied.
 * - `helm.sh/hook` counts only when the Argo CD annotation names nothing: pre-install and pre-upgrade
 *   are PreSync, post-install and post-upgrade PostSync. `crd-install` alone makes no hook.
 * - Any other object that carries either annotation is a hook, and a hook that names no phase of a
 *   sync is never applied by one: a typo (`Presync`), `skip`, Helm's tests. PreDelete and PostDelete
 *   hooks (Helm's pre-delete and post-delete) are applied when the Application is deleted, so they
 *   reach the cluster too.
 */

import { isPlainObject } from './merge.ts';
import type { Manifest } from './objects.ts';

export const ARGOCD_HOOK = 'argocd.argoproj.io/hook';
export const HELM_HOOK = 'helm.sh/hook';

const SYNC_PHASES = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];
const ARGOCD_TYPES = new Set([...SYNC_PHASES, 'Skip']);
const HELM_TYPES = new Set(['pre-install', 'pre-upgrade', 'post-install', 'post-upgrade']);
const DELETE_HOOKS: Readonly<Record<string, readonly string[]>> = {
  [ARGOCD_HOOK]: ['PreDelete', 'PostDelete'],
  [HELM_HOOK]: ['pre-delete', 'post-delete'],
};

/** Why Argo CD never applies an object: `skip`, annotated Skip; `no-sync-hook`, a hook of no phase it runs. */
export type ArgoCdSkip = 'skip' | 'no-sync-hook';

/** An annotation's value, when the object has it as a string (the only kind the server keeps). */
function annotation(m: Manifest, key: string): string | undefined {
  const annotations = m.metadata?.annotations;
  if (!isPlainObject(annotations)) return undefined;
  const value = annotations[key];
  return typeof value === 'string' ? value : undefined;
}

/** The distinct, trimmed, non-empty items of a comma-separated annotation. */
function items(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(',').map((s) => s.trim()))].filter((s) => s !== '');
}

/** The hook names Argo CD reads from an object: its own annotation's, or else Helm's (as Argo CD names them). */
function hookTypes(m: Manifest): string[] {
  const own = items(annotation(m, ARGOCD_HOOK)).filter((t) => ARGOCD_TYPES.has(t));
  if (own.length > 0) return own;
  return [...new Set(items(annotation(m, HELM_HOOK)).flatMap((t) => (HELM_TYPES.has(t) ? [t.startsWith('pre-') ? 'PreSync' : 'PostSync'] : [])))];
}

const skipped = (m: Manifest) => {
  const types = hookTypes(m);
  return types.length === 1 && types[0] === 'Skip';
};

/** Whether Argo CD takes an object for a hook (it applies a hook in its phases, naming one that has only a generateName). */
export function isArgoCdHook(m: Manifest): boolean {
  if (annotation(m, ARGOCD_HOOK) !== undefined) return !skipped(m);
  const helm = annotation(m, HELM_HOOK);
  return helm !== undefined && helm !== 'crd-install';
}

/**
 * The phases of a sync Argo CD runs a hook in (PreSync, Sync, PostSync, SyncFail), once per phase;
 * none for a delete hook, which the controller creates when the Application is deleted, or for an
 * object that is no hook.
 */
export function argoCdSyncPhases(m: Manifest): string[] {
  if (!isArgoCdHook(m)) return [];
  return hookTypes(m).filter((t) => SYNC_PHASES.includes(t));
}

/** Why Argo CD never applies an object, or undefined when it applies it (in a sync, or a delete hook when the Application is deleted). */
export function argoCdSkips(m: Manifest): ArgoCdSkip | undefined {
  if (skipped(m)) return 'skip';
  if (!isArgoCdHook(m) || hookTypes(m).length > 0) return undefined;
  const deletes = Object.entries(DELETE_HOOKS).some(([key, names]) => items(annotation(m, key)).some((t) => names.includes(t)));
  return deletes ? undefined : 'no-sync-hook';
}

export const ARGOCD_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/**
 * How an Argo CD sync brings a deployed object (`live`, when known) to the one it is given, read
 * from the `argocd.argoproj.io/sync-options` of both, as its sync engine reads them (gitops-engine's
 * sync_context.go applyObject: an option of either counts; the list's items trimmed, each option
 * spelled exactly): `recreate` for `Force=true` with `Replace=true`, `kubectl replace --force`,
 * which deletes the object and creates it anew, so a field the server refuses to change on update is
 * never updated; `replace` for `Replace=true` alone, `kubectl replace`, an update that the server
 * refuses as it refuses an apply; `force` for `Force=true` alone, `kubectl apply --force`, which
 * deletes and recreates the object when the server refuses its update as invalid (kubectl's apply
 * patcher, deleteAndCreate), but only under client-side apply: server-side apply sends the object
 * and nothing else, so the update is refused as ever; else undefined (an apply). A
 * CustomResourceDefinition or a Namespace is updated whatever it asks for: replaced, it would take
 * every object of it along. Argo CD's own only: Flux reads none of this.
 */
export function argoCdReplaces(m: Manifest, live?: Manifest): 'recreate' | 'replace' | 'force' | undefined {
  const options = new Set([...items(annotation(m, ARGOCD_SYNC_OPTIONS)), ...(live ? items(annotation(live, ARGOCD_SYNC_OPTIONS)) : [])]);
  const crd = m.kind === 'CustomResourceDefinition' && m.apiVersion.startsWith('apiextensions.k8s.io/');
  if (crd || m.kind === 'Namespace') return undefined;
  const force = options.has('Force=true');
  if (!options.has('Replace=true')) return force ? 'force' : undefined;
  return force ? 'recreate' : 'replace';
}

/**
 * Whether Argo CD applies an object with server-side apply, as its own sync options say (an
 * object's `ServerSideApply=false` wins over its Application's `ServerSideApply=true`), or
 * undefined when they leave it to the Application's.
 */
export function argoCdServerSideApply(m: Manifest): boolean | undefined {
  const options = items(annotation(m, ARGOCD_SYNC_OPTIONS));
  if (options.includes('ServerSideApply=false')) return false;
  return options.includes('ServerSideApply=true') ? true : undefined;
}

export const ARGOCD_HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
export const HELM_HOOK_DELETE_POLICY = 'helm.sh/hook-delete-policy';

const DELETE_POLICIES = new Set(['BeforeHookCreation', 'HookSucceeded', 'HookFailed']);
const HELM_DELETE_POLICIES = new Map([
  ['before-hook-creation', 'BeforeHookCreation'],
  ['hook-succeeded', 'HookSucceeded'],
  ['hook-failed', 'HookFailed'],
]);

/**
 * The delete policies of a hook, as Argo CD's sync engine reads them (gitops-engine's
 * hook.DeletePolicies): the names its own annotation lists, spelled exactly, and those of
 * `helm.sh/hook-delete-policy` mapped onto them, whichever annotation made the object a hook; and
 * `BeforeHookCreation` when neither names one (a typo counts as none), as its docs say. None for an
 * object that is no hook.
 */
export function argoCdHookDeletePolicies(m: Manifest): string[] {
  if (!isArgoCdHook(m)) return [];
  const own = items(annotation(m, ARGOCD_HOOK_DELETE_POLICY)).filter((p) => DELETE_POLICIES.has(p));
  const helm = items(annotation(m, HELM_HOOK_DELETE_POLICY)).flatMap((p) => HELM_DELETE_POLICIES.get(p) ?? []);
  const policies = [...new Set([...own, ...helm])];
  return policies.length > 0 ? policies : ['BeforeHookCreation'];
}

/**
 * Whether a sync deletes the deployed object of a hook's name before it creates the hook: a sync
 * hook (of a phase Argo CD runs) whose delete policies hold `BeforeHookCreation`, the default. Read
 * from the hook that is synced, as Argo CD reads it, whatever the deployed object was.
 */
export function argoCdDeletesBeforeCreation(m: Manifest): boolean {
  return argoCdSyncPhases(m).length > 0 && argoCdHookDeletePolicies(m).includes('BeforeHookCreation');
}

/**
 * Whether a deployed object is gone from the cluster before the next sync, as Argo CD leaves it once
 * the sync that created it succeeded:
 *
 * - A delete hook alone (PreDelete, PostDelete, Helm's pre-delete and post-delete) is created only
 *   when the Application is deleted, so it is never there while the Application syncs.
 * - A SyncFail hook alone runs only in a sync that fails (Argo CD's SyncFail phase; a PostSync hook
 *   runs in every sync that succeeds, once its resources are healthy), so a sync that succeeded
 *   never created it.
 * - A sync hook with `HookSucceeded` among its delete policies is deleted when its sync succeeds
 *   (gitops-engine deletes such hooks as the operation completes successfully). What is deployed is
 *   taken as a sync that succeeded: after a failed one the hook stays until it is deleted by hand
 *   or by `HookFailed`, a state no build of the ref can tell.
 * - `HookFailed` alone leaves a hook that succeeded in the cluster, so the next sync updates it
 *   (unless that hook names `BeforeHookCreation`): such a hook is no more gone than any object.
 */
export function argoCdGoneBeforeNextSync(m: Manifest): boolean {
  if (!isArgoCdHook(m) || argoCdSkips(m) !== undefined) return false;
  const phases = argoCdSyncPhases(m);
  return phases.length === 0 || phases.every((p) => p === 'SyncFail') || argoCdHookDeletePolicies(m).includes('HookSucceeded');
}

/**
 * How Argo CD marks the objects of an Application before it applies them (`application.resourceTrackingMethod`
 * of argocd-cm): the `argocd.argoproj.io/tracking-id` annotation (Argo CD 3's default), the
 * `app.kubernetes.io/instance` label, or both (the label then for information only).
 */
export const ARGOCD_TRACKING_METHODS = ['annotation', 'label', 'annotation+label'] as const;
export type ArgoCdTrackingMethod = (typeof ARGOCD_TRACKING_METHODS)[number];

/** The name of the Argo CD Application that syncs `app` in `env`, as the generated ApplicationSet (@strata/gitops) names it. */
export const argoCdApplicationName = (app: string, env: string) => `${app}-${env}`;

/**
 * The namespace of an app's Argo CD Application (its `destination.namespace`), as the generated
 * gitops/ sets it from the app's built objects of one env: the namespace most of its namespaced
 * objects name (ties to the alphabetically first), else the app's name. Argo CD places the objects
 * that name none there, and creates it (the sync option `CreateNamespace=true`) unless the app
 * ships a Namespace of that name itself: either way it exists once the app is synced. `namespaced`
 * says which objects live in a namespace, as the cluster scopes their group and kind (the
 * `namespacedIn` of @strata/schemas): the namespace written on a cluster-scoped one counts for nothing.
 */
export function argoCdDestination(app: string, manifests: readonly Manifest[], namespaced: (m: Manifest) => boolean): string {
  const counts = new Map<string, number>();
  for (const m of manifests) {
    const ns = m.metadata?.namespace;
    if (typeof ns !== 'string' || ns === '' || !namespaced(m)) continue;
    counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  // Ties go to the alphabetically first name, so the output does not depend on object order.
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? app;
}
