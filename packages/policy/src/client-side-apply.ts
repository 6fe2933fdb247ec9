import type { Manifest } from '@strata/core';
import type { ArgoCdTrackingMethod } from '@strata/core/argocd';
import { scopeOf } from '@strata/schemas';

/** The annotation in which client-side apply (`kubectl apply`, Argo CD by default) keeps what it applied. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The API server's limit on all annotations of an object together, keys and values, in bytes (apimachinery's `TotalAnnotationSizeLimitB`). */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

/**
 * The namespace kubectl gives a namespaced object that names none: the context's, which the
 * manifests do not know; `default` is the usual one.
 */
const CONTEXT_NAMESPACE = 'default';

/** Go's map key order: by UTF-8 bytes, which only differs from UTF-16 order past U+FFFF. */
const byGoOrder = (a: [string, unknown], b: [string, unknown]) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]));

/**
 * A value as Go's `encoding/json` writes a decoded object: compact, map keys sorted, and `<`, `>`,
 * `&`, U+2028 and U+2029 escaped as `\u003c` and so on (JSON.stringify writes them as they are).
 * Integer-like keys still come first, as in every JavaScript object; the length is Go's all the same,
 * and with `sortKeys: false` (for a size, faster) the keys keep their order.
 */
export function goJson(value: unknown, options: { sortKeys?: boolean } = {}): string {
  const text =
    options.sortKeys === false
      ? JSON.stringify(value)
      : JSON.stringify(value, (_key, v: unknown) =>
          v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(byGoOrder)) : v,
        );
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Kubectl scopes an object as the cluster's discovery does: built-in kinds by group and kind as
// kube-apiserver serves them, custom ones as the shipped CRDs say.
const scope = scopeOf();

/**
 * The `last-applied-configuration` text kubectl's client-side apply stores for an object
 * (k8s.io/kubectl/pkg/util/apply.go `GetModifiedConfiguration`): the object without that
 * annotation but with an annotations map (empty when it has none), namespaced objects with the
 * namespace kubectl gives them, encoded by `json.Encoder`, which ends the text with a newline.
 */
export function lastAppliedConfiguration(manifest: Manifest, options: { sortKeys?: boolean } = {}): string {
  const annotations = { ...(manifest.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  const metadata: Record<string, unknown> = { ...manifest.metadata, annotations };
  if (metadata.namespace === undefined && scope(manifest) !== 'Cluster') metadata.namespace = CONTEXT_NAMESPACE;
  return `${goJson({ ...manifest, metadata }, options)}\n`;
}

/** The annotation in which Argo CD's annotation tracking names the Application an object belongs to. */
export const ARGOCD_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';

/** The annotation in which Argo CD's annotation tracking names its installation, where argocd-cm sets an `installationID`. */
export const ARGOCD_INSTALLATION_ID_ANNOTATION = 'argocd.argoproj.io/installation-id';

/** The label of Argo CD's label tracking (its default `application.instanceLabelKey`). */
export const ARGOCD_INSTANCE_LABEL = 'app.kubernetes.io/instance';

/** How Argo CD marks the objects of an Application (`application.resourceTrackingMethod` of argocd-cm). */
export type { ArgoCdTrackingMethod };

/** What Argo CD writes into an object before it applies it: which Application syncs it, and how it says so. */
export interface ArgoCdTracking {
  /** The Application's name (`<namespace>_<name>` for one outside Argo CD's own namespace). */
  readonly application: string;
  /** The Application's destination namespace, which the tracking id names for an object that names none. */
  readonly namespace: string;
  /** @default "annotation", Argo CD 3's default */
  readonly method?: ArgoCdTrackingMethod;
  /**
   * The `installationID` of the clusters' argocd-cm, which annotation tracking writes into each
   * object beside the tracking id. @default none, as Argo CD sets none
   */
  readonly installationID?: string;
}

/** A label value as Argo CD's annotation+label tracking cuts it: 63 bytes, then up to its last letter or digit. */
function instanceLabel(application: string): string {
  if (application.length <= 63) return application;
  let value = application.slice(0, 63);
  while (value.length > 1 && !/[a-zA-Z0-9]$/.test(value)) value = value.slice(0, -1);
  return value;
}

/**
 * The object as Argo CD applies it (util/argo/resource_tracking.go `SetAppInstance`): with the
 * tracking id `<application>:<group>/<kind>:<namespace>/<name>` as an annotation, the instance label,
 * or both, as the tracking method says; annotation tracking also writes the installation ID, where
 * one is set, as the `argocd.argoproj.io/installation-id` annotation. A CRD is applied as it is:
 * Argo CD tracks none.
 */
export function argoCdTracked(manifest: Manifest, tracking: ArgoCdTracking): Manifest {
  if (manifest.kind === 'CustomResourceDefinition' && manifest.apiVersion.startsWith('apiextensions.k8s.io/')) return manifest;
  const method = tracking.method ?? 'annotation';
  const metadata = { ...manifest.metadata };
  if (method !== 'label') {
    const slash = manifest.apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : manifest.apiVersion.slice(0, slash);
    const id = `${tracking.application}:${group}/${manifest.kind}:${metadata.namespace || tracking.namespace}/${metadata.name ?? ''}`;
    const annotations = { ...(metadata.annotations ?? {}) };
    // Set where the installation has an ID, taken away where it has none.
    if (tracking.installationID) annotations[ARGOCD_INSTALLATION_ID_ANNOTATION] = tracking.installationID;
    else delete annotations[ARGOCD_INSTALLATION_ID_ANNOTATION];
    annotations[ARGOCD_TRACKING_ANNOTATION] = id;
    metadata.annotations = annotations;
  }
  if (method !== 'annotation')
    metadata.labels = {
      ...(metadata.labels ?? {}),
      [ARGOCD_INSTANCE_LABEL]: method === 'label' ? tracking.application : instanceLabel(tracking.application),
    };
  return { ...manifest, metadata };
}

/**
 * The size the API server adds up for an object's annotations once client-side apply has set
 * `last-applied-configuration` (apimachinery's `ValidateAnnotationsSize`: the UTF-8 bytes of every
 * key and value), refused when it is more than `ANNOTATIONS_SIZE_LIMIT`.
 */
export function clientSideApplyAnnotationsSize(manifest: Manifest): number {
  let size = Buffer.byteLength(LAST_APPLIED_ANNOTATION) + Buffer.byteLength(lastAppliedConfiguration(manifest, { sortKeys: false }));
  for (const [key, value] of Object.entries(manifest.metadata.annotations ?? {})) {
    if (key === LAST_APPLIED_ANNOTATION) continue;
    size += Buffer.byteLength(key) + Buffer.byteLength(typeof value === 'string' ? value : String(value));
  }
  return size;
}

/**
 * Whether client-side apply can annotate the object: `clientSideApplyAnnotationsSize` within the
 * server's limit. Kubectl's copy is at most six bytes per character of the object's JSON text (an
 * escaped `<` or U+2028) and every other annotation at most three (UTF-8): an object of a few
 * kilobytes surely fits and is not serialized again to be measured exactly. With `argoCd`, the object
 * is measured as the Argo CD Application applies it, with what its tracking writes in (`argoCdTracked`).
 */
export function fitsClientSideApply(manifest: Manifest, argoCd?: ArgoCdTracking): boolean {
  const applied = argoCd ? argoCdTracked(manifest, argoCd) : manifest;
  if (9 * JSON.stringify(applied).length + 4096 <= ANNOTATIONS_SIZE_LIMIT) return true;
  return clientSideApplyAnnotationsSize(applied) <= ANNOTATIONS_SIZE_LIMIT;
}
