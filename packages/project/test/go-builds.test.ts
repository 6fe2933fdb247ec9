import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureCachedBuild, ToolMissingError } from '../src/index.ts';
import { checkGoBuilds, ensureGoBuilds, GoBuildError } from '../src/go-builds.mjs';

const script = fileURLToPath(new URL('../../../scripts/install-servers.mjs', import.meta.url));

// An empty cache, and a PATH without Go: what a fresh machine without Go sees. Nothing is built.
describe('the per-machine cache of Go programs, on a machine without them', () => {
  const saved = { cache: process.env.STRATA_SERVER_CACHE, path: process.env.PATH };
  let cache: string;
  let noGo: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'strata-go-cache-'));
    noGo = mkdtempSync(join(tmpdir(), 'strata-no-go-'));
    process.env.STRATA_SERVER_CACHE = cache;
    process.env.PATH = noGo;
  });
  afterEach(() => {
    if (saved.cache === undefined) delete process.env.STRATA_SERVER_CACHE;
    else process.env.STRATA_SERVER_CACHE = saved.cache;
    process.env.PATH = saved.path;
    rmSync(cache, { recursive: true, force: true });
    rmSync(noGo, { recursive: true, force: true });
  });

  it('says what is not built, as the script prints it, and builds nothing', () => {
    const r = checkGoBuilds(['all']);
    expect(r).toStrictEqual({
      ready: false,
      lines: [
        'kube-apiserver v1.36.3 and etcd v3.6.8 and the server validation helper (k8s.io/kubernetes v1.36.3) not built and Go is not installed: ' +
          'the server checks will fail; install Go 1.26 or newer',
      ],
    });
    const run = spawnSync(process.execPath, [script, '--check', 'all'], { encoding: 'utf8', env: process.env });
    expect(run.stdout).toBe(`install-servers: ${r.lines[0]}\n`);
    expect(run.status).toBe(1);
    expect(readdirSync(cache)).toStrictEqual([]);
  });

  it('refuses to build without Go, saying what to install or point at, and leaves no lock behind', async () => {
    const progress: string[] = [];
    const refusal =
      'the server validation helper (k8s.io/kubernetes v1.36.3) not built and Go is not installed. Install Go 1.26 or newer ' +
      '(https://go.dev/dl) and rerun, or point STRATA_SERVER_VALIDATION at a build of packages/server-validation/helper';
    await expect(ensureGoBuilds(['server-validation'], (line) => progress.push(line))).rejects.toThrow(new GoBuildError(refusal));
    expect(progress).toStrictEqual([]);
    expect(existsSync(join(cache, '.install-servers.lock'))).toBe(false);
    // The libraries get it as a missing tool, worded as the script words it.
    const missing = await ensureCachedBuild('server-validation', 'the server validation helper', 'hint').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ToolMissingError);
    expect((missing as Error).message).toBe(`could not build the server validation helper: install-servers: error: ${refusal}`);
    const run = spawnSync(process.execPath, [script, 'server-validation'], { encoding: 'utf8', env: process.env });
    expect(run.stderr).toBe(`install-servers: error: ${refusal}\n`);
    expect(run.status).toBe(2);
  });

  it('the script refuses an unknown target with exit 2', () => {
    const run = spawnSync(process.execPath, [script, 'everything'], { encoding: 'utf8' });
    expect(run.stderr).toBe('install-servers: error: unknown target everything; use one of servers, server-validation, all (no argument: servers)\n');
    expect(run.status).toBe(2);
  });
});
