import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolError, UsageError } from '@strata/project';
import { diff, failOnToolFailures, previewGenerate, pruneDist } from '../src/index.ts';
import { suiteWorkspace, treeOf } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';

describe('failOnToolFailures', () => {
  it('passes builds that kustomize judged, failed ones included', () => {
    expect(() => failOnToolFailures([{}, {}, {}])).not.toThrow();
  });

  it('makes builds kustomize never judged a tool error, counted against every overlay of the run', () => {
    const results = [{ toolFailed: true as const }, {}, { toolFailed: true as const }];
    expect(() => failOnToolFailures(results)).toThrow(ToolError);
    expect(() => failOnToolFailures(results)).toThrow(/^kustomize failed on 2 of 3 overlays without judging them \(see above\); run again/);
    expect(() => failOnToolFailures(results, 7)).toThrow(/^kustomize failed on 2 of 7 overlays /);
  });
});

describe('pruneDist', () => {
  it('removes stale files and their empty folders, keeping the current ones', () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-prune-'));
    try {
      for (const f of ['dist/dev/a.yaml', 'dist/dev/gone.yaml', 'dist/old/a.yaml']) {
        mkdirSync(join(root, f, '..'), { recursive: true });
        writeFileSync(join(root, f), 'x\n');
      }
      expect(pruneDist(root, new Set(['dist/dev/a.yaml']))).toStrictEqual(['dist/dev/gone.yaml', 'dist/old/a.yaml']);
      expect([existsSync(join(root, 'dist/dev/a.yaml')), existsSync(join(root, 'dist/old'))]).toStrictEqual([true, false]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a folder linked out of dist/ before removing anything, on either side of the link', () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-prune-'));
    try {
      mkdirSync(join(root, 'dist', 'dev'), { recursive: true });
      mkdirSync(join(root, 'outside'));
      writeFileSync(join(root, 'dist', 'dev', 'gone.yaml'), 'x\n');
      writeFileSync(join(root, 'outside', 'other.yaml'), 'x\n');
      for (const link of ['dist/prod', 'dist/dev/nested']) {
        symlinkSync(join(root, 'outside'), join(root, link));
        expect(() => pruneDist(root, new Set())).toThrow(
          new RegExp(`^${link}: is a symbolic link \\(to ${root}/outside\\); .*nothing was written or removed`),
        );
        expect([
          existsSync(join(root, link)),
          existsSync(join(root, 'dist/dev/gone.yaml')),
          existsSync(join(root, 'outside/other.yaml')),
        ]).toStrictEqual([true, true, true]);
        rmSync(join(root, link));
      }
      rmSync(join(root, 'dist'), { recursive: true });
      symlinkSync(join(root, 'outside'), join(root, 'dist'));
      expect(() => pruneDist(root, new Set())).toThrow(/^dist: is a symbolic link/);
      expect(existsSync(join(root, 'outside/other.yaml'))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('diff', () => {
  it('refuses a ref together with envs, and envs without both sides, before reading anything', async () => {
    const nowhere = '/nonexistent';
    await expect(diff(nowhere, { against: 'HEAD', from: 'dev' })).rejects.toThrow(
      new UsageError('use either --against <ref> or --from <env> --to <env>, not both'),
    );
    await expect(diff(nowhere, { from: 'dev' })).rejects.toThrow(
      new UsageError('say what to compare: --from <env> --to <env>, or --against <git ref>'),
    );
    await expect(diff(nowhere, {})).rejects.toThrow(UsageError);
  });
});

describe('previewGenerate and diff on a workspace', () => {
  // The copy lacks the env roots and gitops/ of a one-app workspace. In a child process: an app
  // loaded in this one stays loaded, so the edit below must come before the first load here.
  const ws = suiteWorkspace([APP], { generate: true });

  it('previews what generate would change as one diff per file, counting apps and envs, and writes nothing', async () => {
    const pins = join(ws.root, 'apps', APP, 'images.json');
    writeFileSync(pins, readFileSync(pins, 'utf8').replace('sha256:4f6d1c0e', 'sha256:00000000'));
    const before = treeOf(ws.root);
    const r = await previewGenerate(ws.root);
    expect(r).toMatchObject({ apps: 1, envs: 3, written: [`overlays/prod/${APP}/kustomization.yaml`], removed: [] });
    expect(r.diffs.map((d) => [d.file, d.status])).toStrictEqual([[`overlays/prod/${APP}/kustomization.yaml`, 'changed']]);
    expect(r.diffs[0]!.diff).toMatch(/^\+ {4}digest: sha256:00000000/m);
    expect(await previewGenerate(ws.root, { env: 'dev' })).toMatchObject({ diffs: [], apps: 1, envs: 1 });
    expect(treeOf(ws.root)).toStrictEqual(before);
  }, 120_000);

  it('diffs two envs of the working tree', async () => {
    const r = await diff(ws.root, { from: 'staging', to: 'prod', apps: [APP] });
    expect(r).toMatchObject({ from: 'staging', to: 'prod' });
    expect(r.diffs.some((d) => d.status === 'changed' && d.resource === `apps/v1/Deployment ${APP}`)).toBe(true);
    // An env compared with itself compares nothing: refused, not passed as equal.
    await expect(diff(ws.root, { from: 'dev', to: 'dev' })).rejects.toThrow(/--from and --to are both dev/);
  }, 120_000);
});
