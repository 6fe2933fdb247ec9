import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, suiteWorkspace, tempWorkspace } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';

/**
 * Loaded by Node before the CLI's script: once the process has made a folder whose name starts
 * with `folder` (by mkdtempSync, as makeScratchDir makes them; syncBuiltinESMExports hands the
 * wrapper to the bundle's named imports), SIGKILLs its whole process group, the builder too. The
 * kill lands while the folder exists on every machine, however fast, not when a watcher happens to
 * see it.
 */
const killOnMade = (folder: string) => `import fs from 'node:fs';
import { basename } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
const { mkdtempSync } = fs;
fs.mkdtempSync = function (prefix, ...rest) {
  const made = mkdtempSync(prefix, ...rest);
  if (basename(String(made)).startsWith(${JSON.stringify(folder)})) process.kill(0, 'SIGKILL');
  return made;
};
syncBuiltinESMExports();`;

/**
 * Runs the real CLI in a process group of its own with `env`, SIGKILLed as soon as it has made a
 * folder whose name starts with `folder` (see killOnMade); resolves to the signal it ended with
 * (null when it ended without making one).
 */
function killWhenMade(root: string, args: readonly string[], env: NodeJS.ProcessEnv, folder: string): Promise<NodeJS.Signals | null> {
  const preload = ['--import', `data:text/javascript,${encodeURIComponent(killOnMade(folder))}`];
  const child = spawn(process.execPath, [...preload, join(root, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd: root,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, FORCE_COLOR: '0', ...env },
  });
  return new Promise((resolve) => child.on('close', (_code, signal) => resolve(signal)));
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
    expect(await killWhenMade(ws.root, args, env, folder)).toBe('SIGKILL');
    // The one it was killed on, and any other it had made by then (kubeconform may run over two sets of files at once).
    expect(left().some((n) => n.startsWith(folder))).toBe(true);
    const next = strata(ws.root, args, undefined, env);
    expect(next.status, next.stderr).toBe(0);
    expect(left()).toStrictEqual([]);
  });

  it("strata generate killed while its scratch folder exists: the next command removes it, even one that makes none, and keeps a live run's", async () => {
    const env = { TMPDIR: scratch, CI: '' };
    expect(await killWhenMade(ws.root, ['generate'], env, 'strata-apps-')).toBe('SIGKILL');
    expect(left().some((n) => n.startsWith('strata-apps-'))).toBe(true);
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
