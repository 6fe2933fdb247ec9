import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '@strata/core';
import { pipeline } from '../src/index.ts';
import { editFile, strata, tempWorkspace } from '@strata/testing/workspace';

// With no cache, the builder starts on the committed tree while the apps compile, and an app whose
// render writes exactly those files takes those builds. These runs commit a tree that no longer
// matches its apps: what is built must still be what the apps render.

const APPS = ['gethrelay', 'tokenplace-relay'];
const dist = (root: string) =>
  Object.fromEntries(
    APPS.flatMap((app) => ENVIRONMENTS.map((env) => [`${env}/${app}`, readFileSync(join(root, `dist/${env}/${app}.yaml`), 'utf8')])),
  );

describe('a pipeline with no cache over a committed tree edited by hand', () => {
  const ws = tempWorkspace(APPS);
  afterAll(() => ws.dispose());
  const base = join(ws.root, 'base/gethrelay/deployment.gethrelay-default-1.yaml');
  const overlay = join(ws.root, 'overlays/prod/tokenplace-relay/kustomization.yaml');
  const edit = () => {
    editFile(base, (text) => text.replace('app.kubernetes.io/part-of: gethrelay', 'app.kubernetes.io/part-of: by-hand'));
    editFile(overlay, (text) => text.replace(/count: 2\n/, 'count: 7\n'));
  };

  it('builds what the apps render, not what was on disk, and writes the tree back', async () => {
    await pipeline(ws.root, { cache: false });
    const rendered = dist(ws.root);
    const [baseBefore, overlayBefore] = [readFileSync(base, 'utf8'), readFileSync(overlay, 'utf8')];
    edit();
    const r = await pipeline(ws.root, { cache: false });
    expect(r.problems.filter((p) => p.severity === 'error')).toStrictEqual([]);
    expect(dist(ws.root)).toStrictEqual(rendered);
    expect(rendered['dev/gethrelay']).not.toMatch(/by-hand/);
    expect(rendered['prod/tokenplace-relay']).toMatch(/replicas: 2\n/);
    expect(readFileSync(base, 'utf8')).toBe(baseBefore);
    expect(readFileSync(overlay, 'utf8')).toBe(overlayBefore);
  });

  it('frozen, refuses the drift and ends, the builder with it', () => {
    edit();
    const r = strata(ws.root, ['pipeline', '--frozen', '--no-cache']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/base\/gethrelay\/deployment\.gethrelay-default-1\.yaml/);
    expect(r.stderr).toMatch(/overlays\/prod\/tokenplace-relay\/kustomization\.yaml/);
  });
});
