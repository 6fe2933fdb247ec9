import { at, list, namespaceOf, rec, str, stringMap, type Rec } from './read.ts';
import type { PolicyObject } from './types.ts';

/**
 * Where each pod-bearing kind keeps its pod template (empty for Pod: the object is the pod): the
 * kinds the PodSecurity admission plugin evaluates, plus custom resources in the schema set that
 * carry a pod template. A kind is matched with its API group, so a custom `Deployment` is read only
 * by its shape, as any custom resource (CUSTOM_TEMPLATES).
 */
const TEMPLATES: readonly { readonly group: string; readonly kind: string; readonly path: readonly string[] }[] = [
  { group: '', kind: 'Pod', path: [] },
  { group: '', kind: 'PodTemplate', path: ['template'] },
  { group: '', kind: 'ReplicationController', path: ['spec', 'template'] },
  { group: 'apps', kind: 'Deployment', path: ['spec', 'template'] },
  { group: 'apps', kind: 'StatefulSet', path: ['spec', 'template'] },
  { group: 'apps', kind: 'DaemonSet', path: ['spec', 'template'] },
  { group: 'apps', kind: 'ReplicaSet', path: ['spec', 'template'] },
  { group: 'batch', kind: 'Job', path: ['spec', 'template'] },
  { group: 'batch', kind: 'CronJob', path: ['spec', 'jobTemplate', 'spec', 'template'] },
  // KEDA creates a Job from this template for each batch of events.
  { group: 'keda.sh', kind: 'ScaledJob', path: ['spec', 'jobTargetRef', 'template'] },
];

/** Workloads whose selector must match their template and that autoscalers and Services point at. */
export const CONTROLLER_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];

/**
 * Where custom resources keep a pod template, by the shape most operators copy: a Deployment's (Argo
 * Rollouts, OpenKruise CloneSet, Knative Service) and a CronJob's. Their CRDs rarely say more than
 * `x-kubernetes-preserve-unknown-fields`, so the shape is what there is to go by.
 */
const CUSTOM_TEMPLATES: readonly (readonly string[])[] = [
  ['spec', 'template'],
  ['spec', 'jobTemplate', 'spec', 'template'],
];

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** A custom resource's group: a CRD's group has a dot, and Kubernetes' own dotted groups end in `.k8s.io`. */
const isCustomGroup = (group: string) => group.includes('.') && !group.endsWith('.k8s.io');

/**
 * How a custom resource's template at `path` reads: `pod` when its spec's containers are a list of
 * objects that each have a name and an image (a PodSpec, which the rules judge), `unclear` when the
 * spec has containers in another shape (a container without a name, as Knative allows), and
 * undefined when there are none (not a pod template).
 */
function customTemplateShape(manifest: PolicyObject['manifest'], path: readonly string[]): 'pod' | 'unclear' | undefined {
  const containers = at(manifest, ...path, 'spec', 'containers');
  if (containers === undefined) return undefined;
  const items = list(containers);
  const isContainer = (c: unknown) => typeof at(c, 'name') === 'string' && at(c, 'name') !== '' && typeof at(c, 'image') === 'string';
  return items.length > 0 && items.every(isContainer) ? 'pod' : 'unclear';
}

function templatePath(object: PolicyObject): readonly string[] | undefined {
  const { apiVersion, kind } = object.manifest;
  const group = groupOf(apiVersion);
  const known = TEMPLATES.find((t) => t.kind === kind && t.group === group)?.path;
  if (known || !isCustomGroup(group)) return known;
  return CUSTOM_TEMPLATES.find((path) => customTemplateShape(object.manifest, path) === 'pod');
}

/** Whether the object's pod template is found by its shape (a custom resource CUSTOM_TEMPLATES reads), not by its kind. */
export function podTemplateByShape(object: PolicyObject): boolean {
  const group = groupOf(object.manifest.apiVersion);
  return isCustomGroup(group) && !TEMPLATES.some((t) => t.kind === object.manifest.kind && t.group === group) && templatePath(object) !== undefined;
}

/** Where a custom resource's pods go unjudged, and why. */
export interface UnclearContainers {
  /** A place of CUSTOM_TEMPLATES whose containers are not a PodSpec's (`spec.template.spec`), or the first map elsewhere with an image to run. */
  readonly path: string;
  /** `template`: containers at a pod template's place in another shape; `elsewhere`: containers outside any place the rules read. */
  readonly at: 'template' | 'elsewhere';
  /** How many more maps with an image there are elsewhere in the object. */
  readonly more: number;
}

/**
 * The places of a custom resource that hold containers the rules cannot read as a PodSpec, when no
 * place of it reads as one: containers at a pod template's place in another shape, and maps with an
 * image to run anywhere else in the object (Argo Workflows' `spec.templates[].container`, Tekton's
 * steps, an operator's `spec.image`). Its pods go unjudged.
 */
export function unclearPodTemplates(object: PolicyObject): UnclearContainers[] {
  const group = groupOf(object.manifest.apiVersion);
  if (!isCustomGroup(group) || TEMPLATES.some((t) => t.kind === object.manifest.kind && t.group === group) || templatePath(object)) return [];
  const templates = CUSTOM_TEMPLATES.filter((path) => customTemplateShape(object.manifest, path) === 'unclear').map(
    (path) => `${path.join('.')}.spec`,
  );
  const images: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (templates.includes(path)) return; // said above, once for the template
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (typeof node === 'object' && node !== null) {
      if (typeof (node as Rec).image === 'string') images.push(path);
      for (const [k, v] of Object.entries(node)) if (typeof v === 'object' && v !== null) walk(v, `${path}.${k}`);
    }
  };
  for (const [k, v] of Object.entries(object.manifest)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) walk(v, k);
  return [
    ...templates.map((path) => ({ path, at: 'template' as const, more: 0 })),
    ...(images.length > 0 ? [{ path: images[0]!, at: 'elsewhere' as const, more: images.length - 1 }] : []),
  ];
}

export interface ContainerView {
  readonly container: Rec;
  readonly name: string;
  /** e.g. `spec.template.spec.initContainers[1]` */
  readonly path: string;
  readonly group: 'containers' | 'initContainers' | 'ephemeralContainers';
  /** A native sidecar: an init container with restartPolicy Always, which runs beside the app. */
  readonly sidecar: boolean;
}

export interface PodView {
  readonly object: PolicyObject;
  readonly namespace: string;
  readonly spec: Rec;
  /** e.g. `spec.template.spec` */
  readonly specPath: string;
  /** e.g. `spec.template.metadata`; `metadata` for a Pod. */
  readonly metadataPath: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly containers: readonly ContainerView[];
  /** False for a PodTemplate: it describes pods but runs none, so Services and NetworkPolicies have nothing to select. */
  readonly runs: boolean;
  /** The object is a Pod itself, which the API server defaults differently from a template (hostNetwork ports). */
  readonly isPod: boolean;
}

const GROUPS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** A pod template's labels: what Services select, whatever else the template holds. */
export interface TemplateLabels {
  readonly object: PolicyObject;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

function templateOf(object: PolicyObject): Rec | undefined {
  const keys = templatePath(object);
  if (!keys) return undefined;
  return keys.length ? rec(at(object.manifest, ...keys)) : rec(object.manifest);
}

/**
 * Every pod template's labels, those without a `spec` included: a template that carries only labels
 * (a Kustomize input whose spec comes from elsewhere, say) is still what a Service selects.
 */
export function templateLabelsOf(objects: readonly PolicyObject[]): TemplateLabels[] {
  return objects.flatMap((object) => {
    // A PodTemplate runs no pods, so there is nothing of it for a Service to select.
    const template = object.manifest.kind === 'PodTemplate' ? undefined : templateOf(object);
    return template ? [{ object, namespace: namespaceOf(object), labels: stringMap(at(template, 'metadata', 'labels')) }] : [];
  });
}

export function podOf(object: PolicyObject): PodView | undefined {
  const keys = templatePath(object);
  if (!keys) return undefined;
  const template = templateOf(object);
  const spec = rec(template?.spec);
  if (!template || !spec) return undefined;
  const prefix = keys.length ? `${keys.join('.')}.` : '';
  const base = `${prefix}spec`;
  const containers: ContainerView[] = [];
  for (const group of GROUPS) {
    list(spec[group]).forEach((c, i) => {
      const container = rec(c);
      if (!container) return;
      containers.push({
        container,
        name: str(container.name) ?? `#${i}`,
        path: `${base}.${group}[${i}]`,
        group,
        sidecar: group === 'initContainers' && container.restartPolicy === 'Always',
      });
    });
  }
  return {
    object,
    namespace: namespaceOf(object),
    spec,
    specPath: base,
    metadataPath: `${prefix}metadata`,
    labels: stringMap(at(template, 'metadata', 'labels')),
    annotations: stringMap(at(template, 'metadata', 'annotations')),
    containers,
    runs: object.manifest.kind !== 'PodTemplate',
    isPod: keys.length === 0,
  };
}

/** The pods that will run: every pod-bearing object but a PodTemplate. */
export function podsOf(objects: readonly PolicyObject[]): PodView[] {
  return podSpecsOf(objects).filter((p) => p.runs);
}

/**
 * The pods of each set of objects, read once: some thirty rules ask for the pods of the same set,
 * and reading every template again for each was a fifth of the policy run. Keyed by the set itself
 * (runPolicy hands every rule the same one); a rule changes neither it nor its manifests.
 */
const podsOfSet = new WeakMap<readonly PolicyObject[], readonly PodView[]>();

/** Every pod spec in the set, PodTemplates included: what the Pod Security rules check. */
export function podSpecsOf(objects: readonly PolicyObject[]): PodView[] {
  let pods = podsOfSet.get(objects);
  if (pods === undefined) podsOfSet.set(objects, (pods = objects.flatMap((o) => podOf(o) ?? [])));
  return [...pods];
}

/** How a message names a container: `init container "migrate"`, `container "app"`. */
export function containerLabel(c: ContainerView): string {
  const what =
    c.group === 'initContainers'
      ? c.sidecar
        ? 'sidecar container'
        : 'init container'
      : c.group === 'ephemeralContainers'
        ? 'ephemeral container'
        : 'container';
  return `${what} "${c.name}"`;
}

export function securityContext(container: Rec): Rec {
  return rec(container.securityContext) ?? {};
}

/** Capitalises a container label for the start of a sentence. */
export function sentenceStart(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export type Inherited =
  | { readonly where: 'pod'; readonly value: unknown }
  | { readonly where: 'nowhere' }
  | { readonly where: 'container'; readonly container: ContainerView; readonly value: unknown };

/**
 * For settings the pod security context provides as a default for its containers (runAsNonRoot,
 * seccompProfile): which places break the demand. A bad pod value is reported once; a value missing
 * everywhere is reported once at pod level, since that is where the fix belongs.
 */
export function podOrEveryContainer(pod: PodView, read: (sc: Rec) => unknown, ok: (value: unknown) => boolean): Inherited[] {
  const podValue = read(rec(pod.spec.securityContext) ?? {});
  const values = pod.containers.map((container) => ({ container, value: read(securityContext(container.container)) }));
  const out: Inherited[] = [];
  if (podValue !== undefined && !ok(podValue)) out.push({ where: 'pod', value: podValue });
  const bad = values.filter(({ value }) => (value === undefined ? podValue === undefined : !ok(value)));
  if (podValue === undefined && bad.length > 0 && bad.length === values.length && bad.every(({ value }) => value === undefined)) {
    return [{ where: 'nowhere' }];
  }
  for (const { container, value } of bad) out.push({ where: 'container', container, value });
  return out;
}
