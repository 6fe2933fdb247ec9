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
 * A copy of a configuration that shares nothing mutable with it: plain objects and arrays are
 * copied all the way down (`__proto__` kept as an own key); anything else (a class instance, a
 * function) is the same value, as the config types hold plain data.
 */
export function copyConfig<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => copyConfig(v)) as T;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  for (const [key, v] of Object.entries(value)) setOwnField(out, key, copyConfig(v));
  return out as T;
}
