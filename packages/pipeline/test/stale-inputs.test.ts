import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '@strata/core';
import { findRoot } from '@strata/project';
import { testTempDir } from '@strata/testing/temp';
import { build } from '../src/index.ts';
import { staleBuilds } from '../src/stale-dist.ts';

// `strata build` records the content of every file each build read, so validate and verify tell a
// built file from what its overlay builds now by content: a file put back with older times (cp -p,
// tar x) is a change, a file only touched is none.

const CM = (name: string, value = 'b') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: team}\ndata: {a: ${value}}\n`;

/** A tree of one app: a base, and in each env an overlay of it with a patch and a folder of shared files outside both. */
function tree(): string {
  const root = testTempDir('strata-stale-inputs-');
  symlinkSync(join(findRoot(), '.tools'), join(root, '.tools'));
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  write('apps/api/src/app.ts', 'export default {};\n');
  write('base/api/kustomization.yaml', 'resources:\n- cm.yaml\n');
  write('base/api/cm.yaml', CM('api'));
  write('shared/kustomization.yaml', 'resources:\n- cm.yaml\n');
  write('shared/cm.yaml', CM('shared'));
  for (const env of ENVIRONMENTS) {
    write(`overlays/${env}/api/kustomization.yaml`, 'resources:\n- ../../../base/api\n- ../../../shared\npatches:\n- path: patch.yaml\n');
    write(`overlays/${env}/api/patch.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: api, namespace: team}\ndata: {env: ${env}}\n`);
  }
  return root;
}

/** What staleBuilds says of each stale built file: the file and what changed. */
const stale = (root: string) => staleBuilds(root, {}).map((p) => `${p.file}: ${p.message.split(': what is judged')[0]}`);

/** Sets a file's times an hour back, as cp -p or tar x leave a file older than the build. */
const backdate = (path: string) => {
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(path, past, past);
};

describe('stale built output, by the content of what the build read', () => {
  it('sees an overlay file copied in with older times (cp -p), and only the builds that read it', async () => {
    const root = tree();
    expect((await build(root)).failed).toBe(0);
    expect(stale(root)).toStrictEqual([]);
    // A copy of another version, made before the build and copied over the overlay's patch keeping its times.
    const other = join(root, 'other-patch.yaml');
    writeFileSync(other, readFileSync(join(root, 'overlays/dev/api/patch.yaml'), 'utf8').replace('env: dev', 'env: old'));
    backdate(other);
    execFileSync('cp', ['-p', other, join(root, 'overlays/dev/api/patch.yaml')]);
    expect(stale(root)).toStrictEqual(['dist/dev/api.yaml: built before overlays/dev/api/patch.yaml changed']);
    expect((await build(root, { env: 'dev' })).failed).toBe(0);
    expect(stale(root)).toStrictEqual([]);
    expect(readFileSync(join(root, 'dist/dev/api.yaml'), 'utf8')).toContain('env: old');
  });

  it('sees a base file and a file outside the overlay and base that the build read, unpacked by tar with their old times', async () => {
    const root = tree();
    const archive = join(root, 'old.tar');
    // An archive of the files as they were an hour ago, with other content.
    writeFileSync(join(root, 'base/api/cm.yaml'), CM('api', 'old'));
    writeFileSync(join(root, 'shared/cm.yaml'), CM('shared', 'old'));
    backdate(join(root, 'base/api/cm.yaml'));
    backdate(join(root, 'shared/cm.yaml'));
    execFileSync('tar', ['-cf', archive, '-C', root, 'base/api/cm.yaml', 'shared/cm.yaml']);
    writeFileSync(join(root, 'base/api/cm.yaml'), CM('api'));
    writeFileSync(join(root, 'shared/cm.yaml'), CM('shared'));
    expect((await build(root)).failed).toBe(0);

    execFileSync('tar', ['-xf', archive, '-C', root, 'shared/cm.yaml']);
    expect(stale(root)).toStrictEqual(ENVIRONMENTS.map((env) => `dist/${env}/api.yaml: built before shared/cm.yaml changed`));
    execFileSync('tar', ['-xf', archive, '-C', root, 'base/api/cm.yaml']);
    expect(stale(root)).toStrictEqual(ENVIRONMENTS.map((env) => `dist/${env}/api.yaml: built before base/api/cm.yaml changed`));
  });

  it('sees a file added with older times to a folder the build read, and passes a file only touched', async () => {
    const root = tree();
    expect((await build(root)).failed).toBe(0);
    // Touched, and written again with the same content: no change.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'overlays/prod/api/kustomization.yaml'), later, later);
    writeFileSync(join(root, 'base/api/cm.yaml'), CM('api'));
    expect(stale(root)).toStrictEqual([]);
    // A folder copied in keeping its times, with a file the build never read: kustomize may read it now.
    mkdirSync(join(root, 'incoming/extra'), { recursive: true });
    writeFileSync(join(root, 'incoming/extra/cm.yaml'), CM('extra'));
    backdate(join(root, 'incoming/extra/cm.yaml'));
    cpSync(join(root, 'incoming/extra'), join(root, 'overlays/staging/api/extra'), { recursive: true, preserveTimestamps: true });
    expect(stale(root)).toStrictEqual(['dist/staging/api.yaml: built before overlays/staging/api/extra/cm.yaml changed']);
    // Appended to and set back to its old times: its content tells.
    expect((await build(root)).failed).toBe(0);
    const kustomization = join(root, 'overlays/prod/api/kustomization.yaml');
    appendFileSync(kustomization, '#\n');
    backdate(kustomization);
    expect(stale(root)).toStrictEqual(['dist/prod/api.yaml: built before overlays/prod/api/kustomization.yaml changed']);
  });
});
