import { LosslessNumber, parse, stringify } from 'lossless-json';

/**
 * Numbers as kubectl sends them, where JSON.parse would round them.
 *
 * kubectl decodes a manifest's numbers as int64 when they fit, else as float64 (apimachinery's
 * unstructured JSON), and sends them as encoding/json writes those: an int64 to the last digit, a
 * float64 as the shortest text that reads back as the same double, which is what JavaScript writes
 * for it too. So the only numbers a double loses are integers past 2^53 that fit in int64; they
 * have 16 digits or more, and text without such a number (nearly every manifest) is the same to
 * JSON.parse and to kubectl, with nothing of this module needed.
 */

/**
 * A number token of 16 digits or more (not a run inside a word, such as a digest's hex), or a YAML
 * hexadecimal integer of 14 digits or more: every integer past 2^53 (9007199254740992, 0x20000000000000)
 * is one of them.
 */
const LONG_INTEGER = /(?<![\w.])\d{16,}(?!\w)|0x[\da-f]{14}/i;

/** Whether `text` may hold an integer that a double rounds: a run of 16 digits standing as a number. */
export function mayHoldLongInteger(text: string): boolean {
  return LONG_INTEGER.test(text);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A decimal integer's value as kubectl keeps it: the exact integer when it fits in int64 and a double
 * cannot hold it (a `LosslessNumber` of its canonical text), else the number (a float64 past int64).
 */
export function kubectlInteger(text: string): number | LosslessNumber {
  const n = Number(text);
  if (Number.isSafeInteger(n) || !/^[-+]?\d+$/.test(text)) return n;
  const big = BigInt(text);
  return big >= INT64_MIN && big <= INT64_MAX ? new LosslessNumber(big.toString()) : n;
}

/**
 * Parses JSON keeping every integer that fits in int64 to the last digit (as a `LosslessNumber`);
 * other numbers are numbers. `stringifyExact` writes it back. For the few objects whose text
 * `mayHoldLongInteger`: it is many times slower than JSON.parse.
 */
export function parseExact(json: string): unknown {
  return parse(json, null, (text) => (/^-?\d+$/.test(text) ? kubectlInteger(text) : Number(text)));
}

/** JSON of a value that may hold `LosslessNumber`s (from `parseExact` or `kubectlInteger`), each written as its digits. */
export function stringifyExact(value: unknown): string {
  return stringify(value) ?? 'null';
}

/** Whether a value holds a number that only `stringifyExact` writes right. */
export function holdsExactNumber(value: unknown): boolean {
  if (value instanceof LosslessNumber) return true;
  if (Array.isArray(value)) return value.some(holdsExactNumber);
  if (value !== null && typeof value === 'object') return Object.values(value).some(holdsExactNumber);
  return false;
}

/** Where a value (from `parseExact` or `kubectlInteger`) holds an integer that a double cannot hold, and its digits. */
export function exactIntegers(value: unknown, path: readonly (string | number)[] = []): { path: (string | number)[]; text: string }[] {
  if (value instanceof LosslessNumber) return [{ path: [...path], text: value.value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => exactIntegers(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => exactIntegers(v, [...path, k]));
  return [];
}
