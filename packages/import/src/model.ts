import { isDeepStrictEqual } from 'node:util';
import { describe, ENVIRONMENTS, groupOf, isPlainObject, setOwnField, type Environment, type Manifest } from '@strata/core';
import { namespacedIn } from '@strata/schemas';
import { DuplicateObjectError, ImportError } from './errors.ts';

/**
 * Turns each env's objects into one typed model: objects matched across envs, and every field that
 * differs between envs lifted into a config leaf that the env files set.
 */

/** A value that the render computes: an object's name (with the env's prefix and suffix) or the namespace. */
export class Ref {
  constructor(
    readonly to: 'name' | 'namespace',
    readonly base = '',
  ) {}
}

/** A field whose value comes from the config. */
export class Leaf {
  /** Where the leaf lives in the config, once named. */
  path: string[] = [];
  constructor(
    /** What the value is: an image reference, a switch that says whether an object exists, or any other value. */
    readonly kind: 'value' | 'image' | 'switch' | 'namePrefix' | 'nameSuffix' | 'namespace',
    /** The value in each env; `null` where the field is absent. */
    readonly values: Record<Environment, unknown>,
    /** Name candidates from the most specific to the least (the field, then its parents). */
    readonly names: string[],
    /** The object the leaf belongs to, for grouping; undefined for app-wide leaves. */
    readonly group: string | undefined,
  ) {}
  get nullable(): boolean {
    return Object.values(this.values).some((v) => v === null);
  }
}

/** A field value in the render: literal JSON with Refs and Leaves in it. */
export type Template = unknown;

export interface ModelObject {
  readonly apiVersion: string;
  readonly kind: string;
  /** The name without the env's prefix and suffix; the identity across envs. */
  readonly base: string;
  /** The object's config group (camelCase of its name, with its kind when names repeat). */
  group: string;
  readonly envs: readonly Environment[];
  /** Fields without apiVersion and kind. */
  template: Record<string, Template>;
  /** True for a ConfigMap that a configMapGenerator made: it keeps its hash behaviour. */
  readonly generated: boolean;
}

export interface SecretNote {
  readonly env: Environment;
  readonly name: string;
  readonly namespace?: string;
  readonly keys: readonly string[];
  readonly remoteKey: string;
}

/** A service-account token Secret imported without the token, for the cluster's token controller to fill. */
export interface TokenNote {
  readonly env: Environment;
  readonly name: string;
  readonly namespace?: string;
  /** The keys the old cluster's token controller had written, left out. */
  readonly keys: readonly string[];
  readonly account: string;
}

/**
 * A field of a source object that names a generated ConfigMap with its hash suffix, other than the
 * ConfigMap's own name. The comparison drops the suffix on both sides, so it cannot tell this field from
 * one that names the ConfigMap without it, which in a build is a ConfigMap that does not exist.
 */
export interface SuffixedReference {
  /** The object, by its index in the env's expected objects. */
  readonly index: number;
  readonly path: readonly (string | number)[];
  /** The name as the source wrote it, with the suffix, and without. */
  readonly hashed: string;
  readonly name: string;
}

/** Every field of `value` whose string is one of `names` (a ConfigMap's own name aside), with its path. */
function suffixedIn(value: unknown, names: ReadonlyMap<string, string>, index: number, path: (string | number)[] = []): SuffixedReference[] {
  if (typeof value === 'string') {
    const name = names.get(value);
    const own = path.length === 2 && path[0] === 'metadata' && path[1] === 'name';
    return name === undefined || own ? [] : [{ index, path, hashed: value, name }];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => suffixedIn(v, names, index, [...path, i]));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => suffixedIn(v, names, index, [...path, k]));
  return [];
}

export interface Model {
  readonly objects: ModelObject[];
  readonly leaves: Leaf[];
  readonly usesName: boolean;
  readonly usesNamespace: boolean;
  /** What the generated app must build to in each env: the sources with Secrets replaced and hash suffixes dropped. */
  readonly expected: Record<Environment, Manifest[]>;
  /** Per env, the (unhashed) names of the ConfigMaps made by a generator. */
  readonly generatedConfigMaps: Record<Environment, Set<string>>;
  /** Per env, where a source names a generated ConfigMap with its hash suffix (see suffixedReferences). */
  readonly suffixedReferences: Record<Environment, SuffixedReference[]>;
  readonly secrets: SecretNote[];
  readonly tokens: TokenNote[];
}

/** The store every imported Secret's ExternalSecret reads from. */
export interface SecretStore {
  readonly name: string;
  readonly kind: 'ClusterSecretStore' | 'SecretStore';
}

/** A ClusterSecretStore serves every namespace, so one store fits an app in any namespace. */
export const DEFAULT_SECRET_STORE: SecretStore = { name: 'secret-store', kind: 'ClusterSecretStore' };

/**
 * A generated name: kustomize's hash suffix is 10 hex digits of the content's SHA-256 with 0, 1, 3, a
 * and e replaced by g, h, k, m and t (api/hasher encode), so a plain name that merely ends in ten
 * letters and digits (`app-config-2024120701`) is no generator's output and keeps its name.
 */
const HASHED = /^(.+)-[2456789bcdfghkmt]{10}$/;
/** Kinds whose names Kustomize's namePrefix leaves alone, so that their names never carry the env's prefix. */
const UNPREFIXED = new Set(['Namespace', 'CustomResourceDefinition']);

function renameStrings(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return names.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => renameStrings(v, names));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameStrings(v, names)]));
  return value;
}

const isCoreSecret = (m: Manifest) => m.kind === 'Secret' && m.apiVersion === 'v1';

/** The keys of a service-account token Secret that the token controller writes. */
const TOKEN_KEYS = new Set(['token', 'ca.crt', 'namespace']);
const SERVICE_ACCOUNT_TOKEN = 'kubernetes.io/service-account-token';

/**
 * A service-account token Secret without what the token controller of the old cluster wrote in it: the
 * controller of the cluster it deploys to fills the Secret with a token of its own, and leaves alone a
 * Secret that holds one already. Undefined when it holds none. A key the controller does not write is
 * refused: it belongs in a Secret of its own.
 */
function withoutToken(m: Manifest, env: Environment): { object: Manifest; keys: string[] } | undefined {
  const keys = [
    ...new Set([...Object.keys(isPlainObject(m.data) ? m.data : {}), ...Object.keys(isPlainObject(m.stringData) ? m.stringData : {})]),
  ].sort();
  if (keys.length === 0) return undefined;
  const other = keys.filter((k) => !TOKEN_KEYS.has(k));
  if (other.length > 0)
    throw new ImportError([
      `${env}: ${describe(m)}: a ${SERVICE_ACCOUNT_TOKEN} Secret holds ${other.join(', ')}, which its cluster's token controller does not write; move ${other.length === 1 ? 'it' : 'them'} to a Secret of ${other.length === 1 ? 'its' : 'their'} own, then import; nothing was written`,
    ]);
  const { data: _d, stringData: _s, ...object } = m;
  return { object: object as Manifest, keys };
}

/** An ExternalSecret that makes the Secret `m` in the cluster from the store, holding no value. */
function externalSecretFor(m: Manifest, app: string, env: Environment, store: SecretStore): { object: Manifest; keys: string[]; remoteKey: string } {
  const keys = [
    ...new Set([...Object.keys(isPlainObject(m.data) ? m.data : {}), ...Object.keys(isPlainObject(m.stringData) ? m.stringData : {})]),
  ].sort();
  const remoteKey = `${app}/${env}/${m.metadata.name}`;
  const type = typeof m.type === 'string' && m.type !== 'Opaque' ? m.type : undefined;
  const { name, namespace, labels, annotations } = m.metadata;
  // External Secrets copies the ExternalSecret's own labels and annotations into the Secret only when
  // it has no template; with one (for the type) the Secret takes those of template.metadata alone.
  const carried = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
  const template = type ? { type, ...(labels || annotations ? { metadata: carried } : {}) } : undefined;
  const object: Manifest = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, ...(namespace ? { namespace } : {}), ...carried },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: store.kind, name: store.name },
      target: {
        name,
        creationPolicy: 'Owner',
        ...(typeof m.immutable === 'boolean' ? { immutable: m.immutable } : {}),
        ...(template ? { template } : {}),
      },
      data: keys.map((k) => ({ secretKey: k, remoteRef: { key: remoteKey, property: k } })),
    },
  };
  return { object, keys, remoteKey };
}

/** The longest `-`-ended prefix every name has (and none of them is whole). */
function sharedPrefix(names: readonly string[]): string {
  if (names.length === 0) return '';
  let p = names[0]!;
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  p = p.slice(0, p.lastIndexOf('-') + 1);
  while (p && names.some((n) => n.length <= p.length)) p = p.slice(0, p.slice(0, -1).lastIndexOf('-') + 1);
  return p;
}

/** Of per-env prefixes, the part each env adds: the common tail (cut at a `-`) is part of the names. */
function envParts(prefixes: readonly string[]): string[] {
  const first = prefixes[0]!;
  for (let i = 0; i <= first.length; i++) {
    if (i > 0 && first[i - 1] !== '-') continue;
    const tail = first.slice(i);
    if (prefixes.every((p) => p.endsWith(tail) && (p.length === tail.length || p[p.length - tail.length - 1] === '-')))
      return prefixes.map((p) => p.slice(0, p.length - tail.length));
  }
  return prefixes.map(() => '');
}

const reverse = (s: string) => [...s].reverse().join('');

const camel = (s: string) => {
  // SHOUTING_CASE keys (an env file's) read as words.
  const words = s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => (w === w.toUpperCase() ? w.toLowerCase() : w));
  const out = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join('');
  return /^[0-9]/.test(out) ? `_${out}` : out || '_';
};

function resolveRefs(
  value: unknown,
  env: Environment,
  ctx: { prefix: Record<Environment, string>; suffix: Record<Environment, string>; namespace: Record<Environment, string> },
): unknown {
  if (value instanceof Ref) return value.to === 'namespace' ? ctx.namespace[env] : `${ctx.prefix[env]}${value.base}${ctx.suffix[env]}`;
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, env, ctx));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, env, ctx)]));
  return value;
}

/**
 * Builds the model of an app from each env's objects. `namespaced` scopes an object by its group and
 * kind (see `namespacedIn` of @strata/validate): a cluster-scoped one is given no namespace.
 * @default built-in kinds as kube-apiserver serves them, custom kinds as the CRDs among the sources or shipped say
 */
export function buildModel(
  app: string,
  sources: Record<Environment, Manifest[]>,
  generatedNames: ReadonlySet<string>,
  store: SecretStore = DEFAULT_SECRET_STORE,
  namespaced: (m: Manifest) => boolean = namespacedIn(ENVIRONMENTS.flatMap((e) => sources[e])),
): Model {
  const expected = {} as Record<Environment, Manifest[]>;
  const generatedConfigMaps = {} as Record<Environment, Set<string>>;
  const suffixedReferences = {} as Record<Environment, SuffixedReference[]>;
  const secrets: SecretNote[] = [];
  const tokens: TokenNote[] = [];
  const generatedIn = {} as Record<Environment, Set<string>>;

  for (const env of ENVIRONMENTS) {
    // Hash suffixes are Kustomize's: the generated names lose them, and so does every reference.
    const renames = new Map<string, string>();
    const generated = new Set<string>();
    for (const m of sources[env]) {
      if (m.apiVersion !== 'v1' || (m.kind !== 'ConfigMap' && m.kind !== 'Secret')) continue;
      const hit = HASHED.exec(m.metadata.name);
      if (hit && [...generatedNames].some((g) => hit[1]!.includes(g))) {
        renames.set(m.metadata.name, hit[1]!);
        generated.add(`${m.kind}/${hit[1]}`);
      }
    }
    const objects = sources[env].map((m) => renameStrings(m, renames) as Manifest);
    // A generated Secret becomes an ExternalSecret that makes the Secret by its plain name: only a ConfigMap keeps its suffix.
    const configMapRenames = new Map(
      [...renames].filter(([hashed]) => sources[env].some((m) => m.kind === 'ConfigMap' && m.metadata.name === hashed)),
    );
    suffixedReferences[env] = configMapRenames.size === 0 ? [] : sources[env].flatMap((m, i) => suffixedIn(m, configMapRenames, i));
    generatedIn[env] = generated;
    generatedConfigMaps[env] = new Set([...generated].filter((g) => g.startsWith('ConfigMap/')).map((g) => g.slice('ConfigMap/'.length)));
    // Secret values never reach the app: each Secret that holds some becomes its ExternalSecret.
    expected[env] = objects.map((m) => {
      if (!isCoreSecret(m)) return m;
      const where = { env, name: m.metadata.name, ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}) };
      if (m.type === SERVICE_ACCOUNT_TOKEN) {
        const t = withoutToken(m, env);
        if (!t) return m;
        tokens.push({ ...where, keys: t.keys, account: String(m.metadata.annotations?.['kubernetes.io/service-account.name'] ?? '') });
        return t.object;
      }
      const r = externalSecretFor(m, app, env, store);
      if (r.keys.length === 0) return m;
      secrets.push({
        env,
        name: m.metadata.name,
        ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
        keys: r.keys,
        remoteKey: r.remoteKey,
      });
      return r.object;
    });
  }

  // Name prefixes and suffixes per env (Kustomize's namePrefix/nameSuffix, or a naming habit).
  const named = (env: Environment) => expected[env].filter((m) => !UNPREFIXED.has(m.kind)).map((m) => m.metadata.name);
  const prefixList = envParts(ENVIRONMENTS.map((e) => sharedPrefix(named(e))));
  // Suffixes the same way, on the names read backwards (the hash suffix is already gone).
  const suffixList = envParts(ENVIRONMENTS.map((e, i) => sharedPrefix(named(e).map((n) => reverse(n.slice(prefixList[i]!.length)))))).map(reverse);
  const prefix = Object.fromEntries(ENVIRONMENTS.map((e, i) => [e, prefixList[i]!])) as Record<Environment, string>;
  const suffix = Object.fromEntries(ENVIRONMENTS.map((e, i) => [e, suffixList[i]!])) as Record<Environment, string>;
  const usesName = ENVIRONMENTS.some((e) => prefix[e] !== '' || suffix[e] !== '');

  // One namespace per env for every namespaced object: the config's namespace.
  const nsOf = (env: Environment) => {
    const inNamespaces = expected[env].filter(namespaced);
    const set = new Set(inNamespaces.map((m) => m.metadata.namespace));
    const [only] = [...set];
    return set.size === 1 && typeof only === 'string' ? only : undefined;
  };
  const nsList = ENVIRONMENTS.map(nsOf);
  const usesNamespace = nsList.every((n) => n !== undefined);
  const namespace = Object.fromEntries(ENVIRONMENTS.map((e, i) => [e, nsList[i] ?? ''])) as Record<Environment, string>;
  const ctx = { prefix, suffix, namespace };

  // Mark names and the namespace, and match objects across envs by kind and base name.
  const byId = new Map<
    string,
    {
      apiVersion: string;
      kind: string;
      base: string;
      values: Partial<Record<Environment, Record<string, unknown>>>;
      /** Each env's object, by its index in the env's objects. */
      index: Partial<Record<Environment, number>>;
      generated: boolean;
    }
  >();
  for (const env of ENVIRONMENTS) {
    const names = new Map<string, string>();
    if (usesName) {
      for (const m of expected[env]) {
        const n = m.metadata.name;
        if (UNPREFIXED.has(m.kind) || !n.startsWith(prefix[env]) || !n.endsWith(suffix[env])) continue;
        names.set(n, n.slice(prefix[env].length, n.length - suffix[env].length));
      }
    }
    const mark = (value: unknown, top: boolean): unknown => {
      if (typeof value === 'string' && names.has(value)) return new Ref('name', names.get(value));
      if (Array.isArray(value)) return value.map((v) => mark(v, false));
      if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, top && k === 'metadata' ? v : mark(v, false)]));
      return value;
    };
    for (const [i, m] of expected[env].entries()) {
      const marked = mark(m, true) as Record<string, unknown>;
      const metadata = { ...(m.metadata as Record<string, unknown>) };
      for (const [k, v] of Object.entries(metadata)) if (k !== 'name' && k !== 'namespace') metadata[k] = mark(v, false);
      let base = m.metadata.name;
      if (usesNamespace && m.kind === 'Namespace' && m.metadata.name === namespace[env]) {
        metadata.name = new Ref('namespace');
        base = '$namespace';
      } else if (names.has(m.metadata.name)) {
        base = names.get(m.metadata.name)!;
        metadata.name = new Ref('name', base);
      }
      if (usesNamespace && namespaced(m)) metadata.namespace = new Ref('namespace');
      const id = `${groupOf(m.apiVersion)}|${m.kind}|${usesNamespace ? '' : (m.metadata.namespace ?? '')}|${base}`;
      const entry = byId.get(id) ?? { apiVersion: m.apiVersion, kind: m.kind, base, values: {}, index: {}, generated: false };
      if (entry.values[env]) throw new DuplicateObjectError(env, describe(m), entry.index[env]!, i);
      if (entry.apiVersion !== m.apiVersion)
        throw new ImportError([
          `${m.kind} ${base}: apiVersion ${entry.apiVersion} in one env and ${m.apiVersion} in ${env}; use one version in every env, then import`,
        ]);
      const { apiVersion: _a, kind: _k, ...rest } = marked;
      entry.values[env] = { ...rest, metadata };
      entry.index[env] = i;
      if (m.kind === 'ConfigMap' && generatedIn[env].has(`ConfigMap/${m.metadata.name}`)) entry.generated = true;
      byId.set(id, entry);
    }
  }

  const leaves: Leaf[] = [];
  const objects: ModelObject[] = [];
  for (const e of byId.values()) {
    const envs = ENVIRONMENTS.filter((env) => e.values[env]);
    // Objects of one name (a Deployment, its Service and Ingress) share one group of settings.
    const group = camel(e.base === '$namespace' ? 'namespace-object' : e.base);
    const values = new Map(envs.map((env) => [env, e.values[env] as unknown]));
    const template = merge(values, [], group, leaves, ctx) as Record<string, Template>;
    objects.push({ apiVersion: e.apiVersion, kind: e.kind, base: e.base, group, envs, template, generated: e.generated });
    if (envs.length < ENVIRONMENTS.length) {
      leaves.push(
        new Leaf(
          'switch',
          Object.fromEntries(ENVIRONMENTS.map((env) => [env, envs.includes(env)])) as Record<Environment, boolean>,
          ['enabled', e.kind],
          group,
        ),
      );
    }
  }
  if (usesName) {
    if (ENVIRONMENTS.some((env) => prefix[env])) leaves.push(new Leaf('namePrefix', prefix, ['namePrefix'], undefined));
    if (ENVIRONMENTS.some((env) => suffix[env])) leaves.push(new Leaf('nameSuffix', suffix, ['nameSuffix'], undefined));
  }
  if (usesNamespace) leaves.push(new Leaf('namespace', namespace, ['namespace'], undefined));
  nameLeaves(leaves, objects);
  return { objects, leaves, usesName, usesNamespace, expected, generatedConfigMaps, suffixedReferences, secrets, tokens };
}

const ABSENT = Symbol('absent');

/** A field's name for the config: a list item by its `name`, a key as it is. */
function segmentName(parent: unknown, key: string | number): string | undefined {
  if (typeof key === 'string') return key;
  const item = Array.isArray(parent) ? parent[key] : undefined;
  return isPlainObject(item) && typeof item.name === 'string' ? item.name : undefined;
}

/**
 * The template of one field across the envs it exists in: equal values stay literal, objects and
 * same-length lists are merged field by field, anything else becomes a config leaf. Every
 * container image is a leaf, so images always live in the config.
 */
function merge(values: Map<Environment, unknown>, names: string[], group: string, leaves: Leaf[], ctx: Parameters<typeof resolveRefs>[2]): Template {
  const envs = [...values.keys()];
  const list = [...values.values()];
  const concrete = (env: Environment) => {
    const v = values.get(env);
    return v === ABSENT || v === undefined ? null : resolveRefs(v, env, ctx);
  };
  const leaf = (kind: Leaf['kind']) => {
    const byEnv = Object.fromEntries(ENVIRONMENTS.map((env) => [env, envs.includes(env) ? concrete(env) : undefined])) as Record<
      Environment,
      unknown
    >;
    // Envs without the object take the value of an env that has it, so they never differ for nothing.
    const present = envs.map((e) => byEnv[e]);
    for (const env of ENVIRONMENTS) if (!envs.includes(env)) byEnv[env] = present[0];
    const l = new Leaf(kind, byEnv, [...names].reverse(), group);
    leaves.push(l);
    return l;
  };
  if (
    names.at(-1) === 'image' &&
    names.at(-3) !== undefined &&
    ['containers', 'initContainers'].includes(names.at(-3)!) &&
    list.every((v) => typeof v === 'string')
  ) {
    return leaf('image');
  }
  if (list.every((v) => isDeepStrictEqual(v, list[0]))) return list[0];
  const resolved = envs.map(concrete);
  if (!list.includes(ABSENT) && resolved.every((v) => isDeepStrictEqual(v, resolved[0]))) return resolved[0];
  if (list.every(isPlainObject)) {
    const keys = [...new Set(list.flatMap((v) => Object.keys(v as object)))];
    const out: Record<string, Template> = {};
    for (const k of keys) {
      // Own fields only: a key `__proto__` (a ConfigMap's, say) is a field like any other.
      const sub = new Map(
        envs.map((env) => [env, Object.hasOwn(values.get(env) as object, k) ? (values.get(env) as Record<string, unknown>)[k] : ABSENT]),
      );
      if ([...sub.values()].includes(ABSENT)) {
        setOwnField(out, k, mergeAbsent(sub, [...names, k], group, leaves, ctx));
        continue;
      }
      setOwnField(out, k, merge(sub, [...names, k], group, leaves, ctx));
    }
    return out;
  }
  if (list.every(Array.isArray) && list.every((v) => (v as unknown[]).length === (list[0] as unknown[]).length)) {
    return (list[0] as unknown[]).map((_, i) => {
      const sub = new Map(envs.map((env) => [env, (values.get(env) as unknown[])[i]]));
      const seg = segmentName(list[0], i);
      return merge(sub, seg ? [...names, seg] : names, group, leaves, ctx);
    });
  }
  return leaf('value');
}

/** A field that some envs lack: one nullable leaf for the whole field. */
function mergeAbsent(
  values: Map<Environment, unknown>,
  names: string[],
  group: string,
  leaves: Leaf[],
  ctx: Parameters<typeof resolveRefs>[2],
): Template {
  const envs = [...values.keys()];
  const byEnv = Object.fromEntries(
    ENVIRONMENTS.map((env) => [env, envs.includes(env) ? (values.get(env) === ABSENT ? null : resolveRefs(values.get(env), env, ctx)) : undefined]),
  ) as Record<Environment, unknown>;
  const first = envs.map((e) => byEnv[e])[0];
  for (const env of ENVIRONMENTS) if (!envs.includes(env)) byEnv[env] = first;
  const l = new Leaf('value', byEnv, [...names].reverse(), group);
  leaves.push(l);
  return l;
}

// Path segments that say nothing about the field: a leaf is named after the first segment that does.
// A host in a TLS block's `hosts` and in a rule's `host` is one setting.
// A Map: a field named `constructor` or `__proto__` (ConfigMap keys) must not find Object's own.
const ALIASES = new Map([['hosts', 'host']]);
const GENERIC = new Set(['name', 'key', 'path', 'port', 'kind']);
const NOISE = new Set(['spec', 'template', 'metadata', 'data', 'value', 'stringData', 'http', 'paths', 'rules', 'backend', 'service']);

/**
 * Names every leaf. Leaves with the same field name and the same value in every env, in different
 * objects, are one app-wide setting (a host, a label); the rest live in their object's group.
 * Images are named by container; switches are `<object>.enabled`.
 */
function nameLeaves(leaves: Leaf[], objects: ModelObject[]): void {
  const taken = new Map<string, Set<string>>();
  const take = (scope: string, name: string) => {
    const set = taken.get(scope) ?? new Set<string>();
    taken.set(scope, set);
    let n = name;
    for (let i = 2; set.has(n); i++) n = `${name}${i}`;
    set.add(n);
    return n;
  };
  // Object groups and app-wide names share the top level.
  for (const g of new Set(objects.map((o) => o.group))) take('', g);
  for (const l of leaves) if (l.group === undefined) l.path = [take('', l.names[0]!)];

  const images = leaves.filter((l) => l.kind === 'image');
  const imageKeys = new Map<string, string>();
  if (images.length > 0) take('', 'images');
  for (const l of images) {
    const container = l.names[1] ?? 'image';
    const sig = `${container}|${JSON.stringify(l.values)}`;
    if (!imageKeys.has(sig))
      imageKeys.set(
        sig,
        take(
          'images',
          imageKeys.size > 0 && [...imageKeys.keys()].some((k) => k.startsWith(`${container}|`)) ? `${l.group}-${container}` : container,
        ),
      );
    l.path = ['images', imageKeys.get(sig)!];
  }

  const label = (l: Leaf) => {
    const i = l.names.findIndex((x) => !NOISE.has(x));
    const n = l.names[i] ?? l.names[0] ?? 'value';
    // `name` alone says nothing: the issuerRef's name is `issuerRefName`.
    if (GENERIC.has(n) && l.names[i + 1] !== undefined) return `${l.names[i + 1]}-${n}`;
    // Requests and limits name the same resources: `requestsCpu`, `limitsMemory`.
    if (['requests', 'limits'].includes(l.names[i + 1] ?? '')) return `${l.names[i + 1]}-${n}`;
    return ALIASES.get(n) ?? n;
  };
  const rest = leaves.filter((l) => l.kind === 'value');
  const bySig = new Map<string, Leaf[]>();
  // A distinctive string that varies per env in several places (what a Kustomize replacement
  // copied, say) is one setting whatever the fields are called, so the link between them is kept.
  const distinctive = (l: Leaf) => Object.values(l.values).every((v) => typeof v === 'string' && v.length >= 8);
  for (const l of rest) {
    const sig = `${distinctive(l) ? '' : label(l)}|${JSON.stringify(l.values)}`;
    bySig.set(sig, [...(bySig.get(sig) ?? []), l]);
  }
  for (const same of bySig.values()) {
    const groups = new Set(same.map((l) => l.group));
    if (groups.size > 1) {
      const key = take('', camel(label(same[0]!)));
      for (const l of same) l.path = [key];
      continue;
    }
    const group = same[0]!.group!;
    // Within an object, the field name alone unless another field of it has that name too.
    const l = same[0]!;
    const meaningful = l.names.filter((n) => !NOISE.has(n)).map((n) => ALIASES.get(n) ?? n);
    const words = meaningful.length > 0 ? meaningful : l.names;
    let name = camel(label(l));
    const used = taken.get(group) ?? new Set<string>();
    for (let i = 1; used.has(name) && i < words.length; i++)
      name = camel(
        words
          .slice(0, i + 1)
          .reverse()
          .join('-'),
      );
    const key = take(group, name);
    for (const s of same) s.path = [group, key];
  }
  for (const l of leaves) {
    if (l.kind !== 'switch') continue;
    const alone = objects.filter((o) => o.group === l.group).length === 1;
    l.path = [l.group!, take(l.group!, alone ? 'enabled' : camel(`${l.names[1]}-enabled`))];
  }
}
