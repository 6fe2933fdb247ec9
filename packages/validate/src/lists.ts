import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPlainObject } from '@strata/core';
import { Layout, refuseLinkedCrds } from '@strata/project';
import { builtinKinds, crdSchemasDir, DEFAULT_KUBERNETES_VERSION, loadBuiltinSchema, SHARED_DEF, type JsonSchema } from '@strata/schemas';
import { canonicalApiVersion, parseGroupVersion } from './group-version.ts';
import { kubernetesSettings } from './kubernetes.ts';

/** Why kubectl refuses a list itself (not one of its items), and the field to point at. */
export interface ListFinding {
  readonly field: readonly (string | number)[];
  readonly path: string;
  readonly message: string;
  readonly rule: 'unknown-kind' | 'missing-type' | 'schema';
}

/** The fields of metav1.ListMeta, the metadata of every typed list. */
const LIST_META: Readonly<Record<string, 'string' | 'integer'>> = {
  resourceVersion: 'string',
  continue: 'string',
  remainingItemCount: 'integer',
  selfLink: 'string',
};
const LIST_META_TYPE = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';

/**
 * The kinds each apiVersion serves, as kubectl's REST mapper learns them from discovery: the
 * built-in ones of one Kubernetes version, and those of the CRDs Strata has schemas for (shipped, and
 * the project's own), which verify installs.
 */
export class ServedKinds {
  private readonly crds = new Map<string, ReadonlySet<string> | undefined>();

  private version: string | undefined;

  /** `version` is the target Kubernetes version, by default the one strata.config.json names. */
  constructor(
    private readonly root: string | undefined,
    version?: string,
  ) {
    if (root) refuseLinkedCrds(root);
    this.version = version;
  }

  /** The Kubernetes version whose built-in kinds are served. */
  get kubernetesVersion(): string {
    this.version ??= this.targetVersion();
    return this.version;
  }

  /** The kinds served at a parsed apiVersion (`v1`, `apps/v1`), or undefined when none is. */
  of(apiVersion: string): ReadonlySet<string> | undefined {
    this.version ??= this.targetVersion();
    const builtin = builtinKinds(this.version).get(apiVersion);
    if (builtin) return builtin;
    if (!this.crds.has(apiVersion)) this.crds.set(apiVersion, this.crdKinds(apiVersion));
    return this.crds.get(apiVersion);
  }

  private targetVersion(): string {
    if (!this.root) return DEFAULT_KUBERNETES_VERSION;
    try {
      return kubernetesSettings(this.root).version;
    } catch {
      return DEFAULT_KUBERNETES_VERSION; // a malformed setting is reported by the checks that need it
    }
  }

  /**
   * The schema of a custom resource kind at an apiVersion (`<group>/<kind>_<version>.json`), the
   * first found where kubeconform looks: the shipped CRDs, then the project's.
   */
  crdSchema(apiVersion: string, kind: string): JsonSchema | undefined {
    const gv = parseGroupVersion(apiVersion);
    if ('error' in gv || gv.group === '') return undefined;
    const dirs = [crdSchemasDir, ...(this.root ? [join(this.root, Layout.crdSchemas)] : [])];
    for (const dir of dirs) {
      const file = join(dir, gv.group, `${kind.toLowerCase()}_${gv.version}.json`);
      if (!existsSync(file)) continue;
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
      } catch {
        return undefined; // validation reports a schema it cannot read on its own
      }
    }
    return undefined;
  }

  /** Kinds of the CRD schemas (`<group>/<kind>_<version>.json`, the kind's own spelling in the schema) at that apiVersion. */
  private crdKinds(apiVersion: string): ReadonlySet<string> | undefined {
    const gv = parseGroupVersion(apiVersion);
    if ('error' in gv || gv.group === '') return undefined;
    const kinds = new Set<string>();
    const dirs = [crdSchemasDir, ...(this.root ? [join(this.root, Layout.crdSchemas)] : [])];
    for (const dir of dirs.map((d) => join(d, gv.group))) {
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir)) {
        if (!file.endsWith(`_${gv.version}.json`)) continue;
        try {
          const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { properties?: { kind?: { enum?: unknown[] } } };
          for (const k of schema.properties?.kind?.enum ?? []) if (typeof k === 'string') kinds.add(k);
        } catch {
          // a schema that cannot be read serves nothing here; validation reports it on its own
        }
      }
    }
    return kinds.size > 0 ? kinds : undefined;
  }
}

/**
 * What kubectl (k8s.io/cli-runtime's builder, kubectl 1.36) says of a document it decodes as a list
 * (it has `items`), before it flattens it into its items: nothing, or why it refuses the whole list.
 *
 * - Client-side validation reads the apiVersion first (`schema.ParseGroupVersion`).
 * - The list's own kind needs a REST mapping. The mapper built from discovery maps, at every
 *   apiVersion the server serves, `List`, each resource kind (also in lower case) and each resource
 *   kind followed by `List`; nothing else.
 * - `v1` `List` has only its items validated. Another `<Kind>List` has no PATCH operation, so the
 *   server cannot validate it: kubectl validates it against its published schema, whose metadata is
 *   ListMeta and whose other fields are apiVersion, kind and items, each item validated as the
 *   element kind, whatever its own kind (`judgeItems`): a ConfigMap in a DeploymentList is refused.
 */
export function judgeList(
  head: Record<string, unknown>,
  served: ServedKinds,
  items: readonly { readonly index: number; readonly object: Record<string, unknown> }[] = [],
): ListFinding[] {
  const { apiVersion, kind } = head;
  if (typeof kind !== 'string' || kind === '') return []; // not decoded as a list: the reader says why
  if (typeof apiVersion !== 'string' || apiVersion === '')
    return [
      {
        field: ['kind'],
        path: 'apiVersion',
        message: 'apiVersion not set; kubectl refuses the list and applies none of its items',
        rule: 'missing-type',
      },
    ];
  const gv = parseGroupVersion(apiVersion);
  if ('error' in gv)
    return [
      {
        field: ['apiVersion'],
        path: 'apiVersion',
        message: `${gv.error}; kubectl refuses the list and applies none of its items: an apiVersion is a version (v1) or a group and a version (apps/v1)`,
        rule: 'missing-type',
      },
    ];
  const version = canonicalApiVersion(apiVersion);
  const kinds = served.of(version);
  const element = kind.endsWith('List') ? kind.slice(0, -'List'.length) : undefined;
  const resource = kinds !== undefined && [...kinds].some((k) => k === kind || k.toLowerCase() === kind);
  const typed = kinds !== undefined && element !== undefined && kinds.has(element);
  if (kinds === undefined || (kind !== 'List' && !resource && !typed)) {
    // kubectl adds this to every such refusal; it helps where nothing serves that apiVersion.
    const crd = kinds === undefined ? '; ensure CRDs are installed first' : '';
    return [
      {
        field: ['kind'],
        path: 'kind',
        message: `no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(version)}${crd}: kubectl refuses the list and applies none of its items (a list is kind List, or <Kind>List of a kind that apiVersion serves)`,
        rule: 'unknown-kind',
      },
    ];
  }
  // `List` (of any apiVersion) and a resource kind that has items are not validated as lists.
  if (!typed || resource) return [];
  const findings: ListFinding[] = [...judgeItems(version, kind, element, items, served)];
  for (const key of Object.keys(head)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    findings.push({
      field: [key],
      path: key,
      message: `ValidationError(${kind}): unknown field ${JSON.stringify(key)} in ${kind}; kubectl refuses the list`,
      rule: 'schema',
    });
  }
  const metadata = head.metadata;
  if (metadata !== undefined && metadata !== null && !isPlainObject(metadata)) {
    findings.push({
      field: ['metadata'],
      path: 'metadata',
      message: `ValidationError(${kind}.metadata): invalid type for ${LIST_META_TYPE}: got "${jsonType(metadata)}", expected "map"; kubectl refuses the list`,
      rule: 'schema',
    });
  } else if (isPlainObject(metadata)) {
    for (const [key, value] of Object.entries(metadata)) {
      const want = LIST_META[key];
      if (!want) {
        findings.push({
          field: ['metadata', key],
          path: `metadata.${key}`,
          message: `ValidationError(${kind}.metadata): unknown field ${JSON.stringify(key)} in ${LIST_META_TYPE}; a list's metadata holds only resourceVersion, continue, remainingItemCount and selfLink: kubectl refuses the list`,
          rule: 'schema',
        });
      } else if (value !== null && jsonType(value) !== want) {
        findings.push({
          field: ['metadata', key],
          path: `metadata.${key}`,
          message: `ValidationError(${kind}.metadata.${key}): invalid type for ${LIST_META_TYPE}.${key}: got "${jsonType(value)}", expected "${want}"; kubectl refuses the list`,
          rule: 'schema',
        });
      }
    }
  }
  return findings;
}

/** A JSON value's type as kube-openapi's validation names it. */
function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (isPlainObject(v)) return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

type Defs = Readonly<Record<string, JsonSchema>>;

/**
 * kubectl validates a typed list (`DeploymentList`) against its published schema, items included:
 * each item as the list's element kind (`io.k8s.api.apps.v1.Deployment`), whatever its own kind.
 * An item of another kind whose fields that kind does not have (a ConfigMap's `data` in a
 * DeploymentList) refuses the whole list; one whose fields fit (a ConfigMap in a SecretList) is
 * applied as what it is. Items of the element kind itself are judged by the schema and server checks
 * as every object is, so only the others are looked at here. A custom resource's list
 * (`CertificateList`) is published by its CRD the same way, its items as the kind's schema
 * (`io.cert-manager.v1.Certificate`, the group reversed): that schema is the one Strata has.
 */
function judgeItems(
  apiVersion: string,
  kind: string,
  element: string,
  items: readonly { readonly index: number; readonly object: Record<string, unknown> }[],
  served: ServedKinds,
): ListFinding[] {
  const others = items.filter(
    ({ object }) => object.kind !== element || typeof object.apiVersion !== 'string' || canonicalApiVersion(object.apiVersion) !== apiVersion,
  );
  if (others.length === 0) return [];
  const target = itemSchema(apiVersion, kind, element, served);
  if (!target) return [];
  const { node, defs, name } = target;
  const findings: ListFinding[] = [];
  for (const { index, object } of others) {
    const errors: ItemError[] = [];
    checkValue(object, node, defs, name, [], errors);
    const what = typeof object.kind === 'string' && object.kind !== '' ? `this item is ${article(object.kind)}` : 'this item has no kind';
    const shown = (start: string, at: readonly (string | number)[]) =>
      at.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : `${acc}.${s}`), start);
    for (const e of errors) {
      findings.push({
        field: ['items', index, ...e.at],
        path: shown(`items[${index}]`, e.at),
        message: `ValidationError(${shown(`${kind}.items[${index}]`, e.owner)}): ${e.message}; kubectl validates every item of ${article(kind)} as ${article(element)} and refuses the list (${what}): put it in a list of kind List, or in a document of its own`,
        rule: 'schema',
      });
    }
  }
  return findings;
}

/** The schema node kubectl validates a typed list's items against, its definitions, and the name its messages give it. */
function itemSchema(
  apiVersion: string,
  kind: string,
  element: string,
  served: ServedKinds,
): { node: JsonSchema; defs: Defs; name: string } | undefined {
  const builtin = loadBuiltinSchema(apiVersion, kind, served.kubernetesVersion);
  if (builtin) {
    const ref = ((builtin.properties as Record<string, JsonSchema> | undefined)?.items?.items as JsonSchema | undefined)?.$ref;
    return typeof ref === 'string' ? { node: { $ref: ref }, defs: (builtin.$defs ?? {}) as Defs, name: '' } : undefined;
  }
  const crd = served.crdSchema(apiVersion, element);
  const gv = parseGroupVersion(apiVersion);
  if (!crd || 'error' in gv) return undefined;
  return { node: crd, defs: (crd.$defs ?? {}) as Defs, name: `${gv.group.split('.').reverse().join('.')}.${gv.version}.${element}` };
}

/** A finding of `checkValue`: the field it points at, and the value kubectl's message names (the object, for an unknown field). */
interface ItemError {
  readonly at: readonly (string | number)[];
  readonly owner: readonly (string | number)[];
  readonly message: string;
}

const article = (word: string) => (/^[AEIOU]/i.test(word) ? `an ${word}` : `a ${word}`);

/** One value against a schema node, as kube-openapi's proto validation (kubectl's) judges it: unknown fields, missing required fields, types. */
function checkValue(value: unknown, node: JsonSchema, defs: Defs, name: string, at: (string | number)[], out: ItemError[]): void {
  if (value === null || value === undefined) return;
  let schema = node;
  let typeName = name;
  for (let hops = 0; hops < 32 && typeof schema.$ref === 'string'; hops++) {
    const ref = schema.$ref.replace(/^#\/\$defs\//, '');
    const target = defs[ref];
    if (!target) return;
    // A CRD's subschema written once for its copies keeps the name of the field it is.
    if (!ref.startsWith(SHARED_DEF)) typeName = ref;
    schema = target;
  }
  const types = (Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : []) as string[];
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  const got = jsonType(value);
  if (properties) {
    if (got !== 'map') {
      out.push({ at, owner: at, message: `invalid type for ${typeName}: got "${got}", expected "map"` });
      return;
    }
    const map = value as Record<string, unknown>;
    // A custom resource's field that keeps unknown fields has no unknown field.
    const open = schema['x-kubernetes-preserve-unknown-fields'] === true;
    for (const field of (schema.required ?? []) as string[])
      if (map[field] === undefined || map[field] === null) out.push({ at, owner: at, message: `missing required field "${field}" in ${typeName}` });
    for (const [key, v] of Object.entries(map)) {
      const sub = properties[key];
      if (!sub) {
        if (!open) out.push({ at: [...at, key], owner: at, message: `unknown field "${key}" in ${typeName}` });
      } else checkValue(v, sub, defs, `${typeName}.${key}`, [...at, key], out);
    }
    return;
  }
  if (types.includes('array')) {
    if (got !== 'array') out.push({ at, owner: at, message: `invalid type for ${typeName}: got "${got}", expected "array"` });
    else if (schema.items && typeof schema.items === 'object')
      (value as unknown[]).forEach((v, i) => checkValue(v, schema.items as JsonSchema, defs, typeName, [...at, i], out));
    return;
  }
  if (types.includes('object')) {
    if (got !== 'map') out.push({ at, owner: at, message: `invalid type for ${typeName}: got "${got}", expected "map"` });
    else if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
      for (const [key, v] of Object.entries(value as Record<string, unknown>))
        checkValue(v, schema.additionalProperties as JsonSchema, defs, typeName, [...at, key], out);
    return;
  }
  const primitive = types.filter((t) => t !== 'null');
  if (primitive.length !== 1) return; // int-or-string and the like: more than one type fits
  const want = primitive[0]!;
  const fits = want === got || (want === 'number' && got === 'integer');
  if (!fits) out.push({ at, owner: at, message: `invalid type for ${typeName}: got "${got}", expected "${want}"` });
}
