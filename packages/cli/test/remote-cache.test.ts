import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { cleanEnv, installedCopy, type Run, run } from '@strata/testing/workspace-copy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo } from '@strata/testing/workspace';

// Two CI runners that share turbo's remote cache: a real self-hosted cache server on loopback and
// two fresh copies of the working tree, each with its own node_modules. The second copy must restore
// every task from the server and end up with the same emitted tree, byte for byte.

const TEAM = 'strata';
const EMITTED = ['base', 'overlays', 'gitops', 'dist'];

interface CacheServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The `turborepo-remote-cache` server on loopback, storing artifacts as files under `storage`. */
async function startCacheServer(storage: string, token: string): Promise<CacheServer> {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('turborepo-remote-cache/package.json');
  const bin = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin: Record<string, string> }).bin['turborepo-remote-cache']!;
  const child = spawn(process.execPath, [join(dirname(pkgFile), bin)], {
    // Only what the server is meant to read: it validates its whole environment against a schema.
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0', // any free port; the server logs the one it got, so there is no race for it
      STORAGE_PROVIDER: 'local',
      STORAGE_PATH: storage,
      STORAGE_PATH_USE_TMP_FOLDER: 'false',
      TURBO_TOKEN: token,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Should the test process die before afterAll, the server must not outlive it.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  try {
    const url = await listeningUrl(child);
    await waitUntilAnswers(url, token);
    return { url, pid: child.pid!, stop: () => stopServer(child, kill) };
  } catch (err) {
    await stopServer(child, kill);
    throw err;
  }
}

/** The address from the server's "Server listening at" line; keeps draining its output afterwards. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`cache server did not start in 30s:\n${log}`)), 30_000);
    const onData = (d: Buffer) => {
      log = (log + d).slice(-20_000);
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cache server exited with ${code}:\n${log}`));
    });
  });
}

async function waitUntilAnswers(url: string, token: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/v8/artifacts/status`, { headers: { authorization: `Bearer ${token}` } });
      if (res.ok && ((await res.json()) as { status?: string }).status === 'enabled') return;
    } catch {
      // not accepting connections yet
    }
    if (Date.now() > deadline) throw new Error(`cache server at ${url} did not answer in 30s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM lets the server close gracefully; SIGKILL if it has not gone after 15s. */
async function stopServer(child: ChildProcess, kill: () => void): Promise<void> {
  process.off('exit', kill);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(kill, 15_000);
  await exited;
  clearTimeout(timer);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The root `build` script after its setup step, as CI runs it. */
function pipelineCommand(root: string): string {
  const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build!;
  const steps = script.split('&&').map((s) => s.trim());
  const setup = steps.findIndex((s) => s.includes('scripts/setup.mjs'));
  if (setup < 0 || setup === steps.length - 1) throw new Error(`no step after the setup in the build script: ${script}`);
  return steps.slice(setup + 1).join(' && ');
}

interface TaskSummary {
  taskId: string;
  hash: string;
  command: string;
  cache: { status: string; source?: string };
}

interface RunSummary {
  execution: { attempted: number; cached: number; success: number; failed: number; exitCode: number };
  tasks: TaskSummary[];
}

/** Runs the pipeline in a copy against the cache server and returns turbo's run summary. */
async function pipeline(copy: string, server: CacheServer, token: string): Promise<{ run: Run; summary: RunSummary }> {
  const env = {
    ...cleanEnv(),
    // What `npm run build` puts on PATH, plus pnpm itself, which turbo calls to run each task.
    PATH: [join(copy, 'node_modules/.bin'), join(copy, '.tools/pnpm/node_modules/.bin'), process.env.PATH].join(delimiter),
    TURBO_API: server.url,
    TURBO_TOKEN: token,
    TURBO_TEAM: TEAM,
    // Runners: only a CI run, which is frozen, reads and writes turbo's cache.
    CI: 'true',
    // The same as --summarize: .turbo/runs/<id>.json with each task's hash and cache status.
    TURBO_RUN_SUMMARY: 'true',
    FORCE_COLOR: '0',
  };
  const r = await run('sh', ['-c', pipelineCommand(copy)], copy, env, 300_000);
  expect(r.status, r.output).toBe(0);
  const runs = join(copy, '.turbo/runs');
  const files = readdirSync(runs).filter((f) => f.endsWith('.json'));
  expect(files, 'one run summary').toHaveLength(1);
  return { run: r, summary: JSON.parse(readFileSync(join(runs, files[0]!), 'utf8')) as RunSummary };
}

/** Tasks that run a command: a package without the script is listed by turbo but never runs or caches. */
function tasksOf(summary: RunSummary): TaskSummary[] {
  return summary.tasks.filter((t) => t.command !== '<NONEXISTENT>');
}

function hashes(summary: RunSummary): Record<string, string> {
  return Object.fromEntries(tasksOf(summary).map((t) => [t.taskId, t.hash]));
}

/** Every file of the emitted folders, by path relative to the copy. */
function emitted(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const top of EMITTED) {
    if (!existsSync(join(root, top))) continue;
    for (const e of readdirSync(join(root, top), { withFileTypes: true, recursive: true })) {
      if (e.isFile()) out.set(join(e.parentPath, e.name).slice(root.length + 1), readFileSync(join(e.parentPath, e.name)));
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('turbo remote cache shared between two runners', () => {
  const token = randomBytes(16).toString('hex');
  let work: string;
  let copies: [string, string];
  let storage: string;
  let server: CacheServer | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'strata-remote-cache-'));
    copies = [join(work, 'runner-1'), join(work, 'runner-2')];
    storage = join(work, 'cache');
    mkdirSync(storage);
    // The pinned kustomize, kubeconform and pnpm are the same on every runner; the dependencies are
    // installed per copy from the lockfile, as a runner would.
    for (const copy of copies) {
      await installedCopy(repo, copy);
      // A clone, as a runner checks out: turbo takes the task's inputs from git (what it would commit).
      for (const args of [
        ['init', '-q'],
        ['add', '-A'],
        ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'clone'],
      ])
        expect(spawnSync('git', args, { cwd: copy }).status).toBe(0);
    }
    server = await startCacheServer(storage, token);
  }, 300_000);

  afterAll(async () => {
    const pid = server?.pid;
    await server?.stop();
    if (pid !== undefined) expect(alive(pid), 'cache server still running').toBe(false);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a second fresh copy restores every task from the server and emits the same bytes', { timeout: 600_000 }, async () => {
    const [one, two] = copies;

    const first = await pipeline(one, server!, token);
    const ran = tasksOf(first.summary);
    expect(ran.length).toBeGreaterThan(0);
    // An empty cache: every task runs, and the server keeps one artifact per task hash.
    expect(ran.filter((t) => t.cache.status !== 'MISS').map((t) => t.taskId)).toEqual([]);
    expect(first.summary.execution).toMatchObject({ attempted: ran.length, cached: 0, failed: 0 });
    expect(ran.filter((t) => !existsSync(join(storage, TEAM, t.hash))).map((t) => t.taskId)).toEqual([]);

    // Nothing generated may reach the second runner except through the cache.
    for (const generated of ['dist', '.turbo']) rmSync(join(two, generated), { recursive: true, force: true });
    const second = await pipeline(two, server!, token);
    const restored = tasksOf(second.summary);
    // Same task hashes: nothing machine- or path-specific goes into them.
    expect(hashes(second.summary)).toEqual(hashes(first.summary));
    expect(
      restored.filter((t) => t.cache.status !== 'HIT' || t.cache.source !== 'REMOTE').map((t) => `${t.taskId}: ${JSON.stringify(t.cache)}`),
    ).toEqual([]);
    // `success` counts the tasks whose command ran; a cache hit does not run it.
    expect(second.summary.execution).toMatchObject({ attempted: restored.length, cached: restored.length, success: 0, failed: 0 });

    const a = emitted(one);
    const b = emitted(two);
    expect([...a.keys()].filter((f) => f.startsWith('dist/')).length, 'dist/ was built').toBeGreaterThan(0);
    expect([...b.keys()]).toEqual([...a.keys()]);
    expect([...a].filter(([f, bytes]) => !bytes.equals(b.get(f)!)).map(([f]) => f)).toEqual([]);
  });
});
