import { isPlainObject, ownField, setOwnField } from './merge.ts';

/** Every key of every member of a union (`keyof` alone gives only the keys they share). */
type AllKeys<T> = T extends unknown ? keyof T : never;
type ValueAt<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;

/** The keys every member of a union shares whose values are strings: those that can tell the members apart. */
type TagKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends string ? K : never }[keyof T] & string;

/** Every key of one variant but its tag, each declared: a key left out would be refused in that variant. */
type VariantTree<V, D> = { readonly [K in Exclude<keyof V, D>]-?: true | Shape<V[K]> };

/** The declaration of a union told apart by one of its keys: per value of that key, the keys of its variant. */
type VariantsOf<T> = {
  [D in TagKeys<T>]: Variants<D, { readonly [X in Extract<T[D], string>]: VariantTree<Extract<T, Readonly<Record<D, X>>>, D> }>;
}[TagKeys<T>];

/** The declaration of a value: a list declares its item (`[{ ... }]`), a union may declare its variants. */
type Shape<T> = NonNullable<T> extends readonly (infer E)[] ? readonly [Shape<E>] : KeyTree<T> | VariantsOf<NonNullable<T>>;

/**
 * Config keys an app declares beyond those its `defaults` hold, typed by the config so that a
 * misspelt declaration does not compile: `true` accepts the key and anything below it, an object
 * accepts the key and the keys it lists below it, `[{ ... }]` the keys of each item of a list, and
 * `variants(key, { ... })` the keys of each variant of a union.
 */
export type KeyTree<T> = {
  readonly [K in AllKeys<NonNullable<T>>]?: true | Shape<ValueAt<NonNullable<T>, K>>;
};

const VARIANTS = Symbol.for('@strata/core/variants');

/** A union told apart by the value of `key`, with the keys each variant takes; made by `variants`. */
export interface Variants<D extends string = string, M = unknown> {
  readonly [VARIANTS]: true;
  /** The key whose value names the variant, e.g. `mode`. */
  readonly key: D;
  /** Per value of the key, the other keys of that variant (`true` or what is below them). */
  readonly byValue: M;
}

/**
 * Declares in `optional` a union whose members `key` tells apart: an env's value of `key` must be one
 * of those listed, and it may set only the keys of that variant. Every key of a variant but `key` is
 * listed, so the check knows what the variant lacks.
 *
 * ```ts
 * optional: { upstream: variants('mode', { name: { host: true }, ips: { addresses: true } }) }
 * ```
 */
export function variants<const D extends string, const M extends { readonly [value: string]: object }>(key: D, byValue: M): Variants<D, M> {
  return { [VARIANTS]: true, key, byValue };
}

function isVariants(value: unknown): value is Variants<string, { readonly [value: string]: unknown }> {
  // Tested by its symbol, not by a class: an app's bundle may hold its own copy of this module.
  return typeof value === 'object' && value !== null && (value as { [VARIANTS]?: unknown })[VARIANTS] === true;
}

/** Every key of an `ImageSource`: defaults usually name the repository alone, and envs add a tag or digest. */
export const IMAGE_SOURCE_KEYS = { repository: true, tag: true, digest: true } as const;

/**
 * Known keys: `true` accepts anything below; an object node its keys; a list node the keys of its
 * items (`item` undefined while nothing says what an item holds); a variants node the keys of each
 * variant, the tag among them.
 */
type Known = true | KnownKeys | { readonly kind: 'list'; item?: Known } | KnownVariants;
export type KnownKeys = { readonly kind: 'keys'; readonly keys: { [key: string]: Known } };
type KnownVariants = { readonly kind: 'variants'; readonly key: string; readonly byValue: { readonly [value: string]: KnownKeys } };

/**
 * The known tree's entry for `key`: its own entries only, so that a key named like a property every
 * object inherits (`constructor`, `toString`) is unknown unless the config has it.
 */
const own = (known: KnownKeys, key: string): Known | undefined => (Object.hasOwn(known.keys, key) ? known.keys[key] : undefined);

const keysNode = (): KnownKeys => ({ kind: 'keys', keys: {} });

function variantsNode(declared: Variants<string, { readonly [value: string]: unknown }>): KnownVariants {
  const byValue: { [value: string]: KnownKeys } = {};
  for (const [value, tree] of Object.entries(declared.byValue)) {
    const node = keysNode();
    setOwnField(node.keys, declared.key, true);
    learn(node, tree);
    byValue[value] = node;
  }
  return { kind: 'variants', key: declared.key, byValue };
}

/** What `value` (a default, an override, a declaration) says about the node that holds it. */
function learnValue(here: Known | undefined, v: unknown): Known {
  if (here === true) return true;
  if (isVariants(v)) return variantsNode(v);
  if (isPlainObject(v)) {
    if (here !== undefined && here.kind !== 'keys') return here;
    const next = here ?? keysNode();
    learn(next, v);
    return next;
  }
  if (Array.isArray(v)) {
    if (here !== undefined && here.kind !== 'list') return here;
    const list: { kind: 'list'; item?: Known } = here ?? { kind: 'list' };
    // The items of a list in the defaults, a component or a declaration (`[{ ... }]`) say what an item holds.
    for (const item of v) list.item = learnValue(list.item, item);
    return list;
  }
  // An override replaces a value that is not a plain object whole, and a declaration's `true`
  // accepts anything (a map with free keys): there is nothing below it to check.
  return v === true ? true : (here ?? true);
}

/** Adds the keys of a value (defaults, an override, a declaration) to the known tree. */
function learn(known: KnownKeys, value: unknown): void {
  if (!isPlainObject(value)) return;
  for (const [key, v] of Object.entries(value)) setOwnField(known.keys, key, learnValue(own(known, key), v));
}

/** The config keys an app knows: those of its defaults, its components' overrides and its declaration. */
export function knownKeys(defaults: unknown, overrides: readonly unknown[], declared: unknown): KnownKeys {
  const known = keysNode();
  for (const v of [defaults, ...overrides, declared]) learn(known, v);
  return known;
}

export interface UnknownKey {
  /** The key path in the override, e.g. `['resources', 'limitz']`; an item of a list by its index. */
  readonly path: readonly string[];
  /** The nearest known key at the same level, when one is close enough to be a likely misspelling. */
  readonly suggestion?: string;
  /** What is wrong, when the key is refused for more than not being known (a variant's tag or keys). */
  readonly problem?: string;
}

const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * Keys of `override` that the known tree does not have, each with a suggestion; `base` is what the
 * override merges onto (the defaults and components), which names the variant when the override
 * leaves its tag out.
 */
export function unknownKeys(known: KnownKeys, override: unknown, base?: unknown, path: readonly string[] = []): UnknownKey[] {
  if (!isPlainObject(override)) return [];
  const out: UnknownKey[] = [];
  for (const [key, v] of Object.entries(override)) {
    const here = own(known, key);
    if (here === undefined) {
      const suggestion = nearest(key, Object.keys(known.keys));
      out.push({ path: [...path, key], ...(suggestion ? { suggestion } : {}) });
    } else out.push(...unknownIn(here, v, isPlainObject(base) ? ownField(base, key) : undefined, [...path, key]));
  }
  return out;
}

function unknownIn(known: Known, value: unknown, base: unknown, path: readonly string[]): UnknownKey[] {
  if (known === true) return [];
  if (known.kind === 'keys') return unknownKeys(known, value, base, path);
  if (known.kind === 'list') {
    if (!Array.isArray(value)) return [];
    // A list replaces the base's whole: its items have no base.
    const item = known.item;
    if (item !== undefined) return value.flatMap((v, i) => unknownIn(item, v, undefined, [...path, String(i)]));
    // Nothing says what an item holds (the defaults' list is empty, and nothing declares it): every
    // key of an object item would be taken, a misspelt one merging into nothing. Scalars have no keys.
    const unknownItem = (v: unknown): boolean => isPlainObject(v) || (Array.isArray(v) && v.some(unknownItem));
    return value.some(unknownItem) ? [{ path, problem: undeclaredItemsProblem(path, value) }] : [];
  }
  return unknownInVariant(known, value, base, path);
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Why a list of object items whose keys nothing declares is refused, with the declaration that
 * fixes it: the keys the env's items use, each `true`, at the list's place in `optional`.
 */
function undeclaredItemsProblem(path: readonly string[], items: readonly unknown[]): string {
  const shape = (values: readonly unknown[]): string => {
    const objects = values.filter(isPlainObject);
    const lists = values.filter(Array.isArray);
    if (objects.length === 0 && lists.length > 0) return `[${shape(lists.flat())}]`;
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
    return keys.length === 0 ? '{}' : `{ ${keys.map((k) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: true`).join(', ')} }`;
  };
  // Outwards from the list: a key of an object, or an index into the list that holds it.
  let declaration = `[${shape(items)}]`;
  for (let i = path.length - 1; i >= 0; i--) {
    const k = path[i]!;
    declaration = /^\d+$/.test(k) ? `[${declaration}]` : `{ ${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${declaration} }`;
  }
  return `nothing says which keys its items take (the defaults' list is empty), so a misspelt one would merge into nothing; declare them, as the item type names them, in defineApp's optional: ${declaration}`;
}

function unknownInVariant(known: KnownVariants, value: unknown, base: unknown, path: readonly string[]): UnknownKey[] {
  if (!isPlainObject(value)) return [];
  const values = Object.keys(known.byValue);
  const where = path
    .map((k) => (/^\d+$/.test(k) ? `[${k}]` : `.${k}`))
    .join('')
    .slice(1);
  const tag = Object.hasOwn(value, known.key) ? value[known.key] : isPlainObject(base) ? ownField(base, known.key) : undefined;
  if (typeof tag !== 'string' || !Object.hasOwn(known.byValue, tag)) {
    if (tag === undefined)
      return [{ path: [...path, known.key], problem: `is missing: ${where} needs ${known.key} to say which variant it is (${quoted(values)})` }];
    const close = typeof tag === 'string' ? nearest(tag, values) : undefined;
    return [
      {
        path: [...path, known.key],
        problem: `${JSON.stringify(tag) ?? String(tag)} is not a variant of ${where}; use ${quoted(values)}${close ? `; did you mean '${close}'?` : ''}`,
      },
    ];
  }
  const variant = known.byValue[tag]!;
  const out: UnknownKey[] = [];
  // The base holds the keys of another variant when the override changes the tag: none of them are below this one.
  const sameBase = isPlainObject(base) && ownField(base, known.key) === tag ? base : undefined;
  for (const [key, v] of Object.entries(value)) {
    const here = own(variant, key);
    if (here === undefined) {
      const keys = Object.keys(variant.keys);
      const close = nearest(key, keys);
      out.push({
        path: [...path, key],
        problem: `not a key of the '${tag}' variant of ${where} (${known.key}: '${tag}')${close ? `; did you mean ${close}?` : `; its keys: ${keys.join(', ')}`}`,
      });
    } else out.push(...unknownIn(here, v, sameBase ? ownField(sameBase, key) : undefined, [...path, key]));
  }
  return out;
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a misspelling of it. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance, one row at a time: a dozen lines, not worth a dependency. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
