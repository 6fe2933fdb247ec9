import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { ENVIRONMENTS, isDnsLabel, isPlainObject, type Manifest } from '@strata/core';
import {
  argoCdInstallationID,
  argoCdTrackingMethod,
  declaredClasses,
  distOf,
  findRootOrCwd,
  gitopsConsumers,
  gitBytes,
  gitText,
  isGitCommit,
  crdsFolder,
  Layout,
  listOverlays,
  objectName,
  parseExact,
  siblingFiles,
  stringifyExact,
  ToolError,
  UsageError,
  type Problem,
  untranslatedEnv,
} from '@strata/project';
import { buildOverlays, checkoutBuildOptions } from '@strata/kustomize';
import { remoteInputs } from '@strata/kustomize/remote';
import { emptiedBuiltFiles } from '@strata/kustomize/emptied';
import {
  allocationClashes,
  allocationsAsked,
  allocationTakenMessage,
  nodePortClashes,
  nodePortsAsked,
  nodePortTakenMessage,
  type Clash,
  type Holder,
} from '@strata/node-ports';
import { crdManifestsDir, namespacedIn } from '@strata/schemas';
import { configMapPolicy, type PolicyPlugin } from './admission-policy.ts';
import {
  classesNamed,
  mountableSecrets,
  namespaceAdmitsPods,
  podFieldsFromClasses,
  podsOf,
  runPolicy,
  unknownClass,
  type PolicyObject,
} from '@strata/policy';
import {
  ARGOCD_SYNC_OPTIONS,
  argoCdApplicationName,
  argoCdDestination,
  argoCdGoneBeforeNextSync,
  argoCdReplaces,
  argoCdServerSideApply,
  argoCdSkips,
  type ArgoCdSkip,
  type ArgoCdTrackingMethod,
} from '@strata/core/argocd';
import { appliedName, withArgoCdNaming } from '@strata/core/hook-names';
import { pathSegments, readBuilt, type VerifyDocument } from './documents.ts';
import { QuantityLocator } from './quantities.ts';
import { templatePodRefusals } from './templates.ts';
import { crdOf, loadCrds, Resources, splitApiVersion, type Crd, type Resolution } from './resources.ts';
import { CLIENT_SIDE_APPLY_MANAGER, KubectlApply, type KubectlPatch } from './client-side-apply.ts';
import { appliesServerSide, FLUX_FORCE, recreation, recreationRefused, recreationWords, type Recreation, type Refusal } from './recreates.ts';
import {
  DEFAULT_NODE_PORT_RANGE,
  ensureServers,
  KUBERNETES_VERSION,
  makeScratchDir,
  MAX_IN_FLIGHT,
  startServer,
  type Client,
  type PortRange,
  type Server,
  type Status,
} from '@strata/project/apiserver';

/** Where namespaced objects that name no namespace are applied. */
export const DEFAULT_NAMESPACE = 'strata-verify';

/**
 * Refuses, as a usage mistake, a name for the namespace that objects naming none are placed in when
 * it cannot be a namespace (a DNS label): the server could not create it. `what` says where the name
 * came from (an option, say) and starts the message.
 */
export function checkDefaultNamespace(name: string, what = 'default namespace'): void {
  if (!isDnsLabel(name))
    throw new UsageError(
      `${what} ${JSON.stringify(name)}: not a namespace name; use a DNS label (lower-case letters, digits and "-", at most 63 characters)`,
    );
}

export interface ServerOptions {
  /** Called as each phase ends, with its duration in milliseconds. */
  readonly onPhase?: (name: string, ms: number) => void;
  /** Progress lines of the one-time server build (minutes, once per machine), for the caller to show. */
  readonly onProgress?: (line: string) => void;
  /** A running server to use instead of starting one; it is left running (lets tests share one). */
  readonly server?: Server;
  /** Called once the run's own server is up, e.g. to record its process ids. */
  readonly onServer?: (server: Server) => void;
  /** Concurrent requests to the API server (the pool of the server's client bounds them too). @default MAX_IN_FLIGHT (96) */
  readonly concurrency?: number;
  /**
   * The node ports the clusters give Services (`kubernetes.serviceNodePortRange` in strata.config.json),
   * for the server the run starts. @default 30000-32767, kube-apiserver's own
   */
  readonly serviceNodePortRange?: PortRange;
  /** The namespace for namespaced objects that name none. @default `strata-verify` */
  readonly defaultNamespace?: string;
  /**
   * The workspace whose own CRDs (crds/, added with `strata crd add`) are installed besides the
   * ones Strata ships. @default the workspace around the current folder, if any
   */
  readonly root?: string;
}

export interface VerifyDocumentsOptions extends ServerOptions {
  /**
   * What is deployed now (read by the caller, e.g. an earlier build's files), and how problems name
   * it: applied for real first, then the documents are checked as an update of it.
   */
  readonly against?: { readonly name: string; readonly docs: readonly VerifyDocument[] };
  /**
   * The PriorityClasses and RuntimeClasses the cluster has from files not given, such as the other
   * apps of the env of a built file given (`envClasses`): the documents' Pods meet them as they meet
   * the documents' own classes, created for real before them; they are never judged themselves.
   * @default none
   */
  readonly classes?: readonly VerifyDocument[];
}

export interface VerifyOptions extends ServerOptions {
  /** One environment; @default every environment */
  readonly env?: string;
  /** Only these apps; @default every app with an overlay */
  readonly app?: readonly string[];
  /**
   * What the built output is checked as an upgrade of, applied for real first: a folder of built
   * manifests laid out as dist/ (`<env>/<app>.yaml`, an earlier build kept by CI, say), or else a git
   * ref, whose committed overlays are built.
   */
  readonly against?: string;
  /** The folder a relative `against` folder is named from: the shell's working folder when a person types it. @default root */
  readonly cwd?: string;
  /**
   * Pass when no app has an overlay in the selected envs (otherwise there is nothing to verify, a
   * usage error: a job run in the wrong folder must not pass). @default false
   */
  readonly allowEmpty?: boolean;
}

/** An object not sent to the server, as Argo CD never applies it, and where it was read. */
export interface NotApplied {
  readonly file: string;
  readonly line?: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Which object of the run it is (`VerifyDocument.id`), when the reader numbered it. */
  readonly resource?: string;
  /** `skip`: annotated `argocd.argoproj.io/hook: Skip`; `no-sync-hook`: a hook that names no phase Argo CD runs it in. */
  readonly why: ArgoCdSkip;
}

export interface VerifyResult {
  readonly problems: Problem[];
  /** Objects that were sent to the server (the ref's not counted). */
  readonly objects: number;
  /**
   * Objects that were not, as Argo CD never applies them (the ref's not counted): they are neither
   * judged nor given their names or node ports, in the env or as what is deployed.
   */
  readonly notApplied: readonly NotApplied[];
  /**
   * With a baseline (`against`): how many of `objects` met an object it deployed under the same name
   * and were checked as an update of it; the rest were checked as created afresh only (new objects,
   * and those whose baseline the server refused).
   */
  readonly upgrades?: number;
  /** Milliseconds per phase: read, start, crds, namespaces, apply (and build, baseline, upgrade with `against`). */
  readonly phases: Record<string, number>;
  /** The Kubernetes version the API server that judged the objects reports (`v1.36.3`). */
  readonly serverVersion: string;
  /**
   * What was checked otherwise than a cluster would take it, one line per reason: CRDs installed
   * without their conversion webhook, deployed objects that would make the server call out.
   */
  readonly notes: readonly string[];
}

/** Objects applied together: one environment of the apps, or everything handed in. */
export interface Group {
  readonly name: string;
  readonly docs: readonly VerifyDocument[];
  /**
   * Whether each file of the group is one app's built output named after the app (`<env>/<app>.yaml`
   * of a folder laid out as dist/, the overlay `overlays/<env>/<app>` a ref's build read), whatever
   * its folder: its objects that name no namespace are placed as those of `dist/<env>/<app>.yaml`
   * are. @default only files of dist/ are
   */
  readonly built?: boolean;
}

export interface VerifyGroupsOptions extends ServerOptions {
  /**
   * A git ref of the workspace (`root`) whose committed overlays are built, applied for real first,
   * and the groups checked as an upgrade of them, as `verify` does with a ref: refusals that only an
   * update meets (immutable fields) are reported. Checked first: one that is not a commit is a
   * `UsageError` (`checkRef`).
   */
  readonly against?: string;
  /**
   * The server, being started by the caller (`startVerifyServer`), who also stops it: awaited once
   * the groups are read, and its start reported as the `start` phase, as when a run starts its own.
   */
  readonly starting?: Promise<Server>;
  /**
   * What the ref deployed besides its overlays' builds, with `against`: its `folders` (gitops/, say)
   * are exported with its overlays, and `read` reads their objects from that tree, in groups applied
   * for real with the overlays' and upgraded by the groups of the same name. @default nothing else
   */
  readonly alsoAgainst?: { readonly folders: readonly string[]; readonly read: (tree: string) => readonly Group[] };
}

interface Target {
  readonly doc: VerifyDocument;
  readonly group: string;
  readonly manifest: Manifest;
  /** Where a namespaced object is applied: its own namespace or the default one. */
  readonly namespace: string;
  resolution?: Resolution;
  /** A CRD of the input: installed for real before everything else, and not applied again. */
  installed?: boolean;
}

const FIELD_MANAGER = 'strata-verify';

/**
 * The apps' built output, server-side: reads `dist/<env>/<app>.yaml` as `strata pipeline` (what
 * `npm run build` runs) wrote it, for every selected overlay, and verifies it with
 * `verifyDocuments`. Nothing is built again. With `against`, the ref's committed overlays are built
 * (with the long-lived builder), applied for real first, and refusals that only an update meets
 * (immutable fields) are reported.
 */
export async function verify(root: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const envs = selectEnvs(options.env);
  const files = distFiles(root, envs, options.app);
  if (files.length === 0 && !options.allowEmpty) {
    throw new UsageError(
      `nothing to verify: no app has an overlay in ${envs.map((e) => Layout.envRoot(e)).join(', ')}; name the files, folders or - (stdin) to verify, or pass --allow-empty where nothing is expected`,
    );
  }
  const phases = new Phases(options.onPhase);
  // Read while the server starts (at 500 apps each takes seconds), giving it turns in between.
  const read = (turn: () => Promise<void>) =>
    phases.timed('read', async () => {
      const groups: Group[] = [];
      const empty: string[] = [];
      for (const env of envs) {
        const docs: VerifyDocument[] = [];
        for (const f of files.filter((x) => x.env === env)) {
          const read = readBuilt(readFileSync(join(root, f.file), 'utf8'), f.file);
          if (read.length === 0) empty.push(f.file);
          docs.push(...read);
          await turn();
        }
        groups.push({ name: env, docs });
      }
      // A built file emptied since its build would pass unjudged, as broken output that readBuilt refuses would not.
      const emptied = empty.length > 0 ? await emptiedBuiltFiles(root, empty) : [];
      if (emptied.length > 0) throw new Error(emptied.map((e) => `${e.file}: ${e.message}`).join('\n'));
      return groups;
    });
  const ref = options.against;
  // Given some apps only, their Pods meet the classes the env's other apps ship too.
  const classes = options.app
    ? envClasses(
        root,
        files.map((f) => f.file),
      )
    : new Map<string, VerifyDocument[]>();
  const withRoot = { root, ...options, besides: classes };
  if (!ref) return run(read, withRoot, phases);
  const folder = resolve(options.cwd ?? root, ref);
  if (isDirectory(folder)) {
    const readFolder = () => Promise.resolve(readAgainstFolder(folder, ref, envs, options.app));
    return run(read, withRoot, phases, { ref, build: readFolder });
  }
  const refTree = exportRef(root, ref);
  try {
    const unbuilt: Unbuilt[] = [];
    const r = await run(read, withRoot, phases, { ref, build: () => buildRef(refTree, envs, options.app, unbuilt) });
    return withUnbuiltRef(r, ref, unbuilt);
  } finally {
    rmSync(refTree, { recursive: true, force: true });
  }
}

/**
 * Objects the caller has in hand, in groups (one per env, say: what a pipeline just built, each with
 * its dist/ file and line), verified as `verify` verifies dist/: nothing is read from disk but what
 * `read` reads, timed as the `read` phase. `read` may await `turn()` now and then, so that a server
 * starting meanwhile gets its turns.
 */
export async function verifyGroups(
  read: (turn: () => Promise<void>) => Promise<readonly Group[]>,
  options: VerifyGroupsOptions = {},
): Promise<VerifyResult> {
  const phases = new Phases(options.onPhase);
  const timedRead = (turn: () => Promise<void>) => phases.timed('read', () => read(turn));
  const ref = options.against;
  if (!ref) return run(timedRead, options, phases);
  const root = options.root ?? findRootOrCwd();
  const also = options.alsoAgainst;
  const refTree = exportRef(root, ref, also?.folders);
  try {
    const unbuilt: Unbuilt[] = [];
    const build = async () => [...(await buildRef(refTree, ENVIRONMENTS, undefined, unbuilt)), ...(also?.read(refTree) ?? [])];
    const r = await run(timedRead, { root, ...options }, phases, { ref, build });
    return withUnbuiltRef(r, ref, unbuilt);
  } finally {
    rmSync(refTree, { recursive: true, force: true });
  }
}

/**
 * Throws a one-line `UsageError` when `ref` is not a commit of the git repository at `root` (a
 * branch not fetched, a shallow clone without it, a typing error), or holds no overlay at all
 * (`overlays/<env>/<app>/kustomization.yaml`): for a caller that checks the ref before work that
 * takes minutes. An app the ref lacks is new; a ref with none of them is no baseline.
 */
export function checkRef(root: string, ref: string): void {
  // A git that cannot run throws its own words (exit 2): that says nothing of the ref.
  if (!isGitCommit(root, ref)) throw new UsageError(`--against ${ref}: not a commit in this repository`);
  // A ref that deploys nothing (a docs branch, a commit from before the apps) would check every
  // object as created afresh while the run claims an upgrade: almost always the wrong ref.
  const listed = gitText(root, ['ls-tree', '-r', '--name-only', ref, '--', `${Layout.overlays}/`], { maxBuffer: 1 << 30 });
  const overlay = new RegExp(`^${Layout.overlays}/[^/]+/[^/]+/kustomization\\.yaml$`);
  if (!listed.split('\n').some((f) => overlay.test(f))) {
    throw new UsageError(
      `--against ${ref}: ${ref} has no ${Layout.overlays}/ (no ${Layout.overlays}/<env>/<app>/kustomization.yaml), so there is nothing to check an upgrade from; ` +
        'pass the ref whose overlays are deployed now (in a pull request the target branch, origin/main; on a push the commit before it), or leave --against out',
    );
  }
}

/**
 * The throw-away etcd and kube-apiserver a run uses, started as a run starts its own: the binaries
 * built first when missing (minutes, once per machine, their progress lines to `onProgress`), and
 * the server handed over before its last post-start hooks (a run waits for them where it matters).
 * The caller stops it.
 */
export function startVerifyServer(onProgress?: (line: string) => void, serviceNodePortRange?: PortRange): Promise<Server> {
  return ensureServers(onProgress).then((binaries) =>
    startServer(binaries, { beforeLateChecks: true, ...(serviceNodePortRange ? { serviceNodePortRange } : {}) }),
  );
}

/**
 * Any manifests (files, folders or stdin, read by the caller), server-side: starts a throw-away etcd
 * and kube-apiserver, installs the CRDs the input carries and those Strata ships for the kinds it
 * uses, creates the namespaces and server-side applies every object with dry run and strict field
 * validation. Namespaced objects without a namespace go to `defaultNamespace`.
 */
export async function verifyDocuments(docs: readonly VerifyDocument[], options: VerifyDocumentsOptions = {}): Promise<VerifyResult> {
  const baseline = options.against;
  const against = baseline ? { ref: baseline.name, build: () => Promise.resolve([{ name: '', docs: baseline.docs }]) } : undefined;
  const besides = new Map(options.classes ? [['', options.classes] as const] : []);
  return run(() => Promise.resolve([{ name: '', docs }]), { ...options, besides }, new Phases(options.onPhase), against);
}

/**
 * The PriorityClasses and RuntimeClasses that the other apps of the envs of the built files `files`
 * (`dist/<env>/<app>.yaml`) ship, read from dist/ as they are, by env, as validate reads them: a run
 * given one app's output meets the classes of every app of its env, as its env's cluster has them.
 * Files that are not built output have no env, and a built file that does not read is left out (the
 * run that verifies it says why).
 */
export function envClasses(root: string, files: readonly string[]): Map<string, VerifyDocument[]> {
  const out = new Map<string, VerifyDocument[]>();
  for (const { file, env, text } of siblingFiles(root, files)) {
    // Most built files hold no class: they are not parsed.
    if (!/^kind: (PriorityClass|RuntimeClass)\s*$/m.test(text)) continue;
    let docs: VerifyDocument[];
    try {
      docs = readBuilt(text, file).filter((d) => isPodClassManifest(d.manifest));
    } catch {
      // Not YAML: it ships nothing here.
      continue;
    }
    if (docs.length > 0) out.set(env, [...(out.get(env) ?? []), ...docs]);
  }
  return out;
}

class Phases {
  readonly totals: Record<string, number> = {};
  constructor(private readonly listener?: (name: string, ms: number) => void) {}
  record(name: string, ms: number): void {
    this.totals[name] = Math.round((this.totals[name] ?? 0) + ms);
    this.listener?.(name, ms);
  }
  async timed<T>(name: string, work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const value = await work();
    this.record(name, performance.now() - t0);
    return value;
  }
}

/** How long synchronous work runs before it lets the event loop take a turn. */
const TURN_MS = 10;

/**
 * A turn of the event loop when the work since the last one took TURN_MS or more. Reading megabytes
 * of YAML in one go would hold the server's start back: each of its steps (the binaries' check,
 * spawning kube-apiserver, polling /readyz) waits for a turn, so the start would begin only once the
 * read is over, instead of running beside it on the other core.
 */
function turns(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < TURN_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}

async function run(
  read: (turn: () => Promise<void>) => Promise<readonly Group[]>,
  options: Omit<VerifyGroupsOptions, 'against'> & {
    /** By group: the classes its cluster has from files not given (`VerifyDocumentsOptions.classes`). */
    readonly besides?: ReadonlyMap<string, readonly VerifyDocument[]>;
  },
  phases: Phases,
  against?: { ref: string; build: () => Promise<Group[]> },
): Promise<VerifyResult> {
  const defaultNamespace = options.defaultNamespace ?? DEFAULT_NAMESPACE;
  checkDefaultNamespace(defaultNamespace);
  // The run's own server, stopped at its end; one the caller starts is the caller's to stop.
  let own: Promise<Server> | undefined;
  // kubectl's requests for what Argo CD applies client-side (its default): the helper starts on first use.
  const kubectl = new KubectlApply(options.onProgress);
  try {
    if (!options.server && !options.starting) {
      own = startVerifyServer(options.onProgress, options.serviceNodePortRange);
      // Awaited below; until then a failing build must not turn its rejection into a crash.
      own.catch(() => undefined);
    }
    const serverStarting = own ?? options.starting;
    const problems: Problem[] = [];
    const turn = turns();
    const groups = await read(turn);
    // What Argo CD never applies never reaches the cluster: it is left out before anything else,
    // the ref's as well (it was never deployed), and said, not dropped. Only where Argo CD alone
    // applies the tree (gitops.consumer): Flux reads no Argo CD annotation and applies everything.
    const consumers = gitopsConsumers(options.root ?? findRootOrCwd());
    const toTargets = (gs: readonly Group[]) =>
      gs.flatMap((g) => {
        const place = placement(g, !consumers.flux, options.root ?? findRootOrCwd());
        return g.docs.map((doc): Target => {
          const manifest = place(doc);
          return { doc, group: g.name, manifest, namespace: manifest.metadata?.namespace || defaultNamespace };
        });
      });
    // What Argo CD's tracking writes into an object counts in whether its app syncs server-side.
    const trackingMethod = argoCdTrackingMethod(options.root ?? findRootOrCwd());
    const installationID = argoCdInstallationID(options.root ?? findRootOrCwd());
    const argoCdAlone = !consumers.flux;
    const applies = (ts: readonly Target[]): [Target[], { t: Target; why: ArgoCdSkip }[]] => (argoCdAlone ? argoCdApplies(ts) : [[...ts], []]);
    const [targets, skipped] = applies(toTargets(groups));
    // The classes of other files of a group's cluster, but for what Argo CD never applies and those the group ships itself.
    const ownClassKeys = new Set(targets.filter(isPodClass).map((t) => `${t.group}\0${classKey(t)}`));
    const besides = groupsOf(
      applies(toTargets([...(options.besides ?? [])].map(([name, docs]) => ({ name, docs }))))[0].filter(
        (t) => isPodClass(t) && !ownClassKeys.has(`${t.group}\0${classKey(t)}`),
      ),
    );
    const notApplied = skipped.map(({ t, why }): NotApplied => {
      const meta = t.manifest.metadata;
      const name = objectName(meta);
      return {
        file: t.doc.file,
        ...(t.doc.line ? { line: t.doc.line } : {}),
        apiVersion: t.manifest.apiVersion,
        kind: t.manifest.kind,
        ...(meta?.namespace ? { namespace: meta.namespace } : {}),
        ...(name ? { name } : {}),
        ...(t.doc.id !== undefined ? { resource: t.doc.id } : {}),
        why,
      };
    });
    // Also while the server starts: the shipped CRDs are megabytes of YAML, so only those of the groups
    // the objects use are read (all of them with a ref, whose objects are read later). A project's own
    // crds/ is read whole: its files may be named otherwise.
    const used = against ? undefined : new Set(targets.map((t) => splitApiVersion(t.manifest.apiVersion).group));
    const crds = new Map([...(await loadCrds(crdManifestsDir, turn, used)), ...(await loadCrds(crdsFolder(options.root ?? findRootOrCwd()), turn))]);
    // The ref builds while the server starts: both take seconds, and neither needs the other.
    const refTargets = against ? applies(toTargets(await phases.timed('build', against.build)))[0] : [];
    problems.push(...namespaceAdmission(targets, refTargets, defaultNamespace, against?.ref, besides));
    let server: Server;
    if (serverStarting) {
      server = await serverStarting;
      phases.record('start', server.startMillis);
      if (own) options.onServer?.(server);
    } else server = options.server!;
    const client = server.client;
    const nodePorts = server.serviceNodePortRange;
    const concurrency = options.concurrency ?? MAX_IN_FLIGHT;
    // Asked, as $STRATA_KUBE_APISERVER may name a build of another version; a build from source
    // without version stamps says v0.0.0-master, and then it is the version its module was pinned to.
    const version = await client.request('GET', '/version');
    const asked = isPlainObject(version.body) && typeof version.body.gitVersion === 'string' ? version.body.gitVersion : '';
    const serverVersion = /^v1\.\d+\./.test(asked) ? asked : KUBERNETES_VERSION;
    const all = [...targets, ...refTargets, ...[...besides.values()].flat()];

    const resources = await Resources.discover(client, crds);
    const resolve = (ts: readonly Target[]) =>
      eachLimit(ts, concurrency, async (t) => {
        t.resolution = await resources.resolve(t.manifest.apiVersion, t.manifest.kind);
      });
    // The namespaces of built-in kinds are created while the CRDs install: neither waits for the
    // other, and a built-in kind resolves the same whatever CRDs there are. Custom kinds resolve once
    // their CRDs are in (a CRD of the input may be refused), so theirs come after. The same
    // namespaces are created as when everything waited for the CRDs.
    const created = new Set<string>();
    const refusedNamespaces = new Map<string, string[]>();
    const builtin = all.filter((t) => resources.isBuiltin(t.manifest.apiVersion));
    const early = resolve(builtin).then(() => createNamespaces(client, builtin, created, refusedNamespaces));
    early.catch(() => undefined);
    const unhooked: Target[] = [];
    await phases.timed('crds', () => installCrds(client, targets, refTargets, resources, problems, unhooked, against?.ref));
    await phases.timed('namespaces', async () => {
      await early;
      const custom = all.filter((t) => !resources.isBuiltin(t.manifest.apiVersion));
      await resolve(custom);
      await createNamespaces(client, custom, created, refusedNamespaces);
    });

    const rejected = new Set<Target>();
    // An object in a namespace the server refuses to create is refused at its metadata.namespace, in
    // the words of that refusal (a cluster cannot hold such a namespace, so it never takes the object),
    // and is not sent: the server would only say that the namespace is not found.
    const inRefusedNamespace = (t: Target) => t.resolution?.ok && t.resolution.namespaced && refusedNamespaces.has(t.namespace);
    for (const t of targets) {
      if (t.installed || !inRefusedNamespace(t)) continue;
      rejected.add(t);
      for (const message of refusedNamespaces.get(t.namespace)!)
        problems.push(located(t, { path: 'metadata.namespace', message, rule: 'server-rejected', severity: 'error' }));
    }
    // A number that its built-in field's int32 or int64 cannot hold (a port of 4294967376) is refused
    // by the typed decoding of kubectl apply's create and patch, as Argo CD and apply -k send them, and
    // by validate's server field checks in the same words; a server-side apply converts the object
    // from unstructured and wraps the number without a word, so the dry run would pass it. Not sent.
    const integers = locatorOf(client);
    await eachLimit(
      targets.filter((t) => !t.installed && !rejected.has(t) && resources.isBuiltin(t.manifest.apiVersion)),
      concurrency,
      async (t) => {
        const found = await integers.overflows(t.manifest, t.doc.json === undefined ? t.manifest : parseExact(t.doc.json));
        if (found.length === 0) return;
        rejected.add(t);
        for (const f of found)
          problems.push(
            located(t, {
              path: f.path,
              message: `${f.message}: kubectl apply (as apply -k and Argo CD apply) refuses it, where a server-side apply would keep another number`,
              rule: 'server-rejected',
              severity: 'error',
            }),
          );
      },
    );
    // What objects of its env decide on a Pod's or claim's admission (a LimitRange of its namespace, the
    // PriorityClass or RuntimeClass a Pod names) exists in the cluster before it is created, but only
    // as a dry run here: such Pods and claims are judged after, against those objects created for real,
    // and so are the pods the workloads of a namespace with a LimitRange make from their templates.
    const byGroup = groupsOf(targets);
    const refByGroup = groupsOf(refTargets);
    const alongside = [...byGroup].flatMap(([group, own]) => {
      const live = own.filter((t) => !t.installed && !rejected.has(t));
      const limitedSpaces = new Set(live.filter(isLimitRange).map((t) => t.namespace));
      // With a ref, the cluster also has the classes it deployed, those the output ships no more included,
      // and it has those of other files of its cluster (the env's other apps).
      const classes = new Map(
        [...(refByGroup.get(group) ?? []), ...(besides.get(group) ?? []), ...live].filter(isPodClass).map((t) => [classKey(t), t]),
      );
      // A Pod that names no PriorityClass gets the env's global default one, which the cluster has then too.
      const fallback = [...classes.values()].find(isDefaultPriorityClass);
      const classesOf = (t: Target) => classesOfPod(t, fallback);
      const judged = live.filter(
        (t) => (isLimited(t) && limitedSpaces.has(t.namespace)) || (t.manifest.kind === 'Pod' && classesOf(t).some((c) => classes.has(c))),
      );
      // The LimitRanger limits Pods alone: a workload in a limited namespace is admitted, and the pods its controller makes are judged here.
      const templated = live.filter((t) => limitedSpaces.has(t.namespace) && t.manifest.kind !== 'Pod' && hasPodTemplate(t));
      if (judged.length === 0 && templated.length === 0) return [];
      const named = new Set(judged.flatMap(classesOf));
      const made = [
        ...live.filter((t) => isLimitRange(t) && [...judged, ...templated].some((j) => j.namespace === t.namespace)),
        ...[...classes].filter(([c]) => named.has(c)).map(([, t]) => t),
      ];
      return [{ made, judged, templated }];
    });
    const later = new Set(alongside.flatMap((a) => a.judged));
    // What the LimitRanges of the build refuse of a workload's pods, said once even where those of the upgrade refuse it too.
    const templateRefused = new Set<string>();
    const templateKey = (t: Target, p: { path?: string; message: string }) => `${identity(t)}\0${p.path ?? ''}\0${p.message}`;
    await phases.timed('apply', () =>
      eachLimit(sameRequests(targets.filter((t) => !t.installed && !rejected.has(t) && !later.has(t))), concurrency, async (same) => {
        if (meetsLateHooks(same.targets[0]!.manifest)) await server.whenReady();
        const found = await judge(client, same.targets[0]!, { dryRun: true, nodePorts }, same.body);
        for (const t of same.targets) {
          if (found.some((f) => f.severity === 'error')) rejected.add(t);
          problems.push(...found.map((f) => located(t, f)));
        }
      }),
    );
    // A dry run takes no node port, so Services of one env that ask for the same one all pass it;
    // the env's cluster creates the first and refuses the others. Each env is a cluster of its own.
    for (const g of groups) {
      const accepted = targets.filter((t) => t.group === g.name && !t.installed && !rejected.has(t));
      for (const clash of nodePortClashes(
        accepted,
        (t) => nodePortsAsked(t.manifest),
        (a, b) => identity(a) === identity(b),
      )) {
        rejected.add(clash.item);
        problems.push(located(clash.item, taken(clash, nodePortTakenMessage)));
      }
      // Nor does it take a cluster IP, nor make a PriorityClass the default: the first to ask keeps it.
      for (const clash of allocationClashes(
        accepted.filter((t) => !rejected.has(t)),
        (t) => allocationsAsked(t.manifest),
        (a, b) => identity(a) === identity(b),
      )) {
        rejected.add(clash.item);
        problems.push(located(clash.item, taken(clash, allocationTakenMessage)));
      }
    }
    // Each env's in turn (envs share namespaces and cluster-scoped names): its LimitRanges and the
    // classes its Pods name are created for real, unless their own dry run was refused, then the Pods
    // and claims they decide on are dry-run against them, and they are deleted again.
    if (alongside.length > 0)
      await phases.timed('alongside', async () => {
        for (const { made, judged, templated } of alongside) {
          const created: Target[] = [];
          for (const t of made) {
            if (rejected.has(t)) continue;
            if (meetsLateHooks(t.manifest)) await server.whenReady();
            if (!(await apply(client, t, { dryRun: false })).some((p) => p.severity === 'error')) created.push(t);
          }
          // The admission plugins read them through informers.
          if (created.length > 0) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          await eachLimit(judged, concurrency, async (t) => {
            if (meetsLateHooks(t.manifest)) await server.whenReady();
            const found = await judge(client, t, { dryRun: true, nodePorts });
            if (found.some((f) => f.severity === 'error')) rejected.add(t);
            problems.push(...found.map((f) => located(t, f)));
          });
          // A workload its own dry run refused is reported as that.
          await eachLimit(
            templated.filter((t) => !rejected.has(t)),
            concurrency,
            async (t) => {
              for (const f of await templatePodRefusals(client, t.manifest, t.doc.file, t.namespace)) {
                templateRefused.add(templateKey(t, f));
                problems.push(located(t, { ...f, rule: 'server-rejected', severity: 'error' }));
              }
            },
          );
          await eachLimit(created, concurrency, (t) => remove(client, t));
        }
      });
    // A class the server refuses is never in the cluster: judged once the dry run has said which.
    problems.push(
      ...podClasses(
        targets.filter((t) => !rejected.has(t)),
        [...refTargets, ...[...besides.values()].flat()],
        options.root ?? findRootOrCwd(),
      ),
    );

    const uncreated: Target[] = [];
    let upgradesChecked = 0;
    const recreated: { t: Target; why: Recreation }[] = [];
    const grown: Target[] = [];
    const quotas: Target[] = [];
    const policiesLate: Target[] = [];
    if (against) {
      // What is deployed now is applied for real, of any kind but what makes the server call out: on a server past every check.
      await server.whenReady();
      const ref = against.ref;
      // Argo CD applies an object client-side unless its app or the object asks for server-side apply;
      // Flux applies everything server-side. What it applied client-side carries kubectl's
      // last-applied-configuration annotation, the "original" of the next apply's three-way patch.
      const clientSideOf = (serverSide: (t: Target) => boolean) => (t: Target) =>
        argoCdAlone && !(argoCdServerSideApply(t.manifest) ?? serverSide(t));
      const deployedClientSide = clientSideOf(serverSideApps(refTargets, trackingMethod, installationID));
      const rejectedIds = new Set([...rejected].map(identity));
      for (const round of upgradeRounds(
        groups.map((g) => g.name),
        targets,
        refTargets,
      )) {
        const applied: Target[] = [];
        const deploy = async (t: Target) => {
          // Created, it would make the server call out on later requests: it is checked, not created.
          const quiet = callsOut(t.manifest);
          if (quiet) uncreated.push(t);
          const found = inRefusedNamespace(t)
            ? refusedNamespaces
                .get(t.namespace)!
                .map((message) => located(t, { path: 'metadata.namespace', message, rule: 'server-rejected', severity: 'error' }))
            : await apply(
                client,
                t,
                quiet ? { dryRun: true, nodePorts } : { dryRun: false },
                deployedClientSide(t) ? await kubectl.created(t.doc.json ?? JSON.stringify(t.manifest)) : undefined,
              );
          if (!quiet && !found.some((p) => p.severity === 'error')) found.push(...(await bindClaim(client, t)));
          if (found.some((p) => p.severity === 'error')) {
            // The ref's own object was refused, so this one's upgrade goes unchecked: say so, unless the
            // built object is refused as well and already reported.
            if (rejectedIds.has(identity(t))) return;
            for (const p of found)
              if (p.severity === 'error') problems.push({ ...p, severity: 'warning', rule: 'baseline-rejected', message: `at ${ref}: ${p.message}` });
          } else {
            applied.push(t);
            if (t.manifest.kind === 'ResourceQuota' && t.manifest.apiVersion === 'v1') quotas.push(t);
          }
        };
        // A hook named by its generateName is made anew by every sync: nothing of the ref's stays to upgrade.
        // Nor does a hook that Argo CD deletes once its sync succeeded, or a delete hook, which no sync creates.
        const deployed = refTargets.filter(
          (t) => round.includes(t.group) && !t.installed && t.manifest.metadata?.name && !(argoCdAlone && argoCdGoneBeforeNextSync(t.manifest)),
        );
        // As in the cluster, a node port goes to the first Service in apply order that asks for it: Services
        // asking for one another asks for too are created one by one, in that order. All that ask for node
        // ports come before the rest, whose node ports the server chooses and might choose among those.
        const { contested, uncontested, rest } = byNodePorts(deployed);
        await phases.timed('baseline', async () => {
          await Promise.all([
            (async () => {
              for (const t of contested) await deploy(t);
            })(),
            eachLimit(uncontested, concurrency, deploy),
          ]);
          await eachLimit(rest, concurrency, deploy);
        });
        // The server loads admission policies into force up to a second after they are created: the
        // upgrade is judged once those deployed are in force.
        const probe = applied.some(isAdmissionPolicy) ? await policiesInForce(client, applied.filter(isAdmissionPolicy)) : undefined;
        if (probe) policiesLate.push(...probe.late);
        const upgrades = targets.filter((t) => round.includes(t.group) && !rejected.has(t) && !t.installed);
        // The classes of other files of the cluster (the env's other apps) are there as the upgrade comes,
        // unless what is deployed or the upgrade has one of that name; they are removed with the rest.
        const present = new Set([...applied, ...upgrades].map(identity));
        const beside: Target[] = [];
        for (const t of round.flatMap((g) => besides.get(g) ?? [])) {
          if (present.has(identity(t))) continue;
          present.add(identity(t));
          if (!(await apply(client, t, { dryRun: false })).some((p) => p.severity === 'error')) beside.push(t);
        }
        if (beside.length > 0) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        // Those that meet a deployed object of their name are upgrades; the rest are checked as created once more.
        const live = new Map(applied.map((t) => [identity(t), t.manifest]));
        const deployedIds = new Set(live.keys());
        // What a sync deletes and recreates (an Argo CD hook, Force=true, Flux's force) is never updated:
        // it was checked as created by the dry run above; what an update would meet is only said.
        const serverSide = serverSideApps(targets, trackingMethod, installationID);
        // An update Argo CD applies client-side is kubectl's three-way patch (Replace=true is a replace, not an apply).
        const clientSide = clientSideOf(serverSide);
        const update = (t: Target, options: ApplyOptions) =>
          deployedIds.has(identity(t)) && clientSide(t) && argoCdReplaces(t.manifest, live.get(identity(t))) !== 'replace'
            ? judgeClientSide(client, kubectl, t, options)
            : judge(client, t, options);
        const recreates = (t: Target, refused: Refusal) =>
          deployedIds.has(identity(t)) ? recreation(t.manifest, live.get(identity(t)), consumers, serverSide(t), refused) : undefined;
        // Force=true alone and Flux's force recreate only after a refusal they take for an immutable field.
        const stillRefused = (t: Target, refused: Refusal) =>
          deployedIds.has(identity(t)) ? recreationRefused(t.manifest, live.get(identity(t)), consumers, serverSide(t), refused) : undefined;
        // Every object of a deployed name is an upgrade but those a sync recreates: a hook or Force=true,Replace=true
        // whatever the server answers (a refusal no force recreates after), the others once their refusal is known.
        const never: Refusal = { code: 403, reason: 'Forbidden', message: '' };
        const recreatedBefore = recreated.length;
        const counted = new Set(upgrades.filter((t) => deployedIds.has(identity(t)) && !recreates(t, never)));
        upgradesChecked += counted.size;
        // A node port that a deployed Service holds and another asks for now is free once the holder's
        // update, earlier in apply order, lets it go: a dry run takes and frees nothing, so such
        // Services are applied for real, one by one in apply order, as the cluster takes them. So are
        // the classes the upgrade creates that its Pods name, which the cluster has when those come.
        const moved = movedNodePorts(applied, upgrades);
        const newClasses = classesCreatedFor(upgrades, deployedIds);
        // So are the LimitRanges it creates or changes: the Pods and claims it creates, and the pods its
        // workloads make, meet them as the upgrade leaves them, not as deployed.
        const newRanges = upgrades.filter(isLimitRange);
        const sequential = upgrades.filter((t) => moved.includes(t) || newClasses.includes(t) || newRanges.includes(t));
        const upgraded: Target[] = [];
        // What the upgrade refuses: its workloads keep their deployed templates.
        const refusedNow = new Set<Target>();
        await phases.timed('upgrade', async () => {
          for (const t of sequential) {
            const answer = (await update(t, { dryRun: false })).filter((f) => f.severity === 'error');
            if (answer.length === 0) {
              upgraded.push(t);
              continue;
            }
            const refusal = answer.find((f) => f.refusal)?.refusal ?? { code: 422, reason: 'Invalid', message: answer[0]!.message };
            const why = recreates(t, refusal);
            if (why) {
              // The sync deletes the deployed Service, which lets its node ports go, and creates the built one
              // in its place, in apply order as the cluster takes them.
              recreated.push({ t, why });
              await remove(client, t);
              const created = await apply(client, t, { dryRun: false });
              if (created.some((p) => p.severity === 'error')) problems.push(...created.filter((p) => p.severity === 'error'));
              else upgraded.push(t);
              continue;
            }
            refusedNow.add(t);
            if (!deployedIds.has(identity(t))) {
              // A node port a deployed Service holds is named with it, and when it is pruned, as a cluster IP is.
              problems.push(...answer.map((f) => asCreateProblem(located(t, heldNodePort(t, f, applied, upgrades, ref, consumers)), ref)));
              continue;
            }
            const replaces = argoCdAlone ? argoCdReplaces(t.manifest, live.get(identity(t))) : undefined;
            const unforced = stillRefused(t, refusal);
            problems.push(...answer.map((f) => asUpgradeProblem(located(t, f), ref, t.manifest, replaces, unforced && { why: unforced, refusal })));
          }
          // The Priority, RuntimeClass and LimitRanger admission plugins read the classes and LimitRanges (those deployed too) through informers.
          if (upgraded.some((t) => newClasses.includes(t) || newRanges.includes(t)) || applied.some(isLimitRange))
            await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          await eachLimit(
            upgrades.filter((t) => !sequential.includes(t)),
            concurrency,
            async (t) => {
              const answer = await update(t, { dryRun: true, nodePorts });
              const found = expansion(
                answer.map((f) => located(t, f)),
                t,
                targets,
                refTargets,
                grown,
              );
              const refused = found.filter((p) => p.severity === 'error');
              // One request, one answer: every refusal of it carries the same Status.
              const refusal = answer.find((f) => f.refusal)?.refusal ?? { code: 422, reason: 'Invalid', message: refused[0]?.message ?? '' };
              const why = refused.length > 0 ? recreates(t, refusal) : undefined;
              // A dry run runs no cluster-IP allocator, where it does check node ports: a cluster IP that a
              // deployed Service holds is refused to the Service the sync creates beside it, as the cluster refuses it.
              const held = refused.length === 0 && !deployedIds.has(identity(t)) ? heldClusterIp(t, applied, upgrades, ref, consumers) : undefined;
              if ((held || refused.length > 0) && !why) refusedNow.add(t);
              if (held) problems.push(asCreateProblem(located(t, held), ref));
              else if (why) recreated.push({ t, why });
              else if (!deployedIds.has(identity(t))) problems.push(...refused.map((p) => asCreateProblem(p, ref)));
              else {
                const replaces = argoCdAlone ? argoCdReplaces(t.manifest, live.get(identity(t))) : undefined;
                const unforced = refused.length > 0 ? stillRefused(t, refusal) : undefined;
                problems.push(...refused.map((p) => asUpgradeProblem(p, ref, t.manifest, replaces, unforced && { why: unforced, refusal })));
              }
            },
          );
          // The LimitRanger limits Pods alone: the pods the upgrade's workloads make meet the LimitRanges
          // of their namespace as the upgrade leaves them, those deployed that it keeps or no longer
          // ships (the cluster keeps them) with those it creates or changes; the build's own were judged above.
          const limited = new Set([...applied, ...upgraded].filter(isLimitRange).map((t) => t.namespace));
          await eachLimit(
            upgrades.filter((t) => !refusedNow.has(t) && limited.has(t.namespace) && t.manifest.kind !== 'Pod' && hasPodTemplate(t)),
            concurrency,
            async (t) => {
              for (const f of await templatePodRefusals(client, t.manifest, t.doc.file, t.namespace))
                if (!templateRefused.has(templateKey(t, f)))
                  problems.push(asCreateProblem(located(t, { ...f, rule: 'server-rejected', severity: 'error' }), ref));
            },
          );
        });
        upgradesChecked -= recreated.slice(recreatedBefore).filter((r) => counted.has(r.t)).length;
        // Environments share namespaces and cluster-scoped names, so the next round starts from its own
        // ref objects; and a server passed in is left as it was found.
        const kept = new Set(upgraded.map(identity));
        await eachLimit([...applied.filter((t) => !kept.has(identity(t))), ...upgraded, ...beside], concurrency, (t) => remove(client, t));
        await probe?.remove();
      }
    }
    const notes = [
      ...unhookedNote(unhooked),
      ...uncreatedNote(uncreated, against?.ref),
      ...recreatedNote(recreated, against?.ref),
      ...grownNote(grown, against?.ref),
      ...quotaNote(quotas, against?.ref),
      ...(policiesLate.length > 0
        ? [
            `the admission policies of ${against?.ref ?? 'what is deployed'} were not all in force after ${POLICY_LOAD_MS / 1000} s, so the upgrade may have been judged without some of them: ${named(policiesLate)}`,
          ]
        : []),
    ];
    return {
      problems: sortProblems(problems),
      objects: targets.length,
      ...(against ? { upgrades: upgradesChecked } : {}),
      notApplied,
      phases: phases.totals,
      serverVersion,
      notes,
    };
  } finally {
    await kubectl.close();
    if (own) await (await own.catch(() => undefined))?.stop();
  }
}

const isNamespace = (t: Target) => t.manifest.kind === 'Namespace' && t.manifest.apiVersion === 'v1';
/** The targets of each group (env), in their order. */
function groupsOf(targets: readonly Target[]): Map<string, Target[]> {
  const out = new Map<string, Target[]>();
  for (const t of targets) {
    const group = out.get(t.group);
    if (group) group.push(t);
    else out.set(t.group, [t]);
  }
  return out;
}

const hasPodTemplate = (t: Target) => podsOf([{ manifest: t.manifest, file: t.doc.file }]).length > 0;
const isLimitRange = (t: Target) => t.manifest.kind === 'LimitRange' && t.manifest.apiVersion === 'v1';
/** What the LimitRanger admission plugin limits on create: Pods and PersistentVolumeClaims. */
const isLimited = (t: Target) => (t.manifest.kind === 'Pod' || t.manifest.kind === 'PersistentVolumeClaim') && t.manifest.apiVersion === 'v1';
/** How long what is created for real is given to reach the admission plugins' informers. */
const SETTLE_MS = 200;

/** The classes a Pod names, as `Kind/name`; with `fallback`, the global default PriorityClass for a Pod that names none. */
function classesOfPod(t: Target, fallback?: Target): string[] {
  if (t.manifest.kind !== 'Pod' || !isPlainObject(t.manifest.spec)) return [];
  const spec = t.manifest.spec;
  const priority = typeof spec.priorityClassName === 'string' && spec.priorityClassName ? spec.priorityClassName : undefined;
  return [
    ...(priority ? [`PriorityClass/${priority}`] : fallback ? [classKey(fallback)] : []),
    ...(typeof spec.runtimeClassName === 'string' && spec.runtimeClassName ? [`RuntimeClass/${spec.runtimeClassName}`] : []),
  ];
}
const classKey = (t: Target) => `${t.manifest.kind}/${t.manifest.metadata?.name}`;

/**
 * The PriorityClasses and RuntimeClasses of an upgrade that what is deployed lacks (`deployedIds`)
 * and that a Pod of the upgrade names (or gets, the global default PriorityClass): the sync creates them, so the cluster has them when the Pod
 * comes, where a dry run of them leaves the Pod refused for want of its class.
 */
function classesCreatedFor(upgrades: readonly Target[], deployedIds: ReadonlySet<string>): Target[] {
  // A Pod that names no PriorityClass gets the global default one, which the upgrade may create.
  const fallback = (t: Target) => upgrades.find((c) => c.group === t.group && isDefaultPriorityClass(c) && !deployedIds.has(identity(c)));
  const named = new Set(upgrades.flatMap((t) => classesOfPod(t, fallback(t)).map((c) => `${t.group}\0${c}`)));
  return upgrades.filter((t) => isPodClass(t) && !deployedIds.has(identity(t)) && named.has(`${t.group}\0${classKey(t)}`));
}

const isDefaultPriorityClass = (t: Target) =>
  t.manifest.kind === 'PriorityClass' && t.manifest.apiVersion.startsWith('scheduling.k8s.io/') && t.manifest.globalDefault === true;
const isPodClassManifest = (m: Manifest) =>
  (m.kind === 'PriorityClass' && m.apiVersion.startsWith('scheduling.k8s.io/')) ||
  (m.kind === 'RuntimeClass' && m.apiVersion.startsWith('node.k8s.io/'));
const isPodClass = (t: Target) => isPodClassManifest(t.manifest);

/**
 * The pods of each env that the Pod Security level of their namespace refuses (namespace-admits-pods
 * of @strata/policy, whose verdict a differential test proves against the server's PodSecurity
 * admission): the server admits a Deployment, so its dry run passes, and then refuses every pod it
 * makes. The namespace is the env's own Namespace object, else the one deployed at `ref`, which
 * stays as it is when the env's output has none. A Namespace whose label the server refuses is
 * refused by its own dry run, and not said twice. So are the pod fields that the Priority and
 * RuntimeClass admission computes from classes (pod-fields-from-classes, judged with the env's
 * classes, those deployed at `ref` and those of other files of its cluster, `besides`), which a workload's dry run never meets either, and the
 * Secrets a ServiceAccount annotated kubernetes.io/enforce-mountable-secrets lets its pods use
 * (mountable-secrets), which the server here, without the ServiceAccount admission plugin, never
 * checks even for a Pod.
 */
function namespaceAdmission(
  targets: readonly Target[],
  refTargets: readonly Target[],
  defaultNamespace: string,
  ref: string | undefined,
  besides: ReadonlyMap<string, readonly Target[]>,
): Problem[] {
  const out: Problem[] = [];
  for (const group of new Set(targets.map((t) => t.group))) {
    const own = targets.filter((t) => t.group === group);
    const ownNamespaces = new Set(own.filter(isNamespace).map((t) => t.manifest.metadata?.name));
    const deployed = refTargets.filter((t) => t.group === group && isNamespace(t) && !ownNamespaces.has(t.manifest.metadata?.name));
    // The classes deployed at the ref that the output does not replace, which decide its pods' priority and overhead.
    const ownClasses = new Set(own.filter(isPodClass).map((t) => `${t.manifest.kind}/${t.manifest.metadata?.name}`));
    const classes = [...refTargets, ...(besides.get(group) ?? [])].filter(
      (t) => t.group === group && isPodClass(t) && !ownClasses.has(`${t.manifest.kind}/${t.manifest.metadata?.name}`),
    );
    const deployedNames = new Set(deployed.map((t) => t.manifest.metadata?.name));
    const byManifest = new Map(own.map((t) => [t.manifest, t]));
    const objects = [...own, ...deployed, ...classes].map((t): PolicyObject => ({ manifest: t.manifest, file: t.doc.file }));
    for (const f of runPolicy(objects, { applyNamespace: defaultNamespace }, [namespaceAdmitsPods, podFieldsFromClasses, mountableSecrets])) {
      const t = byManifest.get(f.object.manifest);
      if (!t || isNamespace(t)) continue;
      // A Pod's own dry run meets the Priority and RuntimeClass admission itself, and is refused there.
      if (f.rule === podFieldsFromClasses.id && t.manifest.kind === 'Pod') continue;
      const namespace = t.namespace;
      const message =
        ref !== undefined && deployedNames.has(namespace)
          ? f.message.replace(`Namespace ${namespace} enforces`, `Namespace ${namespace}, as deployed at ${ref}, enforces`)
          : f.message;
      out.push(located(t, { ...(f.path ? { path: f.path } : {}), message, rule: f.rule, severity: 'error' }));
    }
  }
  return out;
}

/**
 * The workloads of each env whose pods name a PriorityClass or RuntimeClass the env's cluster does
 * not have (rule `pod-class-exists`, as validate and the pipeline judge it): the server admits a
 * Deployment, so its dry run passes, and then refuses every pod it makes. The cluster has the
 * classes of the env's output, those deployed at the ref or shipped by other files of its cluster
 * (`refTargets`: the env's other apps), the built-in PriorityClasses and those
 * strata.config.json lists (`kubernetes.priorityClasses`, `kubernetes.runtimeClasses`): an error
 * where it lists the kind's classes, else a warning that the class must exist in the cluster. A
 * Pod's own dry run meets the admission plugins itself. A class the dry run refused is left out of
 * `targets`: the cluster never has it.
 */
function podClasses(targets: readonly Target[], refTargets: readonly Target[], root: string): Problem[] {
  const declared = { priorityClasses: declaredClasses(root, 'priorityClasses'), runtimeClasses: declaredClasses(root, 'runtimeClasses') };
  const out: Problem[] = [];
  const refs = groupsOf(refTargets);
  for (const [group, own] of groupsOf(targets)) {
    const created = new Set([...own, ...(refs.get(group) ?? [])].filter(isPodClass).map((t) => `${t.manifest.kind}/${t.manifest.metadata?.name}`));
    for (const t of own) {
      if (t.manifest.kind === 'Pod') continue;
      for (const pod of podsOf([{ manifest: t.manifest, file: t.doc.file }]))
        for (const use of classesNamed(pod)) {
          const key = use.class === 'PriorityClass' ? 'priorityClasses' : 'runtimeClasses';
          const unknown = unknownClass(use, created, declared[key], `the objects of ${group}`, `kubernetes.${key} of ${Layout.configFile}`);
          if (unknown) out.push(located(t, { path: use.path, message: unknown.message, rule: 'pod-class-exists', severity: unknown.severity }));
        }
    }
  }
  return out;
}

/**
 * A deployed PersistentVolumeClaim made Bound, its capacity what it requests, as the volume binder
 * leaves a claim in a cluster (no controller runs here): the server lets the requests of a bound
 * claim change and no other claim's (k8s.io/kubernetes pkg/apis/core/validation,
 * ValidatePersistentVolumeClaimUpdate), so the growth of a claim is checked as a cluster checks it,
 * and its shrinking refused in the server's words. Other objects are left as they are.
 */
async function bindClaim(client: Client, t: Target): Promise<Problem[]> {
  const m = t.manifest;
  if (m.apiVersion !== 'v1' || m.kind !== 'PersistentVolumeClaim' || !isPlainObject(m.spec)) return [];
  const spec = m.spec as { accessModes?: unknown; resources?: { requests?: { storage?: unknown } } };
  const storage = spec.resources?.requests?.storage;
  const status = {
    phase: 'Bound',
    ...(Array.isArray(spec.accessModes) ? { accessModes: spec.accessModes } : {}),
    ...(storage !== undefined ? { capacity: { storage } } : {}),
  };
  const r = await client.request('PATCH', `${objectPath(t)}/status`, { status }, 'application/merge-patch+json', { bodyOnSuccess: false });
  if (r.status < 300) return [];
  return statusProblems(r.body, r.status).map((f) => located(t, { ...f, rule: 'server-rejected', severity: 'error' }));
}

/** The PersistentVolumeClaimResize admission plugin's refusal of a claim that grows. */
const RESIZE_REFUSED = /only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/;

/**
 * A claim's update refusals, with the admission plugin's refusal of its growth judged: the plugin
 * lets a bound claim grow only when its StorageClass sets allowVolumeExpansion, and it reads the
 * class from the cluster, which here holds none but the ref's. A class of the input (the built
 * output's, else the ref's, of the claim's env) decides as it would in the cluster; a class the
 * input lacks (or none named, the cluster's default) is the cluster's, so the growth is not refused
 * and the claim added to `grown`, for a note.
 */
function expansion(found: Problem[], t: Target, targets: readonly Target[], refTargets: readonly Target[], grown: Target[]): Problem[] {
  const refusal = found.find((p) => p.severity === 'error' && RESIZE_REFUSED.test(p.message));
  if (!refusal) return found;
  const spec = t.manifest.spec as { storageClassName?: unknown } | undefined;
  const name = typeof spec?.storageClassName === 'string' ? spec.storageClassName : '';
  const isClass = (c: Target) =>
    c.group === t.group && c.manifest.apiVersion === 'storage.k8s.io/v1' && c.manifest.kind === 'StorageClass' && c.manifest.metadata?.name === name;
  const storageClass = name ? (targets.find(isClass) ?? refTargets.find(isClass)) : undefined;
  const rest = found.filter((p) => p !== refusal);
  if (!storageClass) {
    grown.push(t);
    return rest;
  }
  if ((storageClass.manifest as { allowVolumeExpansion?: unknown }).allowVolumeExpansion === true) return rest;
  const where = `${storageClass.doc.shown ?? storageClass.doc.file}${storageClass.doc.line ? `:${storageClass.doc.line}` : ''}`;
  const message = `${refusal.message} (StorageClass ${name}, ${where}, does not set allowVolumeExpansion: true)`;
  return [...rest, located(t, { path: 'spec.resources.requests.storage', message, rule: refusal.rule, severity: 'error' })];
}

function grownNote(ts: readonly Target[], ref: string | undefined): string[] {
  if (ts.length === 0) return [];
  const these = ts.length === 1 ? '1 PersistentVolumeClaim grows' : `${ts.length} PersistentVolumeClaims grow`;
  return [
    `${these} since ${ref}, checked as the bound claims of a StorageClass that allows volume expansion: ${named(ts)}; ` +
      "their StorageClass is the cluster's, not in the input, and the cluster refuses the growth unless it sets allowVolumeExpansion: true",
  ];
}

/** Objects named in a note, at most. */
const NAMED = 3;

/** `file:line name` of the first targets, and how many more. */
function named(ts: readonly Target[]): string {
  const first = ts
    .slice(0, NAMED)
    .map((t) => `${t.doc.shown ?? t.doc.file}${t.doc.line ? `:${t.doc.line}` : ''} ${objectName(t.manifest.metadata) ?? ''}`);
  return `${first.join(', ')}${ts.length > NAMED ? ` and ${ts.length - NAMED} more` : ''}`;
}

function unhookedNote(ts: readonly Target[]): string[] {
  if (ts.length === 0) return [];
  const these = ts.length === 1 ? '1 CRD installed without its conversion webhook' : `${ts.length} CRDs installed without their conversion webhooks`;
  return [
    `${these} (spec.conversion.strategy: None), so that the server calls out to nothing: ${named(ts)}; ` +
      'objects of a version other than the stored one are checked as if the webhook were a no-op, what it would change is not',
  ];
}

function uncreatedNote(ts: readonly Target[], ref: string | undefined): string[] {
  if (ts.length === 0) return [];
  const these = ts.length === 1 ? '1 object' : `${ts.length} objects`;
  return [
    `${these} of ${ref ?? 'what is deployed'} checked by a dry run but not created, as the server would call out to the webhooks or the API service they name: ` +
      `${named(ts)}; what they would admit, change or serve is not checked`,
  ];
}

/** Which plugin puts an object in force: a Validating or MutatingAdmissionPolicy or a binding of one. */
function policyPlugin(t: Target): PolicyPlugin | undefined {
  if (!t.manifest.apiVersion.startsWith('admissionregistration.k8s.io/')) return undefined;
  const kind = /^(ValidatingAdmissionPolicy|MutatingAdmissionPolicy)(?:Binding)?$/.exec(t.manifest.kind);
  return kind ? (kind[1] as PolicyPlugin) : undefined;
}
const isAdmissionPolicy = (t: Target) => policyPlugin(t) !== undefined;

/** How long the admission policies deployed are waited for: the server reloads them about once a second. */
const POLICY_LOAD_MS = 10_000;

const ADMISSION_GROUP = '/apis/admissionregistration.k8s.io/v1';

/** The label the MutatingAdmissionPolicy probe sets on the one ConfigMap it acts on. */
const PROBE_LABEL = 'strata.dev/verify-probe';

/**
 * A policy and binding of `plugin` that act on one ConfigMap name of the `default` namespace only
 * (`name`), asked for by dry runs: a ValidatingAdmissionPolicy that refuses it, a
 * MutatingAdmissionPolicy that labels it. `inForce` sends that dry run and tells from its answer;
 * undefined when the server does not serve the kind at v1 (an older one given through
 * STRATA_KUBE_APISERVER).
 */
async function policyProbe(
  client: Client,
  plugin: PolicyPlugin,
  name: string,
): Promise<{ inForce: () => Promise<boolean>; remove: () => Promise<void> } | undefined> {
  const plural = plugin === 'ValidatingAdmissionPolicy' ? 'validatingadmissionpolicies' : 'mutatingadmissionpolicies';
  const bindings = plugin === 'ValidatingAdmissionPolicy' ? 'validatingadmissionpolicybindings' : 'mutatingadmissionpolicybindings';
  const validating = plugin === 'ValidatingAdmissionPolicy';
  const [policy, binding] = configMapPolicy(plugin, {
    name,
    namespace: 'default',
    operations: ['CREATE'],
    rules: validating
      ? { validations: [{ expression: `object.metadata.name != '${name}'`, message: name }] }
      : {
          matchConditions: [{ name: 'probe', expression: `object.metadata.name == '${name}'` }],
          mutations: [
            {
              patchType: 'ApplyConfiguration',
              applyConfiguration: { expression: `Object{metadata: Object.metadata{labels: {'${PROBE_LABEL}': 'in-force'}}}` },
            },
          ],
        },
  });
  const made = await client.request('POST', `${ADMISSION_GROUP}/${plural}`, policy);
  if (made.status >= 300) return undefined;
  await client.request('POST', `${ADMISSION_GROUP}/${bindings}`, binding);
  const inForce = async () => {
    const r = await client.request('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
    });
    const body = isPlainObject(r.body) ? r.body : {};
    if (validating) return r.status >= 400 && typeof body.message === 'string' && body.message.includes(`ValidatingAdmissionPolicy '${name}'`);
    const labels = isPlainObject(body.metadata) && isPlainObject(body.metadata.labels) ? body.metadata.labels : {};
    return r.status < 300 && labels[PROBE_LABEL] === 'in-force';
  };
  const remove = async () => {
    await client.request('DELETE', `${ADMISSION_GROUP}/${bindings}/${name}`);
    await client.request('DELETE', `${ADMISSION_GROUP}/${plural}/${name}`);
  };
  return { inForce, remove };
}

/**
 * Waits until the admission policies deployed (`policies`, with their bindings) are in force. The
 * server keeps each plugin's policies and bindings in two informers and loads both lists into force
 * together, about once a second; each informer sees the objects of its kind in the order they were
 * written. So a policy and binding of the plugin created after all others, once they act on what
 * they are made to act on, were loaded together with every policy and binding before them: one probe
 * (`policyProbe`) per plugin the deployed ones use, Validating and MutatingAdmissionPolicies being
 * loaded by a plugin each. `late`: the deployed policies of a plugin whose probe did not act within
 * POLICY_LOAD_MS (or could not be made); `remove` deletes the probes.
 */
async function policiesInForce(client: Client, policies: readonly Target[]): Promise<{ late: Target[]; remove: () => Promise<void> }> {
  const plugins = [...new Set(policies.map(policyPlugin))].filter((p): p is PolicyPlugin => p !== undefined);
  const probes = await Promise.all(
    plugins.map(async (plugin) => ({ plugin, probe: await policyProbe(client, plugin, `strata-verify-probe-${randomUUID()}`) })),
  );
  const remove = async () => {
    await Promise.all(probes.map(({ probe }) => probe?.remove()));
  };
  const unprobed = new Set(probes.filter((p) => !p.probe).map((p) => p.plugin));
  const waiting = new Set(plugins.filter((p) => !unprobed.has(p)));
  const late = () => policies.filter((t) => waiting.has(policyPlugin(t)!) || unprobed.has(policyPlugin(t)!));
  const deadline = Date.now() + POLICY_LOAD_MS;
  for (;;) {
    await Promise.all(
      probes.map(async ({ plugin, probe }) => {
        if (waiting.has(plugin) && (await probe!.inForce())) waiting.delete(plugin);
      }),
    );
    if (waiting.size === 0 || Date.now() > deadline) return { late: late(), remove };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The ResourceQuota admission passes over a quota whose status.hard is not filled in, and only the
 * quota controller (of kube-controller-manager, not run here) fills it in, with what the namespace
 * uses: a deployed quota refuses nothing here, and a note says so.
 */
function quotaNote(ts: readonly Target[], ref: string | undefined): string[] {
  if (ts.length === 0) return [];
  const these = ts.length === 1 ? '1 ResourceQuota' : `${ts.length} ResourceQuotas`;
  return [
    `${these} of ${ref ?? 'what is deployed'} not judged: the server enforces a quota only once the quota controller has counted what its namespace uses, ` +
      `and none runs here, so what the upgrade would add past its limits is not checked: ${named(ts)}`,
  ];
}

/**
 * One note per reason a sync recreates objects instead of updating them; claims apart, as recreating
 * one loses the data on its volume, which a note has to say.
 */
function recreatedNote(rs: readonly { t: Target; why: Recreation }[], ref: string | undefined): string[] {
  const notes: string[] = [];
  const reasons: Recreation[] = ['replace-force', 'apply-force', 'hook', 'flux-force'];
  for (const why of reasons)
    for (const claims of [false, true]) {
      // In input order, whatever order the concurrent updates met them in.
      const ts = rs
        .filter((r) => r.why === why && isClaim(r.t.manifest) === claims)
        .map((r) => r.t)
        .sort((a, b) => (a.doc.file < b.doc.file ? -1 : a.doc.file > b.doc.file ? 1 : (a.doc.line ?? 0) - (b.doc.line ?? 0)));
      if (ts.length === 0) continue;
      const these = claims
        ? ts.length === 1
          ? '1 PersistentVolumeClaim'
          : `${ts.length} PersistentVolumeClaims`
        : ts.length === 1
          ? '1 object'
          : `${ts.length} objects`;
      const words = recreationWords(why, ts.length > 1);
      const lost = claims
        ? '; recreating a claim deletes its volume and the data on it (the Delete reclaim policy, the default for dynamically provisioned ' +
          "volumes; deleting it also waits until no pod uses it), unless the bound PersistentVolume's persistentVolumeReclaimPolicy is Retain, " +
          'which keeps the data for a claim to be bound to it by hand: Strata cannot see the PersistentVolume, so copy the data first or give ' +
          'the new claim a new metadata.name'
        : '';
      notes.push(
        `${these} changed since ${ref ?? 'what is deployed'} in a way the server refuses on update (an immutable field), but ${words}, ` +
          `so checked as created afresh: ${named(ts)}${lost}`,
      );
    }
  return notes;
}

const isClaim = (m: Manifest) => m.apiVersion === 'v1' && m.kind === 'PersistentVolumeClaim';

/**
 * Whether Argo CD applies a target server-side as its Application says, by the built output it
 * belongs to: one app's in one env (a file of dist/, or one handed in).
 */
function serverSideApps(
  targets: readonly Target[],
  trackingMethod: ArgoCdTrackingMethod,
  installationID: string | undefined,
): (t: Target) => boolean {
  const byApp = new Map<string, Manifest[]>();
  const key = (t: Target) => `${t.group}\0${t.doc.file}`;
  const byManifest = new Map(targets.map((t) => [t.manifest, t]));
  for (const t of targets) byApp.set(key(t), [...(byApp.get(key(t)) ?? []), t.manifest]);
  const answers = new Map<string, boolean>();
  return (t) => {
    const k = key(t);
    if (!answers.has(k)) {
      const manifests = byApp.get(k) ?? [t.manifest];
      // A build's dist/<env>/<app>.yaml is synced by the Application the generated gitops/ names after them.
      const built = /(?:^|\/)dist\/([^/]+)\/([^/]+)\.yaml$/.exec(t.doc.file);
      const namespaced = (m: Manifest) => {
        const r = byManifest.get(m)?.resolution;
        return !r?.ok || r.namespaced;
      };
      const argoCd = built
        ? {
            application: argoCdApplicationName(built[2]!, built[1]!),
            namespace: argoCdDestination(built[2]!, manifests, namespaced),
            method: trackingMethod,
            ...(installationID ? { installationID } : {}),
          }
        : undefined;
      answers.set(k, appliesServerSide(manifests, argoCd));
    }
    return answers.get(k)!;
  };
}

/**
 * Whether an object, once created, makes the API server connect to an address it names: admission
 * webhook configurations, and an APIService served by a Service (which may name an outside host).
 */
function callsOut(m: Manifest): boolean {
  const { group } = splitApiVersion(m.apiVersion);
  if (group === 'admissionregistration.k8s.io') return m.kind === 'MutatingWebhookConfiguration' || m.kind === 'ValidatingWebhookConfiguration';
  return group === 'apiregistration.k8s.io' && m.kind === 'APIService' && isPlainObject(m.spec) && m.spec.service != null;
}

/**
 * Where Argo CD applies each object of a group's built output that names no namespace: in its
 * Application's destination (`argoCdDestination` of the object's file, the namespace the generated
 * gitops/ gives the app's Application, where validate places it too), where Argo CD alone applies
 * the tree. The object is given that namespace, as Argo CD sends it, so that it meets the
 * LimitRanges, Pod Security labels and the rest of that namespace, whichever file ships them, and
 * none of the objects of other apps that name no namespace either. Any other object is left as it
 * is, for the default namespace (a file applied as written: `kubectl apply -f` puts all of them in
 * one namespace; built output that Flux applies, without a target namespace).
 */
function placement(g: Group, argoCdAlone: boolean, root: string): (doc: VerifyDocument) => Manifest {
  const appOf = (file: string) => (g.built ? basename(file).replace(/\.ya?ml$/, '') : distOf(file)?.app);
  const byFile = new Map<string, Manifest[]>();
  if (argoCdAlone)
    for (const d of g.docs) if (appOf(d.file) !== undefined) (byFile.get(d.file) ?? byFile.set(d.file, []).get(d.file)!).push(d.manifest);
  if (byFile.size === 0) return (doc) => doc.manifest;
  const namespaced = namespacedIn(
    g.docs.map((d) => d.manifest),
    [crdsFolder(root)],
  );
  const destinations = new Map<string, string>();
  return (doc) => {
    const m = doc.manifest;
    const manifests = byFile.get(doc.file);
    if (!manifests || m.metadata?.namespace || !namespaced(m)) return m;
    const namespace =
      destinations.get(doc.file) ?? destinations.set(doc.file, argoCdDestination(appOf(doc.file)!, manifests, namespaced)).get(doc.file)!;
    return { ...m, metadata: { ...m.metadata, namespace } };
  };
}

/** Targets Argo CD applies, and those it never applies, with why. */
function argoCdApplies(targets: readonly Target[]): [Target[], { t: Target; why: ArgoCdSkip }[]] {
  const kept: Target[] = [];
  const skipped: { t: Target; why: ArgoCdSkip }[] = [];
  for (const t of targets) {
    const why = argoCdSkips(t.manifest);
    if (why) skipped.push({ t, why });
    else kept.push(t);
  }
  return [kept, skipped];
}

/**
 * Whether an object's answer can depend on what the server's last post-start hooks create (`LATE_CHECKS`
 * in server.ts: the system PriorityClasses and the flow-control configuration): Pods (their
 * priorityClassName is resolved at admission), scheduling.k8s.io (PriorityClasses, PodGroups) and
 * flow-control objects. Those are applied once the server passes every check, the rest sooner.
 */
function meetsLateHooks(m: Manifest): boolean {
  const { group } = splitApiVersion(m.apiVersion);
  return (group === '' && m.kind === 'Pod') || group === 'scheduling.k8s.io' || group === 'flowcontrol.apiserver.k8s.io';
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The baseline from a folder of built manifests laid out as dist/: `<env>/<app>.yaml` for the
 * selected envs and apps. An app it lacks is new, so it has nothing to upgrade from.
 */
function readAgainstFolder(folder: string, shown: string, envs: readonly string[], apps: readonly string[] | undefined): Group[] {
  const present = envs.filter((env) => isDirectory(join(folder, env)));
  if (present.length === 0) {
    throw new UsageError(
      `--against ${shown}: no ${envs.map((e) => `${e}/`).join(', ')} folder in it; point it at built manifests laid out as dist/ (<env>/<app>.yaml), or at a git ref`,
    );
  }
  return present.map((env) => {
    const files = readdirSync(join(folder, env))
      .filter((f) => /\.ya?ml$/.test(f) && (!apps?.length || apps.includes(f.replace(/\.ya?ml$/, ''))))
      .sort();
    return { name: env, built: true, docs: files.flatMap((f) => readBuilt(readFileSync(join(folder, env, f), 'utf8'), join(shown, env, f))) };
  });
}

function selectEnvs(env: string | undefined): string[] {
  if (!env) return [...ENVIRONMENTS];
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) throw new UsageError(`unknown env "${env}"; known envs: ${ENVIRONMENTS.join(', ')}`);
  return [env];
}

/**
 * The overlay folders to verify (see listOverlays); with `strict`, an app named that has none is a
 * usage error.
 */
function overlaysToVerify(root: string, envs: readonly string[], apps: readonly string[] | undefined, strict = true): { env: string; app: string }[] {
  const out = listOverlays(root, { envs, ...(apps ? { apps } : {}) });
  if (strict) {
    for (const app of apps ?? []) {
      if (!out.some((o) => o.app === app))
        throw new UsageError(
          `no overlay for app "${app}" in ${envs.map((e) => Layout.envRoot(e)).join(', ')}; run \`npx strata generate --app ${app}\` first`,
        );
    }
  }
  return out;
}

/** The built output of every selected overlay; a missing file is a usage error, found before anything starts. */
function distFiles(root: string, envs: readonly string[], apps: readonly string[] | undefined): { env: string; file: string }[] {
  const files = overlaysToVerify(root, envs, apps).map((o) => ({ env: o.env, file: Layout.distOf(o.env, o.app) }));
  const missing = files.filter((f) => !existsSync(join(root, f.file)));
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
    throw new UsageError(
      `${missing[0]!.file}${more} not found: verify checks the built output; run \`npm run build\` (or \`npx strata pipeline\`) first`,
    );
  }
  return files;
}

/** The committed base/ and overlays/ of a ref, and the top folders `also` names, in a temporary folder the caller removes. */
function exportRef(root: string, ref: string, also: readonly string[] = []): string {
  const env = untranslatedEnv();
  checkRef(root, ref);
  const top = gitText(root, ['ls-tree', '--name-only', ref]).split('\n');
  const paths = [Layout.base, Layout.overlays, ...also].filter((p) => top.includes(p));
  const dir = makeScratchDir('ref');
  if (paths.length > 0)
    execFileSync('tar', ['-x', '-C', dir], { input: gitBytes(root, ['archive', '--format=tar', ref, '--', ...paths], { maxBuffer: 1 << 30 }), env });
  return dir;
}

/** A ref overlay left out of the baseline: it did not build, or names what kustomize would fetch over the network (`refused`). */
interface Unbuilt {
  readonly overlay: string;
  readonly error: string;
  readonly refused?: boolean;
}

/**
 * The ref's overlays, built through the kustomize package with this checkout's builder (the
 * exported tree has no .tools of its own); `kustomize build` per overlay when the builder is absent
 * or $STRATA_KUSTOMIZE asks for kustomize. An overlay that does not build is left out, and added to
 * `unbuilt`: the ref is only the starting point, and the caller says whose upgrade went unchecked.
 * So is one that names anything kustomize would fetch over the network, never built: verify runs
 * offline, and a baseline taken from what a URL serves today is no ref's.
 */
async function buildRef(tree: string, envs: readonly string[], apps: readonly string[] | undefined, unbuilt: Unbuilt[]): Promise<Group[]> {
  const overlays = overlaysToVerify(tree, envs, apps, false).filter((o) => {
    const overlay = Layout.overlay(o.env, o.app);
    const [first] = remoteInputs(join(tree, overlay));
    if (first === undefined) return true;
    const where = `${first.field} in ${relative(tree, first.file)}:${first.line}`;
    const error = first.misspelled
      ? `it cannot be told what kustomize would fetch over the network to build it: ${where}: ${first.misspelled}`
      : `kustomize would fetch ${first.entry} (${where}) over the network to build it, and verify builds offline`;
    unbuilt.push({ overlay, error, refused: true });
    return false;
  });
  const built = await buildOverlays(
    tree,
    overlays.map((o) => Layout.overlay(o.env, o.app)),
    checkoutBuildOptions(),
  );
  for (const r of built) if (!r.ok) unbuilt.push({ overlay: r.overlay, error: r.error ?? 'failed' });
  return envs.map((env) => ({
    name: env,
    built: true,
    docs: built.flatMap((r, i) => (r.ok && overlays[i]!.env === env ? readBuilt(r.yaml, r.overlay) : [])),
  }));
}

/**
 * A run against a ref, with each ref overlay that did not build said: on stderr (a note) and as a
 * warning at the overlay (rule `baseline-not-built`). A warning, not a failure: the built output is
 * still verified, as created afresh, and the ref's overlay is what this change cannot mend (a
 * kustomize upgrade that drops a field the ref still uses, say); failing would hold back the very
 * change that makes it build.
 */
function withUnbuiltRef(r: VerifyResult, ref: string, unbuilt: readonly Unbuilt[]): VerifyResult {
  if (unbuilt.length === 0) return r;
  const why = (error: string) => error.split('\n').find((l) => l.trim() !== '') ?? 'failed';
  const said = (u: Unbuilt) =>
    u.refused
      ? `${u.overlay} was not built at ${ref} (${u.error}): its upgrade is not checked, the built output is verified as if created afresh`
      : `${u.overlay} did not build at ${ref} with this kustomize (${why(u.error)}): its upgrade is not checked, the built output is verified as if created afresh`;
  const problems: Problem[] = unbuilt.map((u) => ({
    file: u.overlay,
    message: said(u).slice(u.overlay.length + 1),
    rule: 'baseline-not-built',
    severity: 'warning',
  }));
  return { ...r, problems: sortProblems([...problems, ...r.problems]), notes: [...r.notes, ...unbuilt.map(said)] };
}

const isCrd = (m: Manifest) => m.kind === 'CustomResourceDefinition' && m.apiVersion === 'apiextensions.k8s.io/v1';

/**
 * A CRD manifest with `spec.conversion` set to `strategy: None`, when it names a conversion webhook;
 * else undefined. Installed with its webhook, the server would send every object it converts to
 * whatever URL or Service the input names.
 */
function conversionNone<T extends object>(manifest: T): T | undefined {
  const spec = (manifest as { spec?: unknown }).spec;
  if (!isPlainObject(spec) || !isPlainObject(spec.conversion)) return undefined;
  if (spec.conversion.strategy === 'None' && spec.conversion.webhook === undefined) return undefined;
  return { ...manifest, spec: { ...spec, conversion: { strategy: 'None' } } };
}

/** A CRD of the input as it is installed: without its conversion webhook (`conversionNone`), when it names one. */
function withoutConversionWebhook(t: Target): Target | undefined {
  const manifest = conversionNone(t.manifest);
  if (!manifest) return undefined;
  const exact = t.doc.json === undefined ? undefined : (parseExact(t.doc.json) as object);
  const json = exact === undefined ? undefined : stringifyExact(conversionNone(exact) ?? exact);
  return { ...t, manifest, doc: json === undefined ? t.doc : { ...t.doc, json } };
}

/**
 * Installs, for real, the CRDs the input carries (checked by the server as they are), then those
 * from packages/schemas/crds that the remaining kinds need, and waits until each is Established.
 * With a ref (`ref`, its objects in `refTargets`), the ref's CRDs go in first, as the cluster holds
 * them, and each CRD of the input that the ref has too is applied over its own as an update: the
 * server refuses on update what it takes in a create (a changed spec.scope, a version dropped that
 * status.storedVersions holds), and that refusal is reported as the upgrade's (`immutable-field`,
 * `update-rejected`); the ref's CRD is then deleted and the input's created, so that its objects
 * are judged against it. A CRD is paired with the ref's of the same env (group) only: a CRD that
 * several envs build with other content or baselines has each env's pair checked in turn first. A conversion webhook is never installed (`conversionNone`): its CRD is
 * checked with it by a dry run, then installed without it, and added to `unhooked` when it is the
 * input's.
 */
async function installCrds(
  client: Client,
  targets: readonly Target[],
  refTargets: readonly Target[],
  resources: Resources,
  problems: Problem[],
  unhooked: Target[],
  ref?: string,
): Promise<void> {
  const crdsOf = (ts: readonly Target[]) => {
    const crds: Target[] = [];
    for (const t of ts) {
      if (!isCrd(t.manifest) || !t.manifest.metadata?.name) continue;
      t.installed = true;
      t.resolution = { ok: true, prefix: '/apis/apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', namespaced: false };
      crds.push(t);
    }
    return crds;
  };
  const nameOf = (t: Target) => t.manifest.metadata.name as string;
  const refAll = crdsOf(refTargets);
  const ownAll = crdsOf(targets);
  // One CRD of a name is installed for the objects to be judged against: the input's last, as before.
  const own = new Map(ownAll.map((t) => [nameOf(t), t]));
  // The ref's of that name in the same env (its baseline; none means the CRD is new there), or, for a
  // name the input lacks, the ref's last: the ref's objects of it are deployed against it.
  const baselineOf = (t: Target) => refAll.findLast((r) => nameOf(r) === nameOf(t) && r.group === t.group);
  const refOwn = new Map<string, Target>();
  for (const r of refAll) if (!own.has(nameOf(r))) refOwn.set(nameOf(r), r);
  for (const [name, t] of own) {
    const base = baselineOf(t);
    if (base) refOwn.set(name, base);
  }
  const install = async (t: Target): Promise<Problem[]> => {
    // A conversion webhook is judged by a dry run, which calls nothing, and the CRD installed without it.
    const quiet = withoutConversionWebhook(t);
    const found = quiet ? await apply(client, t, { dryRun: true, nodePorts: DEFAULT_NODE_PORT_RANGE }) : [];
    if (found.some((p) => p.severity === 'error')) return found;
    if (quiet && targets.includes(t) && !unhooked.includes(t)) unhooked.push(t);
    return [...found, ...(await apply(client, quiet ?? t, { dryRun: false }))];
  };
  const refused = (found: readonly Problem[]) => found.some((p) => p.severity === 'error');
  const baselineRejected = (found: readonly Problem[]) => {
    for (const p of found)
      if (p.severity === 'error') problems.push({ ...p, severity: 'warning', rule: 'baseline-rejected', message: `at ${ref}: ${p.message}` });
  };
  /**
   * Installs a CRD of the input, as an update of the one of its name installed (`update`) or as
   * created: refused as an update, it is created afresh instead, for its objects to be judged against
   * it, and the upgrade's refusal reported unless the CRD is refused as it stands too.
   */
  const upgradeOrCreate = async (t: Target, update: boolean): Promise<{ found: Problem[]; ok: boolean }> => {
    const found = await install(t);
    if (!refused(found)) {
      // Updated in place, it stays Established: wait instead until each version it serves is served.
      if (update) await waitServed(client, t);
      return { found, ok: true };
    }
    if (!update) return { found, ok: false };
    await removeCrd(client, t);
    const created = await install(t);
    if (refused(created)) return { found: created, ok: false };
    return { found: [...created, ...found.filter((p) => p.severity === 'error').map((p) => asUpgradeProblem(p, ref!, t.manifest))], ok: true };
  };
  const same = (a: Target | undefined, b: Target | undefined) => a === b || (!!a && !!b && JSON.stringify(a.manifest) === JSON.stringify(b.manifest));
  // Envs are clusters of their own: a CRD that another env's build holds too, but with other content
  // or another baseline than the one installed below, is checked against its own env's baseline
  // first, one env after another (one CRD of a name at a time), and removed again.
  await Promise.all(
    [...own].map(async ([name, last]) => {
      for (const t of ownAll) {
        if (t === last || nameOf(t) !== name) continue;
        const base = baselineOf(t);
        if (same(t, last) && same(base, baselineOf(last))) continue;
        let update = false;
        if (base) {
          const found = await install(base);
          if (refused(found)) baselineRejected(found);
          else {
            update = true;
            await waitEstablished(client, [base]);
          }
        }
        problems.push(...(await upgradeOrCreate(t, update)).found);
        await removeCrd(client, t);
      }
    }),
  );
  const installed = new Map<string, Target>();
  await Promise.all(
    [...refOwn].map(async ([name, t]) => {
      const found = await install(t);
      if (!refused(found)) installed.set(name, t);
      // The ref's own CRD refused: the input's is checked as created afresh; say so, as for other objects of the ref.
      else if (own.has(name)) baselineRejected(found);
    }),
  );
  // The server checks a change of scope or names as an update only of an Established CRD.
  await waitEstablished(
    client,
    [...installed.values()].filter((t) => own.has(t.manifest.metadata.name)),
  );
  await Promise.all(
    [...own].map(async ([name, t]) => {
      const update = installed.delete(name);
      const { found, ok } = await upgradeOrCreate(t, update);
      if (ok) installed.set(name, t);
      problems.push(...found);
    }),
  );
  const accepted: Crd[] = [];
  for (const t of installed.values()) {
    const crd = crdOf(t.manifest as unknown as Record<string, unknown>, t.doc.file);
    if (crd) accepted.push(crd);
  }
  for (const crd of accepted) resources.addCrd(crd);
  const needed = new Map<string, Crd>(accepted.map((c) => [c.name, c]));
  for (const t of [...targets, ...refTargets]) {
    const crd = resources.crdFor(t.manifest.apiVersion, t.manifest.kind);
    if (crd && !needed.has(crd.name)) needed.set(crd.name, crd);
  }
  const shipped = [...needed.values()].filter((c) => !own.has(c.name) && !refOwn.has(c.name));
  await Promise.all(
    shipped.map(async (crd) => {
      const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.name}?fieldManager=${FIELD_MANAGER}&force=true`;
      // A project's crds/ comes with the input it verifies: its conversion webhooks are left out too.
      const r = await client.request('PATCH', path, conversionNone(crd.manifest) ?? crd.manifest, 'application/apply-patch+yaml');
      if (r.status >= 300) throw new ToolError(`${crd.file}: the API server refused the CRD: ${(r.body as Status)?.message ?? `HTTP ${r.status}`}`);
    }),
  );
  await waitEstablished(client, [...needed.values()]);
}

/**
 * How long a CRD may take to be Established, or to go once deleted: the server deletes its objects
 * first, retrying with a growing pause, which on a busy machine took more than 30 s.
 */
const CRD_DEADLINE_MS = 60_000;

/** Waits until each CRD (a target or a `Crd`, with the file it came from) is Established. */
async function waitEstablished(client: Client, crds: readonly (Target | Crd)[]): Promise<void> {
  const deadline = Date.now() + CRD_DEADLINE_MS;
  for (const crd of crds) {
    const [name, file] = 'doc' in crd ? [crd.manifest.metadata.name as string, crd.doc.file] : [crd.name, crd.file];
    for (;;) {
      const r = await client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = (r.body as { status?: { conditions?: { type: string; status: string; message?: string }[] } })?.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      const refused = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
      if (refused) throw new ToolError(`${file}: CRD names not accepted: ${refused.message ?? ''}`);
      if (Date.now() > deadline) throw new ToolError(`${file}: CRD ${name} not Established after ${CRD_DEADLINE_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Waits until the server serves every version a CRD it holds serves: after an update that adds one,
 * the server's handler of custom resources answers 404 for it until it has seen the update.
 */
async function waitServed(client: Client, t: Target): Promise<void> {
  const spec = t.manifest.spec as { group?: unknown; names?: { plural?: unknown }; versions?: { name?: unknown; served?: unknown }[] };
  const versions = Array.isArray(spec.versions) ? spec.versions.filter((v) => v.served === true).map((v) => String(v.name)) : [];
  const deadline = Date.now() + CRD_DEADLINE_MS;
  for (const version of versions) {
    const path = `/apis/${spec.group}/${version}/${spec.names?.plural}?limit=1`;
    while ((await client.request('GET', path, undefined, 'application/json', { bodyOnSuccess: false })).status === 404) {
      if (Date.now() > deadline)
        throw new ToolError(`${t.doc.file}: CRD ${t.manifest.metadata.name} does not serve ${version} ${CRD_DEADLINE_MS / 1000} s after its update`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Deletes a CRD (none of its objects exist yet) and waits until it is gone, so that one of its name can be created. */
async function removeCrd(client: Client, t: Target): Promise<void> {
  const path = objectPath(t)!;
  await client.request('DELETE', path);
  const deadline = Date.now() + CRD_DEADLINE_MS;
  while ((await client.request('GET', path)).status !== 404) {
    if (Date.now() > deadline)
      throw new ToolError(`${t.doc.file}: CRD ${t.manifest.metadata.name} still there ${CRD_DEADLINE_MS / 1000} s after its deletion`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Creates, for real, every namespace a namespaced object is placed in, except those in `created`,
 * to which it adds its own; a namespace object in the input is then applied over it. A name the
 * server finds invalid (`Default`, say) goes into `refused` with the server's words about it, for
 * the objects placed there to be refused with; any other failure is the run's.
 */
async function createNamespaces(client: Client, targets: readonly Target[], created: Set<string>, refused: Map<string, string[]>): Promise<void> {
  const names = new Set(targets.filter((t) => t.resolution?.ok && t.resolution.namespaced && !created.has(t.namespace)).map((t) => t.namespace));
  for (const name of names) created.add(name);
  await Promise.all(
    [...names].map(async (name) => {
      const r = await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      if (r.status < 300 || r.status === 409) return;
      const status = r.body as Status | undefined;
      if (r.status === 422 && status?.reason === 'Invalid') {
        // The causes at the Namespace's metadata.name are what the server says of that name as a namespace
        // (the kubernetes.io/metadata.name label it adds repeats a length refusal, and is left out).
        const words = (status.details?.causes ?? []).filter((c) => c.field === 'metadata.name' && c.message).map((c) => c.message!);
        refused.set(name, words.length > 0 ? words : [status.message ?? `HTTP ${r.status}`]);
        return;
      }
      throw new ToolError(`cannot create namespace ${name}: ${status?.message ?? `HTTP ${r.status}`}`);
    }),
  );
}

function objectPath(t: Target): string | undefined {
  const res = t.resolution;
  if (!res?.ok) return undefined;
  const ns = res.namespaced ? `/namespaces/${encodeURIComponent(t.namespace)}` : '';
  return `${res.prefix}${ns}/${res.plural}/${encodeURIComponent(t.manifest.metadata.name)}`;
}

/** A problem's place: the file and line of the object (of the field, when the server names one). */
function locate(t: Target, found: { path?: string; message: string }): Omit<Problem, 'rule' | 'severity'> {
  const m = t.manifest;
  const namespace = m.metadata?.namespace;
  const line = found.path && t.doc.lineOf ? t.doc.lineOf(pathSegments(m, found.path)) : t.doc.line;
  return {
    file: t.doc.file,
    ...(line ? { line } : {}),
    ...(t.doc.id !== undefined ? { resource: t.doc.id } : {}),
    apiVersion: m.apiVersion,
    kind: m.kind,
    ...(namespace && !(t.resolution?.ok && !t.resolution.namespaced) ? { namespace } : {}),
    ...(objectName(m.metadata) ? { name: objectName(m.metadata)! } : {}),
    ...(found.path ? { path: found.path } : {}),
    message: found.message,
  };
}

const locators = new WeakMap<Client, QuantityLocator>();
const locatorOf = (client: Client): QuantityLocator => {
  const found = locators.get(client) ?? new QuantityLocator(client);
  locators.set(client, found);
  return found;
};

/** What the server said about one object, not yet placed in a file. */
interface Finding {
  readonly path?: string;
  readonly message: string;
  readonly rule: string;
  readonly severity: Problem['severity'];
  /** Of a refusal: the server's answer as a client reads it, which decides whether kubectl --force or Flux recreates the object. */
  readonly refusal?: Refusal;
}

const located = (t: Target, f: Finding): Problem => ({ ...locate(t, f), rule: f.rule, severity: f.severity });

/** How an object is applied: for real, or as a dry run on a server that gives Services `nodePorts`. */
type ApplyOptions = { readonly dryRun: false } | { readonly dryRun: true; readonly nodePorts: PortRange };

/** Server-side apply of one object (`body`: its manifest as JSON, when not the target's own); the server's refusals and warnings as problems. */
async function apply(client: Client, t: Target, options: ApplyOptions, body?: string): Promise<Problem[]> {
  return (await judge(client, t, options, body)).map((f) => located(t, f));
}

/** The rule of an update kubectl's client-side apply fails to compute: no server refused it. */
const CLIENT_SIDE_APPLY_RULE = 'client-side-apply-failed';

/**
 * The update of a deployed object as kubectl's client-side apply sends it (Argo CD's default sync,
 * `kubectl apply -k`): its three-way patch from the live object, whose last-applied-configuration
 * annotation is what the ref applied. Nothing is sent when the patch is empty, as kubectl sends nothing.
 */
async function judgeClientSide(client: Client, kubectl: KubectlApply, t: Target, options: ApplyOptions): Promise<Finding[]> {
  const path = objectPath(t);
  const live = path === undefined ? undefined : await client.request('GET', path);
  if (!live || live.status >= 300) return judge(client, t, options);
  let patch: KubectlPatch;
  try {
    patch = await kubectl.patch(t.doc.json ?? JSON.stringify(t.manifest), live.body);
  } catch (e) {
    // The helper's failure is no refusal of kubectl's: the run fails as the tool failed.
    if (e instanceof ToolError) throw e;
    // kubectl's own refusal, before any request: no server answered, so no --force recreates after it.
    const message = `kubectl apply would fail computing its patch, before anything reaches the server: ${(e as Error).message}`;
    return [{ message, rule: CLIENT_SIDE_APPLY_RULE, severity: 'error', refusal: { code: 0, message } }];
  }
  if (patch.patch === undefined) return options.dryRun ? nodePortsOutside(t.manifest, options.nodePorts) : [];
  return judge(client, t, options, undefined, patch);
}

/**
 * The query of every apply. `fieldValidation=Ignore`, not Strict: for an apply, unknown fields, wrong
 * types and every other refusal come from the typed apply whatever is asked; Strict (and Warn, the
 * server's default) only adds a second, strict decoding of the body, which finds nothing but keys
 * that appear twice in one object. A body here is the JSON of a parsed object (JSON.stringify, or
 * `VerifyDocument.json` for one with long numbers), which cannot hold a key twice, and the readers
 * refuse a file that does (`not valid YAML (duplicated mapping key ...)` for dist/, `duplicate-key`
 * for named files). The second decoding cost about 8% of the
 * API server's CPU; test/field-validation.test.ts shows the answers are the same.
 */
export function applyQuery(dryRun: boolean): string {
  return `?fieldManager=${FIELD_MANAGER}&force=true&fieldValidation=Ignore${dryRun ? '&dryRun=All' : ''}`;
}

/**
 * Server-side apply of one object (`body`: its manifest as JSON, when the caller has it already), or
 * kubectl's client-side `patch` of it; the server's refusals and warnings.
 */
async function judge(
  client: Client,
  target: Target,
  options: ApplyOptions,
  body?: string,
  patch?: KubectlPatch & { readonly patch: string },
): Promise<Finding[]> {
  const quantities = locatorOf(client);
  const name = appliedName(target.manifest);
  if (name === undefined)
    return [
      {
        path: 'metadata.name',
        message: target.manifest.metadata?.generateName
          ? 'an object needs metadata.name to be applied: kubectl apply refuses generateName alone, and Argo CD takes it only on a hook (argocd.argoproj.io/hook or helm.sh/hook), which it names itself'
          : 'an object needs metadata.name to be applied',
        rule: 'server-rejected',
        severity: 'error',
      },
    ];
  // A hook named by its generateName is sent under a name of that form, as Argo CD sends it.
  const t =
    name === target.manifest.metadata.name
      ? target
      : { ...target, manifest: { ...target.manifest, metadata: { ...target.manifest.metadata, name } } };
  body ??= target.doc.json;
  if (t !== target) body = target.doc.json === undefined ? undefined : stringifyExact(exactNamed(target.doc.json, name));
  const res = t.resolution;
  if (!res?.ok) return [{ message: res?.message ?? 'unresolved kind', rule: res?.rule ?? 'unknown-kind', severity: 'error' }];
  // An accepted object comes back whole; nothing here reads it, so it is not parsed.
  // kubectl asks for strict field validation, its default (--validate=strict).
  const r = patch
    ? await client.request(
        'PATCH',
        `${objectPath(t)}?fieldManager=${CLIENT_SIDE_APPLY_MANAGER}&fieldValidation=Strict${options.dryRun ? '&dryRun=All' : ''}`,
        patch.patch,
        patch.type,
        { bodyOnSuccess: false },
      )
    : await client.request('PATCH', `${objectPath(t)}${applyQuery(options.dryRun)}`, body ?? t.manifest, 'application/apply-patch+yaml', {
        bodyOnSuccess: false,
      });
  const out: Finding[] = r.warnings.map((message) => ({ message, rule: 'server-warning', severity: 'warning' }));
  if (r.status < 300) return options.dryRun ? [...out, ...nodePortsOutside(t.manifest, options.nodePorts)] : out;
  const status = (isPlainObject(r.body) ? r.body : {}) as Status;
  const refusal: Refusal = {
    code: r.status,
    ...(typeof status.reason === 'string' ? { reason: status.reason } : {}),
    message: typeof status.message === 'string' ? status.message : '',
  };
  let found = statusProblems(r.body, r.status);
  if (found.some(isUnknownField)) found = await everyUnknownField(client, t, found);
  // Unknown fields, when any, come first; a quantity refusal names no field of its own.
  const fields = found.filter(isUnknownField);
  const rest = found.slice(fields.length);
  if (rest.length === 1 && !rest[0]!.path && /quantit/i.test(rest[0]!.message)) {
    const reason = rest[0]!.message.slice(rest[0]!.message.lastIndexOf(': ') + 2);
    const bad = await quantities.find(t.manifest);
    if (bad.length > 0)
      found = [
        ...fields,
        ...bad.map((b) => ({
          path: b.path,
          message: `${JSON.stringify(b.value)} is not a quantity (like 100m, 0.5, 64Mi or 1e3); the server says: ${reason}`,
        })),
      ];
  }
  // A refusal of the name Argo CD would give a hook says how that name is made: the object holds only its start.
  if (t !== target) found = found.map((f) => ({ ...f, message: withArgoCdNaming(f.message, target.manifest, name) }));
  out.push(...found.map((p) => ({ ...p, rule: 'server-rejected', severity: 'error' as const, refusal })));
  return out;
}

/**
 * The node ports a Service asks for outside the server's range, refused in the server's words: it
 * refuses them when it creates the Service for real, but a dry run allocates no node port, and its
 * dry-run allocator only checks that no other Service holds the port, so any number passes. Only
 * the first, as the create refuses the Service at the first port it cannot take.
 */
function nodePortsOutside(m: Manifest, range: PortRange): Finding[] {
  if (m.apiVersion !== 'v1' || m.kind !== 'Service' || !isPlainObject(m.spec)) return [];
  const outside = (port: unknown): port is number => typeof port === 'number' && port !== 0 && (port < range.from || port > range.to);
  const refusal = (path: string, port: number): Finding => {
    const words = `provided port is not in the valid range. The range of valid ports is ${range.from}-${range.to}`;
    // In the words of the real create: a node port's is a field error, the health check's the cause of an internal error.
    const said =
      path === 'spec.healthCheckNodePort'
        ? `failed to allocate requested HealthCheck NodePort ${port}: ${words}`
        : `Invalid value: ${port}: ${words}`;
    return {
      path,
      message: `${said} (the server refuses it when it creates the Service; a dry run lets it through)`,
      rule: 'server-rejected',
      severity: 'error',
      // As the real request answers: a node port's refusal is a field error, the health check's an internal error.
      refusal:
        path === 'spec.healthCheckNodePort'
          ? { code: 500, reason: 'InternalError', message: said }
          : { code: 422, reason: 'Invalid', message: `Service is invalid: ${path}: ${said}` },
    };
  };
  const ports = Array.isArray(m.spec.ports) ? m.spec.ports : [];
  const found = ports.flatMap((p, i) => (isPlainObject(p) && outside(p.nodePort) ? [refusal(`spec.ports[${i}].nodePort`, p.nodePort)] : []));
  const health = m.spec.healthCheckNodePort;
  if (outside(health)) found.push(refusal('spec.healthCheckNodePort', health));
  // The create stops at the first port it cannot take: the node ports in order, then the health check's.
  return found.slice(0, 1);
}

/**
 * Objects in apply order: Services asking for a node port another of them asks for too, Services
 * asking for node ports no other asks for, and the rest.
 */
function byNodePorts(targets: readonly Target[]): { contested: Target[]; uncontested: Target[]; rest: Target[] } {
  const asked = new Map(targets.map((t) => [t, new Set(nodePortsAsked(t.manifest).map((a) => a.port))]));
  const askers = new Map<number, number>();
  for (const ports of asked.values()) for (const port of ports) askers.set(port, (askers.get(port) ?? 0) + 1);
  const out = { contested: [] as Target[], uncontested: [] as Target[], rest: [] as Target[] };
  for (const [t, ports] of asked) {
    if (ports.size === 0) out.rest.push(t);
    else if ([...ports].some((port) => askers.get(port)! > 1)) out.contested.push(t);
    else out.uncontested.push(t);
  }
  return out;
}

/**
 * The Services of an upgrade that take part in moving a node port from one Service to another, in
 * apply order: when a Service asks for a node port that another deployed Service holds, every
 * Service of the upgrade that asks for a node port or holds one now; else none.
 */
function movedNodePorts(deployed: readonly Target[], upgrades: readonly Target[]): Target[] {
  const holders = new Map<number, string>();
  for (const t of deployed) for (const a of nodePortsAsked(t.manifest)) holders.set(a.port, identity(t));
  const moves = upgrades.some((t) => nodePortsAsked(t.manifest).some((a) => holders.has(a.port) && holders.get(a.port) !== identity(t)));
  if (!moves) return [];
  const holding = new Set(holders.values());
  return upgrades.filter((t) => nodePortsAsked(t.manifest).length > 0 || holding.has(identity(t)));
}

/**
 * The refusal of a cluster IP that a Service the upgrade creates (`t`) asks for and a Service deployed
 * at `ref` holds (`deployed`), in the allocator's words, as the cluster refuses the create: a dry run
 * does not run the allocator. A holder the upgrade keeps keeps its IP (a Service's cluster IP cannot
 * change), unless its new version asks for none (an ExternalName Service lets it go); one the upgrade
 * no longer has still holds it when the create comes where the applier creates before it prunes (Flux,
 * kubectl apply --prune), and Argo CD, which prunes first, does not wait for it to be gone. Undefined
 * when none is held.
 */
function heldClusterIp(
  t: Target,
  deployed: readonly Target[],
  upgrades: readonly Target[],
  ref: string,
  consumers: { readonly argocd: boolean; readonly flux: boolean },
): Finding | undefined {
  const ips = (m: Manifest | undefined) => (m ? allocationsAsked(m).filter((a) => a.pool === 'cluster-ip') : []);
  const asked = ips(t.manifest);
  if (asked.length === 0) return undefined;
  const next = new Map(upgrades.map((u) => [identity(u), u.manifest]));
  for (const holder of deployed) {
    if (identity(holder) === identity(t)) continue;
    const kept = next.get(identity(holder));
    const held = ips(holder.manifest).filter((h) => kept === undefined || ips(kept).some((k) => k.key === h.key));
    const a = asked.find((x) => held.some((h) => h.key === x.key));
    if (!a) continue;
    const who = `${holder.manifest.metadata?.namespace ?? ''}/${objectName(holder.manifest.metadata) ?? ''}`;
    const pruned = kept !== undefined ? '' : prunedAfter(consumers, 'IP');
    return {
      path: a.path,
      message: `Invalid value: ${JSON.stringify(a.ips ?? [a.ip])}: failed to allocate IP ${a.ip}: provided IP is already allocated (to Service ${who}, as deployed at ${ref}${pruned || '; '}a dry run lets it through; give this Service another clusterIP, or none)`,
      rule: 'server-rejected',
      severity: 'error',
    };
  }
  return undefined;
}

/**
 * Why a Service the upgrade creates is refused what a deployed Service that the output no longer has
 * holds (a cluster IP, a node port): the applier prunes that one only after the create (Flux,
 * kubectl apply --prune), or Argo CD prunes it first but does not wait for it to be gone.
 */
const prunedAfter = (consumers: { readonly flux: boolean }, what: 'IP' | 'port') =>
  consumers.flux
    ? `, which the output no longer has and Flux prunes only after it applies the rest, so this create comes first and is refused; `
    : `, which the output no longer has; Argo CD prunes it before it creates this one but does not wait for it to be gone, so the create is refused until the ${what} is free and a retry of the sync takes it; `;

/**
 * The cluster's refusal of a node port (`f`, at its field) to a Service the upgrade creates (`t`), which
 * a Service deployed at `ref` holds, with the holder named as for a cluster IP (`heldClusterIp`): one the
 * upgrade keeps and whose new version still asks for the port holds it, one the upgrade no longer has
 * holds it until it is pruned. `f` as it is otherwise (a holder whose update lets the port go holds it
 * only until that update, which the apply order decides).
 */
function heldNodePort(
  t: Target,
  f: Finding,
  deployed: readonly Target[],
  upgrades: readonly Target[],
  ref: string,
  consumers: { readonly flux: boolean },
): Finding {
  const asked = nodePortsAsked(t.manifest).find((a) => a.path === f.path);
  if (!asked || !/provided port is already allocated/.test(f.message)) return f;
  const next = new Map(upgrades.map((u) => [identity(u), u.manifest]));
  for (const holder of deployed) {
    if (identity(holder) === identity(t) || !nodePortsAsked(holder.manifest).some((a) => a.port === asked.port)) continue;
    const kept = next.get(identity(holder));
    if (kept !== undefined && !nodePortsAsked(kept).some((a) => a.port === asked.port)) continue;
    const who = `${holder.namespace}/${objectName(holder.manifest.metadata) ?? ''}`;
    const pruned = kept !== undefined ? '' : prunedAfter(consumers, 'port');
    return { ...f, message: `${f.message} (to Service ${who}, as deployed at ${ref}${pruned || '; '}give this Service another nodePort, or none)` };
  }
  return f;
}

/**
 * What an earlier object of the env holds (a node port, a cluster IP, the place of the default
 * PriorityClass), refused in the server's words (`message`) when it creates the later one, naming the holder.
 */
function taken<A extends { readonly path: string }>(
  { item, asked, holder, held }: Clash<Target, A>,
  message: (asked: A, holder: Holder, askerFile: string) => string,
): Finding {
  const where = locate(holder, { path: held.path, message: '' });
  const ns = holder.manifest.metadata?.namespace;
  const name = objectName(holder.manifest.metadata);
  return {
    path: asked.path,
    message: message(
      asked,
      {
        ...(ns ? { namespace: ns } : {}),
        ...(name ? { name } : {}),
        file: holder.doc.shown ?? where.file,
        ...(where.line ? { line: where.line } : {}),
      },
      item.doc.shown ?? item.doc.file,
    ),
    rule: 'server-rejected',
    severity: 'error',
  };
}

/** The server's words for a field its schema does not have. */
const NOT_DECLARED = 'field not declared in schema';

const isUnknownField = (f: { path?: string; message: string }) => f.path !== undefined && f.message === NOT_DECLARED;

/** Unknown fields the server is asked about again for one object, at most: each answer names at least one more. */
const MAX_UNKNOWN_ROUNDS = 50;

/**
 * Every unknown field of an object, in the order the object holds them, then the server's other
 * refusals of it. Server-side apply stops walking a mapping at its first unknown field, and which
 * is first follows Go's map order: with several, the server names one or some of them, differently
 * from request to request. So the fields it names are taken out of a copy, which is dry-run applied
 * again (whatever the run, nothing is stored) until the server names no more; the refusals behind
 * them are then the answer to the object without them, as the offline checks report them too.
 */
async function everyUnknownField(client: Client, t: Target, first: { path?: string; message: string }[]) {
  const unknown = new Map<string, (string | number)[]>();
  // An object whose numbers JSON.stringify would round is edited in its exact reading.
  const exact = t.doc.json !== undefined;
  const copy = exact ? exactNamed(t.doc.json!, t.manifest.metadata.name) : (structuredClone(t.manifest) as unknown);
  let found = first;
  for (let round = 0; round < MAX_UNKNOWN_ROUNDS; round++) {
    const named = found.filter((f) => isUnknownField(f) && !unknown.has(f.path!));
    if (named.length === 0) break;
    let removed = false;
    for (const f of named) {
      const segments = pathSegments(copy, f.path!);
      unknown.set(f.path!, pathSegments(t.manifest, f.path!));
      removed = removeAt(copy, segments, f.path!) || removed;
    }
    // A path that cannot be followed in the object: ask no more, report what is known.
    if (!removed) break;
    const body = exact ? stringifyExact(copy) : copy;
    const again = await client.request('PATCH', `${objectPath(t)}${applyQuery(true)}`, body, 'application/apply-patch+yaml', {
      bodyOnSuccess: false,
    });
    found = again.status < 300 ? [] : statusProblems(again.body, again.status);
  }
  const fields = [...unknown].sort(([, a], [, b]) => compareByPlace(t.manifest, a, b)).map(([path]) => ({ path, message: NOT_DECLARED }));
  return [...fields, ...found.filter((f) => !isUnknownField(f))];
}

/** An object's exact reading (`VerifyDocument.json`, `parseExact`) under the name it is applied by. */
function exactNamed(json: string, name: unknown): unknown {
  const o = parseExact(json) as { metadata: Record<string, unknown> };
  if (o.metadata.name !== name) o.metadata = { ...o.metadata, name };
  return o;
}

/** Deletes the field that segments lead to when they lead all the way to it (path, the server's, ends with its key). */
function removeAt(root: unknown, segments: readonly (string | number)[], path: string): boolean {
  const key = segments[segments.length - 1];
  if (typeof key !== 'string' || !path.endsWith(key)) return false;
  let node = root;
  for (const seg of segments.slice(0, -1)) node = (node as Record<string | number, unknown>)[seg];
  if (!isPlainObject(node) || !(key in node)) return false;
  delete node[key];
  return true;
}

/** Compares two field paths by where the fields stand in the object, the order a reader meets them. */
function compareByPlace(root: unknown, a: readonly (string | number)[], b: readonly (string | number)[]): number {
  let node = root;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const order = (s: string | number) => (typeof s === 'number' ? s : isPlainObject(node) ? Object.keys(node).indexOf(s) : 0);
      return order(a[i]!) - order(b[i]!);
    }
    node = (node as Record<string | number, unknown>)[a[i]!];
  }
  return a.length - b.length;
}

/**
 * Targets grouped by the request their dry run makes (the object and where it goes), so that each
 * request is sent once. Sound because a dry run changes nothing: every one meets the same server,
 * holding only the namespaces and CRDs installed before, so the same request gets the same answer,
 * which is then reported at each target's own file and line. Envs that share a namespace send
 * many identical objects (a Service or a ConfigMap that no env changes): a third of them at 500
 * synthetic apps.
 */
function sameRequests(targets: readonly Target[]): { readonly body: string; readonly targets: Target[] }[] {
  const groups = new Map<string, { body: string; targets: Target[] }>();
  for (const t of targets) {
    const res = t.resolution;
    const where = res?.ok ? `${res.prefix}|${res.namespaced ? t.namespace : ''}` : 'unresolved';
    // The request's body, serialised once: it is the key, and then what is sent. An object whose
    // numbers JSON.stringify would round is sent as kubectl sends it.
    const body = t.doc.json ?? JSON.stringify(t.manifest);
    const key = `${where}|${body}`;
    const same = groups.get(key);
    if (same) same.targets.push(t);
    else groups.set(key, { body, targets: [t] });
  }
  return [...groups.values()];
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
      const path = c.field ? cleanPath(c.field) : HEALTH_CHECK_REFUSAL.test(c.message ?? '') ? 'spec.healthCheckNodePort' : undefined;
      return { ...(path ? { path } : {}), message: oneLine(c.message || c.reason || message) };
    });
  }
  // Server-side apply reports schema errors in the message: `failed to create typed patch object
  // (ns/name; apps/v1, Kind=Deployment): .spec.x: field not declared in schema`, several as a list.
  const typed = /^failed to create typed patch object \([^)]*\):\s*([\s\S]*)$/.exec(message);
  if (typed) {
    const lines = typed[1]!
      .replace(/^errors:\s*/, '')
      .split(/\n\s*/)
      .map((l) => l.trim())
      .filter(Boolean);
    return lines.map((line) => {
      const m = /^(\.[^:\s]*(?:\[[^\]]*\][^:\s]*)*):\s*([\s\S]*)$/.exec(line);
      return m ? { path: cleanPath(m[1]!), message: m[2]! } : { message: line };
    });
  }
  return [{ message: oneLine(message) }];
}

/** Changed fields a one-line summary of the server's diff names, at most. */
const DIFF_CHANGES = 3;

/**
 * A refusal on one line, as every problem is reported: the server's own words, the first line, and,
 * when the rest is the diff a PersistentVolumeClaim's or a Pod's update refusal carries (`@@ ... @@`,
 * `-` and `+` lines), the fields it changes (`"StorageClassName": "std" -> "fast"`); other lines are
 * joined with "; ".
 */
function oneLine(message: string): string {
  const lines = message.split('\n').map((l) => l.trimEnd());
  if (lines.filter((l) => l.trim() !== '').length <= 1) return message.trim();
  const [first, ...rest] = lines;
  if (!rest.some((l) => l.startsWith('@@ ')))
    return lines
      .map((l) => l.trim())
      .filter(Boolean)
      .join('; ');
  const field = (l: string) => l.slice(1).trim().replace(/,$/, '');
  const removed = rest.filter((l) => l.startsWith('-') && !l.startsWith('---')).map(field);
  const added = rest.filter((l) => l.startsWith('+') && !l.startsWith('+++')).map(field);
  const keyOf = (f: string) => /^("[^"]*"):\s/.exec(f)?.[1];
  const changes: string[] = [];
  for (let i = 0; i < Math.max(removed.length, added.length); i++) {
    const was = removed[i];
    const now = added[i];
    const key = was !== undefined && now !== undefined ? keyOf(was) : undefined;
    if (key !== undefined && keyOf(now!) === key) changes.push(`${was} -> ${now!.slice(key.length + 1).trim()}`);
    else changes.push([was === undefined ? '' : `was ${was}`, now === undefined ? '' : `now ${now}`].filter(Boolean).join(', '));
  }
  const more = changes.length > DIFF_CHANGES ? ` and ${changes.length - DIFF_CHANGES} more` : '';
  return `${first!.trim()} (changed: ${changes.slice(0, DIFF_CHANGES).join('; ')}${more})`;
}

/** The registry refuses a Service's health check node port (taken, or out of range) as an internal error that names no field. */
const HEALTH_CHECK_REFUSAL = /^failed to allocate (?:requested |a )?HealthCheck NodePort /;

function cleanPath(path: string): string {
  return path.replace(/^\./, '');
}

const IMMUTABLE = /immutable|updates to .* are forbidden|may not be changed|may not change once set|cannot be changed/i;

/**
 * The refusal of an object that `ref` did not deploy (or whose deployed one the server refused), so
 * that the sync creates it: refused only beside what `ref` deployed (a port a deployed Service holds,
 * a deployed admission policy), and worded as the create it is, not as an update.
 */
function asCreateProblem(p: Problem, ref: string): Problem {
  return { ...p, rule: 'server-rejected', message: `${p.message} (as created beside what ${ref} deployed)` };
}

/**
 * An update's refusal as a problem of the upgrade from `ref`, with how to ship `m`. `replaces`: how
 * Argo CD's sync options have it bring the deployed object to `m` (`argoCdReplaces`), when they
 * recreate nothing: Replace=true alone is an update refused alike; Force=true alone recreates only
 * under client-side apply, and this object is applied server-side. `unforced`: the force (Argo CD's
 * Force=true alone, Flux's) that asks to recreate the object but does not after this refusal, which
 * it takes for no immutable field, so the sync fails at it.
 */
function asUpgradeProblem(
  p: Problem,
  ref: string,
  m?: Manifest,
  replaces?: 'recreate' | 'replace' | 'force',
  unforced?: { why: 'apply-force' | 'flux-force'; refusal: Refusal },
): Problem {
  const refusal = !unforced
    ? ''
    : unforced.refusal.code === 0
      ? "kubectl's own, computing its patch, with no answer of the server"
      : `HTTP ${unforced.refusal.code}${unforced.refusal.reason ? ` ${unforced.refusal.reason}` : ''}`;
  const force = unforced
    ? unforced.why === 'apply-force'
      ? `; its ${ARGOCD_SYNC_OPTIONS} Force=true (kubectl apply --force) deletes and recreates it only when the server refuses the update as ` +
        `Invalid or Conflict, and this refusal is ${refusal}: the sync fails at it`
      : `; its ${FLUX_FORCE}: enabled makes Flux delete and recreate it only when the server refuses the update as Invalid or Conflict or ` +
        `says a field is immutable, and this refusal is ${refusal}: the apply fails at it`
    : replaces === 'replace'
      ? `; its ${ARGOCD_SYNC_OPTIONS} Replace=true is an update all the same, and Force=true beside it makes Argo CD delete and recreate it`
      : replaces === 'force'
        ? `; its ${ARGOCD_SYNC_OPTIONS} Force=true deletes and recreates it only under client-side apply, and Argo CD applies it server-side ` +
          '(its app holds a CRD or an object too large for client-side apply, or it asks for ServerSideApply=true): Replace=true beside Force=true recreates it either way'
        : '';
  if (p.rule !== CLIENT_SIDE_APPLY_RULE && IMMUTABLE.test(p.message)) {
    return {
      ...p,
      rule: 'immutable-field',
      message: `${p.message} (changed since ${ref}, and the server refuses that on update); ${howToShip(p, ref, m)}${force}`,
    };
  }
  // kubectl's own failure keeps its rule: it is no answer of the server's to fix.
  const rule = p.rule === CLIENT_SIDE_APPLY_RULE ? p.rule : 'update-rejected';
  return { ...p, rule, message: `${p.message} (as an update of what ${ref} deployed)${unforced ? force : ''}` };
}

/**
 * How to ship a change to an immutable field. Recreating an object is a short outage for most kinds,
 * but deletes data for those that hold it: a claim's volume (the Delete reclaim policy is dynamic
 * provisioning's default), a PersistentVolume's storage under that policy, every object of a CRD, a
 * StatefulSet's claims when its retention policy deletes them. A new name starts those empty.
 */
function howToShip(p: Problem, ref: string, m: Manifest | undefined): string {
  const kind = p.kind ?? 'object';
  const what = `${kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name ?? ''}`;
  const group = m ? splitApiVersion(m.apiVersion).group : undefined;
  if (group === '' && kind === 'PersistentVolumeClaim')
    return (
      `keep the field as ${ref} has it: deleting ${what} to recreate it deletes its volume and the data on it ` +
      '(the Delete reclaim policy, the default for dynamically provisioned volumes), and a claim under a new metadata.name ' +
      'starts from an empty volume, so copy the data to a new claim first'
    );
  if (group === '' && kind === 'PersistentVolume')
    return (
      `keep the field as ${ref} has it: deleting ${what} to recreate it deletes its storage and the data on it when its ` +
      'persistentVolumeReclaimPolicy is Delete; recreate it only once that is Retain'
    );
  if (m && isCrd(m))
    return (
      `keep the field as ${ref} has it: deleting ${what} to recreate it deletes every object of it, and a new metadata.name ` +
      'is a new group or plural, an API of its own to move the objects to'
    );
  if (m && group === 'apps' && kind === 'StatefulSet') {
    const policy =
      isPlainObject(m.spec) && isPlainObject(m.spec.persistentVolumeClaimRetentionPolicy) ? m.spec.persistentVolumeClaimRetentionPolicy : {};
    const claims =
      policy.whenDeleted === 'Delete'
        ? 'its persistentVolumeClaimRetentionPolicy.whenDeleted is Delete, so deleting it deletes its claims and the data on them: set it to Retain first'
        : 'its claims and their data stay, as its persistentVolumeClaimRetentionPolicy.whenDeleted is Retain';
    return (
      `to ship it, delete ${what} with kubectl delete --cascade=orphan and sync again (its pods keep running); ${claims}; ` +
      'a new metadata.name would get new, empty claims'
    );
  }
  return `to ship it, give the ${kind} a new metadata.name so it is created alongside, or delete ${what} and recreate it (a short outage)`;
}

const identity = (t: Target) => {
  const namespaced = t.resolution?.ok ? t.resolution.namespaced : true;
  return `${t.group}|${splitApiVersion(t.manifest.apiVersion).group}|${t.manifest.kind}|${namespaced ? t.namespace : ''}|${t.manifest.metadata?.name}`;
};

/**
 * Groups envs so that no two in a group share an object identity or a node port (each env is a cluster
 * of its own): each group is checked against its own ref objects. Apps that use distinct namespaces
 * and node ports per env need a single round.
 */
function upgradeRounds(envs: readonly string[], targets: readonly Target[], refTargets: readonly Target[]): string[][] {
  const owner = new Map<string, string>();
  for (const t of [...targets, ...refTargets]) {
    const ids = [identity(t).slice(t.group.length), ...nodePortsAsked(t.manifest).map((a) => `nodePort|${a.port}`)];
    for (const id of ids) {
      const prev = owner.get(id);
      if (prev !== undefined && prev !== t.group) return envs.map((e) => [e]);
      owner.set(id, t.group);
    }
  }
  return [[...envs]];
}

function sortProblems(problems: Problem[]): Problem[] {
  const key = (p: Problem) =>
    [p.file, String(p.line ?? 0).padStart(9, '0'), p.kind ?? '', p.namespace ?? '', p.name ?? '', p.path ?? '', p.message].join('\0');
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
