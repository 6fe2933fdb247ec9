import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtinSchemasDir, crdSchemasDir } from '@strata/schemas';
import { describe, expect, it } from 'vitest';
import { validateWithKubeconform } from '../src/index.ts';

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
