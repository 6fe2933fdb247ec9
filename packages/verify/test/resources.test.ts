import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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

  it('says in one line which file of crds/ is not YAML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-crds-'));
    try {
      const file = join(dir, 'example.com_widgets.yaml');
      writeFileSync(file, 'apiVersion: [\n');
      const message = await loadCrds(dir).then(
        () => '',
        (e: unknown) => (e as Error).message,
      );
      expect(message.startsWith(`${file}: `), message).toBe(true);
      expect(message).not.toContain('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
