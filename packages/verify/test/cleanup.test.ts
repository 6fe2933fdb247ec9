import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verify, type Server } from '../src/index.ts';
import { deployment, isRunning, makeRepo } from './helpers.ts';

// On a fresh clone the first test to ask builds the server binaries (minutes, once).
const BUILD_TIMEOUT = 15 * 60_000;

describe('server lifetime', () => {
  it('leaves no server process or folder behind when a run fails part-way', async () => {
    const repo = makeRepo({ 'dev/web': [deployment('web', 'cleanup')] });
    let started: Server | undefined;
    const run = verify(repo, {
      onServer: (s) => (started = s),
      onPhase: (name) => {
        if (name === 'crds') throw new Error('stopped after the CRDs');
      },
    });
    await expect(run).rejects.toThrow('stopped after the CRDs');
    rmSync(repo, { recursive: true, force: true });
    expect(started!.pids).toHaveLength(2);
    expect(started!.pids.filter(isRunning)).toStrictEqual([]);
    expect(existsSync(started!.dir)).toBe(false);
  }, BUILD_TIMEOUT);

  it('takes the server down when the process gets SIGINT', async () => {
    const script = fileURLToPath(new URL('./fixtures/hold-server.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ pids: number[]; dir: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out) as { pids: number[]; dir: string });
      });
      child.once('exit', (code) => reject(new Error(`hold-server exited early (${code})`)));
    });
    expect(info.pids.filter(isRunning)).toHaveLength(2);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(info.pids.filter(isRunning)).toStrictEqual([]);
    expect(existsSync(info.dir)).toBe(false);
  }, BUILD_TIMEOUT);
});
