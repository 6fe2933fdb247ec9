import type { IClusterSecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterSecretStore';
import type { IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEndpoints } from 'kubernetes-models/v1/Endpoints';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { expect } from 'vitest';
import { isPlainObject, type App, type Environment, type Manifest } from '@strata/core';
import { findRoot, Layout } from '@strata/project';
import { dumpYaml } from '@strata/emit';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { validateWithKubeconform, type KubeconformResult } from '@strata/kubeconform-wrapper';

/**
 * The model interface of each kind a test looks up by name. Another kind reads as a plain
 * {@link Manifest}; an app's tests can add theirs: `declare module '@strata/testing' { interface Kinds { Certificate: ICertificate } }`.
 */
export interface Kinds {
  ClusterSecretStore: IClusterSecretStore;
  ConfigMap: IConfigMap;
  CronJob: ICronJob;
  DaemonSet: IDaemonSet;
  Deployment: IDeployment;
  Endpoints: IEndpoints;
  EndpointSlice: IEndpointSlice;
  ExternalSecret: IExternalSecret;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  Ingress: IIngress;
  Job: IJob;
  Namespace: INamespace;
  NetworkPolicy: INetworkPolicy;
  PersistentVolumeClaim: IPersistentVolumeClaim;
  PodDisruptionBudget: IPodDisruptionBudget;
  Role: IRole;
  RoleBinding: IRoleBinding;
  ScaledObject: IScaledObject;
  Secret: ISecret;
  Service: IService;
  ServiceAccount: IServiceAccount;
  ServiceMonitor: IServiceMonitor;
  StatefulSet: IStatefulSet;
}

/**
 * An object as the build holds it, typed by its model with every field present: a test reads the
 * fields it expects, and one that is missing fails the test where it is read.
 */
export type Built<T> = T extends readonly (infer U)[] ? Built<U>[] : T extends object ? { -readonly [P in keyof T]-?: Built<NonNullable<T[P]>> } : T;

/** A manifest of a kind: its model's interface for a kind in {@link Kinds}, else a plain manifest. */
export type Resource<K extends string> = K extends keyof Kinds ? Built<Kinds[K]> & Manifest : Manifest;

/** The plain manifests an app renders for an environment (or base, with no env), in process. */
export function renderApp<C, K extends string>(app: App<C, K>, env?: Environment): Manifest[] {
  return app.manifests(env);
}

/** The real `kustomize build overlays/<env>/<app>` of the committed tree, parsed. */
export async function buildApp(app: string, env: Environment, root: string = findRoot()): Promise<Manifest[]> {
  const [result] = await buildOverlays(root, [Layout.overlay(env, app)], { concurrency: 1 });
  if (!result?.ok) throw new Error(`${Layout.overlay(env, app)}: kustomize build failed: ${result?.error}`);
  return parseBuild(result.yaml, result.overlay);
}

/** The raw YAML of `kustomize build` for a folder relative to the root (a component test, say). */
export async function buildYaml(dir: string, root: string = findRoot()): Promise<string> {
  const [result] = await buildOverlays(root, [dir], { concurrency: 1 });
  if (!result?.ok) throw new Error(`${dir}: kustomize build failed: ${result?.error}`);
  return result.yaml;
}

/** Strict kubeconform verdicts for a YAML stream, with the offline schemas. */
export async function kubeconform(yaml: string, root: string = findRoot()): Promise<KubeconformResult[]> {
  return validateWithKubeconform({ stdin: yaml }, { root });
}

/** Strict kubeconform verdicts for manifests (a build's output, say), one result per object. */
export async function kubeconformManifests(manifests: readonly Manifest[], root: string = findRoot()): Promise<KubeconformResult[]> {
  return kubeconform(manifests.map((m) => `---\n${dumpYaml(m)}`).join(''), root);
}

/** The one object of a kind and name, typed by its model; throws a readable error when it is missing. */
export function find<K extends string>(manifests: readonly Manifest[], kind: K, name: string): Resource<K> {
  const hits = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  if (hits.length !== 1) {
    const have = manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ');
    throw new Error(`expected exactly one ${kind}/${name}, found ${hits.length}; objects: ${have}`);
  }
  // The kind was just checked; the model's interface is what a manifest of that kind holds.
  return hits[0] as Resource<K>;
}

/** All objects of a kind, typed by its model. */
export function all<K extends string>(manifests: readonly Manifest[], kind: K): Resource<K>[] {
  return manifests.filter((m) => m.kind === kind) as Resource<K>[];
}

/** A generated ConfigMap found by its name without Kustomize's hash suffix. */
export function findGenerated(manifests: readonly Manifest[], name: string): Resource<'ConfigMap'> {
  const hits = manifests.filter((m) => m.kind === 'ConfigMap' && new RegExp(`^${name}-[a-z0-9]{10}$`).test(m.metadata.name));
  if (hits.length !== 1) throw new Error(`expected one generated ConfigMap ${name}-<hash>, found ${hits.length}`);
  return hits[0] as Resource<'ConfigMap'>;
}

/** A value at a dotted path (`spec.template.spec.containers.0.image`), or undefined. */
export function at(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const seg of path.split('.')) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isPlainObject(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

/** The pod spec of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob). */
export function podSpec(m: Manifest): Built<IPodSpec> {
  const path = m.kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
  const spec = at(m, path);
  if (!isPlainObject(spec)) throw new Error(`${m.kind}/${m.metadata.name} has no pod spec at ${path}`);
  return spec as Built<IPodSpec>;
}

/** A container or init container of a workload by name. */
export function container(m: Manifest, name: string): Built<IContainer> {
  const spec = podSpec(m);
  const c = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((x) => x.name === name);
  if (!c) throw new Error(`${m.kind}/${m.metadata.name} has no container ${name}`);
  return c;
}

/** Env vars of a container as a name -> value map (valueFrom entries map to their object). */
export function envOf(c: IContainer): Record<string, unknown> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
}

/** How many objects of each kind, keys sorted: the inventory of a build in one comparable value. */
export function countKinds(manifests: readonly Manifest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of manifests.map((m) => m.kind).sort()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Asserts that kubeconform gave one verdict per object of the build, each of them `valid`. */
export function expectAllValid(results: readonly KubeconformResult[], manifests: readonly Manifest[]): void {
  expect(results.length).toBe(manifests.length);
  expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
}

/**
 * Asserts a build's inventory, how many objects of each kind (see {@link countKinds}), and that
 * every object is labelled as part of `app` and managed by strata.
 */
export function expectInventory(manifests: readonly Manifest[], app: string, inventory: Record<string, number>): void {
  expect(countKinds(manifests)).toStrictEqual(inventory);
  for (const m of manifests) {
    expect(m.metadata.labels, `${m.kind}/${m.metadata.name}`).toMatchObject({
      'app.kubernetes.io/part-of': app,
      'app.kubernetes.io/managed-by': 'strata',
    });
  }
}
