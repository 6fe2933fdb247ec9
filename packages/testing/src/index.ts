import { isPlainObject, type App, type Environment, type Manifest } from '@strata/core';
import { findRoot } from '@strata/core';
import { dumpYaml } from '@strata/emit';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { validateWithKubeconform, type KubeconformResult } from '@strata/kubeconform-wrapper';

/** The plain manifests an app renders for an environment (or base, with no env), in process. */
export function renderApp<C, K extends string>(app: App<C, K>, env?: Environment): Manifest[] {
  return app.manifests(env);
}

/** The real `kustomize build overlays/<env>/<app>` of the committed tree, parsed. */
export async function buildApp(app: string, env: Environment, root: string = findRoot()): Promise<Manifest[]> {
  const [result] = await buildOverlays(root, [`overlays/${env}/${app}`], { concurrency: 1 });
  if (!result?.ok) throw new Error(`overlays/${env}/${app}: kustomize build failed: ${result?.error}`);
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

/** The one object of a kind and name; throws a readable error when it is missing. */
export function find<T = Manifest>(manifests: readonly Manifest[], kind: string, name: string): T & Manifest {
  const hits = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  if (hits.length !== 1) {
    const have = manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ');
    throw new Error(`expected exactly one ${kind}/${name}, found ${hits.length}; objects: ${have}`);
  }
  return hits[0] as T & Manifest;
}

/** All objects of a kind. */
export function all(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

/** A generated ConfigMap found by its name without Kustomize's hash suffix. */
export function findGenerated(manifests: readonly Manifest[], name: string): Manifest {
  const hits = manifests.filter((m) => m.kind === 'ConfigMap' && new RegExp(`^${name}-[a-z0-9]{10}$`).test(m.metadata.name));
  if (hits.length !== 1) throw new Error(`expected one generated ConfigMap ${name}-<hash>, found ${hits.length}`);
  return hits[0]!;
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

/** The pod spec of a workload (Deployment, StatefulSet, DaemonSet, Job). */
export function podSpec(m: Manifest): Record<string, any> {
  return (m as any).spec.template.spec;
}

/** A container of a workload by name. */
export function container(m: Manifest, name: string): Record<string, any> {
  const c = [...(podSpec(m).containers ?? []), ...(podSpec(m).initContainers ?? [])].find((x: { name: string }) => x.name === name);
  if (!c) throw new Error(`${m.kind}/${m.metadata.name} has no container ${name}`);
  return c;
}

/** Env vars of a container as a name -> value map (valueFrom entries map to their object). */
export function envOf(c: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries((c.env ?? []).map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
}
