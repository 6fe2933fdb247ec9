// Plain JSON values only: a few times faster than node:util's isDeepStrictEqual, which also
// handles classes, symbols and prototypes that manifests never hold.
import { dequal as isDeepStrictEqual } from 'dequal/lite';
import { GENERATED_ANNOTATION, isPlainObject, ownField, setOwnField, type Manifest } from '@strata/core';
import { kustomizeSetsNamespace } from '@strata/schemas';

/**
 * The keys that identify an item of a list field for strategic merge: the merge key plus any other
 * list-map keys (`containerPort` and `protocol`, say) when the list merges by key, `null` when the
 * schema says the list is replaced whole, `undefined` when the kind has no schema.
 */
export type MergeKeyLookup = (apiVersion: string, kind: string, path: readonly string[]) => readonly string[] | null | undefined;

export interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

export interface GeneratorEntry {
  name: string;
  namespace?: string;
  behavior?: 'create' | 'merge' | 'replace';
  /** Absent for a ConfigMap of binaryData alone. */
  literals?: string[];
  options?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** The Kustomize that turns one set of manifests into another. */
export interface Overlay {
  namespace?: string;
  labels?: Record<string, string>;
  images: ImageEntry[];
  replicas: { name: string; count: number }[];
  /** Strategic-merge patches (changed fields only) and `$patch: delete` documents. */
  patches: Manifest[];
  /** Objects that exist only on the target side. */
  resources: Manifest[];
  generators: GeneratorEntry[];
}

const SCALABLE = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);
// kyaml's guess at an associative list's key when it has no schema for the object.
const INFERRED_KEYS = ['mountPath', 'devicePath', 'ip', 'type', 'topologyKey', 'name', 'containerPort'];

/** A deep copy of a JSON value (what a manifest is): several times faster than structuredClone. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) setOwnField(out, k, clone(v));
  return out as T;
}
// What kustomize's namespace transformer gives the overlay's namespace, by apiVersion and kind: the
// objects it must not reach are kept apart (see planApp).
const isNamespaced = (m: Manifest) => kustomizeSetsNamespace(m);
export const isGeneratedConfigMap = (m: Manifest) =>
  m.kind === 'ConfigMap' && m.apiVersion === 'v1' && m.metadata.annotations?.[GENERATED_ANNOTATION] !== undefined;

/** Splits ConfigMaps marked for generation from ordinary objects. */
export function splitGenerated(manifests: readonly Manifest[]): { objects: Manifest[]; generated: Manifest[] } {
  return {
    objects: manifests.filter((m) => !isGeneratedConfigMap(m)),
    generated: manifests.filter(isGeneratedConfigMap),
  };
}

/** A generator entry for a marked ConfigMap, literals in key order. */
export function generatorFor(cm: Manifest, behavior?: GeneratorEntry['behavior'], keys?: readonly string[]): GeneratorEntry {
  const data = (cm.data ?? {}) as Record<string, string>;
  const literals = (keys ?? Object.keys(data).sort()).map((k) => `${k}=${literalValue(data[k]!)}`);
  const labels = cm.metadata.labels;
  const annotations = { ...cm.metadata.annotations };
  delete annotations[GENERATED_ANNOTATION];
  const options = {
    ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  return {
    name: cm.metadata.name,
    ...(cm.metadata.namespace ? { namespace: cm.metadata.namespace } : {}),
    ...(behavior ? { behavior } : {}),
    // A ConfigMap of binaryData alone has no literals: its patch holds the bytes.
    ...(literals.length > 0 || !binaryPatchFor(cm) ? { literals } : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}

/**
 * The binaryData of a marked ConfigMap, which a generator of literals cannot hold, as a patch that
 * adds it: Kustomize gives a generated name its hash after the patches, so the bytes still take part
 * in the name and a changed file still rolls the pods that use it. Undefined when it has none.
 */
export function binaryPatchFor(cm: Manifest): Manifest | undefined {
  const binary = binaryOf(cm);
  return Object.keys(binary).length > 0 ? withIdentity(cm, { binaryData: binary }) : undefined;
}

const binaryOf = (cm: Manifest) => (isPlainObject(cm.binaryData) ? cm.binaryData : {}) as Record<string, string>;

/** Kustomize strips one pair of matching quotes around a literal's value: add a pair to keep them. */
function literalValue(value: string): string {
  return /^(["']).*\1$/s.test(value) ? `"${value}"` : value;
}

interface ParsedImage {
  repo: string;
  tag?: string;
  digest?: string;
}

export function parseImage(ref: string): ParsedImage {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  return { repo: tagged ? rest.slice(0, colon) : rest, ...(tagged ? { tag: rest.slice(colon + 1) } : {}), ...(digest ? { digest } : {}) };
}

interface ContainerRef {
  container: Record<string, unknown>;
  /** Object key plus the path of the list and the container name: identifies it across sides. */
  slot: string;
}

/** Every container (and init container) of an object, wherever its pod template sits. */
function containers(m: Manifest, key: string): ContainerRef[] {
  const out: ContainerRef[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
    if (!isPlainObject(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'containers' || k === 'initContainers') && Array.isArray(v)) {
        for (const c of v) {
          if (isPlainObject(c) && typeof c.image === 'string') out.push({ container: c, slot: `${key}|${path}.${k}|${String(c.name)}` });
        }
      } else walk(v, `${path}.${k}`);
    }
  };
  walk(m, '');
  return out;
}

function objectKey(m: Manifest, ignoreNamespace: boolean): string {
  const ns = ignoreNamespace || !m.metadata.namespace ? '' : m.metadata.namespace;
  return `${m.apiVersion}|${m.kind}|${ns}|${m.kind === 'Namespace' && ignoreNamespace ? '' : m.metadata.name}`;
}

function chooseNamespace(base: readonly Manifest[], desired: readonly Manifest[]): string | undefined {
  const target = new Set(desired.filter(isNamespaced).map((m) => m.metadata.namespace));
  if (target.size !== 1) return undefined;
  const [ns] = [...target];
  if (!ns) return undefined;
  const from = new Set(base.filter(isNamespaced).map((m) => m.metadata.namespace));
  if (from.size === 1 && from.has(ns)) return undefined;
  // Kustomize renames every Namespace object to the target: only safe with at most one of them.
  const namespaces = [...base, ...desired].filter((m) => m.kind === 'Namespace');
  if (namespaces.length > 0 && !namespaces.every((m) => m.metadata.name === ns || base.includes(m))) return undefined;
  if (base.filter((m) => m.kind === 'Namespace').length > 1) return undefined;
  return ns;
}

export interface DeriveOptions {
  /**
   * The generated ConfigMaps as the overlay's own generators see them, when the overlay includes
   * components (whose generators run later). @default the generated ConfigMaps of `base`
   */
  readonly generatorBase?: readonly Manifest[];
}

/**
 * Derives the smallest idiomatic overlay that turns `base` into `desired`: namespace, labels,
 * images and replicas transformers where they say it all, strategic-merge patches of only the
 * changed fields for the rest, `$patch: delete` for removed objects and resources for new ones.
 */
export function deriveOverlay(
  base: readonly Manifest[],
  desired: readonly Manifest[],
  mergeKey: MergeKeyLookup,
  options: DeriveOptions = {},
): Overlay {
  const overlay: Overlay = { images: [], replicas: [], patches: [], resources: [], generators: [] };
  const namespace = chooseNamespace(base, desired);
  if (namespace) overlay.namespace = namespace;
  const ignoreNs = namespace !== undefined;
  const baseByKey = new Map(base.map((m) => [objectKey(m, ignoreNs), m]));
  if (baseByKey.size !== base.length) throw new Error('two base objects share a kind and name; give them distinct names');

  // Undo what the transformers will do, so that patches are computed against what they start from.
  const pre: Pre[] = desired.map((d) => ({ desired: d, pre: clone(d), base: baseByKey.get(objectKey(d, ignoreNs)) }));
  if (namespace) {
    for (const p of pre) {
      if (!p.base) continue;
      if (p.pre.kind === 'Namespace') p.pre.metadata.name = p.base.metadata.name;
      else if (isNamespaced(p.pre)) setOrDelete(p.pre.metadata, 'namespace', p.base.metadata.namespace);
    }
  }
  deriveLabels(pre, overlay);
  const objects = pre.filter((p) => !isGeneratedConfigMap(p.desired));
  deriveImages(objects, overlay);
  deriveReplicas(objects, overlay);

  const matched = new Set<Manifest>();
  for (const p of objects) {
    if (!p.base) {
      overlay.resources.push(p.pre);
      continue;
    }
    matched.add(p.base);
    const patch = diffMap(p.base, p.pre, { apiVersion: p.base.apiVersion, kind: p.base.kind, mergeKey }, []);
    if (patch) overlay.patches.push(withIdentity(p.base, patch));
  }
  for (const b of base) {
    if (!matched.has(b) && !isGeneratedConfigMap(b)) overlay.patches.push(withIdentity(b, { $patch: 'delete' }));
  }
  deriveGenerators(
    base.filter(isGeneratedConfigMap),
    pre.filter((p) => isGeneratedConfigMap(p.desired)).map((p) => p.pre),
    overlay,
    options.generatorBase,
  );
  return overlay;
}

function withIdentity(b: Manifest, patch: Record<string, unknown>): Manifest {
  const metadata = { ...(isPlainObject(patch.metadata) ? patch.metadata : {}), name: b.metadata.name } as Manifest['metadata'];
  if (b.metadata.namespace) metadata.namespace = b.metadata.namespace;
  return { ...patch, apiVersion: b.apiVersion, kind: b.kind, metadata };
}

function setOrDelete(obj: Record<string, unknown>, key: string, value: unknown) {
  if (value === undefined) delete obj[key];
  else obj[key] = value;
}

type Pre = { desired: Manifest; pre: Manifest; base: Manifest | undefined };

function deriveLabels(pre: Pre[], overlay: Overlay) {
  if (pre.length === 0) return;
  const first = pre[0]!.desired.metadata.labels ?? {};
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) {
    if (!pre.every((p) => p.desired.metadata.labels?.[k] === v)) continue;
    if (pre.some((p) => p.base && p.base.metadata.labels?.[k] !== v)) common[k] = v;
  }
  if (Object.keys(common).length === 0) return;
  overlay.labels = common;
  for (const p of pre) {
    const labels = { ...p.pre.metadata.labels };
    for (const k of Object.keys(common)) setOrDelete(labels, k, p.base?.metadata.labels?.[k]);
    if (Object.keys(labels).length > 0 || p.base?.metadata.labels) p.pre.metadata.labels = labels;
    else delete p.pre.metadata.labels;
  }
}

function deriveImages(pre: Pre[], overlay: Overlay) {
  const key = (m: Manifest) => `${m.apiVersion}|${m.kind}|${m.metadata.name}`;
  // Each object's containers, found once: finding them walks the whole object, and each list is read
  // twice below (the images change, the containers do not).
  const found = pre.map((p) => ({ p, base: p.base ? containers(p.base, key(p.base)) : [], pre: containers(p.pre, key(p.base ?? p.pre)) }));
  const baseSlots = new Map<string, string>();
  for (const f of found) for (const c of f.base) baseSlots.set(c.slot, c.container.image as string);
  // For each base repository: the images it must become, and every container that now uses it.
  const targets = new Map<string, Set<string>>();
  for (const f of found) {
    for (const c of f.pre) {
      const from = baseSlots.get(c.slot);
      const image = c.container.image as string;
      const repo = parseImage(from ?? image).repo;
      if (!targets.has(repo)) targets.set(repo, new Set());
      targets.get(repo)!.add(from === undefined ? `new:${image}` : image === from ? `same:${image}` : image);
    }
  }
  const entries = new Map<string, ParsedImage>();
  for (const [repo, set] of targets) {
    const changed = [...set].filter((s) => !s.startsWith('same:') && !s.startsWith('new:'));
    if (changed.length !== 1 || [...set].some((s) => s.startsWith('same:'))) continue;
    const target = parseImage(changed[0]!);
    // Kustomize sets the tag, the digest or both exactly as given (`newTag`, `digest`); an entry with
    // neither would keep the base's tag.
    if (!target.tag && !target.digest) continue;
    if ([...set].some((s) => s.startsWith('new:') && s !== `new:${changed[0]}`)) continue;
    entries.set(repo, target);
  }
  // Kustomize cannot swap a digest for a tag exactly: such images are patched instead.
  for (const f of found) {
    for (const c of f.base) {
      const img = parseImage(c.container.image as string);
      if (img.digest) entries.delete(img.repo);
    }
  }
  for (const f of found) {
    if (!f.p.base) continue;
    for (const c of f.pre) {
      const from = baseSlots.get(c.slot);
      if (from && entries.has(parseImage(from).repo)) c.container.image = from;
    }
  }
  for (const [repo, t] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
    overlay.images.push({
      name: repo,
      ...(t.repo !== repo ? { newName: t.repo } : {}),
      ...(t.tag ? { newTag: t.tag } : {}),
      ...(t.digest ? { digest: t.digest } : {}),
    });
  }
}

function deriveReplicas(pre: Pre[], overlay: Overlay) {
  const names = pre.filter((p) => SCALABLE.has(p.desired.kind)).map((p) => p.desired.metadata.name);
  for (const p of pre) {
    if (!p.base || !SCALABLE.has(p.base.kind)) continue;
    const want = (p.desired.spec as { replicas?: unknown } | undefined)?.replicas;
    const had = (p.base.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof want !== 'number' || want === had) continue;
    if (names.filter((n) => n === p.base!.metadata.name).length > 1) continue; // the transformer matches by name only
    overlay.replicas.push({ name: p.base.metadata.name, count: want });
    setOrDelete(p.pre.spec as Record<string, unknown>, 'replicas', had);
  }
}

function deriveGenerators(base: Manifest[], desired: Manifest[], overlay: Overlay, before?: readonly Manifest[]) {
  const baseByName = new Map(base.map((m) => [m.metadata.name, m]));
  const beforeByName = before && new Map(before.map((m) => [m.metadata.name, (m.data ?? {}) as Record<string, string>]));
  for (const d of desired) {
    const b = baseByName.get(d.metadata.name);
    if (!b) {
      overlay.generators.push(generatorFor(d));
      const binary = binaryPatchFor(d);
      if (binary) overlay.patches.push(binary);
      continue;
    }
    baseByName.delete(d.metadata.name);
    const bd = (b.data ?? {}) as Record<string, string>;
    const dd = (d.data ?? {}) as Record<string, string>;
    // What a generator of literals cannot say goes in one patch of the ConfigMap: its labels and
    // annotations where the env's differ (a patch runs before Kustomize hashes the name, and the hash
    // is of the content only), and its binaryData.
    const bb = binaryOf(b);
    const db = binaryOf(d);
    const binaryChanges = (from: Record<string, string>) => {
      const keys = [...Object.keys(db).filter((k) => ownField(from, k) !== db[k]), ...Object.keys(from).filter((k) => !Object.hasOwn(db, k))];
      return keys.length > 0 ? { binaryData: Object.fromEntries(keys.sort().map((k) => [k, ownField(db, k) ?? null])) } : {};
    };
    const metadata: Record<string, unknown> = {};
    for (const field of ['labels', 'annotations'] as const) {
      const from = (b.metadata[field] ?? {}) as Record<string, string>;
      const to = (d.metadata[field] ?? {}) as Record<string, string>;
      const keys = [...Object.keys(to).filter((k) => ownField(from, k) !== to[k]), ...Object.keys(from).filter((k) => !Object.hasOwn(to, k))].sort();
      if (keys.length > 0) metadata[field] = Object.fromEntries(keys.map((k) => [k, ownField(to, k) ?? null]));
    }
    const extra = (from: Record<string, string>): Record<string, unknown> => ({
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
      ...binaryChanges(from),
    });
    const patchWith = (fields: Record<string, unknown>) => {
      if (Object.keys(fields).length > 0) overlay.patches.push(withIdentity(b, fields));
    };
    if (isDeepStrictEqual(bd, dd)) {
      patchWith(extra(bb));
      continue;
    }
    // Own keys only: a key `__proto__` is data like any other.
    const removed = Object.keys(bd).filter((k) => !Object.hasOwn(dd, k));
    const changed = Object.keys(dd)
      .filter((k) => ownField(bd, k) !== dd[k])
      .sort();
    // Kustomize runs an overlay's generators before its components' and its patches after them: what
    // a component created or set can only be changed by a patch.
    const seen = beforeByName ? beforeByName.get(d.metadata.name) : bd;
    if (!seen || [...changed, ...removed].some((k) => ownField(seen, k) !== ownField(bd, k))) {
      patchWith({ data: Object.fromEntries([...changed.map((k) => [k, dd[k]]), ...removed.map((k) => [k, null])]), ...extra(bb) });
      continue;
    }
    const entry = removed.length > 0 ? generatorFor(d, 'replace') : generatorFor(d, 'merge', changed);
    // The generator finds the base ConfigMap by its namespace before any namespace transformer runs.
    setOrDelete(entry as unknown as Record<string, unknown>, 'namespace', b.metadata.namespace);
    delete entry.options;
    overlay.generators.push(entry);
    // A replacing generator drops the base's binaryData with the rest: the patch puts all of it back.
    patchWith(extra(entry.behavior === 'replace' ? {} : bb));
  }
  // Absent from the env (or renamed there, by a name prefix say): deleted by a patch, which Kustomize
  // applies to the generated ConfigMap before it gives the name its hash.
  for (const b of baseByName.values()) overlay.patches.push(withIdentity(b, { $patch: 'delete' }));
}

interface DiffContext {
  apiVersion: string;
  kind: string;
  mergeKey: MergeKeyLookup;
}

/** Strategic-merge patch of the fields that differ; `null` removes a field. */
function diffMap(b: Record<string, unknown>, d: Record<string, unknown>, ctx: DiffContext, path: string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  // Own fields only, read and set: a key `__proto__` (a ConfigMap's, say) is a field like any other.
  for (const [k, dv] of Object.entries(d)) {
    if (!Object.hasOwn(b, k)) {
      setOwnField(out, k, dv);
      continue;
    }
    const bv = b[k];
    if (isDeepStrictEqual(bv, dv)) continue;
    if (isPlainObject(bv) && isPlainObject(dv)) setOwnField(out, k, diffMap(bv, dv, ctx, [...path, k]));
    else if (Array.isArray(bv) && Array.isArray(dv)) setOwnField(out, k, diffList(bv, dv, ctx, [...path, k]));
    else setOwnField(out, k, dv);
  }
  for (const k of Object.keys(b)) if (!Object.hasOwn(d, k)) setOwnField(out, k, null);
  return Object.keys(out).length > 0 ? out : undefined;
}

function listKeys(b: unknown[], d: unknown[], ctx: DiffContext, path: string[]): readonly string[] | undefined {
  const fromSchema = ctx.mergeKey(ctx.apiVersion, ctx.kind, path);
  if (fromSchema !== undefined) return fromSchema ?? undefined;
  const all = [...b, ...d];
  if (!all.every(isPlainObject)) return undefined;
  const key = INFERRED_KEYS.find((k) => all.every((e) => (e as Record<string, unknown>)[k] !== undefined));
  return key ? [key] : undefined;
}

/**
 * A keyed list merges item by item only when the items keep their keys and order; the patch then
 * lists every item up to the last changed one (unchanged ones by key alone), because a merge puts
 * the patch's items first. Anything else replaces the list whole.
 */
function diffList(b: unknown[], d: unknown[], ctx: DiffContext, path: string[]): unknown[] {
  const keys = listKeys(b, d, ctx, path);
  if (!keys || !b.every(isPlainObject) || !d.every(isPlainObject)) return d;
  const identity = (e: unknown) =>
    Object.fromEntries(keys.filter((k) => (e as Record<string, unknown>)[k] !== undefined).map((k) => [k, (e as Record<string, unknown>)[k]]));
  const ids = (l: unknown[]) => l.map((e) => JSON.stringify(identity(e)));
  const bk = ids(b);
  const dk = ids(d);
  const unique = new Set(bk).size === bk.length && new Set(dk).size === dk.length;
  if (!unique || !isDeepStrictEqual(bk, dk)) return [...d, { $patch: 'replace' }];
  const items = d.map((de, i) => ({ ...identity(de), ...diffMap(b[i] as Record<string, unknown>, de as Record<string, unknown>, ctx, path) }));
  let last = -1;
  d.forEach((de, i) => {
    if (!isDeepStrictEqual(b[i], de)) last = i;
  });
  return items.slice(0, last + 1);
}
