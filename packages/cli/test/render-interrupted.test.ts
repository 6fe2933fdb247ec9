import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedFiles, ciOfflinePnpmEnv, offlineMetadata, suiteInstalledCopy, workspaceFiles } from '@strata/testing/workspace-copy';
import { editFile, repo, strata, tempWorkspace } from '@strata/testing/workspace';

// An app whose render never returns holds the thread that SIGINT's and SIGTERM's listeners run on:
// the writers listen (to settle their change to the tree), so the signal must still end the run, by
// its default action, with nothing written, as Ctrl-C, `timeout` and a CI job's cancel expect.
// The render loops in prod alone (its two replicas): set image and promote of dev and staging render
// the env they change on its own first, and meet prod's render as they regenerate the whole app.
const APP = 'tokenplace-relay';
const MARK = 'render-loops-now';
/** Far longer than a run takes to end by the signal, far shorter than a run left hanging. */
const PROMPT_MS = 20_000;

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** From the signal to the end of the run; undefined when no signal was sent. */
  readonly afterSignal?: number;
}

/** Runs `strata args` in `root`, sends `signal` once the render says it loops, and kills the run outright if it is still there 60 s later. */
function interrupted(root: string, args: readonly string[], signal: 'SIGINT' | 'SIGTERM', env: NodeJS.ProcessEnv = {}): Promise<Ended> {
  const child = spawn(process.execPath, [join(root, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', CI: '', ...env },
  });
  let stderr = '';
  let sentAt: number | undefined;
  let stuck: NodeJS.Timeout | undefined;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (sentAt === undefined && stderr.includes(MARK)) {
      sentAt = performance.now();
      process.kill(child.pid!, signal);
      stuck = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
    }
  });
  return new Promise((resolve) =>
    child.on('close', (code, endedBy) => {
      clearTimeout(stuck);
      resolve({ code, signal: endedBy, stderr, ...(sentAt !== undefined ? { afterSignal: performance.now() - sentAt } : {}) });
    }),
  );
}

const git = (root: string, args: readonly string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=strata', '-c', 'user.email=strata@example.invalid', ...args], { cwd: root, encoding: 'utf8' });
  expect(r.status, `git ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};

/** Temporary files of a write left anywhere in the workspace, which git ignores (`*.strata-tmp*`). */
const temporaries = (root: string) =>
  git(root, ['status', '--porcelain', '--ignored', '--untracked-files=all'])
    .split('\n')
    .filter((l) => l.includes('strata-tmp'));

/** Makes the app's render loop in prod; returns the render as it was. */
const loopInProd = (root: string) =>
  editFile(join(root, 'apps', APP, 'src/render.ts'), (text) =>
    text.replace(
      'export function render(c: RelayConfig): KubeObject[] {\n',
      `export function render(c: RelayConfig): KubeObject[] {\n  if (c.replicas === 2) {\n    console.log('${MARK}');\n    for (;;) {}\n  }\n`,
    ),
  );

describe('an app whose render never returns', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  /** The app's render as it was, which ends. */
  let ends: string;
  beforeAll(() => {
    ws = tempWorkspace([APP]);
    // The env roots and gitops/ of a workspace of this app alone, generated before its render loops.
    const gen = spawnSync(process.execPath, [join(ws.root, 'packages/cli/bin/strata.mjs'), 'generate'], { cwd: ws.root, encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    ends = loopInProd(ws.root);
    writeFileSync(join(ws.root, '.gitignore'), `${readFileSync(join(repo, '.gitignore'), 'utf8')}\n/packages/\n/scripts/\n`);
    git(ws.root, ['init', '-q']);
    git(ws.root, ['add', '-A']);
    git(ws.root, ['commit', '-q', '-m', 'workspace']);
  }, 120_000);
  afterAll(() => ws?.dispose());

  for (const [args, signal] of [
    [['generate'], 'SIGINT'],
    [['generate'], 'SIGTERM'],
    [['pipeline'], 'SIGINT'],
    // They write the new pins and the tree in one transaction: the render of the new pins must not
    // run inside it, where the signal's listener has a change to undo and waits for the render.
    [['set', 'image', '--app', APP, '--env', 'dev', ':sha-interrupted'], 'SIGINT'],
    [['set', 'image', '--app', APP, '--env', 'staging', ':1.5.0'], 'SIGTERM'],
    [['promote', '--from', 'staging', '--to', 'dev'], 'SIGINT'],
    [['promote', '--from', 'dev', '--to', 'staging'], 'SIGTERM'],
  ] as const) {
    it(`strata ${args.join(' ')} ends by ${signal} at once, and leaves the workspace as it was`, async () => {
      const r = await interrupted(ws.root, args, signal);
      expect(r.afterSignal, `the render never said it loops: ${r.stderr}`).toBeDefined();
      // Ended by the signal itself, as a shell reports with 130 (SIGINT) or 143 (SIGTERM).
      expect({ code: r.code, signal: r.signal }).toStrictEqual({ code: null, signal });
      expect(r.afterSignal!, r.stderr).toBeLessThan(PROMPT_MS);
      expect(git(ws.root, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
      expect(temporaries(ws.root)).toStrictEqual([]);
    }, 120_000);
  }

  it('the next run after them finds nothing to recover and no writer in its way', () => {
    // The render as it was, which ends: the tree generated before it looped is still its tree.
    writeFileSync(join(ws.root, 'apps', APP, 'src/render.ts'), ends);
    const check = strata(ws.root, ['check']);
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    const set = strata(ws.root, ['set', 'image', '--app', APP, '--env', 'dev', ':sha-after']);
    expect(set.status, set.stderr).toBe(0);
    expect(git(ws.root, ['status', '--porcelain', '--untracked-files=all'])).toContain(`apps/${APP}/images.json`);
    expect(temporaries(ws.root)).toStrictEqual([]);
  }, 120_000);
});

// new-app and import generate every app once theirs is installed, in the transaction that writes
// it: the other apps' renders must not run inside it, where the listener has the change to undo.
describe('new-app and import beside an app whose render never returns', () => {
  const { work, root } = suiteInstalledCopy(repo, 'strata-render-interrupted-');
  let ends: string;
  beforeAll(() => {
    ends = loopInProd(root);
  });
  const sources = ['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=${join(repo, 'packages/import/test/__fixtures__/plain', e)}`]);

  for (const [args, signal] of [
    [['new-app', 'billing'], 'SIGINT'],
    [['import', '--name', 'ledger', ...sources], 'SIGTERM'],
  ] as const) {
    it(`strata ${args[0]} ends by ${signal} at once, and leaves the workspace as it was`, async () => {
      const cache = join(work, `pnpm-cache-${args[0]}`);
      offlineMetadata(root, cache);
      const before = workspaceFiles(root);
      const r = await interrupted(root, args, signal, ciOfflinePnpmEnv(root, cache));
      expect(r.afterSignal, `the render never said it loops: ${r.stderr}`).toBeDefined();
      expect({ code: r.code, signal: r.signal }).toStrictEqual({ code: null, signal });
      expect(r.afterSignal!, r.stderr).toBeLessThan(PROMPT_MS);
      // Temporaries included: every file but those of node_modules, .strata and the like.
      expect(changedFiles(before, workspaceFiles(root))).toStrictEqual([]);
      const journal = join(root, '.strata', 'write');
      expect(existsSync(journal) ? readdirSync(journal).filter((f) => f.startsWith('txn-')) : []).toStrictEqual([]);
    }, 180_000);
  }

  it('the next strata check passes', () => {
    writeFileSync(join(root, 'apps', APP, 'src/render.ts'), ends);
    const check = strata(root, ['check']);
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  }, 180_000);
});
