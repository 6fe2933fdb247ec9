import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitAll, git } from '@strata/testing/workspace-copy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, strata, tempWorkspace } from '@strata/testing/workspace';

// An app added with --no-install has no overlays until it is installed and generated: a run of
// another app (a release, generate --app) writes env roots that list the apps generated, so
// `kubectl apply -k overlays/<env>` still builds in every env.
const APP = 'tokenplace-relay';
const NEW = 'alpha';
const ENVS = ['dev', 'staging', 'prod'];

describe('env roots after new-app --no-install and a run of another app', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = tempWorkspace([APP]);
    cpSync(join(repo, '.gitignore'), join(ws.root, '.gitignore'));
    expect(strata(ws.root, ['generate']).status).toBe(0);
    expect(strata(ws.root, ['new-app', NEW, '--no-install']).status).toBe(0);
    commitAll(ws.root);
  }, 120_000);
  afterAll(() => ws.dispose());

  /** Each env root as the real kustomize builds it: every one builds, and none names the app not generated. */
  function expectEnvRootsBuild(after: string): void {
    for (const env of ENVS) {
      expect(readFileSync(join(ws.root, 'overlays', env, 'kustomization.yaml'), 'utf8'), `${after}: ${env}`).not.toContain(NEW);
      const built = spawnSync(join(ws.root, '.tools/bin/kustomize'), ['build', `overlays/${env}`], { cwd: ws.root, encoding: 'utf8' });
      expect(built.stderr, `${after}: kustomize build overlays/${env}`).toBe('');
      expect(built.status).toBe(0);
      expect(built.stdout).toContain(`name: ${APP}`);
    }
    expect(existsSync(join(ws.root, 'overlays/prod', NEW))).toBe(false);
  }

  const runs: readonly (readonly string[])[] = [
    ['set', 'image', '--app', APP, '--env', 'dev', ':1.5.0'],
    ['promote', '--from', 'dev', '--to', 'staging', '--app', APP],
    ['generate', '--app', APP],
    ['generate', '--app', APP, '--env', 'prod'],
  ];
  for (const args of runs) {
    it(`strata ${args.join(' ')} leaves every env root building, without ${NEW}`, { timeout: 120_000 }, () => {
      const r = strata(ws.root, args);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // The roots list what they listed: the run changes the app's own files alone.
      expect(git(ws.root, 'status', '--porcelain', '--', ...ENVS.map((e) => `overlays/${e}/kustomization.yaml`))).toBe('');
      expectEnvRootsBuild(args.join(' '));
      // Nor does check of the app find the roots out of date, which a generate would then write.
      const check = strata(ws.root, ['check', '--app', APP]);
      expect(check.stdout).toMatch(/ 0 drifted, 0 round-trip mismatches, 0 build failures/);
      expect(check.status).toBe(0);
    });
  }
});
