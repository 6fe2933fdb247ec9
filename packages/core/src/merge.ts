/**
 * A typed partial override: every object level is optional, arrays and scalars are replaced whole.
 * Excess-property checks on object literals make a misspelt key a compile error.
 */
export type Overrides<T> = T extends readonly unknown[]
  ? T
  : T extends (...args: never[]) => unknown
    ? T
    : T extends object
      ? { readonly [K in keyof T]?: Overrides<T[K]> }
      : T;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The field `key` of an object when it is its own, else undefined: `__proto__` (a valid key of a
 * ConfigMap's data, say) otherwise reads the object's prototype.
 */
export function ownField(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/**
 * Sets the field `key` of an object as its own: an assignment to `__proto__` would set the object's
 * prototype instead, and the field would vanish from it (and from everything written from it).
 */
export function setOwnField(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/**
 * Deep-merges `override` onto `base`: plain objects merge key by key, arrays and scalars replace,
 * and an explicit `undefined` leaves the base value alone. Neither input is modified.
 */
export function mergeConfig<T>(base: T, override: Overrides<T> | undefined): T {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    setOwnField(out, key, mergeConfig(ownField(out, key), value as Overrides<unknown>));
  }
  return out as T;
}

/**
 * Why a config value cannot be given to each render as a copy of its own, or undefined when it can:
 * plain objects, arrays, Maps, Sets and Dates are copied, and primitives need no copy. A function
 * or a class instance would be one value shared by every render (its fields, the state it closes
 * over), so what one render changes in it the next would see.
 */
export function uncopyable(value: unknown): string | undefined {
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isPlainObject(value)) return undefined;
  if (value instanceof Map || value instanceof Set || value instanceof Date) return undefined;
  const proto = Object.getPrototypeOf(value) as object | null;
  // An object literal written with `__proto__: {...}`: refused as such where overrides are checked.
  if (proto !== null && !Object.hasOwn(proto, 'constructor')) return undefined;
  const name = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  if (typeof name !== 'string' || name === '') return 'an object that is not plain data';
  return `an instance of ${name}`;
}

/**
 * Paths of the values of a config that {@link uncopyable} refuses (`['gpu', 'client']`), with what
 * each is; also a value that holds itself, which no copy ends on.
 */
export function uncopyableValues(value: unknown, path: readonly string[] = [], seen: Set<object> = new Set()): { path: string[]; what: string }[] {
  const what = uncopyable(value);
  if (what) return [{ path: [...path], what }];
  if (value === null || typeof value !== 'object') return [];
  if (seen.has(value)) return [{ path: [...path], what: 'a reference to a value that holds it (a cycle)' }];
  seen.add(value);
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : value instanceof Map
      ? [...value].map(([k, v], i) => [typeof k === 'string' ? k : `<key ${i}>`, v])
      : value instanceof Set
        ? [...value].map((v, i) => [`<item ${i}>`, v])
        : value instanceof Date
          ? []
          : Object.entries(value);
  const out = entries.flatMap(([k, v]) => uncopyableValues(v, [...path, k], seen));
  seen.delete(value);
  return out;
}

/** A config value that cannot be copied for a render, named by its key path. */
export class ConfigValueError extends Error {
  override readonly name = 'ConfigValueError';
}

/** What to do about a value {@link uncopyable} refuses: the end of its message. */
export const UNCOPYABLE_ADVICE =
  'each render gets a copy of the config of its own, and this value would be shared by every render instead; give plain data (objects, arrays, strings, numbers, booleans, or a Map, Set or Date), and keep code in render';

/**
 * A copy of a configuration that shares nothing mutable with it: plain objects and arrays are
 * copied all the way down (`__proto__` kept as an own key), Maps, Sets and Dates as what they are.
 * A function or a class instance cannot be copied faithfully, and sharing it would let one render
 * change what the next one sees: it is a {@link ConfigValueError} naming its key path.
 */
export function copyConfig<T>(value: T, path: readonly string[] = []): T {
  if (Array.isArray(value)) return value.map((v, i) => copyConfig(v, [...path, String(i)])) as T;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, copyConfig(v, [...path, String(k)])])) as T;
  if (value instanceof Set) return new Set([...value].map((v, i) => copyConfig(v, [...path, `<item ${i}>`]))) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  const what = uncopyable(value);
  if (what) throw new ConfigValueError(`${path.length > 0 ? path.join('.') : 'the config'}: ${what} is no config value: ${UNCOPYABLE_ADVICE}`);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  for (const [key, v] of Object.entries(value)) setOwnField(out, key, copyConfig(v, [...path, key]));
  return out as T;
}
