#!/usr/bin/env node
// Builds the pinned etcd and kube-apiserver that `strata verify` starts, from the Go mains in
// packages/verify/server/, into a cache shared by every checkout of this machine's user:
// $STRATA_SERVER_CACHE, else $XDG_CACHE_HOME/strata/servers, else ~/.cache/strata/servers. Each
// binary lives in a folder named by the hash of its main, go.mod and go.sum, so checkouts at other
// versions keep their own and a second clone builds nothing. Not part of scripts/setup.mjs: the build
// takes minutes and only the server-side checks need it, so they run this on first use instead.
// The last line of a successful run is `install-servers: ready <etcd path> <kube-apiserver path>`.
//
// `node scripts/install-servers.mjs server-validation` builds, into the same cache and under the
// same lock, the helper of packages/server-validation that runs the API server's own validation
// offline for `strata validate`; its last line is `install-servers: ready server-validation <path>`.
// `all` builds the three.
// With --check it builds nothing: it prints the ready line(s) and exits 0 when the targets are built,
// or one line saying what a run would build and about how long it would take, and exits 1.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = join(root, 'packages', 'verify', 'server');
const helperDir = join(root, 'packages', 'server-validation', 'helper');
const cacheRoot = process.env.STRATA_SERVER_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'strata', 'servers');

// Ordered by size: the API server's link dominates, so it starts first. `estimate`: measured on 2
// cores with an empty Go build cache, the module download included; `relink`: when the Go build cache
// still holds an earlier build of the same modules and only a main changed.
const SERVERS = [
  {
    name: 'kube-apiserver',
    what: 'kube-apiserver v1.36.3',
    estimate: 'about 10 minutes',
    relink: 'about a minute',
    dir: join(serverDir, 'kube-apiserver'),
    binary: 'kube-apiserver',
  },
  { name: 'etcd', what: 'etcd v3.6.8', estimate: 'about 3 minutes', relink: 'about 10 seconds', dir: join(serverDir, 'etcd'), binary: 'etcd' },
];
// Links the same k8s.io/kubernetes packages as kube-apiserver: after that build, Go's build cache
// leaves mostly the link to do.
const HELPER = {
  name: 'server-validation',
  what: 'the server validation helper (k8s.io/kubernetes v1.36.3)',
  estimate: 'about 8 minutes, 2 after kube-apiserver',
  relink: 'about a minute',
  dir: helperDir,
  binary: 'strata-server-validation',
};

const check = process.argv.includes('--check');
const args = process.argv.slice(2).filter((a) => a !== '--check');
const known = ['servers', 'server-validation', 'all'];
if (args.some((a) => !known.includes(a))) {
  console.error(
    `install-servers: error: unknown target ${args.find((a) => !known.includes(a))}; use one of ${known.join(', ')} (no argument: servers)`,
  );
  process.exit(2);
}
const wantServers = args.length === 0 || args.includes('servers') || args.includes('all');
const wantHelper = args.includes('server-validation') || args.includes('all');
const TARGETS = [...(wantServers ? SERVERS : []), ...(wantHelper ? [HELPER] : [])];

const log = (msg) => console.log(`install-servers: ${msg}`);

function fail(msg) {
  console.error(`install-servers: error: ${msg}`);
  process.exit(2);
}

function sourceHash(server) {
  const h = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) h.update(f).update(readFileSync(join(server.dir, f)));
  return h.digest('hex');
}

const dirOf = (server) => join(cacheRoot, `${server.name}-${sourceHash(server).slice(0, 16)}`);
const binaryOf = (server) => join(dirOf(server), server.binary);

// The binary is renamed into place only once complete, so its presence is the stamp.
const upToDate = (server) => existsSync(binaryOf(server));

/** Whether an earlier build of this server sits in the cache: Go's build cache then likely holds its packages. */
function builtBefore(server) {
  try {
    return readdirSync(cacheRoot).some((d) => d.startsWith(`${server.name}-`) && existsSync(join(cacheRoot, d, server.binary)));
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

if (check) {
  const missing = TARGETS.filter((s) => !upToDate(s));
  if (missing.length === 0) {
    if (wantHelper) log(`ready ${HELPER.name} ${binaryOf(HELPER)}`);
    if (wantServers) log(`ready ${binaryOf(SERVERS[1])} ${binaryOf(SERVERS[0])}`);
    process.exit(0);
  }
  const what = missing.map((s) => s.what).join(' and ');
  let builder = 0;
  try {
    builder = Number(readFileSync(join(cacheRoot, '.install-servers.lock', 'pid'), 'utf8'));
    process.kill(builder, 0);
  } catch {
    builder = 0;
  }
  if (builder > 0) {
    const since = Math.round((Date.now() - statSync(join(cacheRoot, '.install-servers.lock')).mtimeMs) / 60_000);
    log(
      `${what} not built yet; process ${builder} has been building them for ${since} min (${estimate(missing)}), and the server checks wait for it`,
    );
  } else if (spawnSync('go', ['version']).status !== 0)
    log(`${what} not built and Go is not installed: the server checks will fail; install Go 1.26 or newer`);
  else log(`${what} not built yet; the first server check builds them into ${cacheRoot}, once per machine: ${estimate(missing)}`);
  process.exit(1);
}

function build(server) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    // Written next to the target and renamed, so an interrupted build never leaves a half binary.
    mkdirSync(dirOf(server), { recursive: true });
    const tmp = join(dirOf(server), `.${server.binary}.partial-${process.pid}`);
    const child = spawn('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, '.'], {
      cwd: server.dir,
      env: { ...process.env, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ server, code: 1, err: e.message, seconds: 0 }));
    // A line every 15 s: a build of minutes must not look like a hang.
    const expected = builtBefore(server) ? `${server.relink} with a warm Go build cache, ${server.estimate} without` : server.estimate;
    const progress = setInterval(
      () => log(`still building ${server.what}: ${Math.round((Date.now() - t0) / 1000)}s so far (${expected} in all)`),
      15_000,
    );
    child.on('close', (code) => {
      clearInterval(progress);
      if (code === 0) renameSync(tmp, binaryOf(server));
      else rmSync(tmp, { force: true });
      resolve({ server, code, err, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
    });
  });
}

/**
 * One build at a time: test files and a CLI run may all ask at once on a fresh clone. The lock is a
 * folder holding the builder's pid; a lock whose process is gone is stale and taken over.
 */
async function lock() {
  const dir = join(cacheRoot, '.install-servers.lock');
  mkdirSync(cacheRoot, { recursive: true });
  for (let waited = false; ; ) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
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
      if (!waited) log(`waiting for the build in process ${pid || '?'} to finish`);
      waited = true;
      await sleep(1000);
    }
  }
}

let missing = TARGETS.filter((s) => !upToDate(s));
const unlock = missing.length > 0 ? await lock() : () => undefined;
process.on('exit', unlock);
// Another process may have built them while this one waited for the lock.
missing = TARGETS.filter((s) => !upToDate(s));
if (missing.length > 0) {
  if (spawnSync('go', ['version']).status !== 0) {
    fail(
      `${missing.map((s) => s.what).join(' and ')} not built and Go is not installed. Install Go 1.26 or newer ` +
        `(https://go.dev/dl) and rerun, or point ${missing.includes(HELPER) ? 'STRATA_SERVER_VALIDATION at a build of packages/server-validation/helper' : 'STRATA_KUBE_APISERVER and STRATA_ETCD at binaries of those versions'}`,
    );
  }
  const started = Date.now();
  log(`building ${missing.map((s) => s.what).join(' and ')} into ${cacheRoot} with go build (${estimate(missing)}; once)`);
  // One at a time: each build already uses every core, and two links at once only add memory.
  for (const server of missing) {
    const r = await build(server);
    if (r.code !== 0) fail(`go build of ${server.what} failed:\n${r.err.trim()}`);
    log(`${server.what} built in ${r.seconds}s`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
if (wantHelper) log(`ready ${HELPER.name} ${binaryOf(HELPER)}`);
if (wantServers) {
  const [kubeApiserver, etcd] = SERVERS.map(binaryOf);
  log(`ready ${etcd} ${kubeApiserver}`);
}
