import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { argoCdDestination } from '@strata/core/argocd';
import { appKeyLocation, configLocation, crdsFolder, declaredNamespaces, Layout, projectSeverity, UsageError } from '@strata/project';
import { namespacedIn } from '@strata/schemas';
import { settingsProblems, type PolicyContext } from '@strata/policy';
import { kubernetesSettings } from './kubernetes.ts';
import type { App } from './types.ts';

type SeverityMap = NonNullable<PolicyContext['severity']>;

/** `severity.require-probes.dev` -> `policy.severity.require-probes.dev`; `exceptions.0.rule` -> `policy.exceptions[0].rule` */
export const policyKey = (path: readonly string[]) =>
  ['policy', ...path].map((k, i) => (/^\d+$/.test(k) ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

/**
 * The project's severities and each app's policy, checked before any rule runs: a mistake is a usage
 * error in one line at the file and line that holds it (strata.config.json, or the app's src/app.ts).
 */
export function checkSettings(root: string, project: SeverityMap, apps: ReadonlyMap<string, App>): void {
  const [inConfig] = settingsProblems({ severity: project });
  if (inConfig) throw new UsageError(`${configLocation(root, ['policy', ...inConfig.path])}: ${policyKey(inConfig.path)}: ${inConfig.message}`);
  for (const [name, app] of apps) {
    const [inApp] = settingsProblems(app.policy ?? {});
    if (!inApp) continue;
    const value = inApp.path.reduce<unknown>(
      (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      app.policy,
    );
    throw new UsageError(`${appKeyLocation(root, name, ['policy', ...inApp.path], value)}: ${policyKey(inApp.path)}: ${inApp.message}`);
  }
}

/**
 * The settings an app's objects in an env are judged with, by validate, the pipeline and a release
 * alike: the env, the project's severities overridden by the app's, and the app's exceptions.
 */
export function appPolicyContext(
  project: SeverityMap,
  app: Pick<App, 'policy'> | undefined,
  env: PolicyContext['env'],
): Pick<PolicyContext, 'env' | 'severity' | 'exceptions' | 'singleReplica'> {
  return {
    ...(env ? { env } : {}),
    severity: { ...project, ...(app?.policy?.severity ?? {}) },
    ...(app?.policy?.exceptions ? { exceptions: app.policy.exceptions } : {}),
    ...(app?.policy?.singleReplica ? { singleReplica: true } : {}),
  };
}

/**
 * The policy settings of strata.config.json and of these apps, checked as validate checks them, for
 * a command that writes the tree from them: a misspelt rule is refused before anything is written,
 * not first by the next validate.
 */
export function checkPolicySettings(root: string, apps: readonly Pick<App, 'name' | 'policy'>[]): void {
  checkSettings(root, projectSeverity(root), new Map(apps.map((a) => [a.name, a as App])));
}

/**
 * The `kubernetes` section of strata.config.json, checked as validate checks it, for a command that
 * writes or compares the tree without validating it (generate, check): a version that no schema set
 * covers or a node port range kube-apiserver would not take is refused there too, in the same line,
 * not first by the next validate.
 */
export function checkKubernetesSettings(root: string): void {
  kubernetesSettings(root);
}

/**
 * The apps whose own namespace in an env (their Argo CD Application's destination, which the
 * generated gitops/ creates for them) is one `kubernetes.namespaces` of strata.config.json says the
 * platform makes, refused in one line each, for a command that writes the tree (generate): as
 * new-app refuses such a name and validate such a build, not first by the next validate, when the
 * tree and its ApplicationSet entry are written already. `desired` gives an app's objects in an env.
 */
export function checkAppNamespaces(
  root: string,
  apps: readonly string[],
  envs: readonly Environment[],
  desired: (app: string, env: Environment) => readonly Manifest[],
): void {
  const declared = new Set(declaredNamespaces(root));
  if (declared.size === 0) return;
  const lines = apps.flatMap((app) => {
    const where = new Map<string, Environment[]>();
    for (const env of envs) {
      const manifests = desired(app, env);
      const own = argoCdDestination(app, manifests, namespacedIn(manifests, [crdsFolder(root)]));
      if (declared.has(own)) where.set(own, [...(where.get(own) ?? []), env]);
    }
    return [...where].map(
      ([ns, in_]) =>
        `app "${app}" would be in the namespace "${ns}"${in_.length === ENVIRONMENTS.length ? '' : ` in ${in_.join(', ')}`}, its own (its Argo CD Application's destination, which gitops/ creates for it), which kubernetes.namespaces of ${Layout.configFile} says the platform makes: an app does not own a platform namespace (its default-deny NetworkPolicy and the AppProject would reach every pod the platform runs there); give the app a namespace of its own in ${Layout.app(app)}/src, or take "${ns}" out of kubernetes.namespaces if the app makes it`,
    );
  });
  if (lines.length > 0) throw new UsageError(lines.join('\n'));
}
