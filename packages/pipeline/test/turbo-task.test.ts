import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { strata } from '@strata/testing/workspace';
import { build, cacheStatus, git, suiteTurboWorkspace } from './turbo.ts';

// The turbo task `npm run build` runs: every file that can change what it produces or decides is in
// its hash, so turbo never restores a result for inputs it was not made from.

const APP = 'tokenplace-relay';

/** Runs `edit`, checks that the task's hash changed (or not), then puts every file back as committed. */
function afterEdit(root: string, edit: () => void): string {
  edit();
  const status = cacheStatus(root);
  git(root, 'reset', '-q', '--hard');
  git(root, 'clean', '-qfd');
  expect(cacheStatus(root)).toBe('HIT');
  return status;
}

describe('the inputs of the turbo task', () => {
  const ws = suiteTurboWorkspace([APP]);

  it('an image pin changed in apps/<app>/images.json: CI runs the pipeline, which fails on the stale overlays', () => {
    expect(cacheStatus(ws.root)).toBe('HIT');
    const pins = join(ws.root, `apps/${APP}/images.json`);
    const before = readFileSync(pins, 'utf8');
    writeFileSync(pins, before.replace('"tag": "1.4.0"', '"tag": "1.4.1"'));
    expect(readFileSync(pins, 'utf8')).not.toBe(before);
    expect(cacheStatus(ws.root)).toBe('MISS');
    const ci = build(ws.root, true);
    expect(ci.output).toContain(`the committed tree is out of date (overlays/staging/${APP}/kustomization.yaml)`);
    expect(ci.status).not.toBe(0);
    writeFileSync(pins, before);
    expect(cacheStatus(ws.root)).toBe('HIT');
  }, 300_000);

  it('every other file that can change the generated tree is an input: app data, helper packages, the project config', () => {
    const changed = {
      'a data file of an app': () => {
        mkdirSync(join(ws.root, `apps/${APP}/files`), { recursive: true });
        writeFileSync(join(ws.root, `apps/${APP}/files/nginx.conf`), 'worker_processes 2;\n');
      },
      "an app's README": () => appendFileSync(join(ws.root, `apps/${APP}/README.md`), '\nmore\n'),
      'a workspace package outside src/': () => {
        mkdirSync(join(ws.root, 'packages/platform-defaults'), { recursive: true });
        writeFileSync(join(ws.root, 'packages/platform-defaults/index.ts'), "export const devStorage = '20Gi';\n");
      },
      'a file of a package outside src/': () => appendFileSync(join(ws.root, 'packages/core/package.json'), '\n'),
      'a shared file outside apps/ and packages/': () => {
        mkdirSync(join(ws.root, 'shared'), { recursive: true });
        writeFileSync(join(ws.root, 'shared/dev-storage.txt'), '20Gi');
      },
      'the root package.json': () => appendFileSync(join(ws.root, 'package.json'), '\n'),
      'pnpm-workspace.yaml (the catalog)': () => appendFileSync(join(ws.root, 'pnpm-workspace.yaml'), '\n'),
      'strata.config.json': () => appendFileSync(join(ws.root, 'strata.config.json'), '\n'),
      'a committed overlay': () => appendFileSync(join(ws.root, `overlays/dev/${APP}/kustomization.yaml`), '\n'),
    };
    expect(Object.fromEntries(Object.entries(changed).map(([what, edit]) => [what, afterEdit(ws.root, edit)]))).toStrictEqual(
      Object.fromEntries(Object.keys(changed).map((what) => [what, 'MISS'])),
    );
  }, 300_000);

  it("leaves out the tests, which no run reads: changing an app's test is still a hit", () => {
    expect(afterEdit(ws.root, () => appendFileSync(join(ws.root, `apps/${APP}/test/relay.test.ts`), '\n'))).toBe('HIT');
  }, 120_000);
});

/** Where this machine keeps the schema sets and the server builds, as sets.mjs and go-builds.mjs find them. */
function machineCache(kind: 'schemas' | 'servers'): string {
  const named = kind === 'schemas' ? process.env.STRATA_SCHEMA_CACHE : process.env.STRATA_SERVER_CACHE;
  return named || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'strata', kind);
}

describe('the environment of the turbo task', () => {
  const ws = suiteTurboWorkspace([APP]);
  const { dir: home } = suiteTempDir('strata-home-');

  it('a tool named by STRATA_KUSTOMIZE or STRATA_KUBECONFORM reaches the pipeline and is in the hash: the run uses it, it is no hit', () => {
    const refusals = {
      STRATA_KUSTOMIZE: 'STRATA_KUSTOMIZE=/nonexistent/tool does not exist',
      STRATA_KUBECONFORM: 'kubeconform not found at /nonexistent/tool (from STRATA_KUBECONFORM)',
    };
    for (const [name, refusal] of Object.entries(refusals)) {
      const extra = { [name]: '/nonexistent/tool' };
      expect(cacheStatus(ws.root, extra)).toBe('MISS');
      const r = build(ws.root, true, extra);
      expect(r.output).toContain(refusal);
      expect(r.status).not.toBe(0);
    }
    expect(cacheStatus(ws.root)).toBe('HIT');
  }, 300_000);

  it('the cache locations reach the pipeline: $STRATA_SCHEMA_CACHE and $STRATA_SERVER_CACHE, or $XDG_CACHE_HOME, on a machine whose ~/.cache lacks them', () => {
    // prod runs 1.35 (strata.config.json), whose schema set is made per machine, outside the workspace.
    const moved: Record<string, string>[] = [
      { STRATA_SCHEMA_CACHE: machineCache('schemas'), STRATA_SERVER_CACHE: machineCache('servers') },
      ...(process.env.STRATA_SCHEMA_CACHE || process.env.STRATA_SERVER_CACHE ? [] : [{ XDG_CACHE_HOME: join(machineCache('schemas'), '..', '..') }]),
    ];
    for (const locations of moved) {
      const r = build(ws.root, true, { HOME: home, ...locations, TURBO_FORCE: 'true' });
      expect(r.output).not.toContain('No built-in schemas');
      expect(r.status, r.output).toBe(0);
    }
  }, 300_000);
});

describe('runs by hand and runs in CI never share a cache entry', () => {
  const ws = suiteTurboWorkspace([APP]);
  const overlay = () => join(ws.root, `overlays/dev/${APP}/kustomization.yaml`);
  const cached = () => readdirSync(join(ws.root, '.turbo/cache'), { withFileTypes: false }).length;

  it('a run by hand that puts a hand-edited overlay back stores nothing: CI on the edited tree runs the pipeline and fails', () => {
    const generated = readFileSync(overlay(), 'utf8');
    const edited = `${generated}replicas:\n- name: ${APP}\n  count: 3\n`;
    writeFileSync(overlay(), edited);
    const entries = cached();
    const local = build(ws.root, false);
    expect(local.status, local.output).toBe(0);
    expect(readFileSync(overlay(), 'utf8')).toBe(generated);
    expect(cached(), 'a run by hand adds nothing to the cache').toBe(entries);
    // The edited tree again: the commit that gets pushed, or another runner's checkout of it.
    writeFileSync(overlay(), edited);
    expect(cacheStatus(ws.root)).toBe('MISS');
    const ci = build(ws.root, true);
    expect(ci.output).toContain(`the committed tree is out of date (overlays/dev/${APP}/kustomization.yaml)`);
    expect(ci.status).not.toBe(0);
    git(ws.root, 'checkout', '--', 'overlays');
  }, 300_000);

  it('app code committed without the overlays it generates: the run by hand that wrote them is no hit for CI', () => {
    const prod = join(ws.root, `apps/${APP}/src/env/prod.ts`);
    const before = readFileSync(prod, 'utf8');
    writeFileSync(prod, before.replace('replicas: 2,', 'replicas: 4,'));
    expect(readFileSync(prod, 'utf8')).not.toBe(before);
    const local = build(ws.root, false);
    expect(local.status, local.output).toBe(0);
    expect(git(ws.root, 'status', '--short', '--', 'overlays')).not.toBe('');
    // Only the app's change is committed, its regenerated overlays left out.
    git(ws.root, 'checkout', '--', 'base', 'overlays', 'gitops');
    expect(cacheStatus(ws.root)).toBe('MISS');
    const ci = build(ws.root, true);
    expect(ci.output).toContain('the committed tree is out of date');
    expect(ci.status).not.toBe(0);
    writeFileSync(prod, before);
  }, 300_000);

  it('a run by hand on a tree in sync runs the pipeline again (Strata reuses what it can); only a CI run is restored', () => {
    expect(cacheStatus(ws.root)).toBe('HIT');
    const local = build(ws.root, false);
    expect(local.status, local.output).toBe(0);
    expect(local.output).not.toContain('FULL TURBO');
    expect(local.output).toMatch(/No problems in \d+ resources/);
    const ci = build(ws.root, true);
    expect(ci.status, ci.output).toBe(0);
    expect(ci.output).toContain('FULL TURBO');
  }, 300_000);
});

describe('the outputs of the turbo task', () => {
  const ws = suiteTurboWorkspace([APP]);

  it("restores dist/ with the build's record of what it wrote, so validate in a fresh checkout takes the restored dist/ for this checkout's build", () => {
    // A fresh checkout of a commit CI built before: nothing built, no cache of Strata's.
    for (const d of ['dist', '.strata']) rmSync(join(ws.root, d), { recursive: true, force: true });
    const ci = build(ws.root, true);
    expect(ci.status, ci.output).toBe(0);
    expect(ci.output).toContain('FULL TURBO');
    expect(existsSync(join(ws.root, `dist/prod/${APP}.yaml`))).toBe(true);
    const validated = strata(ws.root, ['validate']);
    expect(validated.stdout).not.toContain('[stale-build]');
    expect(validated.stdout).toMatch(/No problems in \d+ resources/);
    expect(validated.status).toBe(0);
  }, 300_000);
});
