import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { generatedFile } from '@strata/emit';
import { Layout } from '@strata/project';
import { crdDependencies } from './order.ts';
import type { AppSyncPlan } from './sync.ts';
import { inRepository, syncsByHand, type GitopsSettings } from './settings.ts';

export const DEFAULT_FLUX_NAMESPACE = 'flux-system';
/** The one GitRepository every env's Kustomizations read from. */
export const FLUX_SOURCE = 'strata';
/** How often Flux looks at the repository, and how often it re-applies (and so corrects drift in) each overlay. */
export const FLUX_INTERVALS = { source: '1m', apply: '10m', retry: '1m', timeout: '5m' } as const;

export const fluxKustomizationName = (env: Environment, app: string) => `${app}-${env}`;

/**
 * Argo CD's targetRevision is a branch, a tag or a commit; a Flux GitRepository says which. A full
 * SHA is a commit, `refs/...` a reference by name, a version such as `v1.2.3` a tag, anything else
 * a branch (write `refs/tags/<tag>` for another tag).
 */
export function fluxGitRef(revision: string): Record<string, string> {
  if (/^[0-9a-f]{40}$/.test(revision)) return { commit: revision };
  if (revision.startsWith('refs/')) return { name: revision };
  if (/^v?\d+\.\d+\.\d+([-+].*)?$/.test(revision)) return { tag: revision };
  return { branch: revision };
}

/**
 * The GitRepository's ignore (.gitignore rules): everything but the workspace's base/ and overlays/.
 * A folder that is ignored cannot have a file of it included again, so each folder on the way to a
 * workspace in a subfolder is included, then its other entries ignored.
 */
export function fluxIgnore(settings: Pick<GitopsSettings, 'path'>): string {
  const lines = ['/*'];
  let at = '';
  for (const part of settings.path ? settings.path.split('/') : []) {
    at += `/${part}`;
    lines.push(`!${at}/`, `${at}/*`);
  }
  lines.push(`!${at}/${Layout.base}/`, `!${at}/${Layout.overlays}/`);
  return `${lines.join('\n')}\n`;
}

function gitRepository(settings: GitopsSettings): Record<string, unknown> {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: FLUX_SOURCE, namespace: settings.fluxNamespace ?? DEFAULT_FLUX_NAMESPACE },
    spec: {
      interval: FLUX_INTERVALS.source,
      url: settings.repoURL,
      ref: fluxGitRef(settings.targetRevision),
      // Only what the overlays build from goes into the artifact every Kustomization downloads.
      ignore: fluxIgnore(settings),
    },
  };
}

function kustomization(env: Environment, settings: GitopsSettings, plan: AppSyncPlan, dependsOn: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {
      name: fluxKustomizationName(env, plan.app),
      namespace: settings.fluxNamespace ?? DEFAULT_FLUX_NAMESPACE,
      labels: { 'app.kubernetes.io/part-of': plan.app, 'strata.dev/env': env },
    },
    spec: {
      interval: FLUX_INTERVALS.apply,
      retryInterval: FLUX_INTERVALS.retry,
      timeout: FLUX_INTERVALS.timeout,
      sourceRef: { kind: 'GitRepository', name: FLUX_SOURCE },
      path: `./${inRepository(settings, Layout.overlay(env, plan.app))}`,
      prune: true,
      // The promotion gate, as Argo CD's manual sync: nothing is applied until a person resumes it
      // (`flux resume kustomization`); applying this folder again suspends it again.
      ...(syncsByHand(settings, env) ? { suspend: true } : {}),
      // Ready only when every object it applied is healthy: what dependsOn waits for.
      wait: true,
      // No targetNamespace: the overlay already puts every object in its namespace, and
      // targetNamespace would move an app's objects out of a second namespace.
      ...(dependsOn.length > 0 ? { dependsOn: dependsOn.map((app) => ({ name: fluxKustomizationName(env, app) })) } : {}),
      // Flux applies server-side and would take spec.replicas back from the autoscaler on every
      // run; leaving the field out gives it to the autoscaler (Argo CD ignores the difference instead).
      ...(plan.autoscaled.length > 0
        ? {
            patches: plan.autoscaled.map((a) => ({
              target: { group: a.group, kind: a.kind, name: a.name, namespace: a.namespace },
              patch: `kind: ${a.kind}\nmetadata:\n  name: ${a.name}\nspec:\n  replicas: null\n`,
            })),
          }
        : {}),
    },
  };
}

/** The file of `gitops/flux/<env>/` that holds the Namespace `name` Flux creates there (see `fluxNamespaces`). */
export const fluxNamespaceFile = (env: string, name: string) => `${Layout.fluxEnv(env)}/namespace.${name}.yaml`;

/**
 * The namespaces Argo CD creates with CreateNamespace=true. Flux has no such option, so the env's
 * folder declares them; never pruned, like the ones Argo CD creates, so removing an app (or giving
 * it its own Namespace object) cannot delete everything in them. What `planFlux` writes for the
 * apps of `env` (`plans`, each read as `syncPlan` reads its built objects), and what validation
 * counts as created in that env when Flux applies the tree.
 */
export function fluxNamespaces(env: string, plans: readonly Pick<AppSyncPlan, 'namespace' | 'syncOptions'>[]): Manifest[] {
  const owned = new Set(plans.filter((p) => !p.syncOptions.includes('CreateNamespace=true')).map((p) => p.namespace));
  const wanted = new Set(plans.filter((p) => p.syncOptions.includes('CreateNamespace=true')).map((p) => p.namespace));
  return [...wanted]
    .filter((ns) => !owned.has(ns))
    .sort()
    .map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'strata.dev/env': env }, annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
    }));
}

/**
 * Plans the Flux files: per env, in `gitops/flux/<env>/`, the GitRepository, one Kustomization per
 * app (its overlay, pruned, health-checked, after the apps whose CRDs it uses) and the namespaces
 * the apps need. The folder has no kustomization.yaml on purpose: `flux bootstrap --path` adds its
 * own files beside these and Flux applies every file under the path; `kubectl apply -f` applies it
 * as well.
 */
export function planFlux(settings: GitopsSettings, plansByEnv: ReadonlyMap<Environment, readonly AppSyncPlan[]>): Map<string, string> {
  const files = new Map<string, string>();
  for (const env of ENVIRONMENTS) {
    const plans = plansByEnv.get(env) ?? [];
    const dir = Layout.fluxEnv(env);
    const source = `${Layout.configFile} and ${Layout.envRoot(env)}`;
    files.set(`${dir}/gitrepository.${FLUX_SOURCE}.yaml`, generatedFile(gitRepository(settings), Layout.configFile));
    const deps = crdDependencies(env, plans);
    for (const plan of plans) {
      const name = fluxKustomizationName(env, plan.app);
      files.set(`${dir}/kustomization.${name}.yaml`, generatedFile(kustomization(env, settings, plan, deps.get(plan.app) ?? []), source));
    }
    for (const ns of fluxNamespaces(env, plans)) files.set(fluxNamespaceFile(env, ns.metadata.name), generatedFile(ns, source));
  }
  return files;
}
