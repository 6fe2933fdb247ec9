import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KUBERNETES_VALIDATE_VERSION, kubernetesSetDir as setDirOf, kubernetesSetVersion as setVersionOf, schemaCacheRoot } from './sets.mjs';

export { crdManifestDocuments } from './crd-manifests.ts';
export { SHARED_DEF } from './shared-defs.mjs';

export {
  ensureKubernetesSet,
  FIRST_MINOR,
  KUBERNETES_VALIDATE_VERSION,
  LAST_MINOR,
  schemaCacheRoot,
} from './sets.mjs';

/** A JSON schema as read from disk. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Absolute path of this package: the root of every schema set. */
export const schemasDir: string = dirname(dirname(fileURLToPath(import.meta.url)));

/** The Kubernetes version Strata targets unless an environment names its own. */
export const DEFAULT_KUBERNETES_VERSION = '1.36.0';

/** Generated CustomResourceDefinition manifests, one `<group>_<plural>.yaml` per CRD. */
export const crdManifestsDir: string = join(schemasDir, 'crds');

/** Strict JSON schemas of the custom resources, `<group>/<kind>_<version>.json`. */
export const crdSchemasDir: string = join(schemasDir, 'crds-json');

const builtinRoot = join(schemasDir, 'kubernetes');

/**
 * The versions of a custom resource kind that Strata ships a schema of, as kubeconform finds them: by
 * the kind in lower case (`crds-json/<group>/<kind>_<version>.json`), so `WIDGET` finds `Widget`'s.
 * Empty when Strata ships none: a kind of a shipped group that Strata does not ship is a project's to
 * add (`strata crd add`).
 */
export function shippedCrdVersions(group: string, kind: string): string[] {
  const dir = join(crdSchemasDir, group);
  // A group is a DNS subdomain: nothing in it walks out of the folder, but a name from a file may be anything.
  if (group === '' || group.includes('/') || group.startsWith('.') || !existsSync(dir)) return [];
  const prefix = `${kind.toLowerCase()}_`;
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => f.slice(prefix.length, -'.json'.length))
    .sort();
}

/** Accepts `1.36`, `v1.36` or `1.36.0` and returns `1.36.0`. */
export function normalizeKubernetesVersion(version: string): string {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version.trim());
  if (!match) {
    throw new Error(`Invalid Kubernetes version "${version}": use a version such as 1.36 or 1.36.0.`);
  }
  return `${match[1]}.${match[2]}.${match[3] ?? '0'}`;
}

/**
 * The set a Kubernetes version is validated with, `1.34.0` for `1.34` or `1.34.2` (the sets are per
 * minor version). Throws one sentence for a malformed version or one the pinned wheel does not carry.
 */
export function kubernetesSetVersion(version: string): string {
  normalizeKubernetesVersion(version);
  return setVersionOf(version);
}

/**
 * Directory of the standalone strict built-in schemas for one Kubernetes version: committed for the
 * target version, in the per-machine cache for the others (see `ensureKubernetesSet`).
 */
export function builtinSchemasDir(version: string = DEFAULT_KUBERNETES_VERSION): string {
  return setDirOf(kubernetesSetVersion(version));
}

/** The Kubernetes versions whose built-in schemas are committed or made on this machine, oldest first. */
export function availableKubernetesVersions(): string[] {
  const found = new Set<string>();
  for (const dir of [builtinRoot, join(schemaCacheRoot(), `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`)]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const v = /^v(\d+\.\d+\.\d+)-standalone-strict$/.exec(name)?.[1];
      if (v !== undefined) found.add(v);
    }
  }
  return [...found].sort((a, b) => compareVersions(a, b));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The kubeconform `-schema-location` templates, absolute paths, custom kinds first. kubeconform names
 * a built-in schema file by the kind and the group's first label only (`{{.KindSuffix}}`: `apps.acme.io`
 * gives `deployment-apps-v1.json`), so tried first it would judge a custom `Deployment` of
 * `apps.acme.io` as apps/v1's; a custom schema is found by its whole group, and no built-in group has
 * a folder of them (`strata crd add` refuses a built-in group and kind), so a built-in object falls
 * through to its own. The version
 * is part of the built-in path, so the result does not depend on `-strict` or `-kubernetes-version`.
 * A version without a set on this machine is an error that says how to make it. `crdSchemaDirs` are
 * more folders of CRD schemas in the same layout (a project's own, from `strata crd add`), tried
 * after the shipped ones.
 */
export function schemaLocations(version: string = DEFAULT_KUBERNETES_VERSION, crdSchemaDirs: readonly string[] = []): string[] {
  const dir = builtinSchemasDir(version);
  if (!existsSync(dir)) {
    const v = kubernetesSetVersion(version).replace(/\.0$/, '');
    throw new Error(
      `No built-in schemas for Kubernetes ${v} on this machine: run node scripts/setup.mjs, which makes the set of every version strata.config.json names in ${schemaCacheRoot()}`,
    );
  }
  return [
    location(crdSchemasDir, '{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'),
    ...crdSchemaDirs.map((dir) => location(dir, '{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json')),
    location(dir, '{{.ResourceKind}}{{.KindSuffix}}.json'),
  ];
}

/**
 * A `-schema-location` template for the schema files `file` of the folder `dir`: its path, but for
 * a folder whose path holds a `#`, which kubeconform's schema compiler reads as the start of a
 * fragment, so that it finds no schema at all (a checkout named `strata #1`, say): its file URL
 * then, which it reads whole.
 */
function location(dir: string, file: string): string {
  return dir.includes('#') ? `${pathToFileURL(dir).href}/${file}` : join(dir, file);
}

interface GroupVersion {
  readonly group: string;
  readonly version: string;
}

function splitApiVersion(apiVersion: string): GroupVersion {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** kubeconform's `{{.ResourceKind}}{{.KindSuffix}}.json`: the group is cut at its first dot. */
function builtinFileName(apiVersion: string, kind: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  const groupPart = group === '' ? '' : `-${group.split('.')[0]!.toLowerCase()}`;
  return `${kind.toLowerCase()}${groupPart}-${version.toLowerCase()}.json`;
}

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const cache = new Map<string, JsonSchema | null>();

/**
 * The standalone strict schema of a built-in kind, or undefined when the kind is not built in
 * (custom resources included) or the version has no schema set. Results are cached.
 */
export function loadBuiltinSchema(apiVersion: string, kind: string, version: string = DEFAULT_KUBERNETES_VERSION): JsonSchema | undefined {
  let dir: string;
  try {
    dir = builtinSchemasDir(version);
  } catch {
    return undefined; // a version no set exists for
  }
  const file = join(dir, builtinFileName(apiVersion, kind));
  let schema = cache.get(file);
  if (schema === undefined) {
    const parsed: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
    schema = isSchema(parsed) ? parsed : null;
    cache.set(file, schema);
  }
  // File names keep only the first segment of the group, so check the schema really is this kind.
  return schema !== null && declaresKind(schema, apiVersion, kind) ? schema : undefined;
}

function declaresKind(schema: JsonSchema, apiVersion: string, kind: string): boolean {
  const { group, version } = splitApiVersion(apiVersion);
  const gvks = schema['x-kubernetes-group-version-kind'];
  return Array.isArray(gvks) && gvks.some((g: unknown) => isSchema(g) && g.group === group && g.version === version && g.kind === kind);
}

const LOCAL_REF = /^#\/\$defs\/(.+)$/;

/** Follows local `$ref`s until a schema without one. */
function deref(root: JsonSchema, node: JsonSchema): JsonSchema {
  let current = node;
  for (let hops = 0; hops < 32; hops++) {
    const ref = current.$ref;
    if (typeof ref !== 'string') return current;
    const name = LOCAL_REF.exec(ref)?.[1];
    const defs = root.$defs;
    const target = name !== undefined && isSchema(defs) ? defs[name] : undefined;
    if (!isSchema(target)) return current;
    current = target;
  }
  return current;
}

function isArraySchema(node: JsonSchema): boolean {
  const type = node.type;
  return type === 'array' || (Array.isArray(type) && type.includes('array'));
}

/** One step of a field path. Through a list, a numeric segment names an item; a field name goes
 * straight into the fields of the items. */
function step(root: JsonSchema, node: JsonSchema, segment: string): JsonSchema | undefined {
  let target = deref(root, node);
  if (isArraySchema(target)) {
    const items = target.items;
    if (!isSchema(items)) return undefined;
    if (/^\d+$/.test(segment)) return items;
    target = deref(root, items);
  }
  const properties = target.properties;
  if (!isSchema(properties)) return undefined;
  const next = properties[segment];
  return isSchema(next) ? next : undefined;
}

function patchMergeKey(node: JsonSchema): string | undefined {
  const strategy = node['x-kubernetes-patch-strategy'];
  const key = node['x-kubernetes-patch-merge-key'];
  if (typeof strategy !== 'string' || typeof key !== 'string') return undefined;
  return strategy.split(',').includes('merge') ? key : undefined;
}

/**
 * The strategic-merge key of the list at `path` in a built-in kind, such as `name` for
 * `["spec", "template", "spec", "containers"]` of `apps/v1` Deployment. Undefined for atomic lists,
 * for paths that are not lists, for unknown kinds and for custom resources (strategic merge patch
 * does not apply to them).
 */
export function listMergeKey(
  apiVersion: string,
  kind: string,
  path: readonly string[],
  version: string = DEFAULT_KUBERNETES_VERSION,
): string | undefined {
  const root = loadBuiltinSchema(apiVersion, kind, version);
  if (!root || path.length === 0) return undefined;
  let node: JsonSchema | undefined = root;
  for (const segment of path) {
    node = step(root, node, segment);
    if (!node) return undefined;
  }
  const target = deref(root, node);
  if (!isArraySchema(target)) return undefined;
  return patchMergeKey(node) ?? patchMergeKey(target);
}

/**
 * The fields that identify an item of the list at `path` when it merges by key: the patch merge key
 * first, then the other `x-kubernetes-list-map-keys` (e.g. `containerPort`, `protocol`). Undefined
 * for atomic lists, non-lists, unknown kinds and custom resources.
 */
export function listItemKeys(
  apiVersion: string,
  kind: string,
  path: readonly string[],
  version: string = DEFAULT_KUBERNETES_VERSION,
): readonly string[] | undefined {
  const key = listMergeKey(apiVersion, kind, path, version);
  if (!key) return undefined;
  const root = loadBuiltinSchema(apiVersion, kind, version)!;
  let node: JsonSchema | undefined = root;
  for (const segment of path) node = node && step(root, node, segment);
  const mapKeys = [node, node && deref(root, node)].flatMap((n) => {
    const keys = n?.['x-kubernetes-list-map-keys'];
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  });
  return [key, ...new Set(mapKeys.filter((k) => k !== key))];
}

/** When one built-in API is served, from `kubernetes/api-lifecycle.json` (made by scripts/lifecycle.mjs). */
interface LifecycleEntry {
  readonly served: readonly [string, string];
  readonly removed?: string;
  readonly deprecated?: string;
  readonly superseded?: string;
  readonly replacement?: string;
}

/** What one Kubernetes version does with one built-in API (apiVersion and kind). */
export interface ApiStatus {
  /** Whether that version serves it. */
  readonly served: boolean;
  /** The first release that serves it, when that is later than the version asked about. */
  readonly added?: string;
  /** The release that removes it, that version or a later one. */
  readonly removed?: string;
  /** The release since which its own description says it is deprecated, at or before that version. */
  readonly deprecated?: string;
  /** For a prerelease version: the first release that also served a more mature one, at or before that version. */
  readonly superseded?: string;
  /** What to use instead (`discovery.k8s.io/v1 EndpointSlice`), served by that version where there is one. */
  readonly replacement?: string;
}

let lifecycle: Readonly<Record<string, LifecycleEntry>> | undefined;

function lifecycleEntries(): Readonly<Record<string, LifecycleEntry>> {
  lifecycle ??= (JSON.parse(readFileSync(join(builtinRoot, 'api-lifecycle.json'), 'utf8')) as { apis: Record<string, LifecycleEntry> }).apis;
  return lifecycle;
}

const minorOf = (release: string) => Number(/^v?1\.(\d+)/.exec(release)?.[1] ?? Number.NaN);

/** v1 > v1beta2 > v1beta1 > v1alpha1, and v2 > v1. */
function maturity(version: string): [number, number, number] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!m) return [0, 0, 0];
  return [m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0, Number(m[1]), Number(m[3] ?? 0)];
}

function moreMature(a: string, b: string): boolean {
  const [x, y] = [maturity(a), maturity(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return false;
}

const servedBy = (entry: LifecycleEntry, minor: number) => minorOf(entry.served[0]) <= minor && minor <= minorOf(entry.served[1]);

/**
 * When a built-in API is served, deprecated, superseded and removed, as seen from one Kubernetes
 * version (`1.34`), computed from the schema sets of 1.25 to 1.37 and the APIs' own descriptions.
 * Undefined for anything those releases never served (custom resources, typos).
 */
export function apiStatus(apiVersion: string, kind: string, version: string = DEFAULT_KUBERNETES_VERSION): ApiStatus | undefined {
  // Asked once per object, and there are few distinct answers: each one scans every API.
  const key = `${apiVersion} ${kind} ${version}`;
  if (statuses.has(key)) return statuses.get(key);
  const status = computeApiStatus(apiVersion, kind, version);
  statuses.set(key, status);
  return status;
}

const statuses = new Map<string, ApiStatus | undefined>();

const servedKinds = new Map<number, ReadonlyMap<string, ReadonlySet<string>>>();

/**
 * Kinds with a schema that a server serves only as subresources (serviceaccounts/token, the scale of workloads,
 * pods/eviction): discovery lists them under their parent resource, as no kind of its own.
 */
const SUBRESOURCE_KINDS = new Set(['TokenRequest', 'Scale', 'Eviction']);

/**
 * The built-in resource kinds one Kubernetes version (`1.36.0`) serves, by apiVersion (`apps/v1`):
 * what its API server's discovery lists, subresources left out, prerelease APIs (which a cluster
 * serves only when enabled) included.
 */
export function builtinKinds(version: string = DEFAULT_KUBERNETES_VERSION): ReadonlyMap<string, ReadonlySet<string>> {
  const minor = minorOf(normalizeKubernetesVersion(version));
  let kinds = servedKinds.get(minor);
  if (!kinds) {
    const byGroupVersion = new Map<string, Set<string>>();
    for (const [key, entry] of Object.entries(lifecycleEntries())) {
      const [apiVersion, kind] = key.split(' ') as [string, string];
      if (!servedBy(entry, minor) || SUBRESOURCE_KINDS.has(kind)) continue;
      const set = byGroupVersion.get(apiVersion) ?? new Set<string>();
      set.add(kind);
      byGroupVersion.set(apiVersion, set);
    }
    kinds = byGroupVersion;
    servedKinds.set(minor, kinds);
  }
  return kinds;
}

function computeApiStatus(apiVersion: string, kind: string, version: string): ApiStatus | undefined {
  const entries = lifecycleEntries();
  const entry = entries[`${apiVersion} ${kind}`];
  if (!entry) return undefined;
  const minor = minorOf(version);
  const served = servedBy(entry, minor);
  const { group, version: own } = splitApiVersion(apiVersion);
  // The most mature other version of the same group and kind that this release serves.
  let best: string | undefined;
  for (const [key, other] of Object.entries(entries)) {
    const [otherApiVersion, otherKind] = key.split(' ') as [string, string];
    const gv = splitApiVersion(otherApiVersion);
    if (otherKind !== kind || gv.group !== group || gv.version === own || !servedBy(other, minor)) continue;
    if (best === undefined || moreMature(gv.version, splitApiVersion(best).version)) best = otherApiVersion;
  }
  const successor = best !== undefined && (!served || moreMature(splitApiVersion(best).version, own)) ? `${best} ${kind}` : undefined;
  const atOrBefore = (release: string | undefined) => (release !== undefined && minorOf(release) <= minor ? release : undefined);
  const added = minorOf(entry.served[0]) > minor ? entry.served[0] : undefined;
  const deprecated = atOrBefore(entry.deprecated);
  const superseded = atOrBefore(entry.superseded);
  const replacement = successor ?? entry.replacement;
  return {
    served,
    ...(added ? { added } : {}),
    ...(entry.removed ? { removed: entry.removed } : {}),
    ...(deprecated ? { deprecated } : {}),
    ...(superseded ? { superseded } : {}),
    ...(replacement ? { replacement } : {}),
  };
}

export {
  builtinScopes,
  crdScopes,
  groupKind,
  kustomizeSetsNamespace,
  misscopedByKustomize,
  namespacedIn,
  scopeOf,
  type KindRef,
  type Scope,
} from './scope.ts';
