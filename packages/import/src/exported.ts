import { describe, ENVIRONMENTS, isPlainObject, type Environment, type Manifest } from '@strata/core';
import { ImportError } from './errors.ts';
import type { SourceSet } from './sources.ts';

/**
 * What a cluster or a client keeps on an object, never part of the app: an object that `kubectl get
 * -o yaml` exported carries it, and the import leaves it out.
 */

/** kubectl's copy of the object as last applied by client-side apply. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Fields of `metadata` the API server sets. A stale `resourceVersion` in the tree is sent in every
 * client-side apply patch (`kubectl apply`, Argo CD's default), so every apply after the first fails
 * with Conflict; the others are the old object's identity and history.
 */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  // The old cluster's uids: in a new one no owner has them, and the garbage collector deletes an
  // object whose owners are all gone. (An object its owner's controller made is refused instead.)
  'ownerReferences',
];

/**
 * Annotations that record a client's or the cluster's state of the object. kubectl's last applied
 * configuration is a full copy of the object as last applied, a Secret's values included; kubectl
 * writes it again on every client-side apply. The others are written by the controllers of the
 * cluster: the Deployment controller's revisions, the PersistentVolume controller's and the
 * scheduler's binding of a claim, the token controller's account uid (of the old cluster's account).
 */
const DROPPED_ANNOTATIONS = [
  LAST_APPLIED,
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
  'kubernetes.io/service-account.uid',
  'endpoints.kubernetes.io/last-change-trigger-time',
];

/** What was dropped from the sources: the fields by name, and how many objects had one. */
export interface Dropped {
  readonly fields: string[];
  readonly objects: number;
}

/**
 * Removes the client's and the cluster's own state from every object of the sources, in place (an
 * object keeps its place, so where it is in the sources still holds), before the app is modelled.
 */
export function dropClusterState(objects: Record<Environment, Manifest[]>): Dropped {
  const fields = new Set<string>();
  const touched = new Set<string>();
  for (const env of ENVIRONMENTS) {
    const named = (kind: string) => new Set(objects[env].filter((o) => o.apiVersion === 'v1' && o.kind === kind).map((o) => o.metadata.name));
    const imported = { volumes: named('PersistentVolume'), secrets: named('Secret') };
    for (const m of objects[env]) {
      const dropped = dropFrom(m, imported);
      if (dropped.length === 0) continue;
      for (const f of dropped) fields.add(f);
      touched.add(describe(m));
    }
  }
  return { fields: [...fields].sort(), objects: touched.size };
}

/** The names of the PersistentVolumes and Secrets imported with an object, in its env. */
interface Imported {
  readonly volumes: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
}

/** Finalizers a controller of the cluster adds to an object it looks after, never a client. */
const CONTROLLER_FINALIZERS = ['service.kubernetes.io/load-balancer-cleanup'];

function dropFrom(m: Manifest, imported: Imported): string[] {
  const out: string[] = [];
  const metadata = m.metadata as Record<string, unknown>;
  // Read before the state that says which fields a client chose is dropped with the rest.
  if (m.apiVersion === 'v1' && wasExported(m)) {
    if (m.kind === 'Service') out.push(...dropAllocated(m, chosenBy(m)));
    if (m.kind === 'PersistentVolumeClaim') out.push(...dropBinding(m, chosenBy(m), imported));
  }
  if (m.apiVersion === 'v1' && m.kind === 'PersistentVolume') out.push(...dropClaimIdentity(m));
  if (m.apiVersion === 'v1' && m.kind === 'ServiceAccount') out.push(...dropGeneratedSecrets(m, imported));
  if (m.apiVersion === 'batch/v1' && m.kind === 'Job') out.push(...dropGeneratedSelector(m));
  if (Array.isArray(metadata.finalizers)) {
    const finalizers = metadata.finalizers as unknown[];
    for (const f of CONTROLLER_FINALIZERS) {
      if (!finalizers.includes(f)) continue;
      finalizers.splice(finalizers.indexOf(f), 1);
      out.push(`finalizer ${f}`);
    }
    if (finalizers.length === 0) delete metadata.finalizers;
  }
  for (const f of SERVER_METADATA) {
    if (!Object.hasOwn(metadata, f)) continue;
    delete metadata[f];
    out.push(`metadata.${f}`);
  }
  // Status is what the controllers observed; the API server takes none of it from an apply.
  if (Object.hasOwn(m, 'status')) {
    delete (m as Record<string, unknown>).status;
    out.push('status');
  }
  const annotations = m.metadata.annotations;
  if (isPlainObject(annotations)) {
    for (const a of DROPPED_ANNOTATIONS) {
      if (!Object.hasOwn(annotations, a)) continue;
      delete annotations[a];
      out.push(`annotation ${a}`);
    }
    if (Object.keys(annotations).length === 0) delete m.metadata.annotations;
  }
  return out;
}

/**
 * Whether the object comes from a cluster (`kubectl get -o yaml`) rather than from a file a person
 * wrote: it carries what only an API server or kubectl's apply writes. A file that was written by
 * hand keeps what it asks for, a fixed cluster IP or node port included.
 */
function wasExported(m: Manifest): boolean {
  const metadata = m.metadata as Record<string, unknown>;
  if (['uid', 'resourceVersion', 'managedFields', 'selfLink'].some((f) => Object.hasOwn(metadata, f))) return true;
  if (typeof metadata.creationTimestamp === 'string') return true;
  // What only the cluster's controllers write: their annotations (a claim's binding) and finalizers.
  const annotations = metadata.annotations;
  if (isPlainObject(annotations) && DROPPED_ANNOTATIONS.some((a) => Object.hasOwn(annotations, a))) return true;
  return Array.isArray(metadata.finalizers) && CONTROLLER_FINALIZERS.some((f) => (metadata.finalizers as unknown[]).includes(f));
}

/** Which of a Service's allocated fields a client asked for: the object as last applied, and each manager's fields. */
interface Chosen {
  /** A field of `spec`, by name. */
  spec(field: string): boolean;
  /** A port's nodePort, the port named by its port and protocol as the API server keys it. */
  nodePort(port: unknown, protocol: unknown, nodePort: unknown): boolean;
}

/** The field managers of the cluster's controllers (OpenShift's makes an account's pull secret). */
const CONTROLLER_MANAGERS = ['kube-controller-manager', 'cloud-controller-manager', 'openshift-controller-manager'];

function chosenBy(m: Manifest): Chosen {
  const metadata = m.metadata as Record<string, unknown>;
  const specs: Record<string, unknown>[] = [];
  const owned: Record<string, unknown>[] = [];
  const annotations = metadata.annotations;
  if (isPlainObject(annotations) && typeof annotations[LAST_APPLIED] === 'string') {
    try {
      const applied: unknown = JSON.parse(annotations[LAST_APPLIED]);
      if (isPlainObject(applied) && isPlainObject(applied.spec)) specs.push(applied.spec);
    } catch {
      // Not JSON: it says nothing of what was applied.
    }
  }
  // A field the API server allocated is owned by no manager; one a client sent is owned by it.
  if (Array.isArray(metadata.managedFields)) {
    for (const entry of metadata.managedFields) {
      // The controllers' own writes (a claim's binding) are no client's choice.
      if (isPlainObject(entry) && CONTROLLER_MANAGERS.includes(entry.manager as string)) continue;
      if (isPlainObject(entry) && isPlainObject(entry.fieldsV1) && isPlainObject(entry.fieldsV1['f:spec'])) owned.push(entry.fieldsV1['f:spec']);
    }
  }
  const keyOf = (port: unknown, protocol: unknown) => `${String(port)}/${typeof protocol === 'string' ? protocol : 'TCP'}`;
  return {
    spec: (field) => specs.some((s) => Object.hasOwn(s, field)) || owned.some((f) => Object.hasOwn(f, `f:${field}`)),
    nodePort(port, protocol, nodePort) {
      const key = keyOf(port, protocol);
      for (const s of specs) {
        if (!Array.isArray(s.ports)) continue;
        if (s.ports.some((p) => isPlainObject(p) && keyOf(p.port, p.protocol) === key && p.nodePort === nodePort)) return true;
      }
      for (const f of owned) {
        if (!isPlainObject(f['f:ports'])) continue;
        for (const [k, v] of Object.entries(f['f:ports'])) {
          if (!k.startsWith('k:') || !isPlainObject(v) || !Object.hasOwn(v, 'f:nodePort')) continue;
          try {
            const id: unknown = JSON.parse(k.slice(2));
            if (isPlainObject(id) && keyOf(id.port, id.protocol) === key) return true;
          } catch {
            // A key that is not JSON names no port.
          }
        }
      }
      return false;
    },
  };
}

/**
 * Removes what the old cluster allocated to an exported Service and a new cluster allocates itself:
 * its cluster IPs, from a range the new cluster may not have and where another Service may hold them
 * (the create is then refused: not in the valid range, or already allocated), unless headless
 * (`None`, which asks for no IP); the IP families the old cluster picked for it (a dual-stack
 * cluster's two are refused by a single-stack one); its node ports and the health check node port
 * of a LoadBalancer with externalTrafficPolicy Local, from a node port range the new cluster may
 * not have. A family or port that a client asked for (in kubectl's last applied configuration, or
 * owned by a manager) is kept: the app relies on it.
 */
function dropAllocated(m: Manifest, chosen: Chosen): string[] {
  const spec = (m as Record<string, unknown>).spec;
  if (!isPlainObject(spec)) return [];
  const out: string[] = [];
  const headless = spec.clusterIP === 'None';
  for (const f of ['clusterIP', 'clusterIPs']) {
    if (!Object.hasOwn(spec, f)) continue;
    if (headless && (f === 'clusterIP' || (Array.isArray(spec[f]) && spec[f].length === 1 && spec[f][0] === 'None'))) continue;
    delete spec[f];
    out.push(`spec.${f}`);
  }
  for (const f of ['ipFamilies', 'ipFamilyPolicy', 'healthCheckNodePort']) {
    if (!Object.hasOwn(spec, f) || chosen.spec(f)) continue;
    delete spec[f];
    out.push(`spec.${f}`);
  }
  if (Array.isArray(spec.ports)) {
    for (const p of spec.ports) {
      if (!isPlainObject(p) || !Object.hasOwn(p, 'nodePort') || chosen.nodePort(p.port, p.protocol, p.nodePort)) continue;
      delete p.nodePort;
      if (!out.includes('spec.ports[].nodePort')) out.push('spec.ports[].nodePort');
    }
  }
  return out;
}

/**
 * Removes the PersistentVolume controller's binding of an exported claim, `spec.volumeName`, with its
 * annotations: the volume it names is the old cluster's (for one provisioned for the claim,
 * `pvc-<old uid>`), and a claim that names a volume the new cluster lacks stays Pending forever, its
 * pods with it; without it the claim is bound or provisioned anew. The controller chose the volume
 * when it says so (`pv.kubernetes.io/bound-by-controller`); a volume that the claim's creator named
 * (the claim was bound, not by the controller, or a client's last applied configuration or
 * managedFields hold it) is kept, and so is one imported with the claim, the binding moving with both.
 */
function dropBinding(m: Manifest, chosen: Chosen, imported: Imported): string[] {
  const spec = (m as Record<string, unknown>).spec;
  if (!isPlainObject(spec) || typeof spec.volumeName !== 'string' || imported.volumes.has(spec.volumeName)) return [];
  const annotations = isPlainObject(m.metadata.annotations) ? m.metadata.annotations : {};
  if (annotations['pv.kubernetes.io/bound-by-controller'] !== 'yes') {
    if (chosen.spec('volumeName') || Object.hasOwn(annotations, 'pv.kubernetes.io/bind-completed')) return [];
  }
  delete spec.volumeName;
  return ['spec.volumeName'];
}

/**
 * Removes the old claim's identity from a PersistentVolume's `claimRef`: its `uid` and
 * `resourceVersion`. The claim of that name and namespace gets another uid in a new cluster, so the
 * PersistentVolume controller takes the bound claim for deleted, releases the volume and never binds
 * the new claim to it; the name and namespace still reserve the volume for the claim.
 */
function dropClaimIdentity(m: Manifest): string[] {
  const spec = (m as Record<string, unknown>).spec;
  if (!isPlainObject(spec) || !isPlainObject(spec.claimRef)) return [];
  const out: string[] = [];
  for (const f of ['uid', 'resourceVersion']) {
    if (!Object.hasOwn(spec.claimRef, f)) continue;
    delete spec.claimRef[f];
    out.push(`spec.claimRef.${f}`);
  }
  return out;
}

/**
 * The Secrets a cluster's controllers made for an account and named in it: the legacy token
 * controller's `<account>-token-<5 characters>` (Kubernetes before 1.24, OpenShift) and OpenShift's
 * pull secret for its internal registry, `<account>-dockercfg-<5 characters>`, in `secrets` and
 * `imagePullSecrets`; a long account's names are shortened (see `generatedPrefixes`).
 */
const GENERATED_SECRETS = ['token', 'dockercfg'] as const;

/**
 * The longest prefix the API server's generateName keeps before its 5 random characters, so that the
 * name stays a DNS label (apiserver's SimpleNameGenerator: 63 - 5).
 */
const MAX_GENERATED_PREFIX = 63 - 5;

/** FNV-1a of 32 bits as 8 hex digits (Go's hash/fnv New32a, printed %08x). */
function fnv32a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * What the name of a Secret that a controller made for `account` starts with, before the 5 random
 * characters of generateName. While `<account>-<kind>-` fits in 58 characters it is that. Beyond:
 * Kubernetes' token controller asks for generateName `<account>-token-`, which the API server cuts to
 * its first 58 characters; OpenShift's controllers (the pull secret, and the token Secret it is made
 * from) shorten the account to its first 58 - 10 - length of `<kind>-` characters and add the account
 * name's FNV-1a hash: `<account cut>-<hash>-<kind>-` (GetName of OpenShift's naming helpers).
 */
function generatedPrefixes(account: string, kind: (typeof GENERATED_SECRETS)[number]): string[] {
  const suffix = `${kind}-`;
  const whole = `${account}-${suffix}`;
  if (whole.length <= MAX_GENERATED_PREFIX) return [whole];
  const openshift = `${account.slice(0, MAX_GENERATED_PREFIX - 10 - suffix.length)}-${fnv32a(account)}-${suffix}`;
  return kind === 'token' ? [whole.slice(0, MAX_GENERATED_PREFIX), openshift] : [openshift];
}

/** Whether `secret` is a name a controller gave a Secret of `kind` it made for `account`. */
const isGenerated = (secret: string, account: string, kind: (typeof GENERATED_SECRETS)[number]) =>
  generatedPrefixes(account, kind).some(
    (p) => secret.length === p.length + 5 && secret.startsWith(p) && /^[a-z0-9]{5}$/.test(secret.slice(p.length)),
  );

/** The lists of an account that name Secrets. */
const ACCOUNT_SECRET_LISTS = ['secrets', 'imagePullSecrets'] as const;

/**
 * The Secrets of an account's lists that a client asked for: named in kubectl's last applied
 * configuration, owned entry by entry (`secrets` is a list keyed by name) by a manager that is no
 * controller, or in an `imagePullSecrets` that a client applied server-side (the list is atomic, so
 * its manager owns it whole: an Apply sent that list, while an update may only have written back what
 * it read, as `oc secrets link` does with the controller's pull secret).
 */
function askedSecrets(m: Manifest): Record<(typeof ACCOUNT_SECRET_LISTS)[number], Set<string>> {
  const asked = { secrets: new Set<string>(), imagePullSecrets: new Set<string>() };
  const names = (list: unknown) => (Array.isArray(list) ? list.flatMap((e) => (isPlainObject(e) && typeof e.name === 'string' ? [e.name] : [])) : []);
  const metadata = m.metadata as Record<string, unknown>;
  const annotations = metadata.annotations;
  if (isPlainObject(annotations) && typeof annotations[LAST_APPLIED] === 'string') {
    try {
      const applied: unknown = JSON.parse(annotations[LAST_APPLIED]);
      if (isPlainObject(applied)) for (const list of ACCOUNT_SECRET_LISTS) for (const n of names(applied[list])) asked[list].add(n);
    } catch {
      // Not JSON: it says nothing of what was applied.
    }
  }
  if (Array.isArray(metadata.managedFields)) {
    for (const entry of metadata.managedFields) {
      if (!isPlainObject(entry) || CONTROLLER_MANAGERS.includes(entry.manager as string) || !isPlainObject(entry.fieldsV1)) continue;
      const owned = entry.fieldsV1['f:secrets'];
      if (isPlainObject(owned)) {
        for (const k of Object.keys(owned)) {
          if (!k.startsWith('k:')) continue;
          try {
            const id: unknown = JSON.parse(k.slice(2));
            if (isPlainObject(id) && typeof id.name === 'string') asked.secrets.add(id.name);
          } catch {
            // A key that is not JSON names no Secret.
          }
        }
      }
      if (entry.operation === 'Apply' && Object.hasOwn(entry.fieldsV1, 'f:imagePullSecrets')) {
        for (const n of names((m as Record<string, unknown>).imagePullSecrets)) asked.imagePullSecrets.add(n);
      }
    }
  }
  return asked;
}

/**
 * Removes from a ServiceAccount's `secrets` and `imagePullSecrets` the Secrets the old cluster's
 * controllers made for it (`<account>-token-xxxxx`, `<account>-dockercfg-xxxxx`, shortened for a long
 * account as the controllers shorten them), unless imported
 * with it or asked for by a client (kubectl's last applied configuration, or managedFields): they are
 * the old cluster's, which a new one does not have (the kubelet warns of a missing pull secret on
 * every pod of the account, and a cluster that makes them makes its own). Other entries, the Secrets
 * an account may mount or pull with, are kept.
 */
function dropGeneratedSecrets(m: Manifest, imported: Imported): string[] {
  const account = m as Record<string, unknown>;
  const asked = askedSecrets(m);
  const out: string[] = [];
  for (const list of ACCOUNT_SECRET_LISTS) {
    const entries = account[list];
    if (!Array.isArray(entries)) continue;
    const kept = entries.filter((s) => {
      if (!isPlainObject(s) || typeof s.name !== 'string' || imported.secrets.has(s.name) || asked[list].has(s.name)) return true;
      const generated = GENERATED_SECRETS.find((g) => isGenerated(s.name as string, m.metadata.name, g));
      if (generated === undefined) return true;
      const field = `${list}[] (${generated} Secrets)`;
      if (!out.includes(field)) out.push(field);
      return false;
    });
    if (kept.length === entries.length) continue;
    if (kept.length === 0) delete account[list];
    else account[list] = kept;
  }
  return out;
}

/** The labels by which the API server ties a Job to its pods: the uid's in the selector too. */
const CONTROLLER_UID_LABELS = ['batch.kubernetes.io/controller-uid', 'controller-uid'];
const JOB_NAME_LABELS = ['batch.kubernetes.io/job-name', 'job-name'];

/**
 * Removes the selector the API server generated for a Job created without `manualSelector: true`,
 * and the labels it added with it: the selector and the pod template's `controller-uid` labels are
 * the old Job's uid, and the server refuses a Job whose selector or labels are not its own uid's
 * ("`selector` not auto-generated"), so the import would write a Job no cluster takes; it generates
 * them again on create, with the `job-name` labels (the Job's name) in the pod template. The Job's
 * own labels lose them too: the server copied the template's into a Job created without labels. A
 * selector is the server's when it selects by the controller-uid label alone (a client could not have
 * given another without manualSelector, which the server refuses); any other is left as it is.
 */
function dropGeneratedSelector(m: Manifest): string[] {
  const spec = (m as Record<string, unknown>).spec;
  if (!isPlainObject(spec) || spec.manualSelector === true || !isPlainObject(spec.selector)) return [];
  const { matchLabels, ...rest } = spec.selector;
  if (Object.values(rest).some((v) => !(Array.isArray(v) && v.length === 0))) return [];
  if (!isPlainObject(matchLabels)) return [];
  const keys = Object.keys(matchLabels);
  if (keys.length === 0 || !keys.every((k) => CONTROLLER_UID_LABELS.includes(k) && typeof matchLabels[k] === 'string')) return [];
  const uids = new Set(Object.values(matchLabels));
  delete spec.selector;
  const out = ['spec.selector'];
  const template = isPlainObject(spec.template) ? spec.template : undefined;
  const owners: Record<string, unknown>[] = [m.metadata as Record<string, unknown>];
  if (template && isPlainObject(template.metadata)) owners.push(template.metadata);
  for (const owner of owners) {
    const labels = owner.labels;
    if (!isPlainObject(labels)) continue;
    for (const k of CONTROLLER_UID_LABELS) {
      if (!uids.has(labels[k] as string)) continue;
      delete labels[k];
      if (!out.includes(`label ${k}`)) out.push(`label ${k}`);
    }
    for (const k of JOB_NAME_LABELS) {
      if (labels[k] !== m.metadata.name) continue;
      delete labels[k];
      if (!out.includes(`label ${k}`)) out.push(`label ${k}`);
    }
    if (Object.keys(labels).length === 0) delete owner.labels;
  }
  return out;
}

/**
 * Refuses an object that a controller made (an ownerReference with `controller: true`: a ReplicaSet
 * of a Deployment, a Pod of a ReplicaSet, a Job of a CronJob, an EndpointSlice of a Service), as
 * `kubectl get all -o yaml` exports them beside their owners: the owner's controller makes it again
 * wherever the owner runs, and a copy in the tree would run beside that one (a ReplicaSet's pods
 * twice). One line each, at the reference's line; nothing is written.
 */
export async function refuseControllerMade(sources: SourceSet): Promise<void> {
  const lines = new Set<string>();
  for (const env of ENVIRONMENTS) {
    for (const [i, m] of sources.objects[env].entries()) {
      const refs: unknown = (m.metadata as Record<string, unknown>).ownerReferences;
      if (!Array.isArray(refs)) continue;
      const j = refs.findIndex((r) => isPlainObject(r) && r.controller === true);
      if (j < 0) continue;
      const owner = refs[j] as { kind?: unknown; name?: unknown };
      const named = `${typeof owner.kind === 'string' ? owner.kind : 'owner'}${typeof owner.name === 'string' ? ` ${owner.name}` : ''}`;
      const at = await sources.where(env, i, ['metadata', 'ownerReferences', j]);
      lines.add(
        `${at}: ${describe(m)}: metadata.ownerReferences[${j}]: made by the controller of its owner, ${named}, which makes it again wherever the owner runs; leave it out of the sources and import the owner, then import; nothing was written`,
      );
    }
  }
  if (lines.size > 0) throw new ImportError([...lines]);
}

/**
 * ConfigMaps that a component of the cluster writes into every namespace with the cluster's own CA,
 * and writes again whenever their data differs: kube-controller-manager's root CA publisher
 * (`kube-root-ca.crt`), OpenShift's service CA (`openshift-service-ca.crt`) and istiod
 * (`istio-ca-root-cert`). An exported copy holds the old cluster's CA: applied, it fights the
 * component (the app OutOfSync for ever, and in between pods get a `ca.crt` that does not verify the
 * API server).
 */
const PUBLISHED_CONFIGMAPS: Readonly<Record<string, string>> = {
  'kube-root-ca.crt': "kube-controller-manager's root CA publisher",
  'openshift-service-ca.crt': "OpenShift's service CA controller",
  'istio-ca-root-cert': 'istiod',
};

/** What a cluster's own controllers make, left out of the import. */
export interface ClusterMade {
  /** The objects left out, `Kind namespace/name (maker)`, sorted. */
  readonly objects: string[];
  /** A `default` ServiceAccount kept for what a person set on it: one line each. */
  readonly warnings: string[];
}

/**
 * Takes out of the sources what the new cluster's controllers make themselves, as
 * `kubectl get -n NS cm,sa,endpoints,events -o yaml` exports it beside the app: the CA ConfigMaps above,
 * the `default` ServiceAccount that the serviceaccounts controller makes in every namespace, when it
 * carries nothing but its name once the cluster's state is left out, the Endpoints that the endpoints
 * controller writes for a Service with a selector (the old cluster's pod addresses: applied, traffic
 * goes to them until the controller writes them again, and the app stays OutOfSync), and Events, the old
 * cluster's records, which the API server deletes after an hour, and a Lease that a holder took (a
 * leader election's: the program that holds it renews it every few seconds, and a sync would hand it
 * back to a pod of the old cluster). Owned by the app, Argo CD would
 * prune them (and delete them with the app) and the controllers make them again.
 *
 * A `default` ServiceAccount that carries more (imagePullSecrets, `automountServiceAccountToken`, a
 * label or annotation, a Secret in `secrets`) is kept: that is configuration a person added to the
 * controller's account, which the app's pods rely on (left out, they would pull without the secret,
 * or mount a token someone turned off). An Argo CD user who manages `default` keeps it in Git the
 * same way: the sync applies those fields over the controller's account (which never writes them), and
 * a prune or the app's deletion deletes it, after which the controller makes a bare one again. A
 * warning says so.
 */
export function leaveOutClusterMade(sources: SourceSet): ClusterMade {
  const objects = new Set<string>();
  const warnings = new Set<string>();
  for (const env of ENVIRONMENTS) {
    const list = sources.objects[env];
    const named = (kind: string) => new Set(list.filter((o) => o.apiVersion === 'v1' && o.kind === kind).map((o) => o.metadata.name));
    const imported = { volumes: named('PersistentVolume'), secrets: named('Secret') };
    const placed = (m: Manifest) => `${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;
    // The endpoints controller writes the Endpoints of every Service with a selector, from its pods.
    const selecting = new Set(
      list
        .filter((o) => o.apiVersion === 'v1' && o.kind === 'Service' && isPlainObject(o.spec) && isPlainObject(o.spec.selector))
        .filter((o) => Object.keys((o.spec as { selector: object }).selector).length > 0)
        .map(placed),
    );
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      const at = placed(m);
      if (m.kind === 'Event' && (m.apiVersion === 'v1' || m.apiVersion === 'events.k8s.io/v1')) {
        objects.add(`Event ${at} (a record of the old cluster's, which the API server deletes after an hour)`);
        sources.leaveOut(env, i);
        continue;
      }
      const holder = m.kind === 'Lease' && m.apiVersion.startsWith('coordination.k8s.io/') && isPlainObject(m.spec) ? m.spec : undefined;
      if (holder && (typeof holder.holderIdentity === 'string' || typeof holder.renewTime === 'string')) {
        const by = typeof holder.holderIdentity === 'string' ? `held by ${holder.holderIdentity}` : 'renewed';
        objects.add(`Lease ${at} (a leader election's, ${by} in the old cluster; its holder renews it every few seconds)`);
        sources.leaveOut(env, i);
        continue;
      }
      if (m.apiVersion !== 'v1') continue;
      if (m.kind === 'Endpoints' && selecting.has(at)) {
        objects.add(`Endpoints ${at} (the endpoints controller, from the pods of Service ${at}'s selector)`);
        sources.leaveOut(env, i);
        continue;
      }
      const maker = m.kind === 'ConfigMap' ? PUBLISHED_CONFIGMAPS[m.metadata.name] : undefined;
      if (maker !== undefined) {
        objects.add(`ConfigMap ${at} (${maker})`);
        sources.leaveOut(env, i);
        continue;
      }
      if (m.kind !== 'ServiceAccount' || m.metadata.name !== 'default') continue;
      const bare = structuredClone(m);
      dropFrom(bare, imported);
      const { apiVersion: _a, kind: _k, metadata, ...rest } = bare as Record<string, unknown>;
      const { name: _n, namespace: _ns, ...more } = metadata as Record<string, unknown>;
      const set = [...Object.keys(more).map((k) => `metadata.${k}`), ...Object.keys(rest)];
      if (set.length === 0) {
        objects.add(`ServiceAccount ${at} (the serviceaccounts controller)`);
        sources.leaveOut(env, i);
        continue;
      }
      warnings.add(
        `ServiceAccount ${at}: the serviceaccounts controller makes it in every namespace; kept for what was set on it (${set.sort().join(', ')}), so the app owns it: a prune or deleting the app deletes it and the controller makes a bare one again; leave it out of the sources if the cluster's own is enough`,
      );
    }
  }
  return { objects: [...objects].sort(), warnings: [...warnings] };
}
