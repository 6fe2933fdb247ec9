import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { yieldToAppCode } from '@strata/core/sources';
import { cachedBuildReady, ensureCachedBuild } from '../cached-build.ts';
import { ToolError, ToolMissingError, UsageError } from '../errors.ts';
import { Client } from './client.ts';
import { makeScratchDir, recordServers, sweepStale } from './scratch.ts';

/** The Kubernetes version the server binaries are pinned to (packages/verify/server/kube-apiserver/go.mod). */
export const KUBERNETES_VERSION = 'v1.36.3';
export const ETCD_VERSION = 'v3.6.8';

export interface ServerBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
}

const INSTALL_HINT =
  'run `node scripts/install-servers.mjs` (builds them from Go modules into ~/.cache/strata/servers, shared by every checkout: about 13 minutes on 2 cores, once per machine), ' +
  'or point STRATA_ETCD and STRATA_KUBE_APISERVER at etcd ' +
  ETCD_VERSION +
  ' and kube-apiserver ' +
  KUBERNETES_VERSION;

/**
 * Makes sure etcd and kube-apiserver exist: $STRATA_ETCD / $STRATA_KUBE_APISERVER when both are set (one alone is a UsageError),
 * otherwise the ones in the per-machine cache, built once per machine when missing or stale (minutes;
 * see `ensureCachedBuild`). The build's progress lines (what it builds, how long that takes, the time
 * so far every few seconds) go to `onProgress`; nothing is printed here.
 */
export async function ensureServers(onProgress?: (line: string) => void): Promise<ServerBinaries> {
  const named = namedServers();
  if (named) {
    for (const bin of [named.etcd, named.kubeApiserver]) if (!existsSync(bin)) throw new ToolMissingError(`${bin} does not exist`, INSTALL_HINT);
    return named;
  }
  const [etcdPath, apiPath] = await ensureCachedBuild('servers', 'etcd and kube-apiserver', INSTALL_HINT, onProgress);
  if (!etcdPath || !apiPath) throw new ToolMissingError('could not build etcd and kube-apiserver', INSTALL_HINT);
  return { etcd: etcdPath, kubeApiserver: apiPath };
}

/**
 * Whether `ensureServers` would hand over etcd and kube-apiserver without building them first
 * (minutes, once per machine): both named in the environment, or built in the cache and up to date.
 */
export function serversReady(): boolean {
  return namedServers() ? true : cachedBuildReady('servers');
}

/**
 * The binaries $STRATA_ETCD and $STRATA_KUBE_APISERVER name, or undefined when neither is set. One
 * without the other is refused: the server would otherwise be the cached build, of another version
 * than the one asked for, without a word.
 */
function namedServers(): ServerBinaries | undefined {
  const { STRATA_ETCD: etcd, STRATA_KUBE_APISERVER: kubeApiserver } = process.env;
  if (etcd && kubeApiserver) return { etcd, kubeApiserver };
  if (!etcd && !kubeApiserver) return undefined;
  const [set, unset] = etcd ? ['STRATA_ETCD', 'STRATA_KUBE_APISERVER'] : ['STRATA_KUBE_APISERVER', 'STRATA_ETCD'];
  throw new UsageError(
    `${set} is set but ${unset} is not: they name one server together; set both (etcd ${ETCD_VERSION}, kube-apiserver ${KUBERNETES_VERSION}) or neither`,
  );
}

/** Ports from `from` to `to`, both included. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** kube-apiserver's own default --service-node-port-range. */
export const DEFAULT_NODE_PORT_RANGE: PortRange = { from: 30000, to: 32767 };

/** A running throw-away etcd and kube-apiserver, reachable through `client`. */
export interface Server {
  readonly url: string;
  readonly client: Client;
  /** The node ports it gives Services (its --service-node-port-range). */
  readonly serviceNodePortRange: PortRange;
  /** Process ids of etcd and kube-apiserver, so callers and tests can check that they are gone. */
  readonly pids: readonly number[];
  /** The temporary folder holding etcd's data and socket, the keys and the logs; removed by `stop`. */
  readonly dir: string;
  /** Milliseconds from spawning the processes to the server answering /readyz (but for `LATE_CHECKS` when asked). */
  readonly startMillis: number;
  /**
   * Resolves once every /readyz check passes, `LATE_CHECKS` too: the objects the last post-start hooks
   * create (system PriorityClasses, flow-control configuration) are in. At once unless the server was
   * started with `beforeLateChecks`.
   */
  whenReady(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The /readyz checks the server is not waited for before it is handed over: the post-start hooks
 * that create the system PriorityClasses (which waits a whole second before its first try) and the
 * flow-control configuration. They end 0.3 to 0.5 s after the others. What they create is met only
 * by Pods (the Priority admission plugin resolves a Pod's priorityClassName, and quota scopes use
 * it), by PriorityClasses and PodGroups (scheduling.k8s.io) and by flow-control objects: verify
 * applies those after `whenReady()`. Every other check (storage, informers, CRD handling, the
 * discovery of every built-in group, the Service CIDR...) has passed when the server is handed over.
 */
export const LATE_CHECKS = ['poststarthook/scheduling/bootstrap-system-priority-classes', 'poststarthook/priority-and-fairness-config-producer'];

const READY_BUT_LATE = `/readyz?${LATE_CHECKS.map((c) => `exclude=${encodeURIComponent(c)}`).join('&')}`;

/** How often /readyz is asked while the server starts. */
const POLL_MS = 25;

export interface StartOptions {
  /** How long to wait for /readyz. @default 60 s */
  readonly timeoutMs?: number;
  /**
   * Picks the API server's port for each attempt; a port taken by another process before the server
   * binds it costs an attempt, not the run. @default a free loopback port
   */
  readonly choosePort?: () => Promise<number>;
  /**
   * Hand the server over once /readyz passes every check but `LATE_CHECKS`, 0.3 to 0.5 s sooner; the
   * caller then awaits `whenReady()` before it sends what those hooks' objects can meet (verify does).
   * @default false: resolves once every check passes
   */
  readonly beforeLateChecks?: boolean;
  /**
   * The node ports the server gives Services, as the clusters checked for do (`kubernetes.serviceNodePortRange`
   * in strata.config.json). @default 30000-32767, kube-apiserver's own
   */
  readonly serviceNodePortRange?: PortRange;
  /**
   * Serve every API the server has: alpha and beta group versions (`--runtime-config=api/all=true`)
   * and the kinds behind alpha and beta feature gates, as a cluster that enables them would.
   * @default false: what kube-apiserver serves by default
   */
  readonly allApis?: boolean;
  /**
   * The ranges the server gives Services their cluster IPs from, one per IP family: two make a
   * dual-stack cluster, which takes IPv6 cluster IPs too. @default ['10.96.0.0/16']
   */
  readonly serviceClusterIpRanges?: readonly string[];
  /**
   * Keep the ServiceAccount admission plugin on, as every cluster has it: a pod is then refused when
   * its ServiceAccount (the namespace's `default` one, which only the controller manager creates,
   * included) does not exist. @default false: off, as no controller creates those accounts here
   */
  readonly serviceAccountAdmission?: boolean;
}

/** etcd's client socket, in the run's folder. */
export const ETCD_SOCKET = 'etcd.sock:0';

/**
 * The API server's garbage collector: a verify run is thousands of short requests that each allocate
 * and drop their object, and with Go's default (GOGC=100) about a seventh of the server's CPU went to
 * collecting. 400 trades memory for that CPU (about 700 MiB peak instead of 350 at 500 apps, for a
 * server that lives seconds), and the soft limit keeps a larger input from growing it unbounded.
 * $GOGC and $GOMEMLIMIT, when set, win.
 */
const API_GC = { GOGC: '400', GOMEMLIMIT: '1GiB' };

/** Attempts at binding the API server's port before giving up. */
const PORT_ATTEMPTS = 5;

// Every server started by this process, so exit and Ctrl-C can still take them down.
const running = new Set<{ children: ChildProcess[]; dir: string }>();
let hooked = false;

const alive = (c: ChildProcess) => c.pid !== undefined && c.exitCode === null && c.signalCode === null;

function killNow(entry: { children: ChildProcess[]; dir: string }): void {
  // SIGKILL: nothing in the server is worth a graceful shutdown, and kube-apiserver's takes seconds.
  for (const c of entry.children) if (alive(c)) c.kill('SIGKILL');
  rmSync(entry.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  running.delete(entry);
}

function hookProcessExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const entry of [...running]) killNow(entry);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = async () => {
      process.removeListener(signal, handler);
      const entries = [...running];
      const exits = entries.flatMap((e) => e.children.filter(alive).map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve()))));
      for (const entry of entries) killNow(entry);
      // Reap them before going: a child that outlives its parent unreaped lingers as a zombie.
      await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 2000))]);
      for (const entry of entries) rmSync(entry.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      // Listening for a signal cancels Node's default exit; re-raise it unless the caller handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
    // While an app's render holds the thread (ci renders as the server starts), the signal's default
    // may end the run in this handler's stead: the servers end with it as their lifeline closes, and
    // the next run removes the folder, as after a run killed outright.
    if (signal !== 'SIGHUP') yieldToAppCode(handler, () => true);
  }
}

/** A port that was free a moment ago; another process may still take it before the server binds it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const readLog = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/**
 * Starts etcd and kube-apiserver in a temporary folder, with a random bearer token and a fresh
 * service-account key, and resolves once /readyz answers.
 *
 * Only the API server listens on TCP (loopback, token required). etcd listens on unix sockets in
 * the run's folder (mode 0700), so nothing but the API server and the same user can reach it, and it
 * takes no port. Both servers end on their own when this process does, however it ends: each reads
 * its standard input, a pipe whose other end only this process holds, and exits at its end (see
 * the mains in ../server). They are also killed and the folder removed by `stop()`, at exit, and on
 * SIGINT, SIGTERM and SIGHUP; a folder left by a run killed outright is removed by the next run.
 */
export async function startServer(binaries: ServerBinaries, options: StartOptions = {}): Promise<Server> {
  const started = performance.now();
  sweepStale();
  const dir = makeScratchDir('server');
  const entry = { children: [] as ChildProcess[], dir };
  hookProcessExit();
  running.add(entry);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const exits = entry.children.map((c) => (alive(c) ? new Promise<void>((resolve) => c.once('exit', () => resolve())) : undefined));
      killNow(entry);
      await Promise.all(exits);
      // Again, now that nothing can write into it any more.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    })());
  try {
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},strata-verify,strata-verify,"system:masters"\n`, { mode: 0o600 });
    // EC keys: generated in a millisecond, and ES256 is accepted for service-account tokens.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, EGRESS_CONFIG), egressConfig(dir));

    let spawnError: Error | undefined;
    const spawnLogged = (bin: string, args: string[], log: string, env: NodeJS.ProcessEnv = {}) => {
      const fd = openSync(log, 'a');
      // stdin is the lifeline: a pipe the child reads until this process is gone (server/*/main.go).
      const child = spawn(bin, args, { cwd: dir, stdio: ['pipe', fd, fd], env: { ...process.env, STRATA_EXIT_WITH_STDIN: '1', ...env } });
      closeSync(fd);
      child.stdin?.on('error', () => undefined);
      child.on('error', (e) => (spawnError ??= new ToolError(`cannot start ${bin}: ${e.message}`)));
      entry.children.push(child);
      recordServers(
        dir,
        entry.children.flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
      );
      return child;
    };
    const etcdLog = join(dir, 'etcd.log');
    const etcd = spawnLogged(binaries.etcd, etcdArgs(dir), etcdLog);
    const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
    const choosePort = options.choosePort ?? freePort;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const nodePorts = options.serviceNodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    const deadline = Date.now() + timeoutMs;

    for (let attempt = 1; ; attempt++) {
      const securePort = await choosePort();
      const apiLog = join(dir, attempt === 1 ? 'kube-apiserver.log' : `kube-apiserver.${attempt}.log`);
      // Started together with etcd: kube-apiserver retries etcd until it answers, and that saves a round trip.
      const api = spawnLogged(
        binaries.kubeApiserver,
        [
          ...apiArgs(dir, securePort, nodePorts, options.serviceClusterIpRanges ?? ['10.96.0.0/16'], options.serviceAccountAdmission ?? false),
          ...(options.allApis ? ['--runtime-config=api/all=true', '--feature-gates=AllAlpha=true,AllBeta=true'] : []),
        ],
        apiLog,
        {
          GOGC: process.env.GOGC || API_GC.GOGC,
          GOMEMLIMIT: process.env.GOMEMLIMIT || API_GC.GOMEMLIMIT,
        },
      );
      const url = `https://127.0.0.1:${securePort}`;
      let client: Client | undefined;
      for (;;) {
        if (spawnError) throw spawnError;
        if (exited(etcd)) throw new ToolError(`etcd exited (${etcd.exitCode ?? etcd.signalCode}) while starting:\n${tail(readLog(etcdLog))}`);
        if (exited(api)) break;
        // The serving certificate is self-signed by kube-apiserver at start; trust exactly that one.
        const cert = join(dir, 'pki', 'apiserver.crt');
        if (!client && existsSync(cert)) {
          const ca = readFileSync(cert, 'utf8');
          if (ca.includes('END CERTIFICATE')) client = new Client(url, token, ca);
        }
        if (client) {
          // Bounded: when the port was taken by another process, whatever holds it may never answer.
          const r = await Promise.race([
            client.request('GET', options.beforeLateChecks ? READY_BUT_LATE : '/readyz').catch(() => undefined),
            new Promise<undefined>((res) => setTimeout(() => res(undefined), 2_000)),
          ]);
          if (r?.status === 200) {
            const ready = client;
            let whenReady = options.beforeLateChecks ? undefined : Promise.resolve();
            return {
              url,
              client,
              serviceNodePortRange: nodePorts,
              pids: entry.children.filter(alive).map((c) => c.pid!),
              dir,
              startMillis: performance.now() - started,
              whenReady: () => (whenReady ??= untilReady(ready, deadline, timeoutMs, apiLog)),
              stop,
            };
          }
        }
        if (Date.now() > deadline) throw new ToolError(`kube-apiserver was not ready after ${timeoutMs} ms:\n${tail(readLog(apiLog))}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      client?.close();
      // Another process took the port between choosing and binding it: choose again.
      const log = readLog(apiLog);
      if (!/address already in use/.test(log) || attempt >= PORT_ATTEMPTS || Date.now() > deadline) {
        throw new ToolError(`kube-apiserver exited (${api.exitCode ?? api.signalCode}) while starting:\n${tail(log)}`);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resolves once /readyz passes every check, `LATE_CHECKS` included. */
async function untilReady(client: Client, deadline: number, timeoutMs: number, apiLog: string): Promise<void> {
  for (;;) {
    const r = await client.request('GET', '/readyz').catch(() => undefined);
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new ToolError(`kube-apiserver was not ready after ${timeoutMs} ms:\n${tail(readLog(apiLog))}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function etcdArgs(dir: string): string[] {
  // Unix sockets in the working directory (the run's folder). etcd takes a unix URL's host:port as
  // the socket's file name and insists on a port, hence the `:0`.
  const client = `unix://${ETCD_SOCKET}`;
  const peer = 'unix://etcd-peer.sock:0';
  return [
    '--name=verify',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=verify=${peer}`,
    // The data is thrown away after the run; fsync would only slow every write down.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

/** The egress selector configuration, in the run's folder. */
const EGRESS_CONFIG = 'egress.yaml';

/**
 * Where the API server's outbound connections go: to a proxy on a unix socket in the run's folder that
 * nothing ever listens on, so every one fails before it leaves the machine. The input chooses where
 * the server would connect (a conversion or admission webhook's URL or Service, an APIService's
 * Service); verify reads untrusted manifests and promises no network. `controlplane` carries the
 * webhooks named by URL, `cluster` those named by a Service; etcd is reached over its own socket.
 */
function egressConfig(dir: string): string {
  const nowhere = join(dir, 'no-egress.sock');
  const selection = (name: string) => [
    `- name: ${name}`,
    '  connection:',
    '    proxyProtocol: HTTPConnect',
    '    transport:',
    '      uds:',
    `        udsName: ${JSON.stringify(nowhere)}`,
  ];
  return [
    'apiVersion: apiserver.k8s.io/v1beta1',
    'kind: EgressSelectorConfiguration',
    'egressSelections:',
    ...selection('controlplane'),
    ...selection('cluster'),
    '',
  ].join('\n');
}

function apiArgs(dir: string, securePort: number, nodePorts: PortRange, clusterIpRanges: readonly string[], serviceAccounts: boolean): string[] {
  return [
    `--egress-selector-config-file=${join(dir, EGRESS_CONFIG)}`,
    `--etcd-servers=unix://${join(dir, ETCD_SOCKET)}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${securePort}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--anonymous-auth=false',
    '--authorization-mode=AlwaysAllow',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-cluster-ip-range=${clusterIpRanges.join(',')}`,
    `--service-node-port-range=${nodePorts.from}-${nodePorts.to}`,
    // As on clusters set up by kubeadm and the managed offerings: privileged pods are allowed. The
    // offline checks of @strata/server-validation run with the same setting (helper/main.go).
    '--allow-privileged=true',
    // Both need controllers that do not run here: ServiceAccount wants the `default` account that
    // the controller manager creates, and PVC protection adds a finalizer nothing would remove.
    `--disable-admission-plugins=${serviceAccounts ? '' : 'ServiceAccount,'}StorageObjectInUseProtection`,
    '--endpoint-reconciler-type=none',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=0',
  ];
}
