import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repo, strata } from './workspace.ts';

describe('missing tools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-tools-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('setup without Go and without kubeconform on PATH stops with exit 2 and says what to install', () => {
    mkdirSync(join(dir, 'scripts'));
    cpSync(join(repo, 'scripts/setup.mjs'), join(dir, 'scripts/setup.mjs'));
    cpSync(join(repo, 'package.json'), join(dir, 'package.json'));
    // A PATH with node but neither go nor kubeconform: the machine of a user who has not installed them.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const r = spawnSync(process.execPath, [join(dir, 'scripts/setup.mjs'), '--tools-only'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: bin, HOME: dir },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/setup: error: kustomize v5\.8\.1 and kubeconform v0\.7\.0 not found\. Install Go 1\.22 or newer/);
  });

  it('a kustomize that cannot be found is a tool error (exit 2) with the install hint', () => {
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'build', '--app', 'tokenplace-relay'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, STRATA_KUSTOMIZE: join(dir, 'no-such-kustomize') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/strata: STRATA_KUSTOMIZE=.*no-such-kustomize does not exist: run `npm run build`/);
  });

  it('a kubeconform that cannot be found is a tool error (exit 2) with the install hint', () => {
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'validate', file], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, STRATA_KUBECONFORM: join(dir, 'no-such-kubeconform') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^strata: .*kubeconform.*go install github\.com\/yannh\/kubeconform\/cmd\/kubeconform@v0\.7\.0/m);
  });
});
