import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { repo, suiteWorkspace, treeOf } from '@strata/testing/workspace';

/**
 * Loaded by every Node process of the run (NODE_OPTIONS): in the model generator alone, writes its
 * pid to `mark` and then holds it there until a signal ends it, so the terminal's signal finds it
 * running on every machine, however fast it would have been done.
 */
const holdGenerator = (mark: string) => `import { writeFileSync } from 'node:fs';
if (/crd-generate.js$/.test(process.argv[1] ?? '')) {
  writeFileSync(${JSON.stringify(mark)}, String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}`;

// Ctrl-C at a terminal sends SIGINT to the whole process group, so the model generator that crd add
// runs dies of it too. The run is interrupted, says so, and writes nothing: it neither reports the
// generator as failed nor goes on to commit the CRD once the generator is gone.
describe('strata crd add interrupted while its models are generated', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);
  const { dir } = suiteTempDir('strata-crd-interrupted-');

  it('ends as interrupted with nothing written, not as a failed generator', async () => {
    const tree = () =>
      treeOf(
        ws.root,
        ['crds', 'packages/crd-models'].filter((d) => existsSync(join(ws.root, d))),
      );
    const before = tree();
    const mark = join(dir, 'generating');
    const child = spawn(
      process.execPath,
      [join(ws.root, 'packages/cli/bin/strata.mjs'), 'crd', 'add', join(repo, 'packages/crds/__fixtures__/widgets.yaml')],
      {
        cwd: ws.root,
        detached: true, // a process group of its own, as a terminal's job
        env: {
          ...process.env,
          FORCE_COLOR: '0',
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=data:text/javascript,${encodeURIComponent(holdGenerator(mark))}`.trim(),
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    // Once the generator runs in the group (it says so, and waits), the group gets the terminal's signal.
    const deadline = Date.now() + 120_000;
    while (!existsSync(mark)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the generator never ran:\n${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(-child.pid!, 'SIGINT');
    const end = await ended;
    expect(end.signal ?? end.code, stderr).toBe('SIGINT');
    expect(stderr).toMatch(/^strata: interrupted \(SIGINT\)/m);
    expect(stderr, stderr).not.toMatch(/crd-generate (failed|was stopped)/);
    expect(stdout).not.toMatch(/added widgets/);
    expect(tree()).toStrictEqual(before);
  }, 300_000);
});
