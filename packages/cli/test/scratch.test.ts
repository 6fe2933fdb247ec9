import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from './workspace.ts';

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
    expect(left().filter((n) => n.startsWith(folder))).toHaveLength(1);
    const next = strata(ws.root, args, undefined, env);
    expect(next.status, next.stderr).toBe(0);
    expect(left()).toStrictEqual([]);
  });
});
