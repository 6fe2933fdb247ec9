import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { repo, strata, tempWorkspace } from '@strata/testing/workspace';

// What the tests of `npm run build` share: a copy of the workspace that runs this repository's
// turbo task, and what turbo does with it, in CI and by hand.

/** Runs git in `root` as a user with a name and address, failing the test when git fails; returns what it printed. */
export function git(root: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** Commits everything in `root` that git does not ignore. */
export function commit(root: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'change', '--allow-empty');
}

/** A copy of the workspace with `apps`, this repository's turbo.json and root scripts, in git as a clone is. */
export function turboWorkspace(apps: readonly string[]): ReturnType<typeof tempWorkspace> {
  const ws = tempWorkspace(apps);
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

/**
 * A {@link turboWorkspace} for the tests of the describe block that calls this: made before them and
 * built once as CI builds it, so that its task is in turbo's cache; removed after them.
 */
export function suiteTurboWorkspace(apps: readonly string[]): { readonly root: string } {
  let ws: ReturnType<typeof tempWorkspace> | undefined;
  beforeAll(() => {
    ws = turboWorkspace(apps);
    const first = build(ws.root, true);
    expect(first.status, first.output).toBe(0);
  }, 300_000);
  afterAll(() => ws?.dispose());
  return {
    get root() {
      if (!ws) throw new Error('the workspace of a suite is made before its tests, not while they are collected');
      return ws.root;
    },
  };
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

/** The turbo part of the root `build` script, as `npm run build` runs it after the setup: by hand, or in CI. */
export function build(root: string, ci: boolean, extra: Record<string, string> = {}): { status: number | null; output: string } {
  const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build!;
  const steps = script.split('&&').map((s) => s.trim());
  const command = steps.filter((s) => !s.includes('scripts/setup.mjs')).join(' && ');
  const r = spawnSync('sh', ['-c', command], { cwd: root, encoding: 'utf8', env: envFor(root, ci, extra), timeout: 300_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** What turbo would do with the task `npm run build` runs in CI: restore it (HIT) or run it (MISS). */
export function cacheStatus(root: string, extra: Record<string, string> = {}): string {
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
