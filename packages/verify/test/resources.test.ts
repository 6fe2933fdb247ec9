import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { crdManifestsDir } from '@strata/schemas';
import { loadCrds } from '../src/resources.ts';

describe('loadCrds', () => {
  // loadCrds reads with js-yaml's core schema for speed; what it installs must be what the YAML says.
  it('reads every shipped CRD to the same values as the yaml package', async () => {
    const crds = await loadCrds(crdManifestsDir);
    expect(crds.size).toBe(readdirSync(crdManifestsDir).filter((f) => f.endsWith('.yaml')).length);
    for (const crd of crds.values()) expect(crd.manifest, crd.file).toStrictEqual(parse(readFileSync(crd.file, 'utf8')));
  });
});
