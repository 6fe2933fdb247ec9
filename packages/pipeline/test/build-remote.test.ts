import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '@strata/core';
import { findRoot } from '@strata/project';
import { testTempDir } from '@strata/testing/temp';
import { build, buildFailureLine, buildVerdict } from '../src/index.ts';
import { missingBuilds } from '../src/missing-dist.ts';
import { staleBuilds } from '../src/stale-dist.ts';
import { recordingServer } from './recording-server.ts';

// `strata build` builds the committed overlays: one that names a URL (a hand edit, a bad merge) is
// refused before kustomize runs, as validate and verify refuse it, and the others are built.

const APPS = ['api', 'web'];
const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: team}\ndata: {a: b}\n`;

const server = recordingServer(CM('fetched'));

/** A tree of two apps, each overlay a kustomization of one ConfigMap beside it, with this checkout's tools. */
function tree(): string {
  const root = testTempDir('strata-build-remote-');
  symlinkSync(join(findRoot(), '.tools'), join(root, '.tools'));
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  for (const app of APPS) {
    write(`apps/${app}/src/app.ts`, 'export default {};\n');
    for (const env of ENVIRONMENTS) {
      write(`overlays/${env}/${app}/kustomization.yaml`, 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- cm.yaml\n');
      write(`overlays/${env}/${app}/cm.yaml`, CM(`${app}-${env}`));
    }
  }
  return root;
}

describe('strata build of an overlay that names a URL', () => {
  it('refuses that overlay at the line that names it, fetches nothing, removes what an earlier build left for it, builds the others and fails', async () => {
    const root = tree();
    expect((await build(root)).failed).toBe(0);
    const file = join(root, 'overlays/dev/web/kustomization.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}- ${server.url}/cm.yaml\n`);
    server.requests.length = 0;
    const seen: string[] = [];
    const r = await build(root, {}, (b) => seen.push(b.overlay));

    expect(server.requests).toStrictEqual([]);
    const refusal = `overlays/dev/web/kustomization.yaml:5: resources[1]: kustomize would fetch ${server.url}/cm.yaml over the network to build overlays/dev/web, and strata builds only what is in the tree: vendor it into the tree and name it by its local path`;
    expect(r.results.filter((b) => !b.ok).map((b) => [b.overlay, b.error, b.refused, b.removed])).toStrictEqual([
      ['overlays/dev/web', refusal, true, 'dist/dev/web.yaml'],
    ]);
    // Said as what it is, a refusal before kustomize ran, and with the earlier output it removed.
    expect(r.results.filter((b) => !b.ok).map(buildFailureLine)).toStrictEqual([
      `overlays/dev/web: not built (kustomize was not run): ${refusal}; removed dist/dev/web.yaml, an earlier build's output, so that nothing judges it as this overlay's`,
    ]);
    expect(r.failed).toBe(1);
    expect(buildVerdict(r).outcome).toBe('failed');
    expect(seen.sort()).toStrictEqual(r.results.map((b) => b.overlay).sort());
    expect(existsSync(join(root, 'dist/dev/web.yaml'))).toBe(false);
    for (const env of ENVIRONMENTS)
      for (const app of APPS)
        if (env !== 'dev' || app !== 'web') expect(readFileSync(join(root, `dist/${env}/${app}.yaml`), 'utf8')).toContain(`name: ${app}-${env}`);
    // validate then finds no output of it to judge, and says to build it; the others are current.
    expect(missingBuilds(root).map((p) => p.file)).toStrictEqual(['dist/dev/web.yaml']);
    expect(staleBuilds(root, {})).toStrictEqual([]);
    const record = JSON.parse(readFileSync(join(root, '.strata/cache/dist.json'), 'utf8')) as { files: Record<string, unknown> };
    expect(Object.keys(record.files).sort()).toStrictEqual(
      ENVIRONMENTS.flatMap((env) => APPS.map((app) => `dist/${env}/${app}.yaml`))
        .filter((f) => f !== 'dist/dev/web.yaml')
        .sort(),
    );
  });

  it('removes what an earlier build left for an overlay that kustomize fails to build, and says so in the line of the failure', async () => {
    const root = tree();
    expect((await build(root, { env: 'staging' })).failed).toBe(0);
    writeFileSync(join(root, 'overlays/staging/api/kustomization.yaml'), 'resources:\n- missing.yaml\n');
    const r = await build(root, { env: 'staging' });
    const [failed] = r.results.filter((b) => !b.ok);
    expect([failed?.overlay, failed?.refused, failed?.removed]).toStrictEqual(['overlays/staging/api', undefined, 'dist/staging/api.yaml']);
    expect(buildFailureLine(failed!)).toMatch(
      /^overlays\/staging\/api: kustomize build failed: .*missing\.yaml.*; removed dist\/staging\/api\.yaml, an earlier build's output, so that nothing judges it as this overlay's$/s,
    );
    expect(existsSync(join(root, 'dist/staging/api.yaml'))).toBe(false);
    expect(readFileSync(join(root, 'dist/staging/web.yaml'), 'utf8')).toContain('name: web-staging');
    // Nothing was left to remove the second time: the line says only what failed.
    const again = (await build(root, { env: 'staging', apps: ['api'] })).results[0]!;
    expect([again.ok, again.removed, buildFailureLine(again)]).toStrictEqual([
      false,
      undefined,
      `overlays/staging/api: kustomize build failed: ${again.error}`,
    ]);
  });

  it('refuses a github.com/org/repo resource that a folder of the tree is also named, as kustomize clones it, saying how to name the folder', async () => {
    const root = tree();
    const dir = join(root, 'overlays/prod/api');
    mkdirSync(join(dir, 'github.com/org/repo'), { recursive: true });
    writeFileSync(join(dir, 'github.com/org/repo/kustomization.yaml'), 'resources: []\n');
    writeFileSync(join(dir, 'kustomization.yaml'), `${readFileSync(join(dir, 'kustomization.yaml'), 'utf8')}- github.com/org/repo\n`);
    const r = await build(root, { env: 'prod', apps: ['api'] });
    expect(r.results.map((b) => [b.ok, b.error])).toStrictEqual([
      [
        false,
        'overlays/prod/api/kustomization.yaml:5: resources[1]: github.com/org/repo is spelt as a repository, which kustomize clones over the network before it looks for a folder of that name in the tree, so overlays/prod/api is not built: write ./github.com/org/repo to mean the folder in the tree',
      ],
    ]);
    expect(existsSync(join(root, 'dist/prod/api.yaml'))).toBe(false);
  });

  it('refuses a committed file whose path is spelt as a repository, saying to write it with ./, and builds it so written with kustomize', async () => {
    const root = tree();
    const dir = join(root, 'overlays/dev/api');
    mkdirSync(join(dir, 'github.com/org/repo'), { recursive: true });
    writeFileSync(join(dir, 'github.com/org/repo/cm.yaml'), CM('vendored'));
    const kustomization = readFileSync(join(dir, 'kustomization.yaml'), 'utf8');
    writeFileSync(join(dir, 'kustomization.yaml'), `${kustomization}- github.com/org/repo/cm.yaml\n`);
    const refused = (await build(root, { env: 'dev', apps: ['api'] })).results[0]!;
    expect([refused.ok, refused.refused, refused.error]).toStrictEqual([
      false,
      true,
      'overlays/dev/api/kustomization.yaml:5: resources[1]: github.com/org/repo/cm.yaml is spelt as a repository, which kustomize would clone over the network were the file of that name not in the tree, so overlays/dev/api is not built: write ./github.com/org/repo/cm.yaml to mean the file in the tree',
    ]);

    writeFileSync(join(dir, 'kustomization.yaml'), `${kustomization}- ./github.com/org/repo/cm.yaml\n`);
    server.requests.length = 0;
    const built = await build(root, { env: 'dev', apps: ['api'] });
    expect(built.results.map((b) => [b.ok, b.error])).toStrictEqual([[true, undefined]]);
    expect(server.requests).toStrictEqual([]);
    const yaml = readFileSync(join(root, 'dist/dev/api.yaml'), 'utf8');
    expect(yaml).toContain('name: vendored');
    expect(yaml).toContain('name: api-dev');
    // What it read is recorded with it: the vendored file changed since is seen.
    expect(staleBuilds(root, { env: 'dev', app: ['api'] })).toStrictEqual([]);
    writeFileSync(join(dir, 'github.com/org/repo/cm.yaml'), CM('changed'));
    expect(staleBuilds(root, { env: 'dev', app: ['api'] }).map((p) => p.message.split(':')[0])).toStrictEqual([
      'built before overlays/dev/api/github.com/org/repo/cm.yaml changed',
    ]);
  });
});
