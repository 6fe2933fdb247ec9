import { at, list, namespaceOf, rec, str, stringMap, type Rec } from './read.ts';
import type { PolicyObject } from './types.ts';

/**
 * Where each pod-bearing kind keeps its pod template (empty for Pod: the object is the pod): the
 * kinds the PodSecurity admission plugin evaluates, plus custom resources in the schema set that
 * carry a pod template. A kind is matched with its API group, so a custom `Deployment` is read only
 * by its shape, as any custom resource (customTemplates).
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

/** A step on the way to a value: a field's name, or an index in a list. */
type Key = string | number;

/** `spec.workerGroupSpecs[0].template` */
const dotted = (keys: readonly Key[]) => keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** A custom resource's group: a CRD's group has a dot, and Kubernetes' own dotted groups end in `.k8s.io`. */
const isCustomGroup = (group: string) => group.includes('.') && !group.endsWith('.k8s.io');

/** The place of a pod template in an object, and the template. */
interface Template {
  readonly keys: readonly Key[];
  readonly node: Rec;
}

/** Where a custom resource keeps pod templates, found by their shape, and those of another shape. */
interface CustomTemplates {
  /** Templates whose `spec.containers` are a list of objects that each have a name and an image: a PodSpec, which the rules judge. */
  readonly pods: readonly Template[];
  /** Templates whose spec has containers in another shape (a container without a name, as Knative allows). */
  readonly unclear: readonly Template[];
}

const customTemplatesOf = new WeakMap<object, CustomTemplates>();

/**
 * The pod templates of a custom resource, by their shape wherever they are: any map inside it (not
 * the object itself, nor its metadata or status) whose `spec` has `containers`. Operators copy a
 * Deployment's `spec.template` (Argo Rollouts, OpenKruise CloneSet, Knative Service) or a CronJob's
 * `spec.jobTemplate.spec.template`, and many keep several (KubeRay's `spec.headGroupSpec.template`
 * and `spec.workerGroupSpecs[].template`, Kubeflow's `spec.pytorchReplicaSpecs.<role>.template`).
 * Their CRDs rarely say more than `x-kubernetes-preserve-unknown-fields`, so the shape is what there
 * is to go by. A template is not searched for templates inside it.
 */
function customTemplates(manifest: PolicyObject['manifest']): CustomTemplates {
  const known = customTemplatesOf.get(manifest);
  if (known) return known;
  const pods: Template[] = [];
  const unclear: Template[] = [];
  const isContainer = (c: unknown) => typeof at(c, 'name') === 'string' && at(c, 'name') !== '' && typeof at(c, 'image') === 'string';
  const walk = (value: unknown, keys: Key[]) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...keys, i]));
      return;
    }
    const node = rec(value);
    if (!node) return;
    const containers = at(node, 'spec', 'containers');
    if (keys.length > 0 && containers !== undefined) {
      const items = list(containers);
      (items.length > 0 && items.every(isContainer) ? pods : unclear).push({ keys, node });
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      if (keys.length === 0 && ['apiVersion', 'kind', 'metadata', 'status'].includes(k)) continue;
      if (typeof v === 'object' && v !== null) walk(v, [...keys, k]);
    }
  };
  walk(manifest, []);
  const found = { pods, unclear };
  customTemplatesOf.set(manifest, found);
  return found;
}

/** Whether the object's pod templates are found by their kind (a built-in pod-bearing kind, or KEDA's ScaledJob). */
const knownKind = (object: PolicyObject) => {
  const group = groupOf(object.manifest.apiVersion);
  return TEMPLATES.find((t) => t.kind === object.manifest.kind && t.group === group);
};

/** The object's pod templates: the one of its kind's place, or a custom resource's, by their shape. */
function templatesOf(object: PolicyObject): readonly Template[] {
  const known = knownKind(object);
  if (known) {
    const node = known.path.length ? rec(at(object.manifest, ...known.path)) : rec(object.manifest);
    return node ? [{ keys: known.path, node }] : [];
  }
  return isCustomGroup(groupOf(object.manifest.apiVersion)) ? customTemplates(object.manifest).pods : [];
}

/** Whether the object's pod templates are found by their shape (a custom resource), not by its kind. */
export function podTemplateByShape(object: PolicyObject): boolean {
  return !knownKind(object) && isCustomGroup(groupOf(object.manifest.apiVersion)) && customTemplates(object.manifest).pods.length > 0;
}

/** Where a custom resource's pods go unjudged, and why. */
export interface UnclearContainers {
  /** A template's spec whose containers are not a PodSpec's (`spec.template.spec`), or the first map outside any template with an image to run. */
  readonly path: string;
  /** `template`: containers of a pod template in another shape; `elsewhere`: containers outside any template. */
  readonly at: 'template' | 'elsewhere';
  /** How many more maps with an image there are outside the templates. */
  readonly more: number;
}

/**
 * The places of a custom resource that hold containers the rules cannot read as a PodSpec: pod
 * templates whose containers have another shape, and maps with an image to run outside any
 * template (Argo Workflows' `spec.templates[].container`, Tekton's steps, an operator's
 * `spec.image`). Their pods go unjudged.
 */
export function unclearPodTemplates(object: PolicyObject): UnclearContainers[] {
  if (knownKind(object) || !isCustomGroup(groupOf(object.manifest.apiVersion))) return [];
  const { pods, unclear } = customTemplates(object.manifest);
  const templates = new Set<Rec>([...pods, ...unclear].map((t) => t.node));
  const images: string[] = [];
  const walk = (value: unknown, keys: Key[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...keys, i]));
    else if (typeof value === 'object' && value !== null && !templates.has(value as Rec)) {
      if (typeof (value as Rec).image === 'string') images.push(dotted(keys));
      for (const [k, v] of Object.entries(value)) if (typeof v === 'object' && v !== null) walk(v, [...keys, k]);
    }
  };
  for (const [k, v] of Object.entries(object.manifest)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) walk(v, [k]);
  return [
    ...unclear.map((t) => ({ path: `${dotted(t.keys)}.spec`, at: 'template' as const, more: 0 })),
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

/**
 * Every pod template's labels, those without a `spec` included: a template that carries only labels
 * (a Kustomize input whose spec comes from elsewhere, say) is still what a Service selects.
 */
export function templateLabelsOf(objects: readonly PolicyObject[]): TemplateLabels[] {
  return objects.flatMap((object) =>
    // A PodTemplate runs no pods, so there is nothing of it for a Service to select.
    object.manifest.kind === 'PodTemplate'
      ? []
      : templatesOf(object).map((t) => ({ object, namespace: namespaceOf(object), labels: stringMap(at(t.node, 'metadata', 'labels')) })),
  );
}

/** The pods of one object: one per pod template (a custom resource may have several), none for an object that has none. */
export function podViewsOf(object: PolicyObject): PodView[] {
  return templatesOf(object).flatMap(({ keys, node: template }) => {
    const spec = rec(template.spec);
    if (!spec) return [];
    const prefix = keys.length ? `${dotted(keys)}.` : '';
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
    return [
      {
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
      },
    ];
  });
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
  if (pods === undefined) podsOfSet.set(objects, (pods = objects.flatMap((o) => podViewsOf(o))));
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
