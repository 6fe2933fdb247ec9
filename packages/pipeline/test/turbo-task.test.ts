import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, strata, tempWorkspace } from '../../cli/test/workspace.ts';

// The turbo task `npm run build` runs: every file that can change what it produces or decides is in
// its hash, so turbo never restores a result for inputs it was not made from.

const APP = 'tokenplace-relay';

/** A copy of the workspace with one app, this repository's turbo.json and root scripts, in git as a clone is. */
function turboWorkspace(): ReturnType<typeof tempWorkspace> {
  const ws = tempWorkspace([APP]);
  copyFileSync(join(repo, 'turbo.json'), join(ws.root, 'turbo.json'));
  writeFileSync(join(ws.root, '.gitignore'), 'node_modules/\n.tools\n.turbo/\n.strata/\ndist/\n');
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { packageManager: string; scripts: Record<string, string> };
  writeFileSync(
    join(ws.root, 'package.json'),
    JSON.stringify({ name: 'strata-copy', private: true, type: 'module', packageManager: pkg.packageManager, scripts: pkg.scripts }),
  );
  // Only the files this workspace holds are listed in the env roots and gitops/.
  expect(strata(ws.root, ['generate']).status).toBe(0);
  git(ws.root, 'init', '-q');
  commit(ws.root);
  return ws;
}

function git(root: string, ...args: string[]) {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

function commit(root: string) {
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'change', '--allow-empty');
}

/** The environment of a run by hand, or of a CI runner (where `CI` is set), plus `extra`. */
function envFor(root: string, ci: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TURBO_') && !k.startsWith('npm_') && k !== 'CI')),
    // What `npm run build` puts on PATH, plus pnpm itself, which turbo calls to run the task.
    PATH: [join(root, 'node_modules/.bin'), join(repo, '.tools/pnpm/node_modules/.bin'), process.env.PATH].join(delimiter),
    TURBO_TELEMETRY_DISABLED: '1',
    FORCE_COLOR: '0',
    ...extra,
  };
  if (ci) env.CI = 'true';
  return env;
}

/** The turbo part of the root `build` script, as `npm run build` runs it after the setup. */
function build(root: string, ci: boolean, extra: Record<string, string> = {}) {
  const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build!;
  const steps = script.split('&&').map((s) => s.trim());
  const command = steps.filter((s) => !s.includes('scripts/setup.mjs')).join(' && ');
  const r = spawnSync('sh', ['-c', command], { cwd: root, encoding: 'utf8', env: envFor(root, ci, extra), timeout: 300_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** What turbo would do with the task `npm run build` runs in CI: restore it (HIT) or run it (MISS). */
function cacheStatus(root: string, extra: Record<string, string> = {}): string {
  const r = spawnSync('turbo', ['run', 'pipeline:frozen', '--dry=json'], {
    cwd: root,
    encoding: 'utf8',
    env: envFor(root, true, extra),
    timeout: 120_000,
  });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  const plan = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { tasks: { taskId: string; cache: { status: string } }[] };
  const tasks = plan.tasks.filter((t) => t.taskId.startsWith('//#pipeline'));
  expect(tasks).toHaveLength(1);
  return tasks[0]!.cache.status;
}

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
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = turboWorkspace();
    const first = build(ws.root, true);
    expect(first.status, first.output).toBe(0);
  }, 300_000);
  afterAll(() => ws.dispose());

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
  let ws: ReturnType<typeof tempWorkspace>;
  let home: string;
  beforeAll(() => {
    ws = turboWorkspace();
    home = mkdtempSync(join(tmpdir(), 'strata-home-'));
    const first = build(ws.root, true);
    expect(first.status, first.output).toBe(0);
  }, 300_000);
  afterAll(() => {
    ws.dispose();
    rmSync(home, { recursive: true, force: true });
  });

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
  let ws: ReturnType<typeof tempWorkspace>;
  const overlay = () => join(ws.root, `overlays/dev/${APP}/kustomization.yaml`);
  const cached = () => readdirSync(join(ws.root, '.turbo/cache'), { withFileTypes: false }).length;
  beforeAll(() => {
    ws = turboWorkspace();
    const first = build(ws.root, true);
    expect(first.status, first.output).toBe(0);
  }, 300_000);
  afterAll(() => ws.dispose());

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
