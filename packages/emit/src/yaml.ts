import { isPlainObject, setOwnField } from '@strata/core';
import { stringify, type ScalarTag, type Tags } from 'yaml';
import { HEADER } from './header.ts';

// Keys that read best first wherever they appear; everything else follows alphabetically.
const FIRST = ['$patch', 'apiVersion', 'kind', 'metadata', 'name', 'namespace'];

function compareKeys(a: string, b: string): number {
  const ia = FIRST.indexOf(a);
  const ib = FIRST.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? FIRST.length : ia) - (ib < 0 ? FIRST.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A deep copy with every mapping's keys in the canonical order. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareKeys)) setOwnField(out, key, sortKeys(value[key]));
    return out as T;
  }
  return value;
}

/**
 * YAML without anchors, folding or flow style, in the order the value's keys already have. Written
 * as YAML 1.1, so strings such as `off`, `yes` or `n` are quoted: kubectl, kubeconform and many other
 * readers still parse 1.1 and would turn them into booleans; and a string that go-yaml reads as
 * another type is quoted too (`0o17`, `0X1F`, `+_1`, `<<`: see GO_YAML_TYPES).
 */
export function dumpYaml(value: unknown): string {
  return fastYaml(value) ?? stringify(value, YAML_OPTIONS);
}

/**
 * The same bytes as `stringify(value, YAML_OPTIONS)` for the shapes nearly every manifest has,
 * about five times faster (the library builds a node tree for every value first: seconds at 500
 * apps), or undefined for anything else, which the library then writes. Every scalar is written as
 * the library writes it alone, and a scalar it would write on several lines, or that could mean
 * something else at the start of a document, sends the whole value to the library; so does any
 * number that is not a safe integer and any list directly inside a list. A test compares both
 * writers on every committed file and on a corpus of awkward strings.
 */
export function fastYaml(value: unknown): string | undefined {
  if (!isPlainObject(value) || Object.keys(value).length === 0) return undefined;
  const out: string[] = [];
  return mapping(value, '', out) ? out.join('') : undefined;
}

/** Writes `key: value` lines at this indent; false when something needs the library. */
function mapping(map: Record<string, unknown>, indent: string, out: string[], first?: string): boolean {
  let lead = first;
  for (const [key, v] of Object.entries(map)) {
    const k = scalar(key);
    if (k === undefined || k.length > 1024) return false;
    out.push(lead ?? indent, k, ':');
    lead = undefined;
    if (!value(v, indent, out)) return false;
  }
  return true;
}

/** Writes what follows `key:` (or `-`): a scalar on the line, or a nested block on the next lines. */
function value(v: unknown, indent: string, out: string[]): boolean {
  if (Array.isArray(v)) {
    if (v.length === 0) return out.push(' []\n'), true;
    out.push('\n');
    return sequence(v, `${indent}  `, out);
  }
  if (isPlainObject(v)) {
    if (Object.keys(v).length === 0) return out.push(' {}\n'), true;
    out.push('\n');
    return mapping(v, `${indent}  `, out);
  }
  const s = scalar(v);
  if (s === undefined) return false;
  out.push(' ', s, '\n');
  return true;
}

function sequence(list: readonly unknown[], indent: string, out: string[]): boolean {
  for (const item of list) {
    if (Array.isArray(item)) return false;
    if (isPlainObject(item)) {
      if (Object.keys(item).length === 0) out.push(indent, '- {}\n');
      else if (!mapping(item, `${indent}  `, out, `${indent}- `)) return false;
      continue;
    }
    const s = scalar(item);
    if (s === undefined) return false;
    out.push(indent, '- ', s, '\n');
  }
  return true;
}

/** Scalars as the library writes them, by value: the same few hundred strings recur in every app. */
const scalars = new Map<string, string | undefined>();

function scalar(v: unknown): string | undefined {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : undefined;
  if (typeof v !== 'string') return undefined;
  if (isPlainWord(v)) return v;
  let s = scalars.get(v);
  if (s === undefined && !scalars.has(v)) {
    // Alone, a string is a whole document: one that starts like a document marker or directive is
    // written differently there than as a value.
    const alone = /^(%|---|\.\.\.)/.test(v) ? undefined : stringify(v, YAML_OPTIONS);
    s = alone !== undefined && alone.indexOf('\n') === alone.length - 1 ? alone.slice(0, -1) : undefined;
    if (scalars.size >= 100_000) scalars.clear();
    scalars.set(v, s);
  }
  return s;
}

/**
 * Words the library writes as they are, decided without it: most scalars of a manifest are names,
 * paths and image references, many unique per app, which the memo above does not help. A letter or
 * `/` first, then letters, digits and `-._/@:`, with no `:` last: nothing YAML quotes (no indicator
 * first, no `: `, ` #` or `:` at the end, no document marker), and nothing YAML 1.1 or go-yaml reads
 * as another type, since their numbers, timestamps and `.inf` start with a digit, a sign or a dot,
 * except YAML 1.1's exponents (`e3`), and their booleans and nulls are the listed words. Anything
 * else goes to the library; a test compares both on every short word of that alphabet and many
 * longer ones.
 */
const PLAIN_WORD = /^[A-Za-z/][A-Za-z0-9._/@:-]*$/;
const NOT_ONLY_EXPONENT = /[A-DF-Za-df-z]/;
const READ_AS_OTHER_TYPES = new Set(['y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off', 'null']);

function isPlainWord(v: string): boolean {
  return PLAIN_WORD.test(v) && !v.endsWith(':') && NOT_ONLY_EXPONENT.test(v) && !READ_AS_OTHER_TYPES.has(v.toLowerCase());
}

/**
 * What go-yaml (v3, which kustomize reads every file with, and v2, kubectl's reader of what kustomize
 * builds) resolves a plain scalar to, where that is not a string and YAML 1.1 says it is one, as tags
 * for the `compat` option: the library quotes a string that any of them matches.
 *
 * go-yaml takes a scalar that starts with a digit or a sign for a number when, with every `_` taken
 * out, Go's `strconv.ParseInt(s, 0, 64)` reads it (so `0o17`, `0O17`, `0B1`, `0X1F`, `-0o1`, `0o1_7`
 * and `+_1` too, which YAML 1.1 leaves strings) or it is a decimal float; one that starts with a dot
 * when `strconv.ParseFloat` reads it (`.5e1_0`). A plain `<<` key merges a mapping into its own.
 * Its booleans, nulls, infinities and timestamps are YAML 1.1's (the library's `yaml-1.1` schema quotes
 * them already), listed here so that these tags say all of go-yaml's resolution on their own.
 * Where go-yaml would find a number out of range and keep the string, this quotes it anyway: a quoted
 * string is read as that string by every reader.
 */
const GO_YAML_TYPES: ScalarTag[] = [
  {
    tag: 'tag:yaml.org,2002:int',
    // After the first character, any `_` anywhere: go-yaml drops them before parsing.
    test: /^(?:[-+]_*)?(?:0_*[xX]_*(?:[0-9a-fA-F]_*)+|0_*[bB]_*(?:[01]_*)+|0_*[oO]_*(?:[0-7]_*)+)$/,
  },
  {
    tag: 'tag:yaml.org,2002:float',
    // Decimal integers are here too: as floats, go-yaml reads those that ParseInt finds too large.
    test: /^(?:[-+]_*)?(?:\._*(?:[0-9]_*)+|(?:[0-9]_*)+(?:\._*(?:[0-9]_*)*)?)(?:[eE]_*(?:[-+]_*)?(?:[0-9]_*)+)?$/,
  },
  { tag: 'tag:yaml.org,2002:float', test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/ },
  { tag: 'tag:yaml.org,2002:bool', test: /^(?:[yY]|[yY]es|YES|[nN]|[nN]o|NO|[tT]rue|TRUE|[fF]alse|FALSE|[oO]n|ON|[oO]ff|OFF)$/ },
  { tag: 'tag:yaml.org,2002:null', test: /^(?:~|[nN]ull|NULL|)$/ },
  {
    tag: 'tag:yaml.org,2002:timestamp',
    test: /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?$/,
  },
  { tag: 'tag:yaml.org,2002:merge', test: /^<<$/ },
].map((t) => ({ ...t, default: true, resolve: (value: string) => value }));

/**
 * The library's YAML 1.1 schema takes the string `<<` for its merge key and writes it plain, which
 * every reader then merges; without it, `<<` is a string that GO_YAML_TYPES has quoted.
 */
const withoutMergeKey = (tags: Tags): Tags => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:merge');

export const YAML_OPTIONS = {
  lineWidth: 0,
  aliasDuplicateObjects: false,
  indentSeq: true,
  version: '1.1',
  merge: false,
  customTags: withoutMergeKey,
  compat: GO_YAML_TYPES,
} as const;

/** A generated file: the header, a line naming its source and how to regenerate, then the YAML. */
export function generatedFile(value: unknown, source: string, sorted = true): string {
  return `${HEADER}\n# Source: ${source}. Regenerate with: npx strata generate\n${dumpYaml(sorted ? sortKeys(value) : value)}`;
}
