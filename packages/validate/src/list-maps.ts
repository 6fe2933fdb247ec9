import { loadBuiltinSchema, type JsonSchema } from '@strata/schemas';

/**
 * A list the schema keys by fields (`x-kubernetes-list-type: map`) holding two items with the same
 * key, or a list of distinct values (`x-kubernetes-list-type: set`) holding one value twice.
 */
export interface DuplicateListKey {
  /** The list, as segments (`['spec', 'template', 'spec', 'containers', 0, 'env']`). */
  readonly path: readonly (string | number)[];
  /** The key as the API server writes it: `[name="A"]`, `[containerPort=80,protocol="TCP"]`, a set's value `[="a.io/x"]`. */
  readonly key: string;
}

/**
 * Key fields the API server defaults before server-side apply compares items: a port's protocol.
 * A missing key field without a default is left to the checks of required fields.
 */
const KEY_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

/** A path built as the walk goes down, made into segments only for a finding. */
interface Trail {
  readonly up: Trail | undefined;
  readonly at: string | number;
}

type Defs = Readonly<Record<string, JsonSchema>>;

const schemas = new Map<string, JsonSchema | null>();
const resolved = new WeakMap<JsonSchema, JsonSchema>();
const holds = new WeakMap<JsonSchema, boolean>();

/**
 * The keyed lists of an object with two items of one key, and its sets with one value twice, as
 * server-side apply refuses them (`duplicate entries for key [name="A"]`, `[="a.io/x"]`), each key
 * once: a create accepts most of these (the last env entry wins), an apply does not. Built-in kinds only, by their OpenAPI schema of
 * `kubernetesVersion` (the default when empty); custom resources are not looked at.
 */
export function duplicateListKeys(object: Record<string, unknown>, kubernetesVersion = ''): DuplicateListKey[] {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [];
  const id = `${kubernetesVersion}\0${apiVersion}\0${kind}`;
  let root = schemas.get(id);
  if (root === undefined) {
    root = (kubernetesVersion ? loadBuiltinSchema(apiVersion, kind, kubernetesVersion) : loadBuiltinSchema(apiVersion, kind)) ?? null;
    schemas.set(id, root);
  }
  if (!root) return [];
  const out: DuplicateListKey[] = [];
  walk(object, root, undefined, (root.$defs ?? {}) as Defs, out);
  return out;
}

function walk(value: unknown, node: JsonSchema, trail: Trail | undefined, defs: Defs, out: DuplicateListKey[]): void {
  const schema = deref(node, defs);
  if (Array.isArray(value)) {
    const type = listType(node, schema);
    const keys = node['x-kubernetes-list-map-keys'] ?? schema['x-kubernetes-list-map-keys'];
    if (value.length > 1 && (type === 'set' || (type === 'map' && Array.isArray(keys)))) {
      const seen: string[] = [];
      const reported: string[] = [];
      for (const item of value) {
        const key = type === 'set' ? valueKeyOf(item) : keyOf(item, keys as readonly string[]);
        if (key === undefined) continue;
        if (seen.includes(key) && !reported.includes(key)) {
          reported.push(key);
          out.push({ path: segments(trail), key });
        }
        seen.push(key);
      }
    }
    const items = schema.items as JsonSchema | undefined;
    if (items && reaches(items, defs)) for (let i = 0; i < value.length; i++) walk(value[i], items, { up: trail, at: i }, defs, out);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  const additional = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as JsonSchema) : undefined;
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (v === null || typeof v !== 'object') continue;
    const next = properties?.[k] ?? additional;
    if (next && reaches(next, defs)) walk(v, next, { up: trail, at: k }, defs, out);
  }
}

function listType(node: JsonSchema, schema: JsonSchema): unknown {
  return node['x-kubernetes-list-type'] ?? schema['x-kubernetes-list-type'];
}

function isKeyed(node: JsonSchema, schema: JsonSchema): boolean {
  const type = listType(node, schema);
  return type === 'map' || type === 'set';
}

function deref(node: JsonSchema, defs: Defs): JsonSchema {
  let found = resolved.get(node);
  if (found) return found;
  found = node;
  for (let hops = 0; hops < 32 && typeof found.$ref === 'string'; hops++) {
    const target: JsonSchema | undefined = defs[found.$ref.replace(/^#\/\$defs\//, '')];
    if (!target) break;
    found = target;
  }
  resolved.set(node, found);
  return found;
}

/**
 * Whether a keyed list can be under a schema: the walk leaves out what cannot hold one (labels,
 * resources, probes), most of an object. A schema met again on its own way down counts as one.
 */
function reaches(node: JsonSchema, defs: Defs): boolean {
  const schema = deref(node, defs);
  if (isKeyed(node, schema)) return true;
  const known = holds.get(schema);
  if (known !== undefined) return known;
  holds.set(schema, true);
  const below = [schema.items, schema.additionalProperties, ...Object.values((schema.properties ?? {}) as Record<string, unknown>)];
  const found = below.some((n) => n !== null && typeof n === 'object' && reaches(n as JsonSchema, defs));
  holds.set(schema, found);
  return found;
}

function segments(trail: Trail | undefined): (string | number)[] {
  const out: (string | number)[] = [];
  for (let t = trail; t; t = t.up) out.push(t.at);
  return out.reverse();
}

/** A set's item as the server writes it as a key, `[="a.io/x"]`, `[=3]`; undefined for anything but a string, number or boolean. */
function valueKeyOf(item: unknown): string | undefined {
  return typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' ? `[=${JSON.stringify(item)}]` : undefined;
}

/** An item's key as the server writes it, `[containerPort=80,protocol="TCP"]`; undefined when a key field is missing. */
function keyOf(item: unknown, keys: readonly string[]): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
  let out = '[';
  for (const k of keys) {
    const v = (item as Record<string, unknown>)[k] ?? KEY_DEFAULTS[k];
    if (v === undefined || v === null) return undefined;
    out += `${out === '[' ? '' : ','}${k}=${JSON.stringify(v)}`;
  }
  return `${out}]`;
}
