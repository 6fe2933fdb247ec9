import { spawnSync } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strata, suiteWorkspace, treeOf } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';

describe('strata generate --dry-run', () => {
  // The copy lacks the env roots and gitops/ of a one-app workspace: generate them first.
  const ws = suiteWorkspace([APP], { generate: true });

  it('says "no changes" on a tree in sync with the code', () => {
    const r = strata(ws.root, ['generate', '--dry-run']);
    expect(r.stdout).toMatch(/^generate --dry-run: 1 app x 3 envs: no changes, \d+ files up to date \(/m);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.status).toBe(0);
  });

  it('prints the exact diff generate would write, and writes nothing', () => {
    const env = join(ws.root, 'apps', APP, 'src/env/prod.ts');
    writeFileSync(env, readFileSync(env, 'utf8').replace('replicas: 2,', 'replicas: 5,').replace('serviceMonitor: { enabled: true },', ''));
    const lost = `overlays/dev/${APP}/kustomization.yaml`;
    unlinkSync(join(ws.root, lost));
    const before = treeOf(ws.root);

    const r = strata(ws.root, ['generate', '--dry-run']);
    expect(r.status).toBe(0);
    expect(treeOf(ws.root)).toStrictEqual(before);
    const out = r.stdout;
    expect(out).toContain(`--- a/overlays/prod/${APP}/kustomization.yaml\n+++ b/overlays/prod/${APP}/kustomization.yaml\n@@ `);
    expect(out).toMatch(/^- {2,}count: 2$/m);
    expect(out).toMatch(/^\+ {2,}count: 5$/m);
    expect(out).toContain(`--- a/overlays/prod/${APP}/servicemonitor.tokenplace-relay.yaml\n+++ /dev/null\n@@ -1,`);
    expect(out).toContain(`--- /dev/null\n+++ b/${lost}\n@@ -0,0 +1,`);
    expect(out).toMatch(/^generate --dry-run: 1 app x 3 envs: would add 1, change \d+ and remove 1 files; \d+ unchanged; nothing written \(/m);
    expect(out).not.toMatch(/\x1b\[/);

    // Applied as a patch, the diff brings the tree exactly where generate would: nothing left to write.
    const apply = spawnSync('git', ['apply', '-'], { cwd: ws.root, input: out, encoding: 'utf8' });
    expect(apply.stderr).toBe('');
    expect(apply.status).toBe(0);
    const g = strata(ws.root, ['generate']);
    expect(g.stdout).toMatch(/: 0 written, 0 removed, \d+ unchanged/);
    expect(g.status).toBe(0);
  });

  it('colours the diff on a terminal, as strata diff does', () => {
    const prod = join(ws.root, 'apps', APP, 'src/env/prod.ts');
    writeFileSync(prod, readFileSync(prod, 'utf8').replace('replicas: 5,', 'replicas: 6,'));
    const cmd = `${process.execPath} packages/cli/bin/strata.mjs generate --dry-run`;
    const { NO_COLOR: _, ...env } = process.env;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: ws.root, encoding: 'utf8', env });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\x1b[31m-    count: 5\x1b[0m');
    expect(r.stdout).toContain('\x1b[32m+    count: 6\x1b[0m');
  });
});
