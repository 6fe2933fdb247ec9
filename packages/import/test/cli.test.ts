import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyWorkspace, fixtures, repo } from './workspace.ts';

const strata = (cwd: string, args: readonly string[]) => {
  const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('strata import (the command)', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(() => {
    ws = emptyWorkspace();
  });
  afterAll(() => ws.dispose());
  const envs = (dir: (env: string) => string) => ['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=${dir(e)}`]);

  it('prints where each Secret went, the files and the proof, and exits 0', { timeout: 120_000 }, () => {
    const r = strata(ws.root, ['import', '--name', 'ledger', '--no-install', ...envs((e) => join(fixtures, 'plain', e))]);
    expect(r.stderr).toMatch(
      /^warning: dev: Secret ledger-dev\/ledger-db: values not imported; an ExternalSecret now reads password from ClusterSecretStore secret-store at key ledger\/dev\/ledger-db/m,
    );
    // The original's policy findings: one line per rule, saying what clears it.
    expect(r.stderr).toMatch(
      /^policy: require-run-as-non-root: \d+ findings of the original \(.*\) excepted in apps\/ledger\/src\/app\.ts, as imported; to clear them, build the pods with hardenedPodSpec/m,
    );
    expect(r.stdout).toContain('created apps/ledger/src/render.ts');
    expect(r.stdout).toMatch(
      /import: apps\/ledger builds to its sources in every env \(objects: dev 6, staging 5, prod 5\); next: npx pnpm install && npx strata generate/,
    );
    expect(r.status).toBe(0);
  });

  it('refuses an unsupported feature in one line with exit 1, and a missing env with exit 2', () => {
    const helm = strata(ws.root, ['import', '--name', 'gateway', ...envs((e) => join(fixtures, 'unsupported', e === 'dev' ? 'helm' : 'plain'))]);
    expect(helm.stderr.trim().split('\n')).toHaveLength(1);
    expect(helm.stderr).toMatch(/^strata: .*unsupported\/helm\/kustomization\.yaml: helmCharts: Helm inflation cannot be imported faithfully/);
    expect(helm.status).toBe(1);
    const missing = strata(ws.root, ['import', '--name', 'gateway', '--env', `dev=${join(fixtures, 'plain', 'dev')}`]);
    expect(missing.stderr).toMatch(/missing --env staging=PATH --env prod=PATH; every env needs its source/);
    expect(missing.status).toBe(2);
    expect(existsSync(join(ws.root, 'apps/gateway'))).toBe(false);
  });
});
