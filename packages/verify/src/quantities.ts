import type { Client } from '@strata/project/apiserver';
import { splitApiVersion } from './resources.ts';

/**
 * A resource.Quantity as apimachinery parses it: a signed decimal number and an optional binary SI,
 * decimal SI or exponent suffix (`100m`, `0.5`, `64Mi`, `1e3`).
 */
const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

type Document = { components?: { schemas?: Record<string, Schema> } };

/**
 * The server refuses a malformed quantity while converting the object, before validation, so its
 * answer (`unable to parse quantity's suffix`) has no field path. This finds the fields: it walks the
 * object along the server's own OpenAPI v3 schema of the kind and tests each value typed Quantity.
 */
export class QuantityLocator {
  private readonly docs = new Map<string, Promise<Document | undefined>>();

  constructor(private readonly client: Client) {}

  async find(object: Record<string, unknown> & { apiVersion: string; kind: string }): Promise<{ path: string; value: string }[]> {
    const { group, version } = splitApiVersion(object.apiVersion);
    const path = group === '' ? `/openapi/v3/api/${version}` : `/openapi/v3/apis/${group}/${version}`;
    let doc = this.docs.get(path);
    if (!doc) {
      doc = this.client.request('GET', path).then((r) => (r.status === 200 ? (r.body as Document) : undefined));
      this.docs.set(path, doc);
    }
    const schemas = (await doc)?.components?.schemas ?? {};
    const root = Object.values(schemas).find((s) =>
      s['x-kubernetes-group-version-kind']?.some((g) => g.group === group && g.version === version && g.kind === object.kind),
    );
    const found: { path: string; value: string }[] = [];
    if (root) walk(schemas, root, object, '', found);
    return found;
  }
}

function refName(schema: Schema): string | undefined {
  return schema.$ref ?? schema.allOf?.find((s) => s.$ref)?.$ref;
}

function walk(schemas: Record<string, Schema>, schema: Schema, value: unknown, path: string, found: { path: string; value: string }[]): void {
  const ref = refName(schema);
  if (ref) {
    if (ref.endsWith('.apimachinery.pkg.api.resource.Quantity')) {
      if (typeof value === 'string' && !QUANTITY.test(value)) found.push({ path, value });
      return;
    }
    const target = schemas[ref.replace('#/components/schemas/', '')];
    if (target) walk(schemas, target, value, path, found);
    return;
  }
  if (Array.isArray(value) && schema.items) {
    const keys = schema['x-kubernetes-list-map-keys'];
    value.forEach((item, i) => {
      // The same notation as the server's own field paths: list items by their key when they have one.
      const key =
        keys && typeof item === 'object' && item
          ? keys.map((k) => `${k}=${JSON.stringify((item as Record<string, unknown>)[k])}`).join(',')
          : undefined;
      walk(schemas, schema.items!, item, `${path}[${key ?? i}]`, found);
    });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [k, v] of Object.entries(value)) {
    const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (child) walk(schemas, child, v, path ? `${path}.${k}` : k, found);
  }
}
