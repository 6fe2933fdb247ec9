import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';

/**
 * A real, small module that this machine's Go module cache holds, verified: `npm run setup` builds
 * kubeconform from it with `go install`, which fetched its zip and checked it against
 * sum.golang.org. Its zip holds one apiextensions.k8s.io/v1 CRD (scripts/fixtures/).
 */
export const REAL_MODULE = { module: 'github.com/yannh/kubeconform', version: 'v0.7.0' } as const;

const goEnv = (name: string) => execFileSync('go', ['env', name], { encoding: 'utf8' }).trim();

/** Where the machine's Go module cache keeps what the proxy protocol serves: modules and checksum database files. */
let downloads: string | undefined;
export function machineDownloads(): string {
  // Asked once, before a test points GOPATH at a scratch folder.
  downloads ??= join(goEnv('GOMODCACHE'), 'cache', 'download');
  const dir = downloads;
  const { module, version } = REAL_MODULE;
  for (const need of [`${module}/@v/${version}.zip`, `sumdb/sum.golang.org/lookup/${module}@${version}`]) {
    if (!existsSync(join(dir, need)))
      throw new Error(`${join(dir, need)} is missing: run \`npm run setup\`, which fetches ${module}@${version} with go install and checks it`);
  }
  return dir;
}

/** The real module's zip as the machine's cache holds it. */
export const realZip = (): Uint8Array =>
  new Uint8Array(readFileSync(join(machineDownloads(), REAL_MODULE.module, '@v', `${REAL_MODULE.version}.zip`)));

/** The real module's zip with one file's content changed: what a tampering proxy would serve. */
export function tamperedZip(file: string, append: string): Uint8Array {
  const entries = unzipSync(realZip());
  const name = `${REAL_MODULE.module}@${REAL_MODULE.version}/${file}`;
  if (!entries[name]) throw new Error(`${name} is not in the module`);
  entries[name] = new Uint8Array([...entries[name]!, ...new TextEncoder().encode(append)]);
  return zipSync(entries);
}

export interface GoProxy {
  readonly url: string;
  /** Every path asked, in order. */
  readonly asked: string[];
  close(): Promise<void>;
}

/**
 * A Go module proxy on loopback (no network in tests) that serves this machine's Go module cache
 * in the proxy's layout, the checksum database included (`/sumdb/sum.golang.org/...`, the records
 * and tiles Go kept when it checked the modules), so `go` checks what it downloads against
 * sum.golang.org's own signed records. `serve` puts other bytes at a path: a tampered zip, or a
 * module the database never saw.
 */
export async function goProxy(serve: Record<string, Uint8Array | string> = {}): Promise<GoProxy> {
  const root = machineDownloads();
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://proxy').pathname);
    asked.push(path);
    const own = serve[path];
    if (own !== undefined) return void res.writeHead(200).end(typeof own === 'string' ? own : Buffer.from(own));
    if (path === '/sumdb/sum.golang.org/supported') return void res.writeHead(200).end();
    const file = normalize(join(root, path));
    if (!file.startsWith(`${root}/`) || !existsSync(file)) return void res.writeHead(404).end('not found');
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/**
 * A module cache and GOPATH of their own for one test: `go` keeps the checksum database's latest
 * signed tree under GOPATH, and a scratch module cache makes it download from the proxy again.
 */
export function scratchGo(): { modCache: string; gopath: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-go-test-'));
  return { modCache: join(dir, 'mod'), gopath: join(dir, 'gopath'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The hooks of a describe block whose tests fetch modules: the machine's cache must hold the real
 * module (said at once when it does not), every test gets a scratch module cache and GOPATH, and the
 * proxies a test serves are closed after the block. `go()` is the current test's scratch.
 */
export function withGoProxies(): { serve(files?: Record<string, Uint8Array | string>): Promise<GoProxy>; go(): ReturnType<typeof scratchGo> } {
  let go: ReturnType<typeof scratchGo> | undefined;
  const proxies: GoProxy[] = [];
  beforeAll(() => {
    realZip();
  });
  beforeEach(() => {
    go = scratchGo();
    vi.stubEnv('GOPATH', go.gopath);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    go?.dispose();
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
  });
  return {
    async serve(files = {}) {
      const p = await goProxy(files);
      proxies.push(p);
      return p;
    },
    go: () => go!,
  };
}

/** The error a promise rejects with; a promise that resolves fails the test. */
export const rejection = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => {
      throw new Error('expected a rejection, got a result');
    },
    (e: unknown) => e as Error,
  );
