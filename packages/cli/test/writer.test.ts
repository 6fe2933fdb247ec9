import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, suiteWorkspace, tempWorkspace, treeOf } from '@strata/testing/workspace';
import { filesIn } from '@strata/project';

const APP = 'tokenplace-relay';

/** Runs `script` (ESM, TypeScript imports allowed) in its own Node process in `root`. */
function node(root: string, script: string) {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('strata and a writer that was killed or is still running', () => {
  const ws = suiteWorkspace([APP]);

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
    const temporaries = filesIn(ws.root, { skip: ['node_modules'] }).filter((f) => f.includes('strata-tmp'));
    expect(temporaries).toStrictEqual([]);
  }, 300_000);

  it('generate refuses in one line with exit 2 while another writer holds the tree', async () => {
    const holder = node(
      ws.root,
      `const { lockTree } = await import(${JSON.stringify(join(ws.root, 'packages/emit/src/lock.ts'))}); lockTree(process.cwd()); console.log('locked'); setInterval(() => {}, 1000);`,
    );
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

/** How a child process ended, with what it printed. */
function ended(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** What a pipeline leaves behind: every built file, and the cache's verdicts (their seals, which hash what they judged). */
function pipelineState(root: string) {
  const dist: Record<string, string> = {};
  for (const e of readdirSync(join(root, 'dist'), { withFileTypes: true, recursive: true })) {
    if (e.isFile()) dist[join(e.parentPath, e.name).slice(root.length + 1)] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  const cache = JSON.parse(readFileSync(join(root, '.strata/cache/pipeline.json'), 'utf8')) as {
    tool: string;
    apps: Record<string, { seal: string }>;
    shared?: { seal: string };
  };
  const seals = Object.fromEntries(Object.entries(cache.apps).map(([app, entry]) => [app, entry.seal]));
  const leftovers = [
    ...readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' }),
    ...readdirSync(join(root, '.strata'), { recursive: true, encoding: 'utf8' }),
  ].filter((f) => f.includes('tmp'));
  return { dist, tool: cache.tool, seals, shared: cache.shared?.seal, leftovers };
}

describe('two pipelines on one tree', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let reference: ReturnType<typeof pipelineState>;
  const busy = (pid: number) => `strata: another strata pipeline (pid ${pid}) is running; wait for it or stop it\n`;
  beforeAll(() => {
    ws = tempWorkspace([APP]);
    // The copy's env roots and gitops/ must list just its app before a frozen (CI) pipeline runs.
    expect(strata(ws.root, ['generate']).status).toBe(0);
    const r = strata(ws.root, ['pipeline', '--no-cache']);
    expect(r.status, r.stderr).toBe(0);
    reference = pipelineState(ws.root);
    expect(reference.leftovers).toStrictEqual([]);
  }, 300_000);
  afterAll(() => ws.dispose());

  it('a second pipeline refuses in one line naming the running one, even while that one is past writing the tree', async () => {
    const release = join(ws.root, 'release');
    // Stops in the build phase, after the tree is written, holding the lock until told to go on.
    const first = node(
      ws.root,
      `const { existsSync } = await import('node:fs');
       const { pipeline } = await import(${JSON.stringify(join(ws.root, 'packages/pipeline/src/index.ts'))});
       let held = false;
       const r = await pipeline(process.cwd(), { cache: false, onBuild: () => {
         if (held) return;
         held = true;
         process.stdout.write('building\\n');
         while (!existsSync(${JSON.stringify(release)})) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
       } });
       process.stdout.write('done ' + r.built.failed + ' ' + r.problems.filter((p) => p.severity === 'error').length + '\\n');`,
    );
    const end = ended(first);
    try {
      await new Promise<void>((resolve, reject) => {
        first.stdout!.on('data', (d: Buffer) => d.toString().includes('building') && resolve());
        void end.then((r) => reject(new Error(`the first pipeline ended early: ${r.stderr}`)));
      });
      const second = strata(ws.root, ['pipeline', '--no-cache']);
      expect(second.stderr).toBe(busy(first.pid!));
      expect(second.status).toBe(2);
      const other = strata(ws.root, ['build']);
      expect(other.stderr).toBe(busy(first.pid!));
      expect(other.status).toBe(2);
    } finally {
      writeFileSync(release, '');
    }
    const r = await end;
    expect(r.stdout, r.stderr).toContain('done 0 0');
    expect(pipelineState(ws.root)).toStrictEqual(reference);
  }, 300_000);

  it("two pipelines started together end with a dist/ and a cache that are one run's", async () => {
    const trials = 3;
    const outcomes = { ranOneAfterTheOther: 0, refused: 0 };
    for (let trial = 0; trial < trials; trial++) {
      const children = [0, 1].map(() =>
        spawn(process.execPath, [join(ws.root, 'packages/cli/bin/strata.mjs'), 'pipeline', '--no-cache'], {
          cwd: ws.root,
          env: { ...process.env, FORCE_COLOR: '0' },
        }),
      );
      const ends = await Promise.all(children.map(ended));
      for (const [i, e] of ends.entries()) {
        expect([0, 2], e.stderr).toContain(e.code);
        if (e.code === 2) expect(e.stderr).toBe(busy(children[1 - i]!.pid!));
      }
      expect(ends.some((e) => e.code === 0)).toBe(true);
      if (ends.every((e) => e.code === 0)) outcomes.ranOneAfterTheOther++;
      else outcomes.refused++;
      expect(pipelineState(ws.root), `trial ${trial}`).toStrictEqual(reference);
    }
    // And what they left is what the next run trusts: nothing to redo.
    const warm = strata(ws.root, ['pipeline']);
    expect(warm.stdout).toContain('1 of 1 app unchanged since the last run, reused');
    expect(warm.status).toBe(0);
    console.info(
      `concurrent pipelines: ${trials} trials of two \`strata pipeline --no-cache\` started together; ${outcomes.refused} refused (the tree busy for longer than the wait), ${outcomes.ranOneAfterTheOther} ran one after the other; dist/ and the cache were exactly one run's every time`,
    );
  }, 600_000);
});
