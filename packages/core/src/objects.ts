import { isPlainObject, ownField } from './merge.ts';
import { modelClassOf } from './models.ts';
import { objectNameProblems } from './names.ts';

/** What `render` may return: a kubernetes-models object, or any object with apiVersion/kind/metadata. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string } & object;
  validate?(): void;
  toJSON?(): unknown;
}

/** A plain JSON manifest: what is written to YAML and compared. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [key: string]: unknown;
}

/** Annotation that marks a ConfigMap to be emitted as a Kustomize configMapGenerator. */
export const GENERATED_ANNOTATION = 'strata.dev/generator';

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Identity of an object as Kustomize sees it for patching: group, kind, namespace and name. */
export function resourceId(m: Pick<Manifest, 'apiVersion' | 'kind' | 'metadata'>, withNamespace = true): string {
  const ns = withNamespace && m.metadata.namespace ? `${m.metadata.namespace}/` : '';
  const group = groupOf(m.apiVersion);
  return `${group ? `${group}/` : ''}${m.kind} ${ns}${m.metadata.name}`;
}

/** `apiVersion/Kind namespace/name`, the way every problem line names an object. */
export function describe(m: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }): string {
  const ns = m.metadata?.namespace ? `${String(m.metadata.namespace)}/` : '';
  return `${String(m.apiVersion ?? '?')}/${String(m.kind ?? '?')} ${ns}${String(m.metadata?.name ?? '?')}`;
}

/**
 * A rendered object that cannot be emitted: a name that is no valid name, a Secret that holds
 * values, or a field its model refuses. Says which object and field; never the value of a Secret.
 */
export class ObjectError extends Error {
  override readonly name = 'ObjectError';
  constructor(
    /** `apiVersion/Kind namespace/name` */
    readonly object: string,
    /** Dotted path of the field inside the object. */
    readonly path: string,
    readonly reason: string,
    /** The offending value, to find where it came from; absent for Secret values. */
    readonly value: unknown,
    where: string,
  ) {
    super(`${where}: ${object}: ${path}: ${reason}`);
  }
}

/**
 * Secret values never reach the tree: a Secret with `data` or `stringData` values (which is also
 * what a secretGenerator literal would be made from) is refused before anything is written, also
 * when it is an item of a list (`kind: List`, `SecretList`, any `*List` with items), which kustomize
 * and kubectl unpack into its items. The message names the key, never the value.
 */
function secretProblem(object: KubeObject): { path: string; reason: string } | undefined {
  const reason = 'a Secret must not hold values in the committed tree; create it in the cluster (an ExternalSecret, say) and refer to it by name';
  const found = secretValueIn(object, '');
  if (!found) return undefined;
  if (found.item === object) return { path: found.path, reason };
  return { path: found.path, reason: `the item ${describe(found.item)} holds a value; ${reason}` };
}

/** The first Secret value in an object or, through lists' items, in any item nested in it. */
function secretValueIn(object: KubeObject, at: string): { path: string; item: KubeObject } | undefined {
  const fields = object as unknown as Record<string, unknown>;
  if (object.kind === 'Secret' && typeof object.apiVersion === 'string' && groupOf(object.apiVersion) === '') {
    for (const field of ['data', 'stringData'] as const) {
      const values = fields[field];
      if (!isPlainObject(values)) continue;
      const key = Object.keys(values).find((k) => values[k] !== undefined && values[k] !== null && values[k] !== '');
      if (key !== undefined) return { path: `${at}${at ? '.' : ''}${field}${pathSegment(key)}`, item: object };
    }
  }
  const items = typeof object.kind === 'string' && object.kind.endsWith('List') ? fields.items : undefined;
  if (!Array.isArray(items)) return undefined;
  for (const [i, item] of items.entries()) {
    if (typeof item !== 'object' || item === null) continue;
    const found = secretValueIn(item as KubeObject, `${at}${at ? '.' : ''}items${pathSegment(i)}`);
    if (found) return found;
  }
  return undefined;
}

/** `.key`, or `["key"]` when the key is not a plain identifier (a label such as `app.kubernetes.io/name`). */
function pathSegment(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A JSON pointer (`/spec/template/0`) as a dotted path (`spec.template[0]`), arrays told by the value. */
export function dottedPath(value: unknown, pointer: string): { path: string; value: unknown } {
  let node = value;
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      path += pathSegment(Number(key));
      node = node[Number(key)];
    } else {
      path += pathSegment(key);
      node = isPlainObject(node) ? ownField(node, key) : undefined;
    }
  }
  return { path: path.replace(/^\./, ''), value: node };
}

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

/** The first field a model's validation refused, in one line: its dotted path and what is wrong. */
function modelProblem(err: unknown, json: unknown): { path: string; reason: string; value: unknown } {
  const errors = (err as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0 || !errors.every((e) => typeof (e as AjvError).instancePath === 'string')) {
    return { path: '', reason: (err as Error).message.split('\n').join('; '), value: undefined };
  }
  const byPath = new Map<string, AjvError[]>();
  for (const e of errors as AjvError[]) {
    const pointer =
      e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string'
        ? `${e.instancePath}/${e.params.additionalProperty}`
        : e.instancePath;
    byPath.set(pointer, [...(byPath.get(pointer) ?? []), e]);
  }
  const [pointer, group] = [...byPath][0]!;
  // "must match exactly one schema in oneOf" only repeats that the alternatives before it failed.
  const specific = group.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const messages = [
    ...new Set(
      (specific.length > 0 ? specific : group).map((e) =>
        e.keyword === 'additionalProperties' ? 'is not a field of this object' : (e.message ?? e.keyword),
      ),
    ),
  ];
  const more = byPath.size > 1 ? ` (and ${byPath.size - 1} more field${byPath.size > 2 ? 's' : ''})` : '';
  const { path, value } = dottedPath(json, pointer);
  return { path: path || '(the object)', reason: `${messages.join(' or ')}${more}`, value };
}

/**
 * Checks a rendered object and turns it into a plain manifest: its kind, name and namespace by the
 * API server's rules (before any of them becomes part of a path), Secret values, then its model's
 * own validation. `where` names the app and env in the error, an {@link ObjectError}.
 */
export function toManifest(object: KubeObject, where: string, appDir?: string): Manifest {
  const label = describe(object);
  const [named] = objectNameProblems(object);
  if (named) {
    const value = named.path === 'kind' ? object.kind : named.path === 'metadata.name' ? object.metadata?.name : object.metadata?.namespace;
    throw new ObjectError(label, named.path, named.message, value, where);
  }
  const unwritable = unwritableValue(object);
  if (unwritable) throw new ObjectError(label, unwritable.path || '(the object)', unwritable.reason, undefined, where);
  const secret = secretProblem(object);
  if (secret) throw new ObjectError(label, secret.path, secret.reason, undefined, where);
  const text = JSON.stringify(object);
  // JSON (and so the YAML written from it) has no NaN or Infinity: JSON.stringify writes null.
  const odd = text.includes('null') ? nonFiniteNumber(object) : undefined;
  if (odd) throw new ObjectError(label, odd.path || '(the object)', nonFiniteReason(odd.value), odd.value, where);
  if (BREAKS_IN_KUSTOMIZE.test(text)) {
    const odd = firstText(JSON.parse(text) as unknown, '', breakIn);
    if (odd) throw new ObjectError(label, odd.path || '(the object)', odd.reason, undefined, where);
  }
  // JSON.stringify writes a lone surrogate, and only that, as an escape.
  if (/\\ud[89a-f]/.test(text)) {
    const half = firstText(JSON.parse(text) as unknown, '', loneSurrogateIn);
    if (half) throw new ObjectError(label, half.path || '(the object)', half.reason, undefined, where);
  }
  if (text.includes('"<<"')) {
    const merge = firstText(JSON.parse(text) as unknown, '', (s, what) => (what === 'the key' && s === '<<' ? MERGE_KEY : undefined));
    if (merge) throw new ObjectError(label, merge.path, merge.reason, undefined, where);
  }
  // An app renders its defaults and every env: most objects come out the same each time, and a
  // model's validation depends on nothing but its class and the object's JSON.
  // An object given as plain data (read from YAML, say) is checked as its kind's model checks one.
  const model = isPlainObject(object) ? modelClassOf(object.apiVersion, object.kind, appDir) : undefined;
  const by: object = model ?? object.constructor;
  const seen = validated.get(by) ?? validated.set(by, new Set()).get(by)!;
  if (!seen.has(text)) {
    try {
      if (model) new model(object).validate();
      else object.validate?.();
    } catch (err) {
      const json = JSON.parse(text) as unknown;
      const p = modelProblem(err, json);
      throw new ObjectError(label, p.path, p.reason, p.value, where);
    }
    if (seen.size >= 50_000) seen.clear(); // a long-lived process renders many versions of its apps
    seen.add(text);
  }
  // JSON holds no undefined values, so its parse is already clean; a `__proto__` key (a valid key of
  // a ConfigMap's data) is an own field of the parsed object, and stays one.
  return JSON.parse(text) as Manifest;
}

/** A kubernetes-models object (a kind's, or a part's such as a Container): its JSON is its own fields. */
function isModel(value: object): boolean {
  const v = value as { toJSON?: unknown; setDefinedProps?: unknown; validate?: unknown };
  return typeof v.toJSON === 'function' && typeof v.setDefinedProps === 'function' && typeof v.validate === 'function';
}

/** What a class instance is called in a message: `a Map`, `an instance of class Foo`. */
function instanceName(value: object): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? `an instance of class ${name}` : 'an object with a prototype of its own';
}

/** Why a value that is no plain data would not be written as it is, with how to give it, or undefined for plain data. */
function unwritableReason(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return `a BigInt (${value}n), which JSON cannot hold (writing it fails); give a number (Number(value)), or a string where the field takes text`;
    case 'symbol':
      return `a Symbol (${String(value)}), which JSON cannot hold and the YAML would leave out; give a string`;
    case 'function':
      return 'a function, which JSON cannot hold and the YAML would leave out; give the value it makes (call it in render)';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null || Array.isArray(value) || isPlainObject(value)) return undefined;
  if (value instanceof Map) return 'a Map, which YAML would write as {} and lose its entries; give a plain object (Object.fromEntries(map))';
  if (value instanceof Set) return 'a Set, which YAML would write as {} and lose its items; give an array ([...set])';
  // JSON writes a boxed string, number or boolean as the value it holds.
  if (value instanceof String || value instanceof Number || value instanceof Boolean) return undefined;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  return `${instanceName(value)}, which is no Kubernetes model: YAML would write its own fields alone, or {}; give a plain object`;
}

/**
 * The first value of an object that its YAML would not hold as it is, with the path to it: a Map or
 * Set (written as {}), a BigInt (JSON.stringify throws), a cycle (it throws too), a Symbol, a
 * function or a Symbol key (left out), a class instance that is no model and has no toJSON (its
 * prototype's fields and methods lost). A model, and anything else with a toJSON (a Date), is
 * written as its toJSON says, and that is what is judged.
 */
function unwritableValue(object: KubeObject): { path: string; reason: string } | undefined {
  // The keys down to the value being looked at, and the objects on the way (for a cycle): the path
  // is made only for a value refused, as most objects have none.
  const keys: (string | number)[] = [];
  const nodes: object[] = [];
  const pathTo = (depth: number) =>
    keys
      .slice(0, depth)
      .map((k) => pathSegment(k))
      .join('')
      .replace(/^\./, '');
  const visit = (value: unknown, key: string): string | undefined => {
    if (value === null || typeof value !== 'object')
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? undefined : unwritableReason(value);
    let node: object = value;
    if (!Array.isArray(value) && !isPlainObject(value) && !isModel(value)) {
      const reason = unwritableReason(value);
      if (reason || value instanceof String || value instanceof Number || value instanceof Boolean) return reason;
      // What JSON.stringify writes in its place (a Date's string, say), judged the same way.
      const json: unknown = (value as { toJSON(key: string): unknown }).toJSON(key);
      if (json === null || typeof json !== 'object') return json === value ? undefined : visit(json, key);
      node = json;
    }
    const cycle = nodes.indexOf(node);
    if (cycle >= 0)
      return `refers back to ${pathTo(cycle) || 'the object itself'}, which holds it (a cycle), and JSON cannot hold a cycle (writing it fails); give a copy of the value, not the value that holds it`;
    nodes.push(node);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        keys.push(i);
        const reason = visit(node[i], String(i));
        if (reason) return reason;
        keys.pop();
      }
    } else {
      const symbol = Object.getOwnPropertySymbols(node).find((k) => Object.prototype.propertyIsEnumerable.call(node, k));
      if (symbol) return `has a Symbol key (${String(symbol)}), which JSON cannot hold and the YAML would leave out with its value; use a string key`;
      for (const k of Object.keys(node)) {
        const v = (node as Record<string, unknown>)[k];
        // JSON leaves out a field that is undefined, as an unset field is.
        if (v === undefined) continue;
        keys.push(k);
        const reason = visit(v, k);
        if (reason) return reason;
        keys.pop();
      }
    }
    nodes.pop();
    return undefined;
  };
  const reason = visit(object, '');
  return reason === undefined ? undefined : { path: pathTo(keys.length), reason };
}

const NON_FINITE = '\u0000strata-non-finite:';

/**
 * The first NaN, Infinity or -Infinity of an object as it is written (its models' toJSON applied),
 * with the path to it. Found in the object's JSON with those numbers marked: the marks are text no
 * rendered value holds.
 */
function nonFiniteNumber(object: KubeObject): { path: string; value: number } | undefined {
  const marked = JSON.stringify(object, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `${NON_FINITE}${v}` : v));
  const find = (node: unknown, path: string): { path: string; value: number } | undefined => {
    if (typeof node === 'string') return node.startsWith(NON_FINITE) ? { path, value: Number(node.slice(NON_FINITE.length)) } : undefined;
    if (Array.isArray(node)) {
      for (const [i, v] of node.entries()) {
        const found = find(v, `${path}${pathSegment(i)}`);
        if (found) return found;
      }
      return undefined;
    }
    if (!isPlainObject(node)) return undefined;
    for (const [k, v] of Object.entries(node)) {
      const found = find(v, path ? `${path}${pathSegment(k)}` : pathSegment(k).replace(/^\./, ''));
      if (found) return found;
    }
    return undefined;
  };
  return find(JSON.parse(marked) as unknown, '');
}

const nonFiniteReason = (value: number) =>
  `${value} is no number JSON or YAML can hold, and would be written as null; give a finite number, or quote it as a string ("${value}") where the field takes text`;

/**
 * Characters that `kustomize build` writes as line breaks (its YAML writer takes U+0085, U+2028 and
 * U+2029 for ones), so that the built value differs from the rendered one however the base writes
 * it, and kubectl reads that output otherwise again. JSON.stringify leaves them as they are.
 */
const BREAKS_IN_KUSTOMIZE = /[\u0085\u2028\u2029]/;
const BREAK_NAMES: Record<string, string> = {
  '\u0085': 'U+0085 (next line)',
  '\u2028': 'U+2028 (line separator)',
  '\u2029': 'U+2029 (paragraph separator)',
};

/** What kustomize build does to text holding one of those characters, or nothing when it holds none. */
function breakIn(s: string, what: 'the key' | 'the text'): string | undefined {
  const c = BREAKS_IN_KUSTOMIZE.exec(s)?.[0];
  return c === undefined
    ? undefined
    : `${what} holds ${BREAK_NAMES[c]}, which kustomize build turns into a line break, changing the value: remove it, or write it as a newline (\\n); bytes that must stay as they are go base64-encoded in a ConfigMap's binaryData`;
}

/**
 * Half of a UTF-16 surrogate pair without the other half: what `slice` leaves of an emoji it cuts
 * through. No UTF-8 file holds it: written as the escape `\ud83d`, kustomize refuses the file
 * ("found invalid Unicode character escape code"), and with it every overlay of the app.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why text holding a lone surrogate cannot be written, or nothing when it holds none. */
function loneSurrogateIn(s: string, what: 'the key' | 'the text'): string | undefined {
  const c = LONE_SURROGATE.exec(s)?.[0];
  if (c === undefined) return undefined;
  const code = c.charCodeAt(0).toString(16).toUpperCase();
  return `${what} holds U+${code}, half of a character (an emoji, say) cut in two, which no UTF-8 file can hold and kustomize build refuses: cut text at whole characters (Array.from(text).slice(...)) or remove it`;
}

/**
 * A key `<<` is YAML's merge key to kustomize's reader: `kustomize build` drops it from the object
 * however it is quoted or tagged, so what it holds never reaches the cluster.
 */
const MERGE_KEY = 'the key "<<" is YAML\'s merge key, which kustomize build drops however it is quoted, so the object would lose it: rename the key';

/** The first key or text value that `reason` finds fault with, with the path to it. */
function firstText(
  value: unknown,
  path: string,
  reason: (s: string, what: 'the key' | 'the text') => string | undefined,
): { path: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const why = reason(value, 'the text');
    return why === undefined ? undefined : { path, reason: why };
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = firstText(v, `${path}${pathSegment(i)}`, reason);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}${pathSegment(k)}` : pathSegment(k).replace(/^\./, '');
    const why = reason(k, 'the key');
    if (why !== undefined) return { path: at, reason: why };
    const found = firstText(v, at, reason);
    if (found) return found;
  }
  return undefined;
}

/** The JSON of objects that their model class validated, in this process. */
const validated = new WeakMap<object, Set<string>>();
