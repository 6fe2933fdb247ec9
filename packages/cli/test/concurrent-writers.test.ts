import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo, strata, suiteWorkspace, tempWorkspace, treeOf } from '@strata/testing/workspace';

// Two writers at once, in a fixed order: the first is started while another process holds the
// tree's lock, and stopped (SIGSTOP) as soon as it waits for the lock; the lock is let go, the
// second runs to its end, then the first goes on. Whatever the first read before it asked for the
// lock is then stale: a writer that reads only under the lock keeps the second one's change.

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

interface Ended {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function ended(child: ChildProcess): Promise<Ended> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * Runs `first` until it waits for the tree's lock (held meanwhile by a live process, as a running
 * generate holds it), stops it there, runs `second` to its end with the lock free, then lets
 * `first` go on; returns how each ended.
 */
async function firstWaitsWhileSecondRuns(root: string, first: readonly string[], second: readonly string[]): Promise<[Ended, Ended]> {
  const dir = join(root, '.strata/write');
  mkdirSync(dir, { recursive: true });
  const holder = spawn('sleep', ['600']);
  const start = readFileSync(`/proc/${holder.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
  writeFileSync(join(dir, 'lock'), `${holder.pid} ${start} strata generate\n`);
  try {
    const child = spawn(process.execPath, [join(root, 'packages/cli/bin/strata.mjs'), ...first], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const end = ended(child);
    // A writer tries the lock through drafts named lock.<pid>.<n>: every command tries it once as it
    // starts (to recover a killed writer's change), and a writer waiting for it tries again every
    // 50 ms; a third draft is one of the wait.
    await new Promise<void>((resolve, reject) => {
      const watcher = watch(dir, (_event, name) => {
        const draft = new RegExp(`^lock\\.${child.pid}\\.(\\d+)$`).exec(name ?? '');
        if (!draft || Number(draft[1]) < 3) return;
        child.kill('SIGSTOP');
        watcher.close();
        resolve();
      });
      void end.then((r) => {
        watcher.close();
        reject(new Error(`strata ${first.join(' ')} ended before it waited for the lock: ${r.stderr}`));
      });
    });
    unlinkSync(join(dir, 'lock'));
    const other = strata(root, second);
    child.kill('SIGCONT');
    const done = await end;
    return [done, { code: other.status, stdout: other.stdout, stderr: other.stderr }];
  } finally {
    holder.kill('SIGKILL');
  }
}

describe('two writers at once keep both changes', () => {
  const ws = suiteWorkspace(['tensafe'], { generate: true, timeout: 300_000 });
  const pins = () => readFileSync(join(ws.root, 'apps/tensafe/images.json'), 'utf8');
  const overlay = (env: string) => readFileSync(join(ws.root, 'overlays', env, 'tensafe/namespaced/kustomization.yaml'), 'utf8');

  it('two set image runs of one app: both pins are kept, and both overlays run them', async () => {
    const [a, b] = await firstWaitsWhileSecondRuns(
      ws.root,
      ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'redis', `@${D1}`],
      ['set', 'image', '--app', 'tensafe', '--env', 'staging', '--container', 'redis', `@${D2}`],
    );
    expect(b.code, b.stderr).toBe(0);
    expect(a.code, a.stderr).toBe(0);
    expect(pins()).toContain(D1);
    expect(pins()).toContain(D2);
    expect(overlay('dev')).toContain(D1);
    expect(overlay('staging')).toContain(D2);
    const check = strata(ws.root, ['check']);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  }, 300_000);

  it('a generate waiting while set image commits does not put the old image back', async () => {
    const D3 = `sha256:${'3'.repeat(64)}`;
    const [g, s] = await firstWaitsWhileSecondRuns(
      ws.root,
      ['generate'],
      ['set', 'image', '--app', 'tensafe', '--env', 'dev', '--container', 'redis', `@${D3}`],
    );
    expect(s.code, s.stderr).toBe(0);
    expect(g.code, g.stderr).toBe(0);
    expect(pins()).toContain(D3);
    expect(overlay('dev')).toContain(D3);
    const before = treeOf(ws.root);
    const check = strata(ws.root, ['check']);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(treeOf(ws.root)).toStrictEqual(before);
  }, 300_000);
});

describe('new-app and import at once register both apps', () => {
  const importLedger = [
    'import',
    '--name',
    'ledger',
    '--no-install',
    ...['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=${join(repo, 'packages/import/test/__fixtures__/plain', e)}`]),
  ];
  const registered = (root: string) =>
    Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies)
      .filter((d) => d.startsWith('@strata-apps/'))
      .sort();

  for (const [order, first, second] of [
    ['new-app waits while import runs', ['new-app', 'billing', '--no-install'], importLedger],
    ['import waits while new-app runs', importLedger, ['new-app', 'billing', '--no-install']],
  ] as const) {
    it(`${order}: package.json registers both`, async () => {
      const ws = tempWorkspace(['tokenplace-relay']);
      try {
        const [a, b] = await firstWaitsWhileSecondRuns(ws.root, first, second);
        expect(b.code, b.stderr).toBe(0);
        expect(a.code, a.stderr).toBe(0);
        expect(registered(ws.root)).toStrictEqual(['@strata-apps/billing', '@strata-apps/ledger', '@strata-apps/tokenplace-relay']);
      } finally {
        ws.dispose();
      }
    }, 300_000);
  }
});

describe('two crd add at once keep both CRDs', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);

  it('the CRD added while the other run waited is kept, with its schemas', async () => {
    const fixture = (f: string) => join(repo, 'packages/crds/__fixtures__', f);
    const [a, b] = await firstWaitsWhileSecondRuns(
      ws.root,
      ['crd', 'add', fixture('widgets.yaml'), '--no-models'],
      ['crd', 'add', fixture('gauges.yaml'), '--no-models'],
    );
    expect(b.code, b.stderr).toBe(0);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/0 removed/);
    const ls = strata(ws.root, ['crd', 'ls']);
    expect(ls.stdout).toContain('widgets.toys.example.com');
    expect(ls.stdout).toContain('gauges.meters.example.com');
    expect(treeOf(ws.root, ['crds/schemas'])).toSatisfy((files: Record<string, string>) =>
      ['crds/schemas/toys.example.com/', 'crds/schemas/meters.example.com/'].every((dir) => Object.keys(files).some((f) => f.startsWith(dir))),
    );
  }, 300_000);
});
