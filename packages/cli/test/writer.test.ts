import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace, treeOf } from './workspace.ts';

const APP = 'tokenplace-relay';

/** Runs `script` (ESM, TypeScript imports allowed) in its own Node process in `root`. */
function node(root: string, script: string) {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('strata and a writer that was killed or is still running', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = tempWorkspace([APP]);
  });
  afterAll(() => ws.dispose());

  it('a generate killed half-way through writing is completed by the next command', async () => {
    // The copy has no env roots and no gitops/ yet: the first generate writes several files.
    const killed = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { generate } = await import(${JSON.stringify(join(ws.root, 'packages/pipeline/src/generate.ts'))});
         await generate(process.cwd(), {}, { beforeCommitStep: (step) => { if (step === 2) process.kill(process.pid, 'SIGKILL'); } });`,
      ],
      { cwd: ws.root, encoding: 'utf8' },
    );
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(existsSync(join(ws.root, '.strata/write'))).toBe(true);

    // Any command will do; this one then shows that the tree is the complete new one.
    const r = strata(ws.root, ['generate', '--dry-run']);
    expect(r.stderr).toMatch(/^strata: completed the change to the tree that an interrupted run had committed \(\d+ files\)$/m);
    expect(r.stdout).toMatch(/no changes, \d+ files up to date/);
    expect(r.status).toBe(0);
    expect(existsSync(join(ws.root, '.strata/write'))).toBe(false);
    const temporaries = readdirSync(ws.root, { recursive: true, encoding: 'utf8' }).filter((f) => !f.startsWith('node_modules') && f.includes('strata-tmp'));
    expect(temporaries).toStrictEqual([]);
  }, 300_000);

  it('generate refuses in one line with exit 2 while another writer holds the tree', async () => {
    const holder = node(ws.root, `const { lockTree } = await import(${JSON.stringify(join(ws.root, 'packages/emit/src/lock.ts'))}); lockTree(process.cwd()); console.log('locked'); setInterval(() => {}, 1000);`);
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        holder.on('close', () => reject(new Error('the holder ended early')));
      });
      const before = treeOf(ws.root);
      const r = strata(ws.root, ['generate']);
      expect(r.stderr.trimEnd()).toBe(`strata: another strata generate (pid ${holder.pid}) is running; wait for it or stop it`);
      expect(r.status).toBe(2);
      expect(treeOf(ws.root)).toStrictEqual(before);
    } finally {
      holder.kill('SIGKILL');
    }
  }, 300_000);
});
