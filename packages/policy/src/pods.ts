import { parse } from 'yaml';
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

/**
 * A map of a custom resource with an image to run, outside any pod template, and the maps around it;
 * or one without an image whose securityContext holds what only a container's has (privileged,
 * capabilities): the defaults its controller gives every container (Tekton's `stepTemplate`).
 */
interface LooseContainer {
  readonly keys: readonly Key[];
  readonly node: Rec;
  /** The maps that hold it, outermost first: not the object itself, nor lists. */
  readonly around: readonly Template[];
}

/** Fields of a container's securityContext that a pod's does not have. */
const CONTAINER_ONLY = ['privileged', 'allowPrivilegeEscalation', 'capabilities', 'procMount', 'readOnlyRootFilesystem'] as const;

/** The host namespaces a pod spec may share. */
const HOST_NAMESPACES = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

/** What a custom resource holds to run: pod templates found by their shape, those of another shape, and containers outside them. */
interface CustomTemplates {
  /** Templates whose `spec.containers` are a list of objects that each have a name and an image: a PodSpec, which the rules judge. */
  readonly pods: readonly Template[];
  /** Templates whose spec has containers in another shape (a container without a name, as Knative allows). */
  readonly unclear: readonly Template[];
  /** Maps with an image to run outside any template (Argo Workflows' `spec.templates[].container`, Tekton's steps, an operator's `spec.image`), and container defaults. */
  readonly loose: readonly LooseContainer[];
  /**
   * Other maps outside any template with pod settings: one that shares a host namespace, or a
   * `podTemplate` (Tekton's TaskRun and PipelineRun: the pod settings of steps defined elsewhere).
   */
  readonly settings: readonly Template[];
  /**
   * Pod specs written as text (Argo Workflows' `podSpecPatch`, on a workflow or a template, JSON or
   * YAML): what the controller patches into the pod it makes, parsed, at the key that holds the text.
   */
  readonly patches: readonly Template[];
  /**
   * Pod spec patches whose text the policy cannot check: no JSON or YAML map, or one that holds a
   * template expression (`{{inputs.parameters.patch}}`) that the controller fills in when it runs.
   */
  readonly unreadablePatches: readonly UnreadablePatch[];
}

/** A pod spec patch in text that the policy cannot check, at the key that holds it. */
export interface UnreadablePatch {
  /** `spec.templates[1].podSpecPatch` */
  readonly path: string;
  /** Its text is no JSON or YAML map; else it parses, but holds a template expression. */
  readonly unparsed: boolean;
  /** The first template expression it holds, `{{inputs.parameters.patch}}`. */
  readonly expression?: string;
}

const customTemplatesOf = new WeakMap<object, CustomTemplates>();

/**
 * The pod templates of a custom resource, by their shape wherever they are: any map inside it (not
 * the object itself, nor its metadata or status) whose `spec` has `containers`. Operators copy a
 * Deployment's `spec.template` (Argo Rollouts, OpenKruise CloneSet, Knative Service) or a CronJob's
 * `spec.jobTemplate.spec.template`, and many keep several (KubeRay's `spec.headGroupSpec.template`
 * and `spec.workerGroupSpecs[].template`, Kubeflow's `spec.pytorchReplicaSpecs.<role>.template`).
 * Their CRDs rarely say more than `x-kubernetes-preserve-unknown-fields`, so the shape is what there
 * is to go by. A template is not searched for templates inside it; outside the templates, every map
 * with an image (text) is a container to run, found in the same walk.
 */
function customTemplates(manifest: PolicyObject['manifest']): CustomTemplates {
  const known = customTemplatesOf.get(manifest);
  if (known) return known;
  const pods: Template[] = [];
  const unclear: Template[] = [];
  const loose: LooseContainer[] = [];
  const settings: Template[] = [];
  const patches: Template[] = [];
  const unreadablePatches: UnreadablePatch[] = [];
  const isContainer = (c: unknown) => typeof at(c, 'name') === 'string' && at(c, 'name') !== '' && typeof at(c, 'image') === 'string';
  const walk = (value: unknown, keys: Key[], around: Template[]) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...keys, i], around));
      return;
    }
    const node = rec(value);
    if (!node) return;
    const root = keys.length === 0;
    const containers = at(node, 'spec', 'containers');
    if (!root && containers !== undefined) {
      const items = list(containers);
      (items.length > 0 && items.every(isContainer) ? pods : unclear).push({ keys, node });
      return;
    }
    if (!root) {
      const sc = rec(node.securityContext);
      if (typeof node.image === 'string' || CONTAINER_ONLY.some((f) => sc?.[f] !== undefined)) loose.push({ keys, node, around });
      else if (
        HOST_NAMESPACES.some((f) => node[f] !== undefined) ||
        keys.at(-1) === 'podTemplate' ||
        // Argo Workflows' defaults for every template (templateDefaultsOf): its pod settings are judged where they are.
        (keys.at(-1) === 'templateDefaults' && holdsPodFields(node))
      )
        settings.push({ keys, node });
    }
    // An empty patch patches nothing (Argo applies none).
    if (typeof node.podSpecPatch === 'string' && node.podSpecPatch.trim() !== '') {
      const place = [...keys, 'podSpecPatch'];
      const patch = parsePatch(node.podSpecPatch);
      // What it parses to is judged; what an expression in it becomes is decided when the workflow runs.
      if (patch) patches.push({ keys: place, node: patch });
      const expression = /\{\{.*?\}\}/s.exec(node.podSpecPatch)?.[0];
      if (!patch || expression !== undefined)
        unreadablePatches.push({ path: dotted(place), unparsed: !patch, ...(expression !== undefined ? { expression } : {}) });
    }
    const inside = root ? around : [...around, { keys, node }];
    for (const [k, v] of Object.entries(node)) {
      if (root && ['apiVersion', 'kind', 'metadata', 'status'].includes(k)) continue;
      if (typeof v === 'object' && v !== null) walk(v, [...keys, k], inside);
    }
  };
  walk(manifest, [], []);
  const found = { pods, unclear, loose, settings, patches, unreadablePatches };
  customTemplatesOf.set(manifest, found);
  return found;
}

/** A pod spec patch's text as a map, or undefined when it is no JSON or YAML map (the controller refuses it when it makes the pod). */
function parsePatch(text: string): Rec | undefined {
  try {
    return rec(parse(text, { logLevel: 'error' }));
  } catch {
    return undefined;
  }
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

/**
 * The pod templates of a custom resource whose containers the rules cannot read as a PodSpec (a
 * container without a name, as Knative allows), by the path of each template's spec
 * (`spec.template.spec`): their pods go unjudged.
 */
export function unclearPodTemplates(object: PolicyObject): string[] {
  if (knownKind(object) || !isCustomGroup(groupOf(object.manifest.apiVersion))) return [];
  return customTemplates(object.manifest).unclear.map((t) => `${dotted(t.keys)}.spec`);
}

/** The pod spec patches in text of a custom resource that the policy cannot check (CustomTemplates.unreadablePatches). */
export function unreadablePodSpecPatches(object: PolicyObject): readonly UnreadablePatch[] {
  if (knownKind(object) || !isCustomGroup(groupOf(object.manifest.apiVersion))) return [];
  return customTemplates(object.manifest).unreadablePatches;
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
  /**
   * Containers a custom resource holds outside any pod template (an Argo Workflows step, a Tekton
   * step), read by their shape (looseContainerPods). The Pod Security rules judge what they and the
   * maps around them set, and demand nothing they leave unset: whether such a map has the field at
   * all, and what its controller makes of a missing one, the policy cannot know.
   */
  readonly loose: boolean;
  /**
   * Pod settings its controller merges under the pod's own securityContext, for a loose pod: Argo's
   * `templateDefaults.securityContext` under a template's own. What the pod's leaves unset, it sets;
   * it is judged where it is, as a pod of its own.
   */
  readonly defaultContext?: Rec;
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
        loose: false,
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

/** The fields of a pod spec that a map around loose containers may hold for their pod, other than its securityContext. */
const HOST_FIELDS = [...HOST_NAMESPACES, 'volumes'] as const;

function holdsPodFields(node: Rec): boolean {
  return rec(node.securityContext) !== undefined || HOST_FIELDS.some((f) => node[f] !== undefined);
}

const sameKeys = (a: readonly Key[], b: readonly Key[]) => a.length === b.length && a.every((k, i) => k === b[i]);

/**
 * Argo Workflows' `templateDefaults` beside the `templates` list that holds the container's template
 * (among the maps around it), with that template: Argo merges the defaults into every template
 * before it makes the template's pod, so their securityContext is the pod's where the template sets
 * none (in place of the workflow's `spec.securityContext`), and under the template's own where it does.
 */
function templateDefaultsOf(outer: readonly Template[]): { readonly defaults: Template; readonly template: Template } | undefined {
  const template = outer.findLast((a) => typeof a.keys.at(-1) === 'number' && a.keys.at(-2) === 'templates');
  if (!template) return undefined;
  const parent = outer.find((a) => sameKeys(a.keys, template.keys.slice(0, -2)));
  const node = rec(parent?.node.templateDefaults);
  if (!parent || !node || rec(node.securityContext) === undefined) return undefined;
  return { defaults: { keys: [...parent.keys, 'templateDefaults'], node }, template };
}

/**
 * The pods of a custom resource's containers outside any pod template, for the Pod Security rules.
 * A container's pod settings are those of the nearest map around it with a securityContext (Argo
 * Workflows: a template's replaces the workflow's `spec.securityContext`), else of the map that
 * holds it (its template, a Tekton Task's spec), so the containers that share it are one pod here.
 * A map around them with pod settings that no container takes as its pod (a workflow's `spec` with
 * `hostNetwork` or `volumes`) is a pod of its own without containers, so that what it sets is judged
 * once, where it is, and so is any other map with pod settings (CustomTemplates.settings: a TaskRun's
 * `podTemplate`). A container that holds such fields itself (an operator's flat `spec` with `image`
 * and `hostNetwork`) has them judged too; its securityContext is its own. Argo's `templateDefaults`
 * count as part of every template (templateDefaultsOf): a container of a template without a
 * securityContext has theirs as its pod's, and one of a template with its own has them merged under it
 * (PodView.defaultContext).
 */
export function looseContainerPods(object: PolicyObject): PodView[] {
  if (knownKind(object) || !isCustomGroup(groupOf(object.manifest.apiVersion))) return [];
  const { loose, settings, patches } = customTemplates(object.manifest);
  if (loose.length === 0 && settings.length === 0 && patches.length === 0) return [];
  const containerMaps = new Set<Rec>(loose.map((l) => l.node));
  const pods = new Map<Rec, { keys: readonly Key[]; spec: Rec; containers: ContainerView[]; defaultContext?: Rec }>();
  const podAt = (keys: readonly Key[], node: Rec, spec: Rec = node) => {
    let pod = pods.get(node);
    if (!pod) pods.set(node, (pod = { keys, spec, containers: [] }));
    return pod;
  };
  for (const { keys, node, around } of loose) {
    const outer = around.filter((a) => !containerMaps.has(a.node));
    const holder = outer.at(-1);
    const nearest = outer.findLast((a) => rec(a.node.securityContext) !== undefined);
    const argo = templateDefaultsOf(outer);
    // The template's own securityContext (or one inside it) wins over the defaults, which win over the workflow's.
    const own = argo && nearest && nearest.keys.length >= argo.template.keys.length ? nearest : undefined;
    const scope = argo && !own ? argo.defaults : (nearest ?? holder);
    // A container right under the object (an operator's spec) has no map around it: a pod of its own, with no pod settings.
    const pod = scope ? podAt(scope.keys, scope.node) : podAt(keys, {}, {});
    if (argo && own) pod.defaultContext = rec(argo.defaults.node.securityContext);
    const path = dotted(keys);
    pod.containers.push({
      container: node,
      name: str(node.name) ?? str(holder?.node.name) ?? path,
      path,
      group: 'containers',
      sidecar: false,
    });
    for (const a of outer) if (holdsPodFields(a.node)) podAt(a.keys, a.node);
    const hostFields = Object.fromEntries(HOST_FIELDS.filter((f) => node[f] !== undefined).map((f) => [f, node[f]]));
    if (Object.keys(hostFields).length > 0) podAt(keys, node, hostFields);
  }
  for (const { keys, node } of settings) podAt(keys, node);
  // A patch is a pod spec of its own: its containers (named as those it patches, `main`, `wait`, often
  // without an image) and its pod settings are judged for what they set, at their place in the text.
  for (const { keys, node } of patches) {
    const pod = podAt(keys, node);
    const base = dotted(keys);
    for (const group of GROUPS)
      list(node[group]).forEach((c, i) => {
        const container = rec(c);
        if (container)
          pod.containers.push({ container, name: str(container.name) ?? `#${i}`, path: `${base}.${group}[${i}]`, group, sidecar: false });
      });
  }
  return [...pods.values()].map(({ keys, spec, containers, defaultContext }) => {
    const specPath = dotted(keys);
    return {
      ...(defaultContext ? { defaultContext } : {}),
      object,
      namespace: namespaceOf(object),
      spec,
      specPath,
      metadataPath: `${specPath}.metadata`,
      labels: stringMap(at(spec, 'metadata', 'labels')),
      annotations: stringMap(at(spec, 'metadata', 'annotations')),
      containers,
      runs: true,
      isPod: false,
      loose: true,
    };
  });
}

const securityPodsOfSet = new WeakMap<readonly PolicyObject[], readonly PodView[]>();

/**
 * What the Pod Security rules judge: every pod spec in the set (podSpecsOf), and the pods of the
 * containers custom resources hold outside any pod template (Argo Workflows' and Tekton's steps).
 * Those run as pods, so a privileged one is refused wherever it is; the rules about running pods
 * (probes, resources, Services, network policies) read podSpecsOf and podsOf, not these, since a
 * batch step has nothing for them to judge.
 */
export function podSecuritySpecsOf(objects: readonly PolicyObject[]): PodView[] {
  let pods = securityPodsOfSet.get(objects);
  if (pods === undefined) securityPodsOfSet.set(objects, (pods = [...podSpecsOf(objects), ...objects.flatMap((o) => looseContainerPods(o))]));
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
  // Containers outside any pod template are judged for what they set, not for what they leave unset.
  const bad = values.filter(({ value }) => (value === undefined ? podValue === undefined && !pod.loose : !ok(value)));
  if (podValue === undefined && bad.length > 0 && bad.length === values.length && bad.every(({ value }) => value === undefined)) {
    return [{ where: 'nowhere' }];
  }
  for (const { container, value } of bad) out.push({ where: 'container', container, value });
  return out;
}
