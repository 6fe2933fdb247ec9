/**
 * The locale a render is made in, whatever the machine's is: en-US, which is what Node takes when
 * LANG and LC_ALL are unset or C (most CI machines), so a tree generated there stays as it was.
 *
 * Pinned rather than refused, as the time zone is: a locale says how a value is written (1,234.5 or
 * 1.234,5), not which value, and `a.localeCompare(b)` is the ordinary way to sort names, in app code
 * and in the libraries it calls alike (which app code's refusals do not judge). The program's own
 * sorts of the tree's files run after the renders and follow it too. Node reads the locale from
 * LANG and LC_ALL once, as it starts, and changing them later changes nothing: so each way to ask for
 * the default locale is given this one instead, once per process: by the strata command as it starts,
 * so that what a command prints and writes without loading an app (the order of a listing, a sorted
 * package.json) is the same on every machine too, and elsewhere when app code first runs.
 */
export const RENDER_LOCALE = 'en-US';

/** The Intl services that take a locale list: each falls back to the machine's locale. */
const SERVICES = [
  'Collator',
  'DateTimeFormat',
  'DisplayNames',
  'ListFormat',
  'NumberFormat',
  'PluralRules',
  'RelativeTimeFormat',
  'Segmenter',
] as const;
type Service = (typeof SERVICES)[number];

interface Supporting {
  supportedLocalesOf(locales: string | readonly string[]): string[];
}

const PINNED: unique symbol = Symbol.for('@strata/core/locale');
const shared = globalThis as typeof globalThis & { [PINNED]?: true };

/**
 * Gives every way the process asks for the default locale the render's (see RENDER_LOCALE): the Intl
 * services' constructors, `toLocaleString` and its kind on dates, numbers, bigints, arrays and
 * typed arrays, `localeCompare`, `toLocaleUpperCase` and `toLocaleLowerCase`. A locale the call
 * names is kept; one no Intl service knows (`'zz'`, or an empty list), which would fall back to the
 * machine's, falls back to the render's instead. Once per process, whatever copies of core it runs.
 */
export function pinLocale(): void {
  if (shared[PINNED]) return;
  shared[PINNED] = true;
  const own = Object.fromEntries(SERVICES.flatMap((s) => (Intl[s] ? [[s, Intl[s] as unknown as Supporting]] : []))) as Record<Service, Supporting>;
  // Per service and locale text, whether the service knows it: most calls name the same few.
  const known = new Map<string, boolean>();
  const pinned = (service: Service, locales: unknown): unknown => {
    if (locales === undefined) return RENDER_LOCALE;
    const key = typeof locales === 'string' ? `${service}\0${locales}` : undefined;
    const seen = key === undefined ? undefined : known.get(key);
    if (seen === true) return locales;
    let list: string[];
    try {
      list = Intl.getCanonicalLocales(locales as string | string[]);
    } catch {
      return locales; // not a locale: the call throws as ever
    }
    const supported = list.length > 0 && own[service].supportedLocalesOf(list).length > 0;
    if (key !== undefined) known.set(key, supported);
    return supported ? locales : [...list, RENDER_LOCALE];
  };
  for (const service of SERVICES) {
    const target = Intl[service] as unknown as new (...args: unknown[]) => object;
    if (!target) continue;
    const proxy: object = new Proxy(target, {
      construct: (t, [locales, ...rest], newTarget) => Reflect.construct(t, [pinned(service, locales), ...rest], newTarget === proxy ? t : newTarget),
      apply: (t, self, [locales, ...rest]) => Reflect.apply(t, self, [pinned(service, locales), ...rest]),
    });
    Object.defineProperty(Intl, service, { ...Object.getOwnPropertyDescriptor(Intl, service), value: proxy });
  }
  /** Replaces `name` of `proto` with one whose locale argument, at `at`, is pinned for `service`. */
  const method = (proto: object, name: string, service: Service, at: number) => {
    const given = Object.getOwnPropertyDescriptor(proto, name);
    const original = given?.value as ((...args: unknown[]) => unknown) | undefined;
    if (typeof original !== 'function') return;
    const replaced = {
      [name](this: unknown, ...args: unknown[]) {
        args[at] = pinned(service, args[at]);
        return original.apply(this, args);
      },
    }[name]!;
    Object.defineProperty(replaced, 'length', { value: original.length });
    Object.defineProperty(proto, name, { ...given, value: replaced });
  };
  for (const name of ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString']) method(Date.prototype, name, 'DateTimeFormat', 0);
  method(Number.prototype, 'toLocaleString', 'NumberFormat', 0);
  method(BigInt.prototype, 'toLocaleString', 'NumberFormat', 0);
  // An array's asks each element's own, with the same locales: pinned there, and here for an empty list.
  method(Array.prototype, 'toLocaleString', 'NumberFormat', 0);
  method(Object.getPrototypeOf(Uint8Array.prototype) as object, 'toLocaleString', 'NumberFormat', 0);
  method(String.prototype, 'localeCompare', 'Collator', 1);
  method(String.prototype, 'toLocaleUpperCase', 'Collator', 0);
  method(String.prototype, 'toLocaleLowerCase', 'Collator', 0);
}
