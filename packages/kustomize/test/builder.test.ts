import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/core';
import { buildOverlays, resolveBuilder, type BuildResult } from '../src/index.ts';

const repo = findRoot();

/** Every folder under overlays/ with a kustomization: each app's overlay and each whole-env tree. */
function allOverlays(root: string): string[] {
  return readdirSync(join(root, 'overlays'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name === 'kustomization.yaml')
    .map((e) => relative(root, e.parentPath))
    .sort();
}

// The builder is optional (setup skips it without Go); the kustomize binary stays the reference.
describe.skipIf(!resolveBuilder(repo))('the kustomize builder', () => {
  const overlays = allOverlays(repo);
  let builder: BuildResult[] = [];
  let kustomize: BuildResult[] = [];

  beforeAll(async () => {
    [builder, kustomize] = await Promise.all([
      buildOverlays(repo, overlays, { engine: 'builder' }),
      buildOverlays(repo, overlays, { engine: 'kustomize' }),
    ]);
  });

  it('finds the app overlays and the whole-env aggregates', () => {
    expect(overlays).toEqual(expect.arrayContaining(['overlays/dev', 'overlays/staging', 'overlays/prod']));
    expect(overlays.length).toBeGreaterThan(3);
  });

  it.each(overlays)('builds %s byte for byte like `kustomize build`', (overlay) => {
    const i = overlays.indexOf(overlay);
    expect(kustomize[i]!.error).toBeUndefined();
    expect(builder[i]!.overlay).toBe(overlay);
    expect(builder[i]!.error).toBeUndefined();
    expect(builder[i]!.yaml).toBe(kustomize[i]!.yaml);
  });

  describe('on a failing overlay', () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-builder-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    beforeAll(() => {
      symlinkSync(join(repo, '.tools'), join(root, '.tools'));
      mkdirSync(join(root, 'overlays/dev/good'), { recursive: true });
      writeFileSync(join(root, 'overlays/dev/good/kustomization.yaml'), 'resources:\n  - cm.yaml\n');
      writeFileSync(join(root, 'overlays/dev/good/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n');
      mkdirSync(join(root, 'overlays/dev/broken'), { recursive: true });
      writeFileSync(join(root, 'overlays/dev/broken/kustomization.yaml'), 'resources:\n  - missing.yaml\n');
    });

    it('reports the same one-line kustomize error, naming the overlay, and still builds the others', async () => {
      const dirs = ['overlays/dev/broken', 'overlays/dev/good'];
      const [b, k] = await Promise.all([buildOverlays(root, dirs, { engine: 'builder' }), buildOverlays(root, dirs, { engine: 'kustomize' })]);
      for (const results of [b, k]) {
        expect(results.map((r) => [r.overlay, r.ok])).toStrictEqual([
          ['overlays/dev/broken', false],
          ['overlays/dev/good', true],
        ]);
        expect(results[0]!.error).toMatch(/overlays\/dev\/broken.*missing\.yaml/);
        expect(results[0]!.error).not.toMatch(/\n/);
      }
      expect(b[0]!.error).toBe(k[0]!.error);
      expect(b[1]!.yaml).toBe(k[1]!.yaml);
    });

    it('reports a folder that does not exist as that overlay failing', async () => {
      const [r] = await buildOverlays(root, ['overlays/dev/nope'], { engine: 'builder' });
      expect(r).toMatchObject({ overlay: 'overlays/dev/nope', ok: false });
      expect(r!.error).toMatch(/overlays\/dev\/nope/);
    });
  });
});
