import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinSchemasDir, crdSchemasDir, SHARED_DEF } from '@strata/schemas';
import { inlineShared } from '@strata/schemas/crd';
import { describe, expect, it } from 'vitest';
import { parseKubeconformJson, resolveKubeconform, validateWithKubeconform } from '../src/index.ts';

interface Gvk {
  readonly apiVersion: string;
  readonly kind: string;
}

function builtinKinds(): Gvk[] {
  const dir = builtinSchemasDir();
  return readdirSync(dir).map((file) => {
    const schema = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const [gvk] = schema['x-kubernetes-group-version-kind'];
    return { apiVersion: gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version, kind: gvk.kind };
  });
}

function customKinds(): Gvk[] {
  return readdirSync(crdSchemasDir).flatMap((group) =>
    readdirSync(join(crdSchemasDir, group)).map((file) => {
      const schema = JSON.parse(readFileSync(join(crdSchemasDir, group, file), 'utf8'));
      return { apiVersion: schema.properties.apiVersion.enum[0], kind: schema.properties.kind.enum[0] };
    }),
  );
}

describe('the committed schema sets', () => {
  // kubeconform treats a schema it cannot compile as missing, so a broken file would turn every
  // resource of its kind into "no schema" instead of failing loudly.
  it('every schema is found and compiles offline', async () => {
    const kinds = [...builtinKinds(), ...customKinds()];
    expect(kinds.length).toBeGreaterThan(200);
    const stream = kinds.map(({ apiVersion, kind }) => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: probe\n`).join('---\n');
    const results = await validateWithKubeconform({ stdin: stream });
    expect(results).toHaveLength(kinds.length);
    expect(results.filter((r) => r.status === 'error').map((r) => `${r.version} ${r.kind}: ${r.message}`)).toStrictEqual([]);
  });
});

/**
 * Objects that put a wrong value where each subschema a CRD shares (`$ref` to a `shared.` definition)
 * is used: an unknown field, and a value of the wrong type. Up to `limit` places per kind.
 */
interface SchemaNode {
  readonly $ref?: string;
  readonly enum?: readonly unknown[];
  readonly properties?: Record<string, SchemaNode>;
  readonly items?: SchemaNode;
  readonly additionalProperties?: SchemaNode | boolean;
}

function sharedPlaceProbes(schema: SchemaNode, limit: number): string[] {
  const apiVersion = schema.properties!.apiVersion!.enum![0] as string;
  const kind = schema.properties!.kind!.enum![0] as string;
  const paths: (string | number)[][] = [];
  const walk = (n: SchemaNode, path: (string | number)[]) => {
    if (paths.length >= limit) return;
    if (typeof n.$ref === 'string' && n.$ref.startsWith(`#/$defs/${SHARED_DEF}`)) {
      paths.push(path);
      return;
    }
    for (const [name, sub] of Object.entries(n.properties ?? {})) if (name !== 'metadata') walk(sub, [...path, name]);
    if (n.items && typeof n.items === 'object') walk(n.items, [...path, 0]);
    if (n.additionalProperties && typeof n.additionalProperties === 'object') walk(n.additionalProperties, [...path, 'k']);
  };
  walk(schema, []);
  const placed = (path: (string | number)[], value: unknown): unknown =>
    path.length === 0 ? value : typeof path[0] === 'number' ? [placed(path.slice(1), value)] : { [path[0]!]: placed(path.slice(1), value) };
  return paths.flatMap((path) =>
    [{ zz: 'unknown' }, 12345, ['a']].map((value) =>
      JSON.stringify({ ...(placed(path, value) as object), apiVersion, kind, metadata: { name: 'probe', namespace: 'default' } }),
    ),
  );
}

describe('the shipped CRD schemas that share repeated subschemas', () => {
  // A subschema written once and pointed at must judge as its copies did, in the same words.
  it('get the same verdict and messages from kubeconform as the schemas with every copy in place', () => {
    const whole = mkdtempSync(join(tmpdir(), 'strata-crds-whole-'));
    try {
      const docs: string[] = [];
      for (const group of readdirSync(crdSchemasDir)) {
        for (const file of readdirSync(join(crdSchemasDir, group))) {
          const schema = JSON.parse(readFileSync(join(crdSchemasDir, group, file), 'utf8'));
          if (!Object.keys(schema.$defs).some((name) => name.startsWith(SHARED_DEF))) continue;
          mkdirSync(join(whole, group), { recursive: true });
          writeFileSync(join(whole, group, file), JSON.stringify(inlineShared(schema)));
          docs.push(...sharedPlaceProbes(schema, 12).map((d, i) => d.replace('"name":"probe"', `"name":"probe-${docs.length + i}"`)));
        }
      }
      expect(docs.length).toBeGreaterThan(100);
      const verdicts = (dir: string) => {
        const run = spawnSync(
          resolveKubeconform(),
          ['-strict', '-output', 'json', '-schema-location', join(dir, '{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'), '-'],
          { input: docs.join('\n---\n'), encoding: 'utf8', maxBuffer: 64 << 20 },
        );
        const results = parseKubeconformJson(run.stdout, '1.36.0');
        expect(results, run.stderr).toBeDefined();
        return results!
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((r) => ({ name: r.name, status: r.status, errors: [...r.errors].sort((a, b) => (a.path + a.message < b.path + b.message ? -1 : 1)) }));
      };
      const shared = verdicts(crdSchemasDir);
      expect(shared).toHaveLength(docs.length);
      expect(shared.filter((r) => r.status === 'invalid').length).toBe(docs.length);
      expect(shared).toStrictEqual(verdicts(whole));
    } finally {
      rmSync(whole, { recursive: true, force: true });
    }
  });
});
