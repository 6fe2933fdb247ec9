import { isPlainObject } from './merge.ts';

/** Every key of every member of a union (`keyof` alone gives only the keys they share). */
type AllKeys<T> = T extends unknown ? keyof T : never;
type ValueAt<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;

/**
 * Config keys an app declares beyond those its `defaults` hold, typed by the config so that a
 * misspelt declaration does not compile: `true` accepts the key and anything below it, an object
 * accepts the key and the keys it lists below it.
 */
export type KeyTree<T> = {
  readonly [K in AllKeys<NonNullable<T>>]?: true | KeyTree<ValueAt<NonNullable<T>, K>>;
};

/** Every key of an `ImageSource`: defaults usually name the repository alone, and envs add a tag or digest. */
export const IMAGE_SOURCE_KEYS = { repository: true, tag: true, digest: true } as const;

/** Known keys: a nested map; `true` means anything below is accepted. */
type Known = { [key: string]: Known } | true;

/**
 * The known tree's entry for `key`: its own entries only, so that a key named like a property every
 * object inherits (`constructor`, `toString`) is unknown unless the config has it.
 */
const own = (known: { [key: string]: Known }, key: string): Known | undefined => (Object.hasOwn(known, key) ? known[key] : undefined);

/** Adds the keys of a value (defaults, an override, a declaration) to the known tree. */
function learn(known: { [key: string]: Known }, value: unknown): void {
  if (!isPlainObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const here = own(known, key);
    if (here === true) continue;
    if (isPlainObject(v)) {
      const next = here ?? {};
      known[key] = next;
      learn(next, v);
    } else {
      // An override replaces a value that is not a plain object whole, and a declaration's `true`
      // accepts anything (a map with free keys): there is nothing below it to check.
      known[key] = v === true ? true : (here ?? true);
    }
  }
}

/** The config keys an app knows: those of its defaults, its components' overrides and its declaration. */
export function knownKeys(defaults: unknown, overrides: readonly unknown[], declared: unknown): { [key: string]: Known } {
  const known: { [key: string]: Known } = {};
  for (const v of [defaults, ...overrides, declared]) learn(known, v);
  return known;
}

export interface UnknownKey {
  /** The key path in the override, e.g. `['resources', 'limitz']`. */
  readonly path: readonly string[];
  /** The nearest known key at the same level, when one is close enough to be a likely misspelling. */
  readonly suggestion?: string;
}

/** Keys of `override` that the known tree does not have, each with a suggestion. */
export function unknownKeys(known: { [key: string]: Known }, override: unknown, path: readonly string[] = []): UnknownKey[] {
  if (!isPlainObject(override)) return [];
  const out: UnknownKey[] = [];
  for (const [key, v] of Object.entries(override)) {
    const here = own(known, key);
    if (here === undefined) {
      const suggestion = nearest(key, Object.keys(known));
      out.push({ path: [...path, key], ...(suggestion ? { suggestion } : {}) });
    } else if (here !== true) out.push(...unknownKeys(here, v, [...path, key]));
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
