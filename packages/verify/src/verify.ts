import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENVIRONMENTS, ToolError, UsageError, type Manifest } from '@strata/core';
import { buildOverlays, parseBuild, resolveKustomize } from '@strata/kustomize';
import { crdManifestsDir } from '@strata/schemas';
import type { Client, Status } from './client.ts';
import type { Problem } from '@strata/core';
import { QuantityLocator } from './quantities.ts';
import { loadCrds, Resources, splitApiVersion, type Crd, type Resolution } from './resources.ts';
import { ensureServers, startServer, type Server } from './server.ts';

export interface VerifyOptions {
  /** One environment; @default every environment */
  readonly env?: string;
  /** Only these apps; @default every app with an overlay */
  readonly app?: readonly string[];
  /** A git ref whose committed overlays are applied first, to check the working tree as an upgrade. */
  readonly against?: string;
  /** Called as each phase ends, with its duration in milliseconds. */
  readonly onPhase?: (name: string, ms: number) => void;
  /** Where progress lines go (the one-time server build). @default stderr */
  readonly log?: (line: string) => void;
  /** A running server to use instead of starting one; it is left running (lets tests share one). */
  readonly server?: Server;
  /** Called once the run's own server is up, e.g. to record its process ids. */
  readonly onServer?: (server: Server) => void;
  /** Concurrent requests to the API server. @default 16 */
  readonly concurrency?: number;
}

export interface VerifyResult {
  readonly problems: Problem[];
  /** Objects of the working tree that were sent to the server. */
  readonly objects: number;
  /** Milliseconds per phase: build, start, crds, namespaces, apply (and baseline, upgrade with `against`). */
  readonly phases: Record<string, number>;
}

interface Overlay {
  readonly env: string;
  readonly app: string;
  /** `overlays/<env>/<app>`, also the `file` of its problems. */
  readonly dir: string;
}

interface Target {
  readonly overlay: Overlay;
  readonly manifest: Manifest;
  resolution?: Resolution;
}

const FIELD_MANAGER = 'strata-verify';

/**
 * The Strata checkout this package belongs to: its .tools/bin holds the binaries and its schemas the
 * CRDs, whichever tree is being verified (tests verify small repositories in temporary folders).
 */
const TOOL_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Server-side verification: builds every selected overlay, starts a throw-away etcd and
 * kube-apiserver, installs the CRDs the objects need, creates their namespaces and server-side
 * applies every object with dry run and strict field validation. With `against`, the ref's overlays
 * are first applied for real, and refusals that only an update meets (immutable fields) are reported.
 */
export async function verify(root: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const phases: Record<string, number> = {};
  const record = (name: string, ms: number) => {
    phases[name] = Math.round((phases[name] ?? 0) + ms);
    options.onPhase?.(name, ms);
  };
  const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const value = await run();
    record(name, performance.now() - t0);
    return value;
  };

  const envs = selectEnvs(options.env);
  const overlays = listOverlays(root, envs, options.app);
  const refTree = options.against ? exportRef(root, options.against) : undefined;
  let serverStarting: Promise<Server> | undefined;
  try {
    if (!options.server) {
      const binaries = await ensureServers(TOOL_ROOT, options.log);
      serverStarting = startServer(binaries);
      // Awaited below; until then a failing build must not turn its rejection into a crash.
      serverStarting.catch(() => undefined);
    }
    const problems: Problem[] = [];
    // The build runs while the server starts: both take seconds, and neither needs the other.
    const kustomize = resolveKustomize(TOOL_ROOT);
    const { targets, refTargets } = await timed('build', async () => {
      const targets = await buildTargets(root, overlays, kustomize, problems);
      const refTargets = refTree ? await buildTargets(refTree, listOverlays(refTree, envs, options.app, false), kustomize, []) : [];
      return { targets, refTargets };
    });
    let server: Server;
    if (serverStarting) {
      server = await serverStarting;
      record('start', server.startMillis);
      options.onServer?.(server);
    } else server = options.server!;
    const client = server.client;
    const concurrency = options.concurrency ?? 16;

    const crds = loadCrds(crdManifestsDir);
    const resources = await Resources.discover(client, crds);
    await timed('crds', () => installCrds(client, [...targets, ...refTargets], resources));
    await timed('namespaces', async () => {
      await eachLimit([...targets, ...refTargets], concurrency, async (t) => {
        t.resolution = await resources.resolve(t.manifest.apiVersion, t.manifest.kind);
      });
      await createNamespaces(client, [...targets, ...refTargets]);
    });

    const rejected = new Set<Target>();
    await timed('apply', () =>
      eachLimit(targets, concurrency, async (t) => {
        const found = await apply(client, t, { dryRun: true });
        if (found.some((p) => p.severity === 'error')) rejected.add(t);
        problems.push(...found);
      }),
    );

    if (options.against) {
      const rounds = upgradeRounds(envs, targets, refTargets);
      const rejectedIds = new Set([...rejected].map(identity));
      for (const round of rounds) {
        const applied: Target[] = [];
        await timed('baseline', () =>
          eachLimit(refTargets.filter((t) => round.includes(t.overlay.env)), concurrency, async (t) => {
            const found = await apply(client, t, { dryRun: false });
            if (found.some((p) => p.severity === 'error')) {
              // The ref's own object was refused, so this one's upgrade goes unchecked: say so, unless the
              // working tree's object is refused as well and already reported.
              if (rejectedIds.has(identity(t))) return;
              for (const p of found) if (p.severity === 'error') problems.push({ ...p, severity: 'warning', rule: 'baseline-rejected', message: `at ${options.against}: ${p.message}` });
            } else applied.push(t);
          }),
        );
        await timed('upgrade', () =>
          eachLimit(targets.filter((t) => round.includes(t.overlay.env) && !rejected.has(t)), concurrency, async (t) => {
            const found = await apply(client, t, { dryRun: true });
            problems.push(...found.filter((p) => p.severity === 'error').map((p) => asUpgradeProblem(p, options.against!)));
          }),
        );
        // Environments share namespaces and cluster-scoped names, so the next round starts from its own
        // ref objects; and a server passed in is left as it was found.
        await eachLimit(applied, concurrency, (t) => remove(client, t));
      }
    }
    return { problems: sortProblems(problems), objects: targets.length, phases };
  } finally {
    if (serverStarting) await (await serverStarting.catch(() => undefined))?.stop();
    if (refTree) rmSync(refTree, { recursive: true, force: true });
  }
}

function selectEnvs(env: string | undefined): string[] {
  if (!env) return [...ENVIRONMENTS];
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) throw new UsageError(`unknown env "${env}"; known envs: ${ENVIRONMENTS.join(', ')}`);
  return [env];
}

/**
 * The overlay folders to verify, read from the tree rather than from apps/: a git ref's exported tree
 * has no app packages, and an overlay is what gets applied.
 */
function listOverlays(root: string, envs: readonly string[], apps: readonly string[] | undefined, strict = true): Overlay[] {
  const out: Overlay[] = [];
  for (const env of envs) {
    const dir = join(root, 'overlays', env);
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!d.isDirectory() || !existsSync(join(dir, d.name, 'kustomization.yaml'))) continue;
      if (apps && apps.length > 0 && !apps.includes(d.name)) continue;
      out.push({ env, app: d.name, dir: `overlays/${env}/${d.name}` });
    }
  }
  if (strict) {
    for (const app of apps ?? []) {
      if (!out.some((o) => o.app === app)) throw new UsageError(`no overlay for app "${app}" in ${envs.map((e) => `overlays/${e}`).join(', ')}; run \`npx strata generate --app ${app}\` first`);
    }
  }
  return out;
}

/** The committed base/ and overlays/ of a ref, in a temporary folder the caller removes. */
function exportRef(root: string, ref: string): string {
  const git = (args: string[], input?: Buffer) => execFileSync('git', args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...(input ? { input } : {}) });
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new UsageError(`--against ${ref}: not a commit in this repository`);
  }
  const top = git(['ls-tree', '--name-only', ref]).toString('utf8').split('\n');
  const paths = ['base', 'overlays'].filter((p) => top.includes(p));
  const dir = mkdtempSync(join(tmpdir(), 'strata-verify-ref-'));
  if (paths.length > 0) execFileSync('tar', ['-x', '-C', dir], { input: git(['archive', '--format=tar', ref, '--', ...paths]) });
  return dir;
}

async function buildTargets(root: string, overlays: readonly Overlay[], command: ReturnType<typeof resolveKustomize>, problems: Problem[]): Promise<Target[]> {
  const built = await buildOverlays(root, overlays.map((o) => o.dir), { command });
  const targets: Target[] = [];
  built.forEach((r, i) => {
    const overlay = overlays[i]!;
    if (!r.ok) {
      problems.push({ file: overlay.dir, message: `kustomize build failed: ${r.error}`, rule: 'kustomize-build', severity: 'error' });
      return;
    }
    try {
      for (const manifest of parseBuild(r.yaml, overlay.dir)) targets.push({ overlay, manifest });
    } catch (err) {
      problems.push({ file: overlay.dir, message: (err as Error).message, rule: 'kustomize-build', severity: 'error' });
    }
  });
  return targets;
}

/** Installs, for real, the CRDs that the objects' kinds need, and waits until each is Established. */
async function installCrds(client: Client, targets: readonly Target[], resources: Resources): Promise<void> {
  const needed = new Map<string, Crd>();
  for (const t of targets) {
    const crd = resources.crdFor(t.manifest.apiVersion, t.manifest.kind);
    if (crd) needed.set(crd.name, crd);
  }
  await Promise.all(
    [...needed.values()].map(async (crd) => {
      const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.name}?fieldManager=${FIELD_MANAGER}&force=true`;
      const r = await client.request('PATCH', path, crd.manifest, 'application/apply-patch+yaml');
      if (r.status >= 300) throw new ToolError(`${crd.file}: the API server refused the CRD: ${(r.body as Status)?.message ?? `HTTP ${r.status}`}`);
    }),
  );
  const deadline = Date.now() + 30_000;
  for (const crd of needed.values()) {
    for (;;) {
      const r = await client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.name}`);
      const conditions = (r.body as { status?: { conditions?: { type: string; status: string; message?: string }[] } })?.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      const refused = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
      if (refused) throw new ToolError(`${crd.file}: CRD names not accepted: ${refused.message ?? ''}`);
      if (Date.now() > deadline) throw new ToolError(`${crd.file}: CRD ${crd.name} not Established after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const namespaceOf = (t: Target) => (t.manifest.metadata?.namespace as string | undefined) || 'default';

/** Creates, for real, every namespace a namespaced object is placed in; a namespace object in the tree is then applied over it. */
async function createNamespaces(client: Client, targets: readonly Target[]): Promise<void> {
  const names = new Set(targets.filter((t) => t.resolution?.ok && t.resolution.namespaced).map(namespaceOf));
  await Promise.all(
    [...names].map(async (name) => {
      const r = await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      if (r.status >= 300 && r.status !== 409) throw new Error(`cannot create namespace ${name}: ${(r.body as Status)?.message ?? `HTTP ${r.status}`}`);
    }),
  );
}

function objectPath(t: Target): string | undefined {
  const res = t.resolution;
  if (!res?.ok) return undefined;
  const ns = res.namespaced ? `/namespaces/${encodeURIComponent(namespaceOf(t))}` : '';
  return `${res.prefix}${ns}/${res.plural}/${encodeURIComponent(t.manifest.metadata.name)}`;
}

function located(t: Target): Omit<Problem, 'message' | 'rule' | 'severity'> {
  const m = t.manifest;
  const namespaced = t.resolution?.ok ? t.resolution.namespaced : Boolean(m.metadata?.namespace);
  return {
    file: t.overlay.dir,
    apiVersion: m.apiVersion,
    kind: m.kind,
    ...(namespaced ? { namespace: namespaceOf(t) } : {}),
    ...(m.metadata?.name ? { name: m.metadata.name } : {}),
  };
}

const locators = new WeakMap<Client, QuantityLocator>();

/** Server-side apply of one object; the server's refusals and warnings as problems. */
async function apply(client: Client, t: Target, options: { dryRun: boolean }): Promise<Problem[]> {
  const quantities = locators.get(client) ?? new QuantityLocator(client);
  locators.set(client, quantities);
  const where = located(t);
  if (!t.manifest.metadata?.name) return [{ ...where, path: 'metadata.name', message: 'an object needs metadata.name to be applied', rule: 'server-rejected', severity: 'error' }];
  const res = t.resolution;
  if (!res?.ok) return [{ ...where, message: res?.message ?? 'unresolved kind', rule: res?.rule ?? 'unknown-kind', severity: 'error' }];
  const query = `?fieldManager=${FIELD_MANAGER}&force=true&fieldValidation=Strict${options.dryRun ? '&dryRun=All' : ''}`;
  const r = await client.request('PATCH', `${objectPath(t)}${query}`, t.manifest, 'application/apply-patch+yaml');
  const out: Problem[] = r.warnings.map((message) => ({ ...where, message, rule: 'server-warning', severity: 'warning' as const }));
  if (r.status < 300) return out;
  let found = statusProblems(r.body, r.status);
  if (found.length === 1 && !found[0]!.path && /quantit/i.test(found[0]!.message)) {
    const reason = found[0]!.message.slice(found[0]!.message.lastIndexOf(': ') + 2);
    const bad = await quantities.find(t.manifest);
    if (bad.length > 0) found = bad.map((b) => ({ path: b.path, message: `${JSON.stringify(b.value)} is not a quantity (like 100m, 0.5, 64Mi or 1e3); the server says: ${reason}` }));
  }
  out.push(...found.map((p) => ({ ...where, ...p, rule: 'server-rejected', severity: 'error' as const })));
  return out;
}

async function remove(client: Client, t: Target): Promise<void> {
  // Namespaces are never deleted: without a namespace controller they would stay Terminating for good.
  if (t.manifest.kind === 'Namespace' && t.manifest.apiVersion === 'v1') return;
  const path = objectPath(t)!;
  const r = await client.request('DELETE', `${path}?propagationPolicy=Background`);
  // An object with finalizers stays until they are gone, and no controller here removes them.
  const meta = (r.body as { metadata?: { finalizers?: string[] } } | undefined)?.metadata;
  if (r.status === 200 && meta?.finalizers?.length) {
    await client.request('PATCH', path, { metadata: { finalizers: null } }, 'application/merge-patch+json');
  }
}

/** A Status turned into field-level findings: its causes, or the field path inside its message. */
export function statusProblems(body: unknown, httpStatus: number): { path?: string; message: string }[] {
  const status = (typeof body === 'object' && body ? body : { message: String(body ?? '') }) as Status;
  const message = status.message || `HTTP ${httpStatus}`;
  const causes = status.details?.causes ?? [];
  if (causes.length > 0) {
    return causes.map((c) => {
      const path = c.field ? cleanPath(c.field) : undefined;
      return { ...(path ? { path } : {}), message: c.message || c.reason || message };
    });
  }
  // Server-side apply reports schema errors in the message: `failed to create typed patch object
  // (ns/name; apps/v1, Kind=Deployment): .spec.x: field not declared in schema`, several as a list.
  const typed = /^failed to create typed patch object \([^)]*\):\s*([\s\S]*)$/.exec(message);
  if (typed) {
    const lines = typed[1]!.replace(/^errors:\s*/, '').split(/\n\s*/).map((l) => l.trim()).filter(Boolean);
    return lines.map((line) => {
      const m = /^(\.[^:\s]*(?:\[[^\]]*\][^:\s]*)*):\s*([\s\S]*)$/.exec(line);
      return m ? { path: cleanPath(m[1]!), message: m[2]! } : { message: line };
    });
  }
  return [{ message }];
}

function cleanPath(path: string): string {
  return path.replace(/^\./, '');
}

const IMMUTABLE = /immutable|updates to .* are forbidden|may not be changed|cannot be changed/i;

function asUpgradeProblem(p: Problem, ref: string): Problem {
  if (IMMUTABLE.test(p.message)) {
    const what = `${p.kind ?? 'object'} ${p.namespace ? `${p.namespace}/` : ''}${p.name ?? ''}`;
    return {
      ...p,
      rule: 'immutable-field',
      message:
        `${p.message} (changed since ${ref}, and the server refuses that on update); to ship it, give the ${p.kind ?? 'object'} a new ` +
        `metadata.name so it is created alongside, or delete ${what} and recreate it (a short outage)`,
    };
  }
  return { ...p, rule: 'update-rejected', message: `${p.message} (as an update of what ${ref} deployed)` };
}

/**
 * Groups envs so that no two in a group share an object identity: each group is checked against its
 * own ref objects. Apps that use distinct namespaces per env need a single round.
 */
function upgradeRounds(envs: readonly string[], targets: readonly Target[], refTargets: readonly Target[]): string[][] {
  const owner = new Map<string, string>();
  for (const t of [...targets, ...refTargets]) {
    const { group } = splitApiVersion(t.manifest.apiVersion);
    const namespaced = t.resolution?.ok ? t.resolution.namespaced : true;
    const id = `${group}/${t.manifest.kind}/${namespaced ? namespaceOf(t) : ''}/${t.manifest.metadata?.name}`;
    const prev = owner.get(id);
    if (prev !== undefined && prev !== t.overlay.env) return envs.map((e) => [e]);
    owner.set(id, t.overlay.env);
  }
  return [[...envs]];
}

const identity = (t: Target) => `${t.overlay.dir}|${t.manifest.apiVersion}|${t.manifest.kind}|${namespaceOf(t)}|${t.manifest.metadata?.name}`;

function sortProblems(problems: Problem[]): Problem[] {
  const key = (p: Problem) => [p.file, p.kind ?? '', p.namespace ?? '', p.name ?? '', p.path ?? '', p.message].join('\0');
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const k = `${key(p)}\0${p.rule}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
