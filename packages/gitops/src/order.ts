import type { Environment } from '@strata/core';
import { Layout } from '@strata/project';
import type { AppSyncPlan } from './sync.ts';

/**
 * Which apps of one env each app must wait for: those whose built overlay defines a CRD (as
 * `group/Kind`) that the app uses. A custom resource must never reach the API server before its
 * definition: Flux gets `dependsOn`, Argo CD sync steps (`syncSteps`). A cycle would leave every
 * app in it waiting forever: it is an error naming the apps.
 */
export function crdDependencies(env: Environment, plans: readonly AppSyncPlan[]): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const user of plans) {
    const providers = plans.filter((p) => p.app !== user.app && p.crds.some((k) => user.kinds.includes(k))).map((p) => p.app);
    deps.set(user.app, [...new Set(providers)].sort());
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (app: string, path: string[]) => {
    if (state.get(app) === 'done') return;
    if (state.get(app) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(app)), app];
      throw new Error(
        `${Layout.overlay(env, cycle[0]!)}: the apps ${cycle.join(' -> ')} need each other's CRDs, so none of them could be applied first; move the CRDs into an app of their own`,
      );
    }
    state.set(app, 'visiting');
    for (const d of deps.get(app) ?? []) visit(d, [...path, app]);
    state.set(app, 'done');
  };
  for (const app of [...deps.keys()].sort()) visit(app, []);
  return deps;
}

/**
 * The step of each app of one env in which Argo CD syncs it: 0 for an app that uses no other app's
 * CRDs, otherwise one more than the latest step among the apps it waits for (`crdDependencies`,
 * whose cycle error this shares). Apps of one step sync together, each step once the one before is
 * healthy.
 */
export function syncSteps(env: Environment, plans: readonly AppSyncPlan[]): Map<string, number> {
  const deps = crdDependencies(env, plans);
  const steps = new Map<string, number>();
  // crdDependencies refused cycles, so this recursion ends.
  const step = (app: string): number => {
    const known = steps.get(app);
    if (known !== undefined) return known;
    const s = Math.max(-1, ...(deps.get(app) ?? []).map(step)) + 1;
    steps.set(app, s);
    return s;
  };
  for (const app of deps.keys()) step(app);
  return steps;
}
