import { spawnSync } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importApp } from '../src/index.ts';
import { emptyWorkspace, fixtures, repo } from './workspace.ts';

const run = (cwd: string, command: string, args: readonly string[]) => {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('an imported app is an app of the workspace like any other', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(async () => {
    ws = emptyWorkspace();
    for (const f of ['vitest.config.ts', 'scripts']) cpSync(join(repo, f), join(ws.root, f), { recursive: true });
    await importApp(ws.root, { name: 'shop', path: join(fixtures, 'shop'), install: false });
    // What `pnpm install` links: a seed app's dependencies hold every package the import uses.
    symlinkSync(join(repo, 'apps/tensafe/node_modules'), join(ws.root, 'apps/shop/node_modules'));
  }, 120_000);
  afterAll(() => ws.dispose());

  it('generates to the tree the import wrote, passes check and its own tests, and type-checks', { timeout: 300_000 }, () => {
    const strata = join(repo, 'packages/cli/bin/strata.mjs');
    const generate = run(ws.root, process.execPath, [strata, 'generate']);
    // Only the Argo CD files are new: the app's own tree is what generate makes of it.
    expect(generate.out).toMatch(/generate: 1 apps x 3 envs: \d+ written, 0 removed, \d+ unchanged/);
    expect(generate.out.split('\n').filter((l) => l.startsWith('wrote ') && !l.startsWith('wrote gitops/'))).toStrictEqual([]);
    expect(run(ws.root, process.execPath, [strata, 'check']).out).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures/);
    const tests = run(ws.root, join(repo, 'node_modules/.bin/vitest'), ['run', 'apps/shop']);
    expect(tests.out).toMatch(/9 passed, 0 failed/);
    const tsc = run(join(ws.root, 'apps/shop'), join(repo, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json']);
    expect(tsc.out).toBe('');
    expect(tsc.status).toBe(0);
  });
});
