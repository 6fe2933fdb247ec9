import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { validate } from '../src/index.ts';

const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-client-side-apply-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configMap = (name: string, bytes: number) =>
  ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${name}`, '  namespace: shop', 'data:', `  blob: "${'a'.repeat(bytes)}"`, ''].join(
    '\n',
  );

describe('validate and client-side apply', () => {
  it('refuses, even without the policy, an object kubectl apply cannot apply, and lets a smaller one pass', async () => {
    writeFileSync(join(dir, 'big.yaml'), configMap('big', 300 * 1024));
    writeFileSync(join(dir, 'fits.yaml'), configMap('fits', 200 * 1024));
    const r = await validate(repo, [join(dir, 'big.yaml'), join(dir, 'fits.yaml')], { policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.name, p.rule, p.path, p.severity])).toStrictEqual([
      ['big', 'fit-client-side-apply', 'metadata.annotations', 'error'],
    ]);
    expect(r.problems[0]?.message).toContain("more than the API server's limit of 262144");
  });
});
