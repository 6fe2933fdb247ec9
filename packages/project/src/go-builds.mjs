// The Go programs built once per machine into a cache every checkout of the user shares: the pinned
// etcd and kube-apiserver that `strata verify` starts (Go mains in packages/verify/server/), and the
// helper of packages/server-validation that runs the API server's own validation offline for
// `strata validate`. Each binary lives in a folder named by the hash of its main, go.mod and go.sum,
// so checkouts at other versions keep their own and a second clone builds nothing. Plain JavaScript
// (types in go-builds.d.mts), so that scripts/install-servers.mjs runs it with plain Node before
// anything is compiled; it prints nothing: what it has to say goes to the caller's `onProgress`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

// This file's own checkout: its programs' sources are the ones this code was written for.
const packagesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Strata checkout this code belongs to: its .tools/bin holds the tools the setup script builds (kustomize, the builder). */
export function strataCheckout() {
  return dirname(packagesDir);
}

/**
 * The per-user cache: $STRATA_SERVER_CACHE, else $XDG_CACHE_HOME/strata/servers, else
 * ~/.cache/strata/servers. Read at each call, so a change of the environment takes effect.
 */
export function serverCacheDir() {
  return process.env.STRATA_SERVER_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'strata', 'servers');
}

// Ordered by size: the API server's link dominates, so it starts first. `estimate`: measured on 2
// cores with an empty Go build cache, the module download included; `relink`: when the Go build cache
// still holds an earlier build of the same modules and only a main changed.
const SERVERS = [
  {
    name: 'kube-apiserver',
    what: 'kube-apiserver v1.36.3',
    estimate: 'about 10 minutes',
    relink: 'about a minute',
    dir: join(packagesDir, 'verify', 'server', 'kube-apiserver'),
    binary: 'kube-apiserver',
  },
  {
    name: 'etcd',
    what: 'etcd v3.6.8',
    estimate: 'about 3 minutes',
    relink: 'about 10 seconds',
    dir: join(packagesDir, 'verify', 'server', 'etcd'),
    binary: 'etcd',
  },
];
// Links the same k8s.io/kubernetes packages as kube-apiserver: after that build, Go's build cache
// leaves mostly the link to do.
const HELPER = {
  name: 'server-validation',
  what: 'the server validation helper (k8s.io/kubernetes v1.36.3)',
  estimate: 'about 8 minutes, 2 after kube-apiserver',
  relink: 'about a minute',
  dir: join(packagesDir, 'server-validation', 'helper'),
  binary: 'strata-server-validation',
};

/** The targets a caller can ask for: `servers` (etcd and kube-apiserver), `server-validation` (the helper), `all`. */
export const GO_BUILD_TARGETS = ['servers', 'server-validation', 'all'];

/** A build that could not be done (no Go, a failed `go build`): the message says which and what to do. */
export class GoBuildError extends Error {
  name = 'GoBuildError';
}

function programsOf(targets) {
  const servers = targets.length === 0 || targets.includes('servers') || targets.includes('all');
  const helper = targets.includes('server-validation') || targets.includes('all');
  return { servers, helper, programs: [...(servers ? SERVERS : []), ...(helper ? [HELPER] : [])] };
}

function sourceHash(program) {
  const h = createHash('sha256');
  // main.go first, then the program's other Go files by name: a program of main.go alone keeps the hash it had.
  const others = readdirSync(program.dir).filter((f) => f.endsWith('.go') && f !== 'main.go' && !f.endsWith('_test.go')).sort();
  for (const f of ['main.go', ...others, 'go.mod', 'go.sum']) h.update(f).update(readFileSync(join(program.dir, f)));
  return h.digest('hex');
}

const dirOf = (program) => join(serverCacheDir(), `${program.name}-${sourceHash(program).slice(0, 16)}`);
const binaryOf = (program) => join(dirOf(program), program.binary);

// The binary is renamed into place only once complete, so its presence is the stamp.
const upToDate = (program) => existsSync(binaryOf(program));

/** Where the cached build of the helper is (or will be) for the current source. */
export function helperBinary() {
  return binaryOf(HELPER);
}

/** Whether an earlier build of this program sits in the cache: Go's build cache then likely holds its packages. */
function builtBefore(program) {
  try {
    return readdirSync(serverCacheDir()).some((d) => d.startsWith(`${program.name}-`) && existsSync(join(serverCacheDir(), d, program.binary)));
  } catch {
    return false;
  }
}

/** What building `missing` costs, for the line that announces it. */
function estimate(missing) {
  if (missing.every(builtBefore)) {
    const relink = missing.length === 1 ? missing[0].relink : 'a minute or two';
    return `${relink} on 2 cores if Go's build cache still holds the earlier build, more if not`;
  }
  const cold =
    missing.length === 1 ? missing[0].estimate : missing.length === 2 && !missing.includes(HELPER) ? 'about 13 minutes' : 'about 15 minutes';
  return `${cold} on 2 cores with an empty Go build cache`;
}

/** The paths of the built programs, and the `ready ...` lines that name them (the helper's first). */
function readyOf(wanted) {
  const ready = { lines: [] };
  if (wanted.helper) {
    ready.helper = binaryOf(HELPER);
    ready.lines.push(`ready ${HELPER.name} ${ready.helper}`);
  }
  if (wanted.servers) {
    ready.kubeApiserver = binaryOf(SERVERS[0]);
    ready.etcd = binaryOf(SERVERS[1]);
    ready.lines.push(`ready ${ready.etcd} ${ready.kubeApiserver}`);
  }
  return ready;
}

const lockDir = () => join(serverCacheDir(), '.install-servers.lock');
const goInstalled = () => spawnSync('go', ['version']).status === 0;

/**
 * Builds nothing: whether the targets are built, with their `ready` lines, or else one line saying
 * what a build would build and about how long it would take.
 */
export function checkGoBuilds(targets) {
  const wanted = programsOf(targets);
  const missing = wanted.programs.filter((p) => !upToDate(p));
  if (missing.length === 0) return { ready: true, lines: readyOf(wanted).lines };
  const what = missing.map((p) => p.what).join(' and ');
  let builder = 0;
  try {
    builder = Number(readFileSync(join(lockDir(), 'pid'), 'utf8'));
    process.kill(builder, 0);
  } catch {
    builder = 0;
  }
  let line;
  if (builder > 0) {
    const since = Math.round((Date.now() - statSync(lockDir()).mtimeMs) / 60_000);
    line = `${what} not built yet; process ${builder} has been building them for ${since} min (${estimate(missing)}), and the server checks wait for it`;
  } else if (!goInstalled()) line = `${what} not built and Go is not installed: the server checks will fail; install Go 1.26 or newer`;
  else line = `${what} not built yet; the first server check builds them into ${serverCacheDir()}, once per machine: ${estimate(missing)}`;
  return { ready: false, lines: [line] };
}

function build(program, onProgress) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    // Written next to the target and renamed, so an interrupted build never leaves a half binary.
    mkdirSync(dirOf(program), { recursive: true });
    const tmp = join(dirOf(program), `.${program.binary}.partial-${process.pid}`);
    const child = spawn('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, '.'], {
      cwd: program.dir,
      env: { ...process.env, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ code: 1, err: e.message, seconds: 0 }));
    // A line every 15 s: a build of minutes must not look like a hang.
    const expected = builtBefore(program) ? `${program.relink} with a warm Go build cache, ${program.estimate} without` : program.estimate;
    const progress = setInterval(
      () => onProgress(`still building ${program.what}: ${Math.round((Date.now() - t0) / 1000)}s so far (${expected} in all)`),
      15_000,
    );
    child.on('close', (code) => {
      clearInterval(progress);
      if (code === 0) renameSync(tmp, binaryOf(program));
      else rmSync(tmp, { force: true });
      resolve({ code, err, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
    });
  });
}

/**
 * One build at a time: test files and CLI runs may all ask at once on a fresh clone. The lock is a
 * folder holding the builder's pid; a lock whose process is gone is stale and taken over.
 */
async function lock(onProgress) {
  const dir = lockDir();
  mkdirSync(serverCacheDir(), { recursive: true });
  for (let waited = false; ; ) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      // Also when the process exits while it builds: the next caller need not wait for a stale lock.
      const unlock = () => rmSync(dir, { recursive: true, force: true });
      process.on('exit', unlock);
      return () => {
        process.off('exit', unlock);
        unlock();
      };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let pid = 0;
    try {
      pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    } catch {}
    let alive = false;
    try {
      alive = pid > 0 && process.kill(pid, 0);
    } catch {}
    if (!alive && pid > 0) rmSync(dir, { recursive: true, force: true });
    else {
      if (!waited) onProgress(`waiting for the build in process ${pid || '?'} to finish`);
      waited = true;
      await sleep(1000);
    }
  }
}

/**
 * The targets' programs, built first when missing (minutes, once per machine; under the lock, so a
 * second caller waits for the first and then finds them built). Each line of progress goes to
 * `onProgress` as it comes. Resolves to their paths and `ready` lines; rejects with a GoBuildError
 * when Go is missing or a build fails.
 */
export async function ensureGoBuilds(targets, onProgress = () => undefined) {
  const wanted = programsOf(targets);
  if (wanted.programs.every(upToDate)) return readyOf(wanted);
  const unlock = await lock(onProgress);
  try {
    // Another process may have built them while this one waited for the lock.
    const missing = wanted.programs.filter((p) => !upToDate(p));
    if (missing.length > 0) {
      if (!goInstalled()) {
        throw new GoBuildError(
          `${missing.map((p) => p.what).join(' and ')} not built and Go is not installed. Install Go 1.26 or newer ` +
            `(https://go.dev/dl) and rerun, or point ${missing.includes(HELPER) ? 'STRATA_SERVER_VALIDATION at a build of packages/server-validation/helper' : 'STRATA_KUBE_APISERVER and STRATA_ETCD at binaries of those versions'}`,
        );
      }
      const started = Date.now();
      onProgress(`building ${missing.map((p) => p.what).join(' and ')} into ${serverCacheDir()} with go build (${estimate(missing)}; once)`);
      // One at a time: each build already uses every core, and two links at once only add memory.
      for (const program of missing) {
        const r = await build(program, onProgress);
        if (r.code !== 0) throw new GoBuildError(`go build of ${program.what} failed:\n${r.err.trim()}`);
        onProgress(`${program.what} built in ${r.seconds}s`);
      }
      onProgress(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
  } finally {
    unlock();
  }
  return readyOf(wanted);
}
