import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from '@strata/testing/workspace';

// On a fresh clone the passing run builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;
const APP = 'tokenplace-relay';

interface Report {
  problems: { file: string; line?: number; rule: string; severity: string; message: string }[];
  summary: { problems: number; errors: number; resources: number };
  phases?: Record<string, number>;
}

describe('strata ci --output', () => {
  const ws = tempWorkspace([APP]);
  beforeAll(() => expect(strata(ws.root, ['generate']).status).toBe(0), 120_000);
  afterAll(() => ws.dispose());

  it(
    'json: one document on stdout with the problems, the summary and every phase, as validate and verify give',
    () => {
      const r = strata(ws.root, ['ci', '--output', 'json'], undefined, { CI: 'true' });
      const report = JSON.parse(r.stdout) as Report;
      expect(report.problems.filter((p) => p.severity === 'error')).toStrictEqual([]);
      expect(report.summary.errors).toBe(0);
      expect(report.summary.resources).toBeGreaterThan(20);
      expect(Object.keys(report.phases!)).toStrictEqual(['generate', 'build', 'validate', 'read', 'start', 'crds', 'namespaces', 'apply']);
      expect(r.stdout).not.toMatch(/^ci: /m);
      expect(r.status).toBe(0);
      const junit = strata(ws.root, ['ci', '-o', 'junit'], undefined, { CI: 'true' });
      expect(junit.stdout).toMatch(/^<\?xml/);
      expect(junit.stdout).toContain('name="strata ci"');
      expect(junit.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  describe('on a machine whose API server is not built yet', () => {
    // An empty server cache whose build lock this process holds: a run that asked for the servers
    // would wait on the lock (as it waits for a build in another process) instead of building them,
    // so a run that reports at once has not waited for a build, and none was started.
    const cache = mkdtempSync(join(tmpdir(), 'strata-ci-servers-'));
    const lock = join(cache, '.install-servers.lock');
    const env = { CI: 'true', STRATA_SERVER_CACHE: cache, STRATA_ETCD: '', STRATA_KUBE_APISERVER: '' };
    // A run that waits on the lock would wait for ever: it is stopped, and then fails the test.
    const ci = (args: readonly string[]) => {
      const r = spawnSync(process.execPath, [join(ws.root, 'packages/cli/bin/strata.mjs'), 'ci', ...args], {
        cwd: ws.root,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, FORCE_COLOR: '0', ...env },
      });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const pins = join(ws.root, 'apps', APP, 'images.json');
    let pinned = '';
    beforeAll(() => {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      pinned = readFileSync(pins, 'utf8');
    });
    afterAll(() => {
      rmSync(cache, { recursive: true, force: true });
      writeFileSync(pins, pinned);
    });

    it('reports a failing pipeline at once, without the dry run, and starts no build', { timeout: 300_000 }, () => {
      // prod's image by tag alone: prod's policy requires a digest.
      writeFileSync(pins, pinned.replace(/"digest": "sha256:[0-9a-f]{64}"/, '"tag": "1.4.0"'));
      expect(strata(ws.root, ['generate']).status).toBe(0);
      const r = ci(['--output', 'json']);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.problems.filter((p) => p.severity === 'error').map((p) => [p.file, p.rule])).toStrictEqual([
        [`dist/prod/${APP}.yaml`, 'require-image-digest'],
      ]);
      expect(Object.keys(report.phases!)).toStrictEqual(['generate', 'build', 'validate']);
      expect(r.stderr).toMatch(/^verify: not dry-run applied: the pipeline failed, and the API server is not built on this machine yet/m);
      expect(r.stderr).not.toMatch(/^install-servers:|waiting for the build/m);
      expect(r.status).toBe(1);
      const text = ci([]);
      expect(text.stdout).toMatch(/^ci: failed: 1 validation error \(/m);
      expect(text.status).toBe(1);
      // Nothing was built, and the lock is still this process's.
      expect(readdirSync(cache)).toStrictEqual(['.install-servers.lock']);
      expect(readFileSync(join(lock, 'pid'), 'utf8')).toBe(String(process.pid));
    });

    it('reports a tree that is not what the code generates as one drift problem per file, exit 1', { timeout: 180_000 }, () => {
      const overlay = join(ws.root, 'overlays', 'dev', APP, 'kustomization.yaml');
      const generated = readFileSync(overlay, 'utf8');
      writeFileSync(overlay, `${generated}# edited by hand\n`);
      try {
        const r = ci(['-o', 'json']);
        const report = JSON.parse(r.stdout) as Report;
        expect(report.problems.map((p) => [p.file, p.rule])).toStrictEqual([[`overlays/dev/${APP}/kustomization.yaml`, 'drift']]);
        expect(report.problems[0]!.message).toMatch(/run `npx strata generate` and commit the result$/);
        expect(r.status).toBe(1);
        expect(existsSync(join(cache, '.install-servers.lock', 'pid'))).toBe(true);
      } finally {
        writeFileSync(overlay, generated);
      }
    });
  });
});
