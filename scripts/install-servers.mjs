#!/usr/bin/env node
// Builds the pinned etcd and kube-apiserver that `strata verify` starts, from the Go mains in
// packages/verify/server/, into .tools/bin. Not part of scripts/setup.mjs: the build takes minutes
// and only the server-side check needs it, so `strata verify` runs this on first use instead.
// A binary is rebuilt only when its main, go.mod or go.sum changed (a hash stamp beside it).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = join(root, 'packages', 'verify', 'server');
const binDir = join(root, '.tools', 'bin');

// Ordered by size: the API server's link dominates, so it starts first.
const SERVERS = [
  { name: 'kube-apiserver', what: 'kube-apiserver v1.36.3', estimate: 'about 2.5 minutes' },
  { name: 'etcd', what: 'etcd v3.6.8', estimate: 'about 1 minute' },
];

const log = (msg) => console.log(`install-servers: ${msg}`);

function fail(msg) {
  console.error(`install-servers: error: ${msg}`);
  process.exit(2);
}

function sourceHash(name) {
  const h = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) h.update(f).update(readFileSync(join(serverDir, name, f)));
  return h.digest('hex');
}

const stampOf = (name) => join(binDir, `.${name}.sha256`);

function upToDate(server) {
  const stamp = stampOf(server.name);
  return existsSync(join(binDir, server.name)) && existsSync(stamp) && readFileSync(stamp, 'utf8') === sourceHash(server.name);
}

function build(server) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    // Written next to the target and renamed, so an interrupted build never leaves a half binary.
    const tmp = join(binDir, `.${server.name}.partial`);
    const child = spawn('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, '.'], {
      cwd: join(serverDir, server.name),
      env: { ...process.env, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ server, code: 1, err: e.message, seconds: 0 }));
    child.on('close', (code) => {
      if (code === 0) {
        renameSync(tmp, join(binDir, server.name));
        writeFileSync(stampOf(server.name), sourceHash(server.name));
      } else rmSync(tmp, { force: true });
      resolve({ server, code, err, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
    });
  });
}

/**
 * One build at a time: test files and a CLI run may all ask at once on a fresh clone. The lock is a
 * folder holding the builder's pid; a lock whose process is gone is stale and taken over.
 */
async function lock() {
  const dir = join(binDir, '.install-servers.lock');
  mkdirSync(binDir, { recursive: true });
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

let missing = SERVERS.filter((s) => !upToDate(s));
const unlock = missing.length > 0 ? await lock() : () => undefined;
process.on('exit', unlock);
// Another process may have built them while this one waited for the lock.
missing = SERVERS.filter((s) => !upToDate(s));
if (missing.length > 0) {
  if (spawnSync('go', ['version']).status !== 0) {
    fail(
      `${missing.map((s) => s.what).join(' and ')} not built and Go is not installed. Install Go 1.26 or newer ` +
        `(https://go.dev/dl) and rerun, or point STRATA_KUBE_APISERVER and STRATA_ETCD at binaries of those versions`,
    );
  }
  const started = Date.now();
  const estimate = missing.length === 2 ? 'about 4 minutes' : missing[0].estimate;
  log(`building ${missing.map((s) => s.what).join(' and ')} into .tools/bin with go build (${estimate} on 2 cores, once)`);
  // One at a time: each build already uses every core, and two links at once only add memory.
  for (const server of missing) {
    const r = await build(server);
    if (r.code !== 0) fail(`go build of ${server.what} failed:\n${r.err.trim()}`);
    log(`${server.what} built in ${r.seconds}s`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
