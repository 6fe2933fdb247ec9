import type { Environment, Manifest } from '@strata/core';
import { compareManifests, isGeneratedConfigMap, normalize } from '@strata/emit';
import { Layout } from '@strata/project';
import { kustomizeSetsNamespace } from '@strata/schemas';
import { unmatchedPatchTargets } from './targets.ts';

/**
 * What `strata check` proves of one built overlay, kept small enough to remember per app and env:
 * the round trip, the patch targets, and what the env root's proof needs (see `proveEnvRoot`).
 */
export interface OverlayFindings {
  /** Objects whose build differs from the render, each with a unified diff. */
  readonly roundTrip: { readonly id: string; readonly diff: string }[];
  /** Target-selector patches that match nothing, as one line each. */
  readonly unmatched: string[];
  /**
   * The id kustomize registers for each object when it aggregates the env root, which it does before
   * it adds hash suffixes: `apiVersion/Kind namespace name`, with the suffix removed and no namespace
   * read as `default`, as kustomize compares them (`apiVersion/Kind name` for a cluster-scoped kind).
   */
  readonly ids: string[];
  /** Objects kustomize renamed (a generated ConfigMap's hash suffix), as `Kind namespace name` before. */
  readonly renamed: string[];
  /**
   * Where the objects could refer to another app's renamed ConfigMap or Secret: their namespaces
   * (none read as `default`), and `*` for the cluster-scoped kinds that kustomize lets refer to
   * either in any namespace.
   */
  readonly namespaces: string[];
}

/** Cluster-scoped kinds whose fields kustomize's name-reference rules read as a ConfigMap or Secret name. */
const CLUSTER_REFERRERS = new Set([
  'APIService',
  'ClusterRole',
  'MutatingWebhookConfiguration',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ValidatingWebhookConfiguration',
]);

/** The only kinds kustomize renames in Strata's overlays: generated ones, with a hash suffix. */
const RENAMED_KINDS = new Set(['ConfigMap', 'Secret']);

/**
 * Compares one overlay's build with the render it must equal. `kustomization` is the overlay's
 * kustomization.yaml as built (undefined when it is not known).
 */
export function overlayFindings(
  overlay: string,
  desired: readonly Manifest[],
  built: readonly Manifest[],
  kustomization: string | undefined,
): OverlayFindings {
  const generated = new Set(desired.filter(isGeneratedConfigMap).map((m) => m.metadata.name));
  // Unsorted: the comparison ignores key order, and a diff sorts what it shows.
  const actual = normalize(built, generated, false);
  const roundTrip = compareManifests(normalize(desired, generated, false), actual, { expected: 'rendered', actual: 'kustomize build' }).map((m) => ({
    id: m.id,
    diff: m.diff,
  }));
  const unmatched = kustomization === undefined ? [] : unmatchedPatchTargets(overlay, kustomization, built);
  const ids = actual.map(rootId);
  const renamed: string[] = [];
  const namespaces = new Set<string>();
  actual.forEach((m, i) => {
    const ns = m.metadata.namespace || 'default';
    namespaces.add(!m.metadata.namespace && CLUSTER_REFERRERS.has(m.kind) ? '*' : ns);
    if (built[i]!.metadata.name !== m.metadata.name) renamed.push(`${m.kind} ${ns} ${m.metadata.name}`);
  });
  return { roundTrip, unmatched, ids, renamed, namespaces: [...namespaces].sort() };
}

/**
 * An object's id as kustomize registers it in the env root, of an object normalized as `normalize`
 * does (see `OverlayFindings.ids`). An object of a kind kustomize knows for cluster-scoped has no
 * namespace, and is named without one; kustomize reads any other without one as in `default`, a
 * cluster-scoped custom resource too.
 */
const rootId = (m: Manifest) => {
  const ns = !m.metadata.namespace && !kustomizeSetsNamespace(m) ? '' : `${m.metadata.namespace || 'default'} `;
  return `${m.apiVersion}/${m.kind} ${ns}${m.metadata.name}`;
};

/** The ids kustomize registers for an app's rendered objects of one env when it aggregates the env root. */
export function renderedIds(desired: readonly Manifest[]): string[] {
  const generated = new Set(desired.filter(isGeneratedConfigMap).map((m) => m.metadata.name));
  return normalize(desired, generated, false).map(rootId);
}

/**
 * The ids kustomize registers for the objects of an app's built overlay when it aggregates the env
 * root; `generated` names the ConfigMaps its kustomizations generate (built with a hash suffix).
 */
export function builtIds(built: readonly Manifest[], generated: ReadonlySet<string>): string[] {
  return normalize(built, generated, false).map(rootId);
}

/** Ids that two apps of one env share, one line each: kustomize refuses to aggregate the env root. */
export function idCollisions(env: Environment, apps: readonly { readonly app: string; readonly ids: readonly string[] }[]): string[] {
  const root = Layout.envKustomization(env);
  const owner = new Map<string, string>();
  const collisions: string[] = [];
  for (const { app, ids } of apps) {
    for (const id of new Set(ids)) {
      const first = owner.get(id);
      if (first === undefined) owner.set(id, app);
      else if (first !== app)
        collisions.push(`${root}: ${id} is in both ${first} and ${app}; kustomize cannot build the env as one: rename or remove one of them`);
    }
  }
  return collisions;
}

/**
 * Objects that two apps of an env share: kustomize cannot build the env root they make, so generate
 * and the pipeline refuse the tree before writing any of it. The message is the collisions, one line each.
 */
export class EnvRootCollisionError extends Error {
  override readonly name = 'EnvRootCollisionError';
  constructor(
    /** One line each, as `idCollisions` gives them. */
    readonly collisions: readonly string[],
  ) {
    super(collisions.join('\n'));
  }
}

/** Throws an EnvRootCollisionError when two of the apps share an id in one of the envs; `ids` gives an app's ids in an env. */
export function refuseCollisions<A extends string>(
  envs: readonly Environment[],
  apps: readonly A[],
  ids: (app: A, env: Environment) => readonly string[],
): void {
  const collisions = envs.flatMap((e) =>
    idCollisions(
      e,
      apps.map((app) => ({ app, ids: ids(app, e) })),
    ),
  );
  if (collisions.length > 0) throw new EnvRootCollisionError(collisions);
}

export interface EnvRootProof {
  /** Ids that two apps share: kustomize refuses to aggregate the env. One line each. */
  readonly collisions: string[];
  /**
   * True when an app's renamed object may be referred to from another app's objects (in its
   * namespace, or by a cluster-scoped referrer): only a real build of the root tells what kustomize
   * does then.
   */
  readonly unproven: boolean;
}

/**
 * Proves `overlays/<env>/kustomization.yaml` from the builds of its apps, without building it; the
 * root must list exactly those apps and nothing else (the drift check proves that). Why this is
 * sound is in the package README.
 */
export function proveEnvRoot(env: Environment, apps: readonly { readonly app: string; readonly findings: OverlayFindings }[]): EnvRootProof {
  const collisions = idCollisions(
    env,
    apps.map(({ app, findings }) => ({ app, ids: findings.ids })),
  );
  const users = new Map<string, Set<string>>();
  for (const { app, findings } of apps) for (const ns of findings.namespaces) users.set(ns, (users.get(ns) ?? new Set()).add(app));
  const reaches = (app: string, ns: string) => [...(users.get(ns) ?? []), ...(users.get('*') ?? [])].some((other) => other !== app);
  const unproven = apps.some(({ app, findings }) =>
    findings.renamed.some((r) => {
      const [kind, ns] = r.split(' ');
      return !RENAMED_KINDS.has(kind!) || reaches(app, ns!);
    }),
  );
  return { collisions, unproven };
}
