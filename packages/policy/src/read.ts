import { builtinScopes } from '@strata/schemas';
import type { PolicyObject, RuleFinding } from './types.ts';

/** A manifest node read without trusting its shape: rules see user input, not validated models. */
export type Rec = Readonly<Record<string, unknown>>;

export function rec(value: unknown): Rec | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : undefined;
}

export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Reads a nested field; undefined as soon as a step is missing or not an object. */
export function at(value: unknown, ...keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    current = rec(current)?.[key];
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * Labels as strings: YAML may have parsed `version: 1` or `enabled: true` as other scalars, and a
 * misindented selector may hold a mapping or a list, shown as JSON rather than as [object Object].
 */
export function stringMap(value: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(value) ?? {}))
    if (v !== null && v !== undefined) out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return out;
}

export function kindOf(o: PolicyObject): string {
  return o.manifest.kind;
}

/**
 * metadata.name, when the object has one. An object named only by metadata.generateName (or by
 * nothing) reaches the rules too, after validate has reported the missing name: it has no name yet.
 */
export function nameOf(o: PolicyObject): string | undefined {
  const name: unknown = o.manifest.metadata.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * How a finding names an object: its name, or for one that only has a generateName the pattern of
 * the names the server will give it (`migrate-*`), as validate names it in its problems.
 */
export function shownName(o: PolicyObject): string | undefined {
  const generateName: unknown = o.manifest.metadata.generateName;
  return nameOf(o) ?? (typeof generateName === 'string' && generateName !== '' ? `${generateName}*` : undefined);
}

/** The name a message gives an object, even one with neither a name nor a generateName. */
export function displayName(o: PolicyObject): string {
  return shownName(o) ?? '(no name)';
}

/**
 * The namespace the object is created in: its own, or for one written without one `applied`, the
 * namespace kubectl applies it into (`PolicyContext.applyNamespace`); '' when that is unknown (a
 * Kustomize input before the namespace transformer, or built output that whoever applies it places).
 * Only for namespaced kinds: a cluster-scoped object has no namespace to resolve.
 */
export function namespaceOf(o: PolicyObject, applied = ''): string {
  return o.manifest.metadata.namespace || applied;
}

/**
 * Whether two namespaces may be one. '' is a namespace not known yet (see `namespaceOf`), which may be
 * any; a set with `PolicyContext.applyNamespace` resolves every namespaced object's first, so there a
 * namespace-less object is in that one only, never in every namespace of the set.
 */
export function sameNamespace(a: string, b: string): boolean {
  return a === '' || b === '' || a === b;
}

/**
 * The custom kinds rules read, with their group: the others they name are built in. A kind of the
 * same name in another group (a `Certificate` of `acme.io`) is not the one a rule knows.
 */
const CUSTOM_GROUPS: Readonly<Record<string, string>> = {
  Certificate: 'cert-manager.io',
  ExternalSecret: 'external-secrets.io',
  PushSecret: 'external-secrets.io',
  ScaledObject: 'keda.sh',
  SealedSecret: 'bitnami.com',
  ServiceMonitor: 'monitoring.coreos.com',
};

let groupsByKind: Map<string, Set<string>> | undefined;

/**
 * The groups a kind a rule names lives in: a built-in kind's own groups (`Event` is in two), else
 * the group of a custom kind rules read. A custom kind of the same name in another group (a
 * `Deployment` of `apps.acme.io`) is a kind of its own, which no rule knows.
 */
function groupsOf(kind: string): ReadonlySet<string> {
  if (!groupsByKind) {
    groupsByKind = new Map();
    for (const gk of builtinScopes().keys()) {
      const slash = gk.lastIndexOf('/');
      const name = gk.slice(slash + 1);
      (groupsByKind.get(name) ?? groupsByKind.set(name, new Set()).get(name)!).add(gk.slice(0, slash));
    }
    for (const [name, group] of Object.entries(CUSTOM_GROUPS)) groupsByKind.set(name, new Set([group]));
  }
  return groupsByKind.get(kind) ?? new Set();
}

const groupOf = (apiVersion: unknown) =>
  typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

/**
 * Whether the object is of a built-in Kubernetes kind, by group and kind as kube-apiserver serves it:
 * a `Deployment` of `apps.acme.io`, like any kind a CRD defines, is a custom resource.
 */
export function isBuiltinKind(object: PolicyObject): boolean {
  return builtinScopes().has(`${groupOf(object.manifest.apiVersion)}/${object.manifest.kind}`);
}

/** Whether the object is of one of the kinds a rule names, by group and kind (see `groupsOf`). */
export function isKind(object: PolicyObject, ...kinds: readonly string[]): boolean {
  const kind = object.manifest.kind;
  return kinds.includes(kind) && groupsOf(kind).has(groupOf(object.manifest.apiVersion));
}

/** The objects of the kinds a rule names, each by its group too: see `isKind`. */
export function ofKind(objects: readonly PolicyObject[], ...kinds: readonly string[]): PolicyObject[] {
  return objects.filter((o) => isKind(o, ...kinds));
}

/**
 * A kind a reference names: by its kind alone (a built-in kind or a custom kind rules read, in the
 * groups `groupsOf` gives it), or with the apiVersion the reference gives (`scaleTargetRef`), whose
 * group then decides.
 */
export type KindRef = string | { readonly apiVersion?: string; readonly kind: string };

/** Whether the object is of the kind `ref` names, by group and kind, never by kind alone. */
export function isOfKind(o: PolicyObject, ref: KindRef): boolean {
  if (typeof ref === 'string' || ref.apiVersion === undefined) return isKind(o, typeof ref === 'string' ? ref : ref.kind);
  return o.manifest.kind === ref.kind && groupOf(o.manifest.apiVersion) === groupOf(ref.apiVersion);
}

/**
 * A referenced kind as a message names it: its kind, and its apiVersion too where that is not the
 * kind's own group (`Deployment of apps.acme.io/v1`), so that one of another group is told apart.
 */
export function kindLabel(ref: KindRef): string {
  if (typeof ref === 'string' || ref.apiVersion === undefined || groupsOf(ref.kind).has(groupOf(ref.apiVersion)))
    return typeof ref === 'string' ? ref : ref.kind;
  return `${ref.kind} of ${ref.apiVersion}`;
}

/** The group a reference names its kind in: its apiVersion's, else the kind's one built-in group, else '?'. */
export function groupOfRef(ref: KindRef): string {
  if (typeof ref !== 'string' && ref.apiVersion !== undefined) return groupOf(ref.apiVersion);
  const groups = groupsOf(typeof ref === 'string' ? ref : ref.kind);
  return groups.size === 1 ? [...groups][0]! : '?';
}

/**
 * The object of the kind `ref` names (see `isOfKind`) called `name` in `namespace`, if the set has
 * one; `applied` as in `namespaceOf`. A custom `ConfigMap` of `acme.io` is no ConfigMap a pod reads,
 * and an HPA scaling an `apps.acme.io` `Deployment` does not scale the built-in one.
 */
export function findObject(objects: readonly PolicyObject[], ref: KindRef, name: string, namespace: string, applied = ''): PolicyObject | undefined {
  return objects.find((o) => isOfKind(o, ref) && nameOf(o) === name && sameNamespace(namespaceOf(o, applied), namespace));
}

export function finding(rule: string, object: PolicyObject, message: string, path?: string): RuleFinding {
  return path === undefined ? { rule, object, message } : { rule, object, message, path };
}

export function quote(value: unknown): string {
  return JSON.stringify(value);
}
