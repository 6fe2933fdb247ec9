const SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes resource quantity as a number, or undefined when it is not one. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([a-zA-Z]*))$/.exec(value.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const factor = SUFFIXES[m[3] ?? ''];
  return factor === undefined ? undefined : base * factor;
}

/** How apimachinery's resource.Quantity remembers a quantity was written, which decides how it prints it. */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

/**
 * A quantity as the API server holds it: its value in billionths (the server's finest precision,
 * exact in a bigint where a float is not) and the format of its suffix.
 */
export interface Quantity {
  readonly nano: bigint;
  readonly format: QuantityFormat;
}

const NANO = 1_000_000_000n;

/** A quantity the API server reads (`1Gi`, `500m`, `0.5`, `1e3`, a number), or undefined when it is not one. */
export function quantityOf(value: unknown): Quantity | undefined {
  const v = parseQuantity(value);
  if (v === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : String(value);
  const format: QuantityFormat = /[KMGTPE]i$/.test(text) ? 'BinarySI' : /\d[eE][+-]?\d+$/.test(text) ? 'DecimalExponent' : 'DecimalSI';
  // Whole values (bytes) are exact as they are; fractions (cores) are small enough for billionths.
  const nano = Number.isInteger(v) ? BigInt(v) * NANO : BigInt(Math.round(v * 1e9));
  return { nano, format };
}

const ceilDiv = (a: bigint, b: bigint) => (a >= 0n ? (a + b - 1n) / b : a / b);

/** resource.Quantity's Value(): rounded up to a whole unit. */
export const quantityValue = (q: Quantity): bigint => ceilDiv(q.nano, NANO);

/** resource.Quantity's MilliValue(): rounded up to a thousandth. */
export const quantityMilliValue = (q: Quantity): bigint => ceilDiv(q.nano, 1_000_000n);

/** resource.Quantity's Add: the sum keeps the format of the first, unless that one is zero. */
export const addQuantities = (a: Quantity, b: Quantity): Quantity => ({ nano: a.nano + b.nano, format: a.nano === 0n ? b.format : a.format });

const DECIMAL_SUFFIX: Readonly<Record<number, string>> = {
  [-9]: 'n',
  [-6]: 'u',
  [-3]: 'm',
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * resource.Quantity's String(), the canonical form the API server writes a quantity in (`1024Mi` is
 * `1Gi`, `0.5` is `500m`, `1073741824` stays as it is): what its messages quote.
 */
export function quantityString(q: Quantity): string {
  let format = q.format;
  if (format === 'BinarySI' && (q.nano % NANO !== 0n || (q.nano > -1024n * NANO && q.nano < 1024n * NANO))) format = 'DecimalSI';
  if (format === 'BinarySI') {
    let n = q.nano / NANO;
    let e = 0;
    while (e < BINARY_SUFFIX.length - 1 && n % 1024n === 0n) {
      n /= 1024n;
      e++;
    }
    return `${n}${BINARY_SUFFIX[e]}`;
  }
  if (q.nano === 0n) return '0';
  let n = q.nano;
  let e = -9;
  while (n % 1000n === 0n && (format === 'DecimalExponent' || e < 18)) {
    n /= 1000n;
    e += 3;
  }
  if (format === 'DecimalExponent') return e === 0 ? `${n}` : `${n}e${e}`;
  return `${n}${DECIMAL_SUFFIX[e]}`;
}
