/**
 * The harness of the differential tests: a throw-away kube-apiserver started once per test file,
 * server-side dry runs of single documents in labelled namespaces, and the corpus files. Written to
 * be shared by every test that compares Strata's verdict with the API server's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '@strata/core';
import { crdManifestsDir } from '@strata/schemas';
import { ensureServers, startServer, type Server, type StartOptions } from '@strata/project/apiserver';
import { suiteResource } from '@strata/testing/suite';
import { parse } from 'yaml';
import { parseObjects } from '../src/index.ts';

/** How long the first test of a fresh machine may wait for the server binaries to be built. */
export const SERVER_BUILD_TIMEOUT = 20 * 60_000;

/** The server's answer to one dry-run apply. */
export interface ServerVerdict {
  /** HTTP status: 2xx accepted, 403 refused by admission, 422 refused by validation. */
  readonly status: number;
  /** The Status message when refused. */
  readonly message: string;
  /** The Warning headers, one text each. */
  readonly warnings: readonly string[];
}

export interface DifferentialServer {
  readonly server: Server;
  /** Creates a namespace for real, with these labels. */
  namespace(name: string, labels?: Readonly<Record<string, string>>): Promise<void>;
  /** Server-side applies one object with dryRun=All and fieldValidation=Strict, in `namespace` when it is namespaced. */
  dryRun(manifest: Manifest, namespace: string): Promise<ServerVerdict>;
  /** Creates one object for real (a server-side apply), in `namespace` when it is namespaced, as a sync does. */
  create(manifest: Manifest, namespace: string): Promise<ServerVerdict>;
  /** Deletes one object, if it is there, and waits until it is gone. */
  remove(manifest: Manifest, namespace: string): Promise<void>;
  stop(): Promise<void>;
}

interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

interface Status {
  readonly message?: string;
}

const FIELD_MANAGER = 'strata-differential';

/**
 * Starts etcd and kube-apiserver (building them once per machine if needed) and installs the CRDs of
 * the schema set that the custom resources among `manifests` need (each one takes seconds).
 */
export async function startDifferentialServer(manifests: readonly Manifest[], options: StartOptions = {}): Promise<DifferentialServer> {
  const server = await startServer(await ensureServers(() => undefined), options);
  const client = server.client;
  try {
    await installCrds(server, manifests);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const discovered = new Map<string, Promise<readonly ApiResource[]>>();
  const resources = (apiVersion: string): Promise<readonly ApiResource[]> => {
    let found = discovered.get(apiVersion);
    if (!found) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = client.request('GET', path).then((r) => {
        if (r.status !== 200) throw new Error(`discovery of ${apiVersion} failed: HTTP ${r.status}`);
        return (r.body as { resources: ApiResource[] }).resources.filter((x) => !x.name.includes('/'));
      });
      discovered.set(apiVersion, found);
    }
    return found;
  };
  const objectPath = async (manifest: Manifest, namespace: string) => {
    const resource = (await resources(manifest.apiVersion)).find((x) => x.kind === manifest.kind);
    if (!resource) throw new Error(`the server does not serve ${manifest.apiVersion} ${manifest.kind}`);
    const prefix = manifest.apiVersion.includes('/') ? `/apis/${manifest.apiVersion}` : `/api/${manifest.apiVersion}`;
    const scope = resource.namespaced ? `/namespaces/${namespace}` : '';
    const body = resource.namespaced ? { ...manifest, metadata: { ...manifest.metadata, namespace } } : manifest;
    return { path: `${prefix}${scope}/${resource.name}/${encodeURIComponent(manifest.metadata.name)}`, body };
  };
  const applied = async (manifest: Manifest, namespace: string, dryRun: boolean): Promise<ServerVerdict> => {
    const { path, body } = await objectPath(manifest, namespace);
    const query = `?fieldManager=${FIELD_MANAGER}&force=true&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
    const r = await client.request('PATCH', `${path}${query}`, body, 'application/apply-patch+yaml');
    return { status: r.status, message: r.status >= 300 ? ((r.body as Status)?.message ?? `HTTP ${r.status}`) : '', warnings: r.warnings };
  };
  return {
    server,
    create: (manifest, namespace) => applied(manifest, namespace, false),
    async remove(manifest, namespace) {
      const { path } = await objectPath(manifest, namespace);
      await client.request('DELETE', path);
      for (const deadline = Date.now() + 30_000; (await client.request('GET', path)).status !== 404; ) {
        if (Date.now() > deadline) throw new Error(`${path} still there 30 s after its deletion`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async namespace(name, labels = {}) {
      const r = await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
      if (r.status >= 300) throw new Error(`creating namespace ${name}: ${(r.body as Status)?.message ?? `HTTP ${r.status}`}`);
    },
    dryRun: (manifest, namespace) => applied(manifest, namespace, true),
    stop: () => server.stop(),
  };
}

/**
 * The API server of the tests of the file or describe block that calls this: started before them
 * (`startDifferentialServer` of `manifests`, with `options`), building the binaries first on a fresh
 * machine, then `prepare`d (namespaces and objects made for real, the server's verdicts taken), all
 * within SERVER_BUILD_TIMEOUT; stopped after them, also when preparing failed. What it returns is
 * that server once the tests run.
 */
export function differentialServer(
  manifests: readonly Manifest[],
  prepare?: (server: DifferentialServer) => Promise<unknown>,
  options: StartOptions = {},
): DifferentialServer {
  const started = suiteResource(
    () => startDifferentialServer(manifests, options),
    (server) => server.stop(),
    { ...(prepare ? { prepare } : {}), timeout: SERVER_BUILD_TIMEOUT },
  );
  return {
    get server() {
      return started().server;
    },
    namespace: (name, labels) => started().namespace(name, labels),
    dryRun: (manifest, namespace) => started().dryRun(manifest, namespace),
    create: (manifest, namespace) => started().create(manifest, namespace),
    remove: (manifest, namespace) => started().remove(manifest, namespace),
    stop: () => started().stop(),
  };
}

interface CrdManifest {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly group: string; readonly names: { readonly kind: string } };
}

async function installCrds(server: Server, manifests: readonly Manifest[]): Promise<void> {
  const wanted = new Set(
    manifests.filter((m) => m.apiVersion.includes('.')).map((m) => `${m.apiVersion.slice(0, m.apiVersion.indexOf('/'))}/${m.kind}`),
  );
  const names: string[] = [];
  for (const file of readdirSync(crdManifestsDir).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(readFileSync(join(crdManifestsDir, file), 'utf8')) as CrdManifest;
    if (!wanted.has(`${crd.spec.group}/${crd.spec.names.kind}`)) continue;
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=${FIELD_MANAGER}&force=true`;
    const r = await server.client.request('PATCH', path, crd, 'application/apply-patch+yaml');
    if (r.status >= 300) throw new Error(`${file}: the API server refused the CRD: ${(r.body as Status)?.message ?? `HTTP ${r.status}`}`);
    names.push(crd.metadata.name);
  }
  const deadline = Date.now() + 60_000;
  for (const name of names) {
    for (;;) {
      const r = await server.client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = (r.body as { status?: { conditions?: { type: string; status: string }[] } })?.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * The level and the reasons of a Pod Security refusal or warning, `violates PodSecurity
 * "restricted:v1.36": reason (detail), reason (detail)`, or undefined for a text that is none. The
 * reasons are read from the fixed set `known` (longest first, so a prefix never wins; the plural
 * AppArmor reason, given when several profiles are refused, as the singular) and the details are
 * skipped by their parentheses, since they may hold commas; a text it cannot read throws.
 */
export function podSecurityReasons(text: string, known: readonly string[]): { level: string; reasons: string[] } | undefined {
  const m = /PodSecurity "([a-z]+):[^"]*": ([\s\S]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2]!;
  const longestFirst = [...new Set([...known, 'forbidden AppArmor profiles'])].sort((a, b) => b.length - a.length);
  const reasons: string[] = [];
  let p = 0;
  while (p < body.length) {
    const reason = longestFirst.find((r) => body.startsWith(r, p));
    if (!reason) throw new Error(`unknown Pod Security reason at "${body.slice(p)}" in: ${text}`);
    reasons.push(reason === 'forbidden AppArmor profiles' ? 'forbidden AppArmor profile' : reason);
    p += reason.length;
    if (body.startsWith(' (', p)) {
      let depth = 0;
      for (p += 1; p < body.length; p++) {
        if (body[p] === '(') depth++;
        else if (body[p] === ')' && --depth === 0) break;
      }
      p++;
    }
    if (body.startsWith(', ', p)) p += 2;
    else if (p < body.length) throw new Error(`cannot read Pod Security reasons at "${body.slice(p)}" in: ${text}`);
  }
  return { level: m[1]!, reasons };
}

/** One document of a corpus, with where it came from. */
export interface CorpusDocument {
  /** Path relative to the package, and the document's line: `__corpus__/pod-security/x.yaml:2`. */
  readonly id: string;
  readonly manifest: Manifest;
}

/** Every document of every `.yaml` file in `dir` (relative to the package), in file order. */
export function readCorpus(dir: string): CorpusDocument[] {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const out: CorpusDocument[] = [];
  for (const file of readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const rel = `${dir}/${file}`;
    for (const o of parseObjects(readFileSync(join(root, rel), 'utf8'), rel)) out.push({ id: `${rel}:${o.line ?? 1}`, manifest: o.manifest });
  }
  return out;
}
