import { isPlainObject } from './merge.ts';

/** What `render` may return: a kubernetes-models object, or any object with apiVersion/kind/metadata. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string } & object;
  validate?(): void;
  toJSON?(): unknown;
}

/** A plain JSON manifest: what is written to YAML and compared. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [key: string]: unknown;
}

/**
 * Cluster-scoped custom resources that an application may render. Kustomize does not know their
 * scope, so its namespace transformer would give them a namespace: they are kept out of its reach.
 */
export const CUSTOM_CLUSTER_SCOPED_KINDS = new Set(['ClusterIssuer', 'ClusterSecretStore', 'ClusterExternalSecret', 'ClusterTriggerAuthentication']);

/** Kinds that are not namespaced, among those an application may render. */
export const CLUSTER_SCOPED_KINDS = new Set([
  ...CUSTOM_CLUSTER_SCOPED_KINDS,
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

/** Annotation that marks a ConfigMap to be emitted as a Kustomize configMapGenerator. */
export const GENERATED_ANNOTATION = 'strata.dev/generator';

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Identity of an object as Kustomize sees it for patching: group, kind, namespace and name. */
export function resourceId(m: Pick<Manifest, 'apiVersion' | 'kind' | 'metadata'>, withNamespace = true): string {
  const ns = withNamespace && m.metadata.namespace ? `${m.metadata.namespace}/` : '';
  const group = groupOf(m.apiVersion);
  return `${group ? `${group}/` : ''}${m.kind} ${ns}${m.metadata.name}`;
}

/** `apiVersion/Kind namespace/name`, the way every problem line names an object. */
export function describe(m: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }): string {
  const ns = m.metadata?.namespace ? `${String(m.metadata.namespace)}/` : '';
  return `${String(m.apiVersion ?? '?')}/${String(m.kind ?? '?')} ${ns}${String(m.metadata?.name ?? '?')}`;
}

/** Drops undefined values and empty-object-only wrappers that models leave behind. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] = clean(v);
    }
    return out;
  }
  return value;
}

/**
 * Validates a rendered object with its model (when it has one) and turns it into a plain manifest.
 * `where` names the app and env in the error.
 */
export function toManifest(object: KubeObject, where: string): Manifest {
  const label = `${object.apiVersion}/${object.kind} ${object.metadata?.name ?? '(no name)'}`;
  if (!object.metadata?.name) throw new Error(`${where}: ${label}: metadata.name is required`);
  try {
    object.validate?.();
  } catch (err) {
    throw new Error(`${where}: ${label}: ${(err as Error).message.split('\n').join('; ')}`);
  }
  const json = JSON.parse(JSON.stringify(object)) as unknown;
  return clean(json) as Manifest;
}
