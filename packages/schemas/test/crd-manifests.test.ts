import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { crdManifestDocuments, crdManifestsDir } from '../src/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'strata-crd-manifests-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const read = (text: string) => loadAll(text, undefined, { schema: CORE_SCHEMA });
const kept = (root: string) => readdirSync(join(root, 'crd-manifests')).filter((f) => f.endsWith('.json'));
/** A big CRD-like text: a long description makes it worth keeping. */
const big = (extra: string) =>
  `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\nspec:\n  description: "${'d'.repeat(70_000)}"\n${extra}`;

describe('the shipped CRD manifests, read once per machine', () => {
  it('gives every shipped file the documents its YAML holds, read afresh and from the kept copy alike', () => {
    const root = join(scratch, 'all');
    const files = readdirSync(crdManifestsDir).filter((f) => f.endsWith('.yaml'));
    for (const file of files) {
      const text = readFileSync(join(crdManifestsDir, file), 'utf8');
      const expected = read(text);
      expect(crdManifestDocuments(text, root), file).toStrictEqual(expected);
      expect(crdManifestDocuments(text, root), file).toStrictEqual(expected);
    }
    // Only the big ones are kept: Argo CD's, cert-manager's issuers and the like.
    const bigOnes = files.filter((f) => readFileSync(join(crdManifestsDir, f), 'utf8').length >= 64 * 1024);
    expect(bigOnes).toContain('argoproj.io_applicationsets.yaml');
    expect(kept(root)).toHaveLength(bigOnes.length);
  });

  it('reads a text it has read before from the kept copy, and another text afresh', () => {
    const root = join(scratch, 'again');
    const text = big('  group: a.example.com\n');
    expect(crdManifestDocuments(text, root)).toStrictEqual(read(text));
    const [copy] = kept(root);
    writeFileSync(join(root, 'crd-manifests', copy!), '[{"kept":true}]');
    expect(crdManifestDocuments(text, root)).toStrictEqual([{ kept: true }]);
    const other = big('  group: b.example.com\n');
    expect(crdManifestDocuments(other, root)).toStrictEqual(read(other));
  });

  it('reads the text again when the kept copy is damaged, and keeps a good one', () => {
    const root = join(scratch, 'damaged');
    const text = big('  group: c.example.com\n');
    crdManifestDocuments(text, root);
    const [copy] = kept(root);
    writeFileSync(join(root, 'crd-manifests', copy!), '[{"cut');
    expect(crdManifestDocuments(text, root)).toStrictEqual(read(text));
    expect(JSON.parse(readFileSync(join(root, 'crd-manifests', copy!), 'utf8'))).toStrictEqual(read(text));
  });

  it('still reads the text where nothing can be kept', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    const text = big('  group: d.example.com\n');
    expect(crdManifestDocuments(text, join(file, 'cache'))).toStrictEqual(read(text));
  });

  it('does not keep what JSON cannot hold, and throws for a text that is not YAML', () => {
    const root = join(scratch, 'odd');
    const text = big('  scale: .nan\n');
    expect(Number.isNaN((crdManifestDocuments(text, root)[0] as { spec: { scale: number } }).spec.scale)).toBe(true);
    expect(existsSync(join(root, 'crd-manifests')) ? kept(root) : []).toStrictEqual([]);
    expect(() => crdManifestDocuments(big('  bad: [\n'), root)).toThrow();
  });
});
