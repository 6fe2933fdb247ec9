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
 * Deep-merges `override` onto `base`: plain objects merge key by key, arrays and scalars replace,
 * and an explicit `undefined` leaves the base value alone. Neither input is modified.
 */
export function mergeConfig<T>(base: T, override: Overrides<T> | undefined): T {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    out[key] = mergeConfig(out[key], value as Overrides<unknown>);
  }
  return out as T;
}
