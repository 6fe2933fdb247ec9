import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServers, ETCD_SOCKET, freePort, startServer, sweepStale, verify, type Server } from '../src/index.ts';
import { BUILD_TIMEOUT, deployment, isRunning, makeRepo } from './helpers.ts';

/**
 * Runs a fixture script in a child process and resolves with the JSON line it prints. `tmp`: its
 * temporary folder, so that a test can tell what only the next run removes from what any run
 * started meanwhile (another test file's) would sweep.
 */
function runFixture(name: string, tmp?: string): Promise<{ child: ReturnType<typeof spawn>; info: { pids: number[]; dir: string } }> {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(tmp ? { env: { ...process.env, TMPDIR: tmp } } : {}),
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('\n')) resolve({ child, info: JSON.parse(out) as { pids: number[]; dir: string } });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code})`)));
  });
}

function killed(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): Promise<NodeJS.Signals | null> {
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, s) => resolve(s)));
  child.kill(signal);
  return exited;
}

/** Runs `fn` with the OS temporary folder set to `dir`, where the server keeps its folders. */
async function inTmp<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

/** Polls until none of the pids runs; the processes end on their own, so this waits for no clock. */
async function gone(pids: readonly number[]): Promise<number[]> {
  for (let i = 0; i < 300 && pids.some(isRunning); i++) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(isRunning);
}

/** The TCP ports a process listens on, from its socket descriptors and the kernel's socket tables. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // st 0A is LISTEN; column 9 is the socket's inode.
      if (cols[3] === '0A' && inodes.has(cols[9]!)) ports.push(Number.parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

describe('server lifetime', () => {
  it(
    'leaves no server process or folder behind when a run fails part-way',
    async () => {
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
    },
    BUILD_TIMEOUT,
  );

  it(
    'takes the server down when the process gets SIGINT',
    async () => {
      const { child, info } = await runFixture('hold-server.ts');
      expect(info.pids.filter(isRunning)).toHaveLength(2);
      expect(await killed(child, 'SIGINT')).toBe('SIGINT');
      expect(info.pids.filter(isRunning)).toStrictEqual([]);
      expect(existsSync(info.dir)).toBe(false);
    },
    BUILD_TIMEOUT,
  );

  it(
    'ends the servers when the process is killed with SIGKILL, and the next run removes the folder',
    async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'strata-cleanup-'));
      try {
        const { child, info } = await runFixture('hold-server.ts', tmp);
        expect(info.pids.filter(isRunning)).toHaveLength(2);
        // A live run's folder is never swept.
        sweepStale(tmp);
        expect(existsSync(info.dir)).toBe(true);
        expect(await killed(child, 'SIGKILL')).toBe('SIGKILL');
        expect(await gone(info.pids)).toStrictEqual([]);
        // Nothing could clean up after a SIGKILL: the folder waits for the next run.
        expect(existsSync(info.dir)).toBe(true);
        const binaries = await ensureServers();
        const next = await inTmp(tmp, () => startServer(binaries));
        try {
          expect(existsSync(info.dir)).toBe(false);
        } finally {
          await next.stop();
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT,
  );

  it('ends what a killed run left running, when its servers outlived it, and removes its folder', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'strata-cleanup-'));
    try {
      const { child, info } = await runFixture('leave-folder.ts', tmp);
      expect(await killed(child, 'SIGKILL')).toBe('SIGKILL');
      expect(info.pids.filter(isRunning)).toHaveLength(1);
      expect(sweepStale(tmp)).toContain(info.dir);
      expect(await gone(info.pids)).toStrictEqual([]);
      expect(existsSync(info.dir)).toBe(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('a running server', () => {
  let taken: NetServer;
  let takenPort: number;
  let chosen = 0;
  let server: Server;

  beforeAll(async () => {
    // A port that someone else holds by the time the server binds it.
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
    server = await startServer(await ensureServers(), { choosePort: () => (chosen++ === 0 ? Promise.resolve(takenPort) : freePort()) });
  }, BUILD_TIMEOUT);

  afterAll(async () => {
    await server?.stop();
    taken?.close();
  });

  it('chooses another port when the chosen one is taken before the server binds it', async () => {
    expect(chosen).toBe(2);
    expect(new URL(server.url).port).not.toBe(String(takenPort));
    expect((await server.client.request('GET', '/readyz')).status).toBe(200);
  });

  it('keeps etcd off the network: it listens on no TCP port, only on a socket in a private folder', () => {
    const [etcd, api] = server.pids as [number, number];
    expect(listeningPorts(etcd)).toStrictEqual([]);
    // The same probe sees the API server's port, so an empty list above is not a blind spot.
    expect(listeningPorts(api)).toContain(Number(new URL(server.url).port));
    expect(existsSync(join(server.dir, ETCD_SOCKET))).toBe(true);
    expect(statSync(server.dir).mode & 0o077).toBe(0);
  });
});
