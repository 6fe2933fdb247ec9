import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo, suiteWorkspace, treeOf } from './workspace.ts';

// Ctrl-C at a terminal sends SIGINT to the whole process group, so the model generator that crd add
// runs dies of it too. The run is interrupted, says so, and writes nothing: it neither reports the
// generator as failed nor goes on to commit the CRD once the generator is gone.
describe('strata crd add interrupted while its models are generated', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);

  it('ends as interrupted with nothing written, not as a failed generator', async () => {
    const tree = () =>
      treeOf(
        ws.root,
        ['crds', 'packages/crd-models'].filter((d) => existsSync(join(ws.root, d))),
      );
    const before = tree();
    const child = spawn(
      process.execPath,
      [join(ws.root, 'packages/cli/bin/strata.mjs'), 'crd', 'add', join(repo, 'packages/crds/__fixtures__/widgets.yaml')],
      {
        cwd: ws.root,
        detached: true, // a process group of its own, as a terminal's job
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    // Once the generator runs in the group, the group gets the terminal's signal.
    const deadline = Date.now() + 120_000;
    const generating = () => spawnSync('pgrep', ['-g', String(child.pid), '-f', 'crd-generate'], { encoding: 'utf8' }).stdout.trim() !== '';
    while (!generating()) {
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
