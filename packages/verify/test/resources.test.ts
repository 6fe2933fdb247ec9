import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { crdManifestsDir } from '@strata/schemas';
import { groupOfFile, loadCrds } from '../src/resources.ts';

describe('loadCrds', () => {
  // loadCrds reads with js-yaml's core schema for speed; what it installs must be what the YAML says.
  it('reads every shipped CRD to the same values as the yaml package', async () => {
    const crds = await loadCrds(crdManifestsDir);
    expect(crds.size).toBe(readdirSync(crdManifestsDir).filter((f) => f.endsWith('.yaml')).length);
    for (const crd of crds.values()) expect(crd.manifest, crd.file).toStrictEqual(parse(readFileSync(crd.file, 'utf8')));
  });

  // verify reads only the shipped files of the groups its input uses, found by their names.
  it("names every shipped CRD's file after its group, and reads a group's files only when asked for it", async () => {
    const all = await loadCrds(crdManifestsDir);
    for (const crd of all.values()) expect(groupOfFile(basename(crd.file)), crd.file).toBe(crd.group);
    const some = await loadCrds(crdManifestsDir, undefined, new Set(['monitoring.coreos.com', 'apps', '']));
    const expected = [...all.entries()].filter(([, crd]) => crd.group === 'monitoring.coreos.com');
    expect(expected.length).toBeGreaterThan(0);
    expect([...some.entries()]).toStrictEqual(expected);
    expect((await loadCrds(crdManifestsDir, undefined, new Set())).size).toBe(0);
  });
});
