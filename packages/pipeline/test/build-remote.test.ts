import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '@strata/core';
import { findRoot } from '@strata/project';
import { testTempDir } from '@strata/testing/temp';
import { build, buildVerdict } from '../src/index.ts';

// `strata build` builds the committed overlays: one that names a URL (a hand edit, a bad merge) is
// refused before kustomize runs, as validate and verify refuse it, and the others are built.

const APPS = ['api', 'web'];
const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: team}\ndata: {a: b}\n`;

/** A server on 127.0.0.1 that serves a ConfigMap at /cm.yaml and records each request. */
let server: { url: string; requests: string[]; close(): void };
beforeAll(async () => {
  const requests: string[] = [];
  const http = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(CM('fetched'));
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  server = { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, requests, close: () => http.close() };
});
afterAll(() => server.close());

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
  it('refuses that overlay at the line that names it, fetches nothing, writes nothing for it, builds the others and fails', async () => {
    const root = tree();
    const file = join(root, 'overlays/dev/web/kustomization.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}- ${server.url}/cm.yaml\n`);
    server.requests.length = 0;
    const seen: string[] = [];
    const r = await build(root, {}, (b) => seen.push(b.overlay));

    expect(server.requests).toStrictEqual([]);
    expect(r.results.filter((b) => !b.ok).map((b) => [b.overlay, b.error])).toStrictEqual([
      [
        'overlays/dev/web',
        `overlays/dev/web/kustomization.yaml:5: resources[1]: kustomize would fetch ${server.url}/cm.yaml over the network to build overlays/dev/web, and strata builds only what is in the tree: vendor it into the tree and name it by its local path`,
      ],
    ]);
    expect(r.failed).toBe(1);
    expect(buildVerdict(r).outcome).toBe('failed');
    expect(seen.sort()).toStrictEqual(r.results.map((b) => b.overlay).sort());
    expect(existsSync(join(root, 'dist/dev/web.yaml'))).toBe(false);
    for (const env of ENVIRONMENTS)
      for (const app of APPS)
        if (env !== 'dev' || app !== 'web') expect(readFileSync(join(root, `dist/${env}/${app}.yaml`), 'utf8')).toContain(`name: ${app}-${env}`);
  });

  it('refuses a github.com/org/repo resource that a folder of the tree is also named, as kustomize clones it', async () => {
    const root = tree();
    const dir = join(root, 'overlays/prod/api');
    mkdirSync(join(dir, 'github.com/org/repo'), { recursive: true });
    writeFileSync(join(dir, 'github.com/org/repo/kustomization.yaml'), 'resources: []\n');
    writeFileSync(join(dir, 'kustomization.yaml'), `${readFileSync(join(dir, 'kustomization.yaml'), 'utf8')}- github.com/org/repo\n`);
    const r = await build(root, { env: 'prod', apps: ['api'] });
    expect(r.results.map((b) => [b.ok, b.error])).toStrictEqual([
      [
        false,
        'overlays/prod/api/kustomization.yaml:5: resources[1]: kustomize would fetch github.com/org/repo over the network to build overlays/prod/api, and strata builds only what is in the tree: vendor it into the tree and name it by its local path',
      ],
    ]);
    expect(existsSync(join(root, 'dist/prod/api.yaml'))).toBe(false);
  });
});
