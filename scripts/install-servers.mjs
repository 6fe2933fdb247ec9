#!/usr/bin/env node
// Builds the pinned etcd and kube-apiserver that `strata verify` starts, from the Go mains in
// packages/verify/server/, into a cache shared by every checkout of this machine's user:
// $STRATA_SERVER_CACHE, else $XDG_CACHE_HOME/strata/servers, else ~/.cache/strata/servers. The
// building is @strata/project's (packages/project/src/go-builds.mjs, which verify and
// server-validation call themselves on first use); this is its command line. Not part of
// scripts/setup.mjs: the build takes minutes and only the server-side checks need it.
// The last line of a successful run is `install-servers: ready <etcd path> <kube-apiserver path>`.
//
// `node scripts/install-servers.mjs server-validation` builds, into the same cache and under the
// same lock, the helper of packages/server-validation that runs the API server's own validation
// offline for `strata validate`; its last line is `install-servers: ready server-validation <path>`.
// `all` builds the three.
// With --check it builds nothing: it prints the ready line(s) and exits 0 when the targets are built,
// or one line saying what a run would build and about how long it would take, and exits 1.
import { checkGoBuilds, ensureGoBuilds, GO_BUILD_TARGETS, GoBuildError } from '../packages/project/src/go-builds.mjs';

const check = process.argv.includes('--check');
const args = process.argv.slice(2).filter((a) => a !== '--check');
const unknown = args.find((a) => !GO_BUILD_TARGETS.includes(a));
if (unknown !== undefined) {
  console.error(`install-servers: error: unknown target ${unknown}; use one of ${GO_BUILD_TARGETS.join(', ')} (no argument: servers)`);
  process.exit(2);
}

const log = (msg) => console.log(`install-servers: ${msg}`);

if (check) {
  const r = checkGoBuilds(args);
  for (const line of r.lines) log(line);
  process.exit(r.ready ? 0 : 1);
}

try {
  const ready = await ensureGoBuilds(args, log);
  for (const line of ready.lines) log(line);
} catch (err) {
  if (!(err instanceof GoBuildError)) throw err;
  console.error(`install-servers: error: ${err.message}`);
  process.exit(2);
}
