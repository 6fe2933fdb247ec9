import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { ensureServers, readBuilt, startServer, type Server, type StartOptions } from '../src/index.ts';

/** An object, or a document's YAML text written as it is (digits a parse would round, say). */
export type Document = object | string;

/** A workspace of no app whose tree `consumer` applies (its gitops.consumer); removed after `fn`. */
export async function withConsumer<T>(consumer: 'argocd' | 'flux' | 'both', fn: (root: string) => Promise<T>): Promise<T> {
  const root = makeRepo({});
  try {
    writeFileSync(join(root, 'strata.config.json'), `${JSON.stringify({ gitops: { consumer } })}\n`);
    return await fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A folder laid out like a Strata repository after a build, holding only the given apps. */
export function makeRepo(overlays: Record<string, readonly Document[]>): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-verify-test-'));
  writeOverlays(root, overlays);
  return root;
}

/**
 * Writes `overlays/<env>/<app>/` with one resource file per object, and what a build makes of it,
 * `dist/<env>/<app>.yaml`: key is `<env>/<app>`.
 */
export function writeOverlays(root: string, overlays: Record<string, readonly Document[]>): void {
  for (const [where, objects] of Object.entries(overlays)) {
    const dir = join(root, 'overlays', where);
    mkdirSync(dir, { recursive: true });
    const files = objects.map((_, i) => `object-${i}.yaml`);
    const texts = objects.map((o) => (typeof o === 'string' ? o : stringify(o)));
    texts.forEach((text, i) => writeFileSync(join(dir, files[i]!), text));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files }),
    );
    mkdirSync(dirname(join(root, 'dist', where)), { recursive: true });
    writeFileSync(join(root, 'dist', `${where}.yaml`), texts.join('---\n'));
  }
}

/** A built repository and a real API server, both there from before a file's first test to after its last. */
export interface RepoWithServer {
  readonly repo: string;
  readonly server: Server;
}

/**
 * Makes, before the tests of the calling file, a repository of the given apps (see
 * {@link makeRepo}) with the project's pinned tools linked in, and starts a real API server;
 * removes both after them. `ready` runs beside the servers' build (another tool the tests
 * need, say). Read the fields inside hooks and tests, once they are set.
 */
export function repoWithServer(overlays: Record<string, readonly Document[]>, ready?: () => Promise<unknown>): RepoWithServer {
  const live: { repo?: string; server?: Server } = {};
  beforeAll(async () => {
    live.repo = makeRepo(overlays);
    symlinkSync(join(import.meta.dirname, '../../../.tools'), join(live.repo, '.tools'));
    const [binaries] = await Promise.all([ensureServers(), ready?.()]);
    live.server = await startServer(binaries);
  }, BUILD_TIMEOUT);
  afterAll(async () => {
    await live.server?.stop();
    if (live.repo) rmSync(live.repo, { recursive: true, force: true });
  });
  return {
    get repo() {
      if (live.repo === undefined) throw new Error('repoWithServer: the repository is made before the first test; read it there');
      return live.repo;
    },
    get server() {
      if (live.server === undefined) throw new Error('repoWithServer: the server starts before the first test; read it there');
      return live.server;
    },
  };
}

/**
 * A real API server for the tests of the calling file, or of the describe block that calls this:
 * started before their first test and stopped after their last. Every field and method reads the
 * running server, so use it inside hooks and tests, once it is there.
 */
export function sharedServer(options?: StartOptions): Server {
  let live: Server | undefined;
  beforeAll(async () => {
    live = await startServer(await ensureServers(), options);
  }, BUILD_TIMEOUT);
  afterAll(async () => {
    await live?.stop();
  });
  const running = (): Server => {
    if (live === undefined) throw new Error('sharedServer: the server starts before the first test; use it there');
    return live;
  };
  return {
    get url() {
      return running().url;
    },
    get client() {
      return running().client;
    },
    get serviceNodePortRange() {
      return running().serviceNodePortRange;
    },
    get pids() {
      return running().pids;
    },
    get dir() {
      return running().dir;
    },
    get startMillis() {
      return running().startMillis;
    },
    whenReady: () => running().whenReady(),
    stop: () => running().stop(),
  };
}

/** Built documents of `file` holding `objects`, one YAML document each, as a build writes them. */
export const builtDocs = (objects: readonly object[], file: string) => readBuilt(objects.map((o) => stringify(o)).join('---\n'), file);

/** The 1-based line of the first line of `file` under `root` that contains `text`. */
export function lineOf(root: string, file: string, text: string): number {
  return (
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(text)) + 1
  );
}

export function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
}

export function deployment(
  name: string,
  namespace: string,
  options: { image?: string; selector?: Record<string, string>; container?: object } = {},
): object {
  const labels = options.selector ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: options.image ?? 'nginx:1.27', ...options.container }] },
      },
    },
  };
}

/**
 * A Job hook of `annotations` (its phases) that has only a generateName, which Argo CD names itself,
 * in the namespace hook-names.
 */
export const hookJob = (generateName: string, annotations: Record<string, string>) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { generateName, namespace: 'hook-names', annotations },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'busybox:1.36', command: ['true'] }] } } },
});

/** A ConfigMap hook of `annotations` that has only a generateName, in the namespace hook-names. */
export const hookConfigMap = (generateName: string, annotations: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { generateName, namespace: 'hook-names', annotations },
  data: { a: 'b' },
});

/** A generateName of `length` characters, ending in "-" as most do. */
export const namePrefix = (length: number): string => `${'m'.repeat(length - 1)}-`;

/**
 * The namespaced CRD of `kind` in `group`, with its names made from the kind (plural: the kind in
 * lower case and `s`), `versions`, and the rest of its spec from `spec` (a conversion, say).
 */
export function crd<V extends object>(group: string, kind: string, versions: readonly V[], spec: object = {}) {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      ...spec,
      versions,
    },
  };
}

/** The CRD of `kind` in `group`: namespaced, one served version v1 whose spec has one integer field, `size`. */
export function sizeCrd(group: string, kind: string) {
  return crd(group, kind, [
    {
      name: 'v1',
      served: true,
      storage: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
    },
  ]);
}

/** A port of {@link nodePortService}: the node port the server chooses where none is asked for. */
export interface Port {
  readonly port: number;
  readonly nodePort?: number;
  readonly protocol?: 'TCP' | 'UDP';
}

/** A Service of type NodePort (unless `spec` says otherwise) with the ports named `p0`, `p1`, ... */
export function nodePortService(
  name: string,
  namespace: string,
  ports: readonly Port[],
  spec: Record<string, unknown> = {},
  annotations?: Record<string, string>,
): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: {
      type: 'NodePort',
      selector: { app: name },
      ports: ports.map((p, i) => ({ name: `p${i}`, port: p.port, protocol: p.protocol ?? 'TCP', ...(p.nodePort ? { nodePort: p.nodePort } : {}) })),
      ...spec,
    },
  };
}

/**
 * Built output in which two Services of one env ask for one node port, 30080: dev/api comes before
 * dev/web in apply order (apps by name), so the cluster refuses web's second port; staging is a
 * cluster of its own, where web may have it.
 */
export const NODE_PORT_CLASH: Record<string, readonly object[]> = {
  'dev/api': [nodePortService('api', 'shop-dev', [{ port: 80, nodePort: 30080 }])],
  'dev/web': [
    nodePortService('web', 'shop-dev', [
      { port: 8443, nodePort: 30443 },
      { port: 80, nodePort: 30080 },
    ]),
  ],
  'staging/web': [nodePortService('web', 'shop-staging', [{ port: 80, nodePort: 30080 }])],
};

/** The server's words for a node port another Service holds, and how a refusal of one ends. */
export const TAKEN = 'provided port is already allocated';
export const TAKEN_AFTER = 'applied first: the cluster creates that one and refuses this one; a dry run lets both through)';

/** Whether a pid is a live process (a zombie waiting to be reaped counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** On a fresh clone the first test to ask builds the server binaries (minutes, once). */
export const BUILD_TIMEOUT = 15 * 60_000;
