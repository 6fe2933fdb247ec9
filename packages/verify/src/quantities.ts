import type { Client } from '@strata/project/apiserver';
import { splitApiVersion } from './resources.ts';

/**
 * A resource.Quantity as apimachinery parses it: a signed decimal number and an optional binary SI,
 * decimal SI or exponent suffix (`100m`, `0.5`, `64Mi`, `1e3`).
 */
const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
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
    const found: { path: string; value: string }[] = [];
    const kind = await this.schemaOf(object);
    if (kind) walk(kind.schemas, kind.root, object, '', found);
    return found;
  }

  /**
   * The integer fields of `object` (`exact`: its value as kubectl sends it, from `parseExact`, when
   * it holds long numbers) whose number does not fit the field's Go type, int32 or int64, with the
   * words of the typed decoding that kubectl apply's create and patch meet (`cannot decode a number
   * 4294967376 as int32`, as validate's server field checks say it). A server-side apply converts the
   * object from unstructured and wraps such a number without a word, so its dry run passes it.
   */
  async overflows(
    object: Record<string, unknown> & { apiVersion: string; kind: string },
    exact: unknown = object,
  ): Promise<{ path: string; message: string }[]> {
    if (!holdsWideNumber(exact)) return [];
    const kind = await this.schemaOf(object);
    const found: { path: string; message: string }[] = [];
    if (kind) walkIntegers(kind.schemas, kind.root, exact, '', found);
    return found;
  }

  private async schemaOf(object: { apiVersion: string; kind: string }): Promise<{ schemas: Record<string, Schema>; root: Schema } | undefined> {
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
    return root ? { schemas, root } : undefined;
  }
}

/** A number of `parseExact` kept to its last digit (lossless-json's LosslessNumber). */
interface ExactNumber {
  readonly isLosslessNumber: true;
  readonly value: string;
}
const isExact = (value: unknown): value is ExactNumber =>
  typeof value === 'object' && value !== null && (value as Partial<ExactNumber>).isLosslessNumber === true;

const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** The integer of a number as kubectl sends it, or undefined for a fraction (or a number past int64, which no field takes). */
function integerOf(value: unknown): bigint | undefined {
  if (isExact(value)) return BigInt(value.value);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return undefined;
}

/** Whether a value holds a number that an int32 field cannot take: the only ones worth the schema's walk. */
function holdsWideNumber(value: unknown): boolean {
  if (isExact(value)) return true;
  if (typeof value === 'number') return !Number.isInteger(value) || value < -(2 ** 31) || value > 2 ** 31 - 1;
  if (Array.isArray(value)) return value.some(holdsWideNumber);
  if (value !== null && typeof value === 'object') return Object.values(value).some(holdsWideNumber);
  return false;
}

function walkIntegers(
  schemas: Record<string, Schema>,
  schema: Schema,
  value: unknown,
  path: string,
  found: { path: string; message: string }[],
): void {
  const ref = refName(schema);
  if (ref) {
    const target = schemas[ref.replace('#/components/schemas/', '')];
    if (target) walkIntegers(schemas, target, value, path, found);
    return;
  }
  if (schema.type === 'integer' && (schema.format === 'int32' || schema.format === 'int64')) {
    if (typeof value !== 'number' && !isExact(value)) return;
    const range = schema.format === 'int32' ? INT32 : INT64;
    const n = integerOf(value);
    // A fraction or a number past int64 is refused by every apply, server-side ones too; a float64 past int64 as well.
    // So is a plain number of 2^63 or more either way: a number kept exact (parseExact) is one whose
    // digits a double does not hold, so a plain -2^63 was written as a float past int64
    // (-9223372036854776000, what kubectl sends for -9223372036854775809), never as int64's own least.
    const magnitude = Math.abs(Number(isExact(value) ? value.value : value));
    const pastInt64 = Number.isFinite(magnitude) && magnitude >= 2 ** 63;
    if (n === undefined || (typeof value === 'number' && magnitude >= 2 ** 63) ? pastInt64 : n < range.min || n > range.max)
      found.push({ path, message: `cannot decode a number ${isExact(value) ? value.value : String(value)} as ${schema.format}` });
    return;
  }
  if (Array.isArray(value) && schema.items) {
    // By index, as validate's server field checks name a list item.
    value.forEach((item, i) => walkIntegers(schemas, schema.items!, item, `${path}[${i}]`, found));
    return;
  }
  if (typeof value !== 'object' || value === null || isExact(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (child) walkIntegers(schemas, child, v, path ? `${path}.${k}` : k, found);
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
