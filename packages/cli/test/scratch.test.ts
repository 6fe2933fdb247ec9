import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, suiteWorkspace, tempWorkspace } from './workspace.ts';

const APP = 'tokenplace-relay';

/**
 * Runs the real CLI in a process group of its own with `env`, and SIGKILLs the group (the builder
 * too) as soon as a folder whose name starts with `folder` appears in `watch`; resolves to the
 * signal it ended with (null when it ended before any such folder appeared).
 */
function killWhenMade(root: string, args: readonly string[], env: NodeJS.ProcessEnv, watch: string, folder: string): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [join(root, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd: root,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, FORCE_COLOR: '0', ...env },
  });
  const poll = setInterval(() => {
    if (readdirSync(watch).some((n) => n.startsWith(folder))) {
      clearInterval(poll);
      process.kill(-child.pid!, 'SIGKILL');
    }
  }, 2);
  return new Promise((resolve) =>
    child.on('close', (_code, signal) => {
      clearInterval(poll);
      resolve(signal);
    }),
  );
}

// A SIGKILLed run cannot remove what it made in TMPDIR (the apps' compiled bundle, kubeconform's
// inputs); the next run removes it, so killed runs never pile folders up there.
describe('a killed strata leaves no scratch folder in TMPDIR', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let scratch: string;
  beforeAll(() => {
    ws = tempWorkspace([APP]);
    expect(strata(ws.root, ['generate']).status).toBe(0);
    scratch = mkdtempSync(join(tmpdir(), 'strata-scratch-test-'));
  });
  afterAll(() => {
    ws.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });
  const left = () => readdirSync(scratch).filter((n) => n.startsWith('strata-'));

  it.each([
    ['generate', ['generate'], 'strata-apps-'],
    ['pipeline', ['pipeline', '--no-cache', '--no-frozen'], 'strata-validate-'],
  ])('strata %s killed while its scratch folder exists: the next run removes it', async (_name, args, folder) => {
    const env = { TMPDIR: scratch, CI: '' };
    expect(await killWhenMade(ws.root, args, env, scratch, folder)).toBe('SIGKILL');
    // One or more: kubeconform may be running over two sets of files at the moment of the kill.
    expect(left().filter((n) => n.startsWith(folder)).length).toBeGreaterThanOrEqual(1);
    const next = strata(ws.root, args, undefined, env);
    expect(next.status, next.stderr).toBe(0);
    expect(left()).toStrictEqual([]);
  });

  it("strata generate killed while its scratch folder exists: the next command removes it, even one that makes none, and keeps a live run's", async () => {
    const env = { TMPDIR: scratch, CI: '' };
    expect(await killWhenMade(ws.root, ['generate'], env, scratch, 'strata-apps-')).toBe('SIGKILL');
    expect(left()).toHaveLength(1);
    const live = `strata-apps-${process.pid}-abc123`;
    mkdirSync(join(scratch, live));
    try {
      const next = strata(ws.root, ['crd', 'ls'], undefined, env);
      expect(next.status, next.stderr).toBe(0);
      expect(left()).toStrictEqual([live]);
    } finally {
      rmSync(join(scratch, live), { recursive: true });
    }
  });
});

// A writer killed between writing a file and renaming it over the old one leaves the temporary
// file beside it: in the pipeline's cache and in dist/, which are written outside the tree's
// transactions. Any next command removes those of processes that are gone, not only the next writer.
describe('temporary files a killed writer left in the cache and dist/', () => {
  const ws = suiteWorkspace([APP]);

  it('are removed by the next command, whichever it is; a live writer keeps its own', async () => {
    // A pid that is gone: a process that has ended.
    const gone = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.on('close', () => resolve(child.pid!));
    });
    const stale = [`.strata/cache/.pipeline.json.strata-tmp-${gone}-3`, `dist/dev/.${APP}.yaml.strata-tmp-${gone}-7`];
    const live = `dist/prod/.${APP}.yaml.strata-tmp-${process.pid}-1`;
    for (const file of [...stale, live]) {
      mkdirSync(join(ws.root, dirname(file)), { recursive: true });
      writeFileSync(join(ws.root, file), 'half');
    }
    const r = strata(ws.root, ['crd', 'ls']);
    expect(r.status, r.stderr).toBe(0);
    for (const file of stale) expect(existsSync(join(ws.root, file)), file).toBe(false);
    expect(existsSync(join(ws.root, live))).toBe(true);
  });
});
