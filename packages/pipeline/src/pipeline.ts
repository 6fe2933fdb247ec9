import { existsSync, readFileSync, realpathSync, rmSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ENVIRONMENTS, type App, type Environment, type Manifest } from '@strata/core';
import { readsOf } from '@strata/core/sources';
import {
  AppFailures,
  appDirs,
  appSources,
  checkPinFiles,
  isAppFailure,
  Layout,
  loadApps,
  repositoryReads,
  sourceAsLoaded,
  strayRegistrations,
  UsageError,
  type AppFailure,
  type Problem,
  type WarningOptions,
} from '@strata/project';
import {
  applyTree,
  type AppPlan,
  lockTree,
  type Mismatch,
  planApp,
  planEnvironments,
  planOptionsOf,
  recoverLocked,
  refuseIgnored,
  refuseLinkedState,
  schemaMergeKeys,
  type TreeChanges,
} from '@strata/emit';
import { loadSettings, namespacedOf, planGitops, syncPlan, type AppSyncPlan } from '@strata/gitops';
import { buildOverlays, startBuilder, type BuilderSession, type BuildResult } from '@strata/kustomize';
import { NOT_BUILT_NOTE, notCheckedNote, resolveHelper, SERVER_CHECKS } from '@strata/server-validation';
import { checkPolicySettings } from '@strata/validate/settings';
import { build, distLinkCheck, pruneDist, writeDistAsync, type BuildOutcome } from './build.ts';
import { buildFolders, EarlyBuilds } from './early-builds.ts';
import { foldersOf, recordBuilt, stamper, type OverlayInputs } from './stale-dist.ts';
import {
  cacheFile,
  FolderListing,
  filesUnder,
  gitopsKey,
  hashFile,
  hashOf,
  inFingerprint,
  isPrebuiltCopy,
  readCache,
  sealOf,
  sealedGitops,
  sharedSealOf,
  sharedUnchanged,
  stampOf,
  toolFingerprint,
  unchanged,
  verify,
  writeCache,
  type AppEntry,
  type GitopsVerdict,
  type SharedEntry,
  type Stamp,
  type WrittenAs,
} from './cache.ts';
import { describeDrift, LINE_ENDINGS_FIX, LINE_ENDINGS_ONLY, parseBuilt, strayFolders, topologyDrift, type Drift } from './check.ts';
import { overlayFindings, proveEnvRoot, refuseCollisions, renderedIds, type OverlayFindings } from './findings.ts';
import { orphanDirs } from './generate.ts';
import { addParsed, gitopsFiles as filesReadIn, gitopsFolders, inGitops } from './gitops-checks.ts';
import { handWrittenFiles } from './hand-written.ts';
import type {
  AllocationClaim,
  ClassClaims,
  ClusterClass,
  ClusterLimitRange,
  ClusterNetworkPolicy,
  IngressClaim,
  NamespaceClaims,
  NodePortClaim,
  ParsedInputs,
  SourceDoc,
} from '@strata/validate';
import type { ImageEdit } from './image-drift.ts';
import type { GitopsJudged } from './report.ts';

/** The rule whose verdict on an app's pods depends on the Namespaces other apps of its env create. */
const POD_SECURITY_ADMISSION = 'namespace-admits-pods';
const WITHIN_LIMIT_RANGES = 'within-limit-ranges';
const POD_FIELDS_FROM_CLASSES = 'pod-fields-from-classes';
/** The rules that count a NetworkPolicy of another app of the env in a pod's namespace. */
const NETWORK_POLICY_RULES = ['default-deny-network-policy', 'network-policy-selects-workload'];

export interface PipelineOptions extends WarningOptions {
  /** Reuse what an earlier run did for apps that have not changed (the cache is written either way). @default true */
  readonly cache?: boolean;
  readonly onBuild?: (r: BuildResult) => void;
  /**
   * Change nothing of the committed tree: when `base/`, `overlays/` or `gitops/` differ from what the
   * code generates, or a committed topology picture (`docs/topology-*`) from what that tree draws
   * (compared as `strata check` compares them, by hash, nothing drawn), fail with a DriftError
   * before anything is built. What CI wants: the tree that ships is the one that was checked.
   * @default false
   */
  readonly frozen?: boolean;
  /**
   * Run the API server's field checks offline (the server-validation helper). `unapplied`: only of
   * the objects a dry run leaves out (those Argo CD never applies), for a caller that dry-run applies
   * the rest to a real API server of the same release, which makes the same checks (`strata ci`);
   * the helper is built first when it is missing. Apps are remembered with the objects the checks
   * judged, and reused only by a run that judges the same ones. @default true
   */
  readonly serverChecks?: boolean | 'unapplied';
  /** Progress lines of a build of the server checks' helper (`serverChecks: 'unapplied'`). */
  readonly onProgress?: (line: string) => void;
  /**
   * How many of the changed apps load in a first turn, rendered and built while the others
   * compile; all of them is one turn. @default a sixteenth of them from 64 changed apps on, else all
   */
  readonly firstTurn?: number;
}

/** The committed tree differs from what the code generates, and the run was not to change it. */
export class DriftError extends Error {
  override readonly name = 'DriftError';
  /** Each drifted file as `strata check` reports it: its diff, or one line for a stale file. */
  readonly drift: readonly Drift[];
  /** Drifted overlays whose `images:` differ from what the pins generate, each saying which side changed (see CheckResult.imageEdits). */
  readonly imageEdits: readonly ImageEdit[];
  constructor(
    readonly changes: TreeChanges,
    described: { readonly drift: readonly Drift[]; readonly imageEdits: readonly ImageEdit[] } = { drift: [], imageEdits: [] },
  ) {
    const listed = (files: readonly string[]) =>
      files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ');
    const crlf = new Set(described.drift.filter((d) => d.lineEndings).map((d) => d.file));
    // A folder that is a file: one line saying so, in place of every file it holds.
    const notFolders = described.drift.filter((d) => d.notFolder);
    const below = (f: string) => notFolders.some((d) => f.startsWith(`${d.file}/`));
    const files = [...changes.written, ...changes.removed].filter((f) => !crlf.has(f) && !below(f));
    const pictures = described.drift.filter((d) => d.picture).map((d) => d.file);
    super(
      [
        ...notFolders.map((d) => d.diff),
        ...(crlf.size > 0 ? [`${listed([...crlf])}: ${crlf.size > 1 ? 'each ' : ''}${LINE_ENDINGS_ONLY}; ${LINE_ENDINGS_FIX}`] : []),
        ...(files.length > 0 ? [`the committed tree is out of date (${listed(files)}): run \`npx strata generate\` and commit the result`] : []),
        ...(pictures.length > 0
          ? [`the committed topology pictures are out of date (${listed(pictures)}): run \`npm run topology\` and commit docs/`]
          : []),
      ].join('; '),
    );
    this.drift = described.drift;
    this.imageEdits = described.imageEdits;
  }
}

export interface PipelineResult {
  readonly apps: number;
  /** Apps whose earlier results were reused: nothing of theirs was rendered, built or validated. */
  readonly reused: number;
  readonly generated: TreeChanges;
  /** dist/ files of apps or envs that no longer exist, removed. */
  readonly pruned: string[];
  readonly built: BuildOutcome;
  readonly problems: Problem[];
  readonly resources: number;
  /**
   * The comparisons of `strata check`, for every app (a reused app's from the cache): built output
   * that differs from the render, target-selector patches that match nothing, and objects that two
   * apps of one env share (the env root cannot be built).
   */
  readonly roundTrip: (Mismatch & { overlay: string })[];
  readonly unmatchedPatches: string[];
  readonly envRootCollisions: string[];
  /**
   * Folders under base/ and overlays/ of no app (or env) that hold files written by hand, one line
   * each, as `strata check` reports them: generate never deletes those, and Argo CD makes an
   * Application of each such overlay folder.
   */
  readonly strayFolders: string[];
  /** Registrations of apps whose folder is gone, as `strata check` reports them (`strayRegistrations`). */
  readonly strayRegistrations: string[];
  /**
   * Files in the generated folders that nothing builds or checks, as `strata check` reports them:
   * any Argo CD source file (`.argocd-source*.yaml`), and in an app's folders any other file without
   * the generated header.
   */
  readonly handWritten: string[];
  /**
   * The dist/ file of every app and env, in env then app order, but for overlays that did not build:
   * what ships. Those built by this run are in `documents`; a reused app's are on disk as the last
   * run wrote them (and this run checked).
   */
  readonly distFiles: readonly { readonly env: Environment; readonly app: string; readonly file: string }[];
  /**
   * The objects of each dist/ file this run built, as validation read them (each with its file and
   * line): what was written, for a caller to use without reading dist/ again.
   */
  readonly documents: ReadonlyMap<string, readonly SourceDoc[]>;
  /**
   * The folders of gitops/ validated (each env's Argo CD folder as kustomize builds it, its Flux
   * folder as written) and how many objects they hold, not counted in `resources`; their problems
   * are in `problems`. `reused` when gitops/ held what it held when last validated, as this run would
   * validate it: that run's findings are reported again.
   */
  readonly gitops?: GitopsJudged;
  /** Seconds per phase. */
  readonly phases: { readonly generate: number; readonly build: number; readonly validate: number };
  /** Lines about checks that did not run, and how to make them run. */
  readonly notes: readonly string[];
  /** The checks that did not run at all (`server field checks`, whose helper is not built), by name; one of the notes says why. */
  readonly skipped?: readonly string[];
}

/**
 * `strata pipeline`: generate, build and validate every app in one process, the work of
 * `npm run build`. Each phase hands the next what it needs in memory, and apps that have not
 * changed since the last run (same sources, same outputs on disk, same tool) are not touched:
 * their earlier results are reported again, so the output does not depend on the cache.
 */
export async function pipeline(workspace: string, options: PipelineOptions = {}): Promise<PipelineResult> {
  // One spelling of every path: esbuild reports real paths.
  const root = realpathSync(workspace);
  // The tree's writer lock for the whole run, not only while the tree is written: dist/ and the
  // cache are this run's too, and two runs that interleave them leave a dist/ and a cache that
  // belong to neither. A second pipeline (or generate, or build) waits, then refuses naming this one.
  const lock = lockTree(root, { label: 'strata pipeline' });
  // The decoder run its builds are fed to as they come, stopped however the run ends.
  const decoding: { stop?: () => void } = {};
  try {
    // A change a killed writer left half done is settled before this run looks at the tree.
    recoverLocked(root);
    return await runPipeline(root, options, decoding);
  } finally {
    decoding.stop?.();
    lock.release();
  }
}

async function runPipeline(root: string, options: PipelineOptions, decoding: { stop?: () => void }): Promise<PipelineResult> {
  let t = performance.now();
  const lap = () => {
    const s = (performance.now() - t) / 1000;
    t = performance.now();
    return s;
  };
  // Loaded when a pipeline runs, so that the other commands of this package do not load kubeconform's wrapper.
  const {
    checkParsed,
    decodeParsed,
    decoderPath,
    DecoderStream,
    ingressRouteProblems,
    kubernetesSettings,
    namespaceProblems,
    nodePortProblems,
    parseInputs,
    placedInSources,
    allocationProblems,
    classProblems,
    declaredClassesOf,
    podSecurityBasis,
    limitRangeBasis,
    classBasis,
    networkPolicyBasis,
    policyProblems,
    readText,
    requireKubernetesSets,
  } = await import('@strata/validate');
  // A Kubernetes version without schemas is found before anything is generated or built.
  requireKubernetesSets(root);
  // The tool's fingerprint hashes some 150 MB (binaries, schemas): with no cache to match it against
  // (a fresh clone, --no-cache), it is taken later (see below).
  const noCache = options.cache === false || !existsSync(cacheFile(root));
  let tool = noCache ? '' : toolFingerprint(root);
  const cache = noCache ? { tool, apps: {} as Record<string, AppEntry> } : readCache(root, tool);
  const serverChecks = options.serverChecks !== false;
  // What the cache says of an app judged as this run judges: nothing for every object.
  const judging = options.serverChecks === 'unapplied' ? 'unapplied' : serverChecks ? undefined : 'none';
  const names = appDirs(root);
  const reused = new Map<string, AppEntry>();
  // The folders they share (base/, overlays/<env>/, dist/<env>/) are looked at once.
  const listing = new FolderListing(root);
  for (const name of names) {
    const entry = cache.apps[name] && unchanged(root, tool, cache.apps[name], listing);
    // Verdicts reached with the server's field checks of other objects are not this run's: fewer are
    // not enough, more would count refusals that this run's caller reports itself.
    if (entry && entry.serverChecks === judging) reused.set(name, entry);
  }
  const changed = names.filter((n) => !reused.has(n));
  // What the changed apps' files hold before they are read: an edit made while this run reads
  // them must not be remembered as what it rendered.
  const before = new Map<string, Stamp>();
  const sources = new FolderListing(root);
  for (const f of filesUnder(
    root,
    changed.map((n) => `apps/${n}`),
    sources,
  )) {
    if (f.split(sep).includes('node_modules')) continue;
    const stamp = stampOf(join(root, f));
    if (stamp) before.set(f, stamp);
  }
  const settings = loadSettings(root);

  // Generate: render only the changed apps; the env roots and gitops/ list every app. Each app's
  // overlays go to the builder as soon as the app is planned, from memory, so kustomize works while
  // the next apps are rendered; its results are read as they come.
  // Loaded afresh: an app changed since this process last loaded it must not come from memory.
  // Loaded in two turns when there are many: the first few apps are compiled alone, and while the
  // rest compile they are imported, rendered and sent to the builder, which then starts about a
  // second earlier at 500 apps (esbuild's compile and Node's first import of kubernetes-models
  // each cost a fixed part that no longer waits for the other).
  // One judge of what their code reads for both turns: git is asked once for the run.
  const judge = repositoryReads();
  const load = (group: readonly string[], onCompiled?: () => void) =>
    loadApps(root, group, { fresh: true, judge, onWarning: options.onWarning, ...(onCompiled ? { onCompiled } : {}) });
  // Below 64 apps a second compile would cost more than it saves.
  const first = Math.max(1, options.firstTurn ?? (changed.length >= 64 ? Math.ceil(changed.length / 16) : changed.length));
  let turn!: () => void;
  const nextTurn = new Promise<void>((resolve) => (turn = resolve));
  // No changed app, no turn: loadApps given no names loads them all.
  const loadings = changed.length > 0 ? [load(changed.slice(0, first), turn)] : [];
  // The second turn starts once the first compiled, or failed: its errors are reported too.
  loadings[0]?.catch(turn);
  if (first < changed.length) loadings.push(nextTurn.then(() => load(changed.slice(first))));
  for (const l of loadings) l.catch(() => undefined); // awaited below
  // A kustomize named by $STRATA_KUSTOMIZE is the one to build with, as for `strata build`.
  const session = changed.length > 0 && !process.env.STRATA_KUSTOMIZE ? startBuilder(root) : undefined;
  // With no cache (a fresh clone, CI), the builder starts on the committed tree while the apps compile.
  // The generated folders of the changed apps as they are before the tree is written: the early
  // builds read them, and each plan checks them for files it does not write.
  const generatedListing = new FolderListing(root);
  const early = session && noCache ? new EarlyBuilds(root, generatedListing, session, changed) : undefined;
  if (noCache) {
    try {
      // Refused now, as the fingerprint would refuse it: its hashes are taken once the tree is written.
      refuseLinkedState(root);
    } catch (err) {
      early?.stop();
      await session?.close();
      throw err;
    }
  }
  const apps: App[] = [];
  const plans: AppPlan[] = [];
  const pending: Promise<Built>[] = [];
  // Each build is read, and sent to kubectl's decoder (started with the first), as it comes in,
  // between two apps' renders: the decoder then works while the other builds run, not with all of
  // them after the last, when nothing else does. What a build holds is taken in once the tree is
  // written (see take), in the order the apps were planned.
  const decoderBin = decoderPath(root);
  let decoder: InstanceType<typeof DecoderStream> | undefined;
  const reads = new WeakMap<Built, ReturnType<typeof readText>>();
  const readOf = (r: Built) => {
    const known = reads.get(r);
    if (known) return known;
    const read = readText(r.yaml, r.output, r.output, join(root, r.output), { trusted: true });
    if (decoderBin && !decoder) {
      const started = new DecoderStream(decoderBin);
      decoding.stop = () => started.stop();
      decoder = started;
    }
    if (decoder) read.file.decoding = decoder.push(read.file.bytes);
    reads.set(r, read);
    return read;
  };
  const readEarly = (built: Promise<Built>) =>
    built.then((r) => {
      if (r.ok) readOf(r);
      return r;
    });
  const fromDisk: string[] = [];
  // Apps whose folders held nothing but planned files before the tree was written: applyTree adds
  // only planned files, so they still do, and need not be listed again for the cache.
  const onlyPlanned = new Set<string>();
  const sync = new Map<string, Record<Environment, AppSyncPlan>>();
  let generated: TreeChanges;
  // Folders of no app (or env): their generated files are stale, and any other file in them is reported.
  let orphans: string[] = [];
  const files = new Map<string, string>();
  // Each planned file as this run's write (or its read, for one that already held its content) left
  // it: an edit made after that is never remembered as what the run generated.
  const planned = new Map<string, WrittenAs>();
  const keep = (path: string, status: Stats) => void planned.set(path, status);
  // Each planned file's stamp as this run's write (or read) left it, taken once: the build record,
  // the cache entries and the shared files name the same files (a base once per env). A later edit
  // changes the file's times, so the run that next compares this stamp finds it.
  const plannedStamps = new Map<string, Stamp | undefined>();
  const stampPlanned = (path: string, content: string): Stamp | undefined => {
    if (plannedStamps.has(path)) return plannedStamps.get(path);
    const as = planned.get(path);
    const stamp = as && stampOf(join(root, path), content, as);
    plannedStamps.set(path, stamp);
    return stamp;
  };
  // With no app changed, the env roots and gitops/ that the last run wrote for these apps are
  // still right if nobody touched them: planning gitops/ for 500 apps takes a second.
  const sharedBefore = changed.length === 0 ? sharedUnchanged(root, tool, cache.shared, names) : undefined;
  try {
    // Every app that fails, to load or to render, is said in one run, in the order of the apps'
    // names whichever turn it was in, and so is every file that does not compile, of both turns:
    // the apps that loaded are rendered, and the tree is written only when none failed.
    const failures: AppFailure[] = [];
    const uncompiled: Error[] = [];
    for (const loading of loadings) {
      let group: readonly App[];
      try {
        group = await loading;
      } catch (err) {
        if (err instanceof AppFailures) group = err.loaded;
        else if (isAppFailure(err)) {
          uncompiled.push(err);
          continue;
        } else throw err;
        failures.push(...err.failures);
      }
      apps.push(...group);
      for (const app of group) {
        let plan: AppPlan;
        try {
          plan = planApp(app, schemaMergeKeys, planOptionsOf(root));
        } catch (err) {
          if (!isAppFailure(err)) throw err;
          failures.push({ app: app.name, error: err });
          continue;
        }
        plans.push(plan);
        sync.set(
          plan.app,
          Object.fromEntries(
            ENVIRONMENTS.map((e) => [
              e,
              syncPlan(plan.app, plan.desired[e], namespacedOf(root, plan.desired[e]), e, settings.resourceTrackingMethod, settings.installationID),
            ]),
          ) as Record<Environment, AppSyncPlan>,
        );
        // Built from memory only when the app's folders hold nothing the plan does not: kustomize
        // on disk would see any other file (a second kustomization, say).
        const foreign = filesUnder(root, plan.dirs, generatedListing).some((f) => !plan.files.has(f));
        if (!foreign) onlyPlanned.add(plan.app);
        if (session && !foreign) pending.push(...buildInMemory(session, plan, options.onBuild, early).map(readEarly));
        else fromDisk.push(plan.app);
        // Lets the builder's answers in: a full pipe would stop it.
        await new Promise(setImmediate);
      }
    }
    const failed = [...uncompiled, ...(failures.length === 1 ? [failures[0]!.error] : failures.length > 1 ? [new AppFailures(failures)] : [])];
    if (failed.length > 0) throw failed.length === 1 ? failed[0] : new Error(failed.map((e) => e.message).join('\n'));
    // A misspelt rule in the policy settings is refused before the tree is written, not after the build.
    checkPolicySettings(root, apps);
    checkPinFiles(root, apps);
    for (const [name, entry] of reused) sync.set(name, entry.sync);
    // Apps whose objects share an id in an env make a root kustomize refuses to build: refused
    // before anything is written (the tree, dist/, the cache), with generate's message. A reused
    // app's ids are those its build had, which the round trip proved equal to its render's.
    const planOfApp = new Map(plans.map((p) => [p.app, p]));
    refuseCollisions(ENVIRONMENTS, names, (app, e) => {
      const plan = planOfApp.get(app);
      return plan ? renderedIds(plan.desired[e]) : (reused.get(app)?.findings[e]?.ids ?? []);
    });
    for (const p of plans) for (const [path, content] of p.files) files.set(path, content);
    if (!sharedBefore) {
      for (const [path, content] of planEnvironments(names)) files.set(path, content);
      for (const [path, content] of planGitops(root, settings, names, { plans: (e, app) => sync.get(app)?.[e] })) files.set(path, content);
    }
    orphans = orphanDirs(root, new Set(names), undefined);
    const dirs = [...plans.flatMap((p) => p.dirs), ...orphans, ...(sharedBefore ? [] : [Layout.gitops])];
    if (options.frozen) {
      // The generated files: the planned ones and the reused apps', unchanged on disk.
      const generated = new Set(files.keys());
      for (const entry of reused.values()) for (const path of Object.keys(entry.outputs)) generated.add(path);
      // The gate judges the whole tree, as check does: a generated file that git does not track and
      // would ignore is in this checkout's tree and in no clone's, however long it has been there.
      const tree = [...generated].filter((path) => !path.startsWith(`${Layout.dist}/`));
      refuseIgnored(root, tree, { contentOf: (path) => files.get(path) });
      const drift = applyTree(root, files, { dirs, dryRun: true });
      // The committed pictures, by the hash of what they were drawn from, as check compares them.
      const pictures = topologyDrift(root, generated, files);
      if (drift.written.length + drift.removed.length + pictures.length > 0) {
        const described = describeDrift(root, drift.written, drift.removed, files, apps);
        throw new DriftError(drift, { drift: [...described.drift, ...pictures], imageEdits: described.imageEdits });
      }
    }
    generated = applyTree(root, files, { dirs, onWritten: keep, onUnchanged: keep });
  } catch (err) {
    early?.stop();
    await session?.close();
    throw err;
  }
  early?.stop();
  const closing = session?.close(); // no more overlays; the builds in flight finish
  // What is left in them once their stale generated files are gone: files written by hand.
  const strays = strayFolders(root, orphans);
  const registrations = strayRegistrations(root);
  // Every planned file was just written or found as planned; a reused app's folders hold only its outputs.
  const reusedOutputs = new Set([...reused.values()].flatMap((e) => Object.keys(e.outputs)));
  const handWritten = handWrittenFiles(root, {
    apps: names,
    envs: ENVIRONMENTS,
    known: (path) => files.has(path) || reusedOutputs.has(path),
    everywhere: { skip: orphans },
  });
  const tGenerate = lap();

  // gitops/ as this run leaves it, by content: the last verdict on the same bytes, reached by checks
  // like this run's, is reused; else its folders are read now, as `strata validate gitops/<env>` reads
  // them (each env's Argo CD folder built with kustomize, its Flux folder as written), while the apps
  // build, and judged with the apps' built files.
  const plannedGitops: [string, string][] = sharedBefore
    ? Object.entries(sharedBefore).map(([path, stamp]) => [path, stamp.hash])
    : [...files].filter(([path]) => inGitops(path)).map(([path, content]) => [path, hashOf(content)]);
  // And every other file its folders' check reads (one a person put into an env's Flux folder, which
  // Flux applies with the rest), by content: a verdict reached without it, or on other bytes of it,
  // is not this run's.
  const plannedPaths = new Set(plannedGitops.map(([path]) => path));
  const gitopsFiles: [string, string][] = [
    ...plannedGitops,
    ...filesReadIn(root, gitopsFolders(plannedPaths))
      .filter((path) => !plannedPaths.has(path))
      .map((path): [string, string] => [path, hashFile(join(root, path)) ?? '']),
  ];
  const gitopsAs = gitopsKey(gitopsFiles);
  const lastGitops = sealedGitops(tool, cache.shared);
  const gitopsReused = lastGitops && lastGitops.key === gitopsAs && lastGitops.serverChecks === judging ? lastGitops : undefined;
  const gitopsToRead = gitopsReused ? [] : gitopsFolders(gitopsFiles.map(([path]) => path));
  const gitopsRead = gitopsToRead.length > 0 ? parseInputs(root, gitopsToRead) : undefined;
  gitopsRead?.catch(() => undefined); // awaited below

  // Build: what the builder did from memory is written to dist/ and read for validation as it
  // arrives, now that the tree is written; without the builder, one kustomize per overlay from disk.
  // A failure is built again from disk, so that its message names the files as they are.
  const parsed: ParsedInputs = { docs: [], problems: [], files: new Map() };
  // What check compares, per overlay, from what was just built and read.
  const planOf = new Map(plans.map((p) => [p.app, p]));
  const loadedOf = new Map(apps.map((a) => [a.name, a]));
  const compared = new Map<string, OverlayFindings>();
  // Built overlays of planned apps, compared once their output is decoded.
  const toCompare = new Map<string, Built>();
  const writes: Promise<void>[] = [];
  // How each dist/ file was left by this run's write: an edit made after it is never remembered as what was checked.
  const writtenAs = new Map<string, WrittenAs>();
  // What was written, recorded however the run ends, so a built file is later told from one edited since.
  const recorded: { output: string; yaml: string; inputs?: OverlayInputs }[] = [];
  // What a build from memory read: the app's generated files of its overlay and base, as written.
  const inputsOf = (r: Built): OverlayInputs | undefined => {
    const plan = planOf.get(r.app);
    if (!plan) return undefined;
    const dirs = foldersOf(r.env, r.app);
    return { dirs, files: [...plan.files.keys()].filter((f) => dirs.some((d) => f.startsWith(`${d}/`))).sort() };
  };
  // dist/ and its env folders, each looked at for a symbolic link once in this run.
  const refuseLinked = distLinkCheck(root);
  let writeError: Error | undefined;
  const take = (r: Built, write = true) => {
    if (!r.ok) return;
    // A failed write is reported once the builds are in, not as an unhandled rejection.
    if (write)
      writes.push(
        writeDistAsync(root, r.output, r.yaml, refuseLinked).then(
          (as) => {
            writtenAs.set(r.output, as);
            const inputs = inputsOf(r);
            recorded.push({ output: r.output, yaml: r.yaml, ...(inputs ? { inputs } : {}) });
          },
          (e: Error) => void (writeError ??= e),
        ),
      );
    const read = readOf(r);
    parsed.docs.push(...read.docs);
    parsed.problems.push(...read.problems);
    parsed.files.set(r.output, read.file);
    if (planOf.has(r.app)) toCompare.set(r.overlay, r);
  };
  // With no cache to match it against, the tool's fingerprint (some 150 MB of binaries and
  // schemas hashed) is taken while this thread would wait for the builder, not while it compiles,
  // renders and plans the apps.
  if (noCache) tool = toolFingerprint(root);
  let built: BuildOutcome;
  if (session) {
    const inMemory = await Promise.all(pending.map((p) => p.then((r) => (take(r), r))));
    await closing;
    const onDisk = fromDisk.length > 0 ? (await build(root, { apps: fromDisk }, options.onBuild)).results : [];
    for (const r of onDisk) take(r, false); // build() wrote them
    const results = [...inMemory, ...onDisk];
    const again = inMemory.filter((r) => !r.ok);
    const redo =
      again.length > 0
        ? await buildOverlays(
            root,
            again.map((r) => r.overlay),
          )
        : [];
    const outcome = results.map((r) => {
      const fresh = redo.find((x) => x.overlay === r.overlay);
      if (!fresh) return r;
      const rebuilt = { ...r, ...fresh, yaml: fresh.ok ? fresh.yaml : '' };
      take(rebuilt);
      return rebuilt;
    });
    built = { results: outcome, failed: outcome.filter((r) => !r.ok).length };
  } else {
    built = changed.length > 0 ? await build(root, { apps: changed }, options.onBuild) : { results: [], failed: 0 };
    for (const r of built.results) take(r, false); // build() wrote them
  }
  // Every build is in: the decoder answers the last of them and exits.
  decoder?.end();
  // The round trip compares what validation decoded, while the checks wait for kubeconform and the
  // server's helper.
  const checkAndCompare = async () => {
    await decodeParsed(parsed, root);
    // Node ports taken by an earlier Service of the env are judged below, over every app of it, the reused ones too.
    // So are the namespaces an app's objects live in, which another app of the env may create, and
    // the hosts and paths its Ingresses route, which another app's may route first.
    const checking = checkParsed(root, parsed, {
      onWarning: options.onWarning,
      serverChecks: options.serverChecks ?? true,
      apps: loadedOf,
      nodePortClashes: false,
      allocationClashes: false,
      classChecks: false,
      namespaceChecks: false,
      // The Namespaces of the reused apps judge the pods of these too; theirs are in the built files read.
      clusterNamespaces: [...reused.values()].flatMap((e) => e.namespaces),
      // So do their LimitRanges, in the namespaces of these.
      clusterLimitRanges: [...reused.values()].flatMap((e) => e.limitRanges),
      // And their classes, the global default PriorityClass above all.
      clusterClasses: [...reused.values()].flatMap((e) => e.clusterClasses),
      // And their NetworkPolicies.
      clusterNetworkPolicies: [...reused.values()].flatMap((e) => e.networkPolicies),
      ingressClashes: false,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    checking.catch(() => undefined); // awaited below
    let done = 0;
    for (const [overlay, r] of toCompare) {
      // kubeconform and the server's helper are fed and read through this thread's event loop.
      if (done++ % 25 === 0) await new Promise(setImmediate);
      const plan = planOf.get(r.app)!;
      // The objects validation decoded when both YAML versions read the build alike (then they are
      // the objects check's parse of it gives), else parsed as check parses a build.
      const built = (parsed.files.get(r.output)?.documents as Manifest[] | undefined) ?? parseBuilt(r.yaml, r.overlay);
      compared.set(overlay, overlayFindings(overlay, plan.desired[r.env as Environment], built, plan.files.get(`${overlay}/kustomization.yaml`)));
    }
    return { checking };
  };
  // The checks start now, kubeconform and the server's helper in their own processes, while this
  // thread waits for dist/ to be written and records it; a failed write still fails the run.
  // gitops/ is judged with the apps' builds. When the tool failed on those too (the builder killed),
  // the run ends as that tool error, which names the apps' overlays: gitops/'s own failure of the
  // same tool is not the one reported.
  const toolFailed = built.results.some((r) => r.toolFailed);
  const gitopsParsed = await gitopsRead?.catch((e: unknown) => {
    if (toolFailed) return undefined;
    throw e;
  });
  if (gitopsParsed) addParsed(parsed, gitopsParsed);
  const starting = parsed.files.size > 0 ? checkAndCompare() : Promise.resolve(undefined);
  starting.catch(() => undefined); // awaited below
  await Promise.all(writes);
  let pruned: string[] = [];
  const gone: string[] = [];
  try {
    if (writeError) {
      // The same error, so that its system call still marks it as the machine's fault, not the input's.
      if (!(writeError instanceof UsageError)) writeError.message = `cannot write dist/: ${writeError.message}`;
      throw writeError;
    }
    // What an earlier run built for an overlay that failed now is no output of it (build() removed those it built).
    const failedNow = new Set(built.results.filter((r) => !r.ok && !r.removed && existsSync(join(root, r.output))).map((r) => r.output));
    for (const f of failedNow) rmSync(join(root, f));
    gone.push(...failedNow);
    built = { ...built, results: built.results.map((r) => (failedNow.has(r.output) ? { ...r, removed: r.output } : r)) };
    // dist/ holds the current apps and envs and nothing else: what a deleted app built is not shipped or validated.
    pruned = pruneDist(root, new Set(names.flatMap((n) => ENVIRONMENTS.map((e) => Layout.distOf(e, n)))));
  } finally {
    // A reused app's built files are as this checkout's pipeline wrote them (its entry's stamps held):
    // recorded too, so a record lost since does not leave them taken for copies from elsewhere.
    const kept = [...reused.values()].flatMap((e) => Object.entries(e.outputs).filter(([f]) => f.startsWith(`${Layout.dist}/`)));
    // The generated files by what this run wrote (or found holding it), else as they are on disk.
    const onDisk = stamper(root);
    const asWritten = (f: string) => {
      const content = planOf.get(f.split('/')[f.startsWith(`${Layout.base}/`) ? 1 : 2] ?? '')?.files.get(f);
      return content !== undefined && planned.has(f) ? stampPlanned(f, content) : onDisk(f);
    };
    recordBuilt(root, recorded, [...gone, ...pruned], Object.fromEntries(kept.map(([f, { hash, size }]) => [f, { hash, size }])), asWritten);
  }
  const tBuild = lap();
  const started = await starting;

  // What the cache remembers of each changed app but its findings: the stamps of the files it read
  // and wrote, taken while the checks run.
  const resultsOf = groupBy(built.results, (r) => r.app);
  const ownFiles = groupBy([...before.keys()], (f) => f.split('/')[1] ?? '');
  // Files several apps share (a workspace package they all import) are read once, and a file
  // stamped before the apps were read is read again only if its size or times changed since.
  const known = new Map<string, Stamp | undefined>();
  const restamp = (file: string) => {
    const then = before.get(file);
    return (then && verify(join(root, file), then, true)) ?? stampOf(join(root, file));
  };
  const stamp = (file: string) => (known.has(file) ? known.get(file) : known.set(file, restamp(file)).get(file));
  const stamped = new Map<string, StampedApp | undefined>();
  for (const name of changed) {
    // kubeconform and the server's helper are fed and read through this thread's event loop.
    if (stamped.size % 25 === 0) await new Promise(setImmediate);
    // A symbolic link in the app's folder is not remembered: its compiled target is, and a link
    // pointed elsewhere (out of the repository, say) would leave that target, and the entry, as they were.
    if (sources.holdsLinks(`apps/${name}`)) {
      stamped.set(name, undefined);
      continue;
    }
    stamped.set(
      name,
      stampApp(
        root,
        name,
        planOf.get(name),
        loadedOf.get(name),
        resultsOf.get(name) ?? [],
        ownFiles.get(name) ?? [],
        onlyPlanned.has(name),
        before,
        stamp,
        stampPlanned,
        writtenAs,
      ),
    );
  }
  const checked = started ? await started.checking : { problems: [], resources: 0, files: [], counts: {} as Record<string, number> };
  const tValidate = lap();

  // What was found in gitops/, at the files and lines that write it; remembered only when the files
  // read held what this run planned.
  const gitopsFound: GitopsVerdict | undefined =
    gitopsReused ??
    (gitopsParsed
      ? (JSON.parse(
          JSON.stringify({
            key: gitopsAs,
            problems: placedInSources(
              checked.problems.filter((p) => inGitops(p.file)),
              gitopsParsed,
            ),
            folders: gitopsToRead,
            resources: [...gitopsParsed.files.keys()].reduce((n, f) => n + (checked.counts[f] ?? 0), 0),
            ...(judging ? { serverChecks: judging } : {}),
          }),
        ) as GitopsVerdict)
      : undefined);
  const gitopsHashes = new Map(gitopsFiles);
  const gitopsKept =
    gitopsReused ??
    (gitopsFound && gitopsParsed && [...gitopsParsed.files].every(([f, read]) => gitopsHashes.get(f) === hashOf(read.bytes))
      ? gitopsFound
      : undefined);

  // The env roots and gitops/ as written for exactly these apps; not remembered at all when one of
  // them is no longer as this run wrote it (a later run would not look at a file left out).
  const sharedFiles: Record<string, Stamp> = {};
  let sharedKnown = true;
  for (const [path, content] of files) {
    if (!path.startsWith(`${Layout.gitops}/`) && !ENVIRONMENTS.some((e) => path === Layout.envKustomization(e))) continue;
    const stamp = stampPlanned(path, content);
    if (stamp) sharedFiles[path] = stamp;
    else sharedKnown = false;
  }
  const withGitops = gitopsKept ? { gitops: gitopsKept } : {};
  const shared: SharedEntry | undefined = sharedBefore
    ? { apps: names, files: sharedBefore, ...withGitops, seal: sharedSealOf(tool, names, sharedBefore, gitopsKept) }
    : sharedKnown && Object.keys(sharedFiles).length > 0
      ? { apps: names, files: sharedFiles, ...withGitops, seal: sharedSealOf(tool, names, sharedFiles, gitopsKept) }
      : undefined;

  // The node ports the Services of the changed apps ask for; the reused apps' are in their entries.
  const claims = 'nodePortClaims' in checked ? (checked.nodePortClaims ?? []) : [];
  // The cluster IPs their Services ask for and their default PriorityClasses; the reused apps' are in their entries.
  const allocations = 'allocationClaims' in checked ? (checked.allocationClaims ?? []) : [];
  // The PriorityClasses and RuntimeClasses they create and their pods name; the reused apps' are in their entries.
  const classes = 'classClaims' in checked ? (checked.classClaims ?? []) : [];
  // What they create and need of namespaces; the reused apps' are in their entries.
  const spaces = 'namespaceClaims' in checked ? (checked.namespaceClaims ?? []) : [];
  // The hosts and paths their Ingresses route; the reused apps' are in their entries.
  const routes = 'ingressClaims' in checked ? (checked.ingressClaims ?? []) : [];
  // The LimitRanges they create; the reused apps' are in their entries.
  const ranges = 'limitRanges' in checked ? (checked.limitRanges ?? []) : [];
  // The PriorityClasses and RuntimeClasses they create; the reused apps' are in their entries.
  const podClasses = 'clusterClasses' in checked ? (checked.clusterClasses ?? []) : [];
  // The NetworkPolicies they ship; the reused apps' are in their entries.
  const policies = 'networkPolicies' in checked ? (checked.networkPolicies ?? []) : [];
  // Remember each changed app whose overlays all built and whose sources are known.
  const ofApp = (app: string) => new Set((resultsOf.get(app) ?? []).map((r) => r.output));
  const next: Record<string, AppEntry> = Object.fromEntries(reused);
  // The kinds the server's checks left to a cluster, named in this run's note; each app remembers its own.
  const checkedNotes = 'notes' in checked ? checked.notes : undefined;
  const checkedLeft = 'notChecked' in checked ? (checked.notChecked ?? []) : [];
  const leftToCluster = new Set(checkedLeft);
  // Each app's share of what the checks found, in the order found: its built files are its own.
  const appOfFile = new Map(built.results.map((r) => [r.output, r.app]));
  const byApp = <T extends { readonly file: string }>(items: readonly T[]) => {
    const groups = groupBy(
      items.filter((i) => appOfFile.has(i.file)),
      (i) => appOfFile.get(i.file)!,
    );
    return (app: string): T[] => groups.get(app) ?? [];
  };
  const docsOf = byApp(leftToCluster.size === 0 ? [] : parsed.docs);
  const needsClusterOf = (app: string) =>
    [...new Set(docsOf(app).map((d) => `${d.manifest.apiVersion} ${d.manifest.kind}`))].filter((k) => leftToCluster.has(k));
  const problemsOf = byApp(checked.problems);
  const claimsOf = byApp(claims);
  const allocationsOf = byApp(allocations);
  const classesOf = byApp(classes);
  const spacesOf = byApp(spaces);
  const routesOf = byApp(routes);
  const rangesOf = byApp(ranges);
  const podClassesOf = byApp(podClasses);
  const policiesOf = byApp(policies);
  // What every app of each env creates of namespaces, with their Pod Security labels.
  const clusterNamespaces = [...spaces, ...[...reused.values()].flatMap((e) => e.namespaces)];
  // And every LimitRange of each env.
  const clusterLimitRanges = [...ranges, ...[...reused.values()].flatMap((e) => e.limitRanges)];
  // And every PriorityClass and RuntimeClass.
  const clusterClasses = [...podClasses, ...[...reused.values()].flatMap((e) => e.clusterClasses)];
  // And every NetworkPolicy of each env.
  const clusterNetworkPolicies = [...policies, ...[...reused.values()].flatMap((e) => e.networkPolicies)];
  for (const name of changed) {
    const mine = ofApp(name);
    const needsCluster = needsClusterOf(name);
    const found = {
      podSecurityBasis: podSecurityBasis(spacesOf(name), clusterNamespaces),
      problems: problemsOf(name),
      resources: [...mine].reduce((n, f) => n + (checked.counts[f] ?? 0), 0),
      // In file order, whatever order the builds finished in: the entry's seal must not change from
      // one run of the same tree to the next.
      nodePorts: inFileOrder(claimsOf(name)),
      allocations: inFileOrder(allocationsOf(name)),
      classes: classesOf(name),
      namespaces: spacesOf(name),
      limitRanges: rangesOf(name),
      limitRangeBasis: limitRangeBasis(spacesOf(name), clusterLimitRanges),
      clusterClasses: podClassesOf(name),
      classBasis: classBasis(
        spacesOf(name).map((c) => c.file),
        clusterClasses,
      ),
      networkPolicies: policiesOf(name),
      networkPolicyBasis: networkPolicyBasis(spacesOf(name), clusterNetworkPolicies),
      ingresses: inFileOrder(routesOf(name)),
      ...(needsCluster.length > 0 ? { needsCluster } : {}),
    };
    const findings = Object.fromEntries(ENVIRONMENTS.map((e) => [e, compared.get(Layout.overlay(e, name))]));
    const complete = ENVIRONMENTS.every((e) => findings[e]) ? (findings as Record<Environment, OverlayFindings>) : undefined;
    const entry = entryFor(tool, stamped.get(name), planOf.get(name), found, complete, sync.get(name), judging);
    if (entry) next[name] = entry;
  }
  // A reused app whose pods live in a namespace that another app of the env creates was judged against
  // that Namespace's Pod Security labels as they were, and against the LimitRanges other apps of the
  // env keep there: where those changed (or are gone), its pods are judged again, from its built
  // files on disk, which are as it built them.
  for (const [name, entry] of reused) {
    const basis = podSecurityBasis(entry.namespaces, clusterNamespaces);
    const rangeBasis = limitRangeBasis(entry.namespaces, clusterLimitRanges);
    const classesBasis = classBasis(
      entry.namespaces.map((c) => c.file),
      clusterClasses,
    );
    const policyBasis = networkPolicyBasis(entry.namespaces, clusterNetworkPolicies);
    const again = [
      ...(basis === entry.podSecurityBasis ? [] : [POD_SECURITY_ADMISSION]),
      ...(rangeBasis === entry.limitRangeBasis ? [] : [WITHIN_LIMIT_RANGES]),
      ...(classesBasis === entry.classBasis ? [] : [POD_FIELDS_FROM_CLASSES]),
      ...(policyBasis === entry.networkPolicyBasis ? [] : NETWORK_POLICY_RULES),
    ];
    if (again.length === 0) continue;
    const files = entry.namespaces.map((c) => c.file);
    const read: ParsedInputs = { docs: [], problems: [], files: new Map() };
    for (const file of files) read.files.set(file, readText(readFileSync(join(root, file)), file, file, join(root, file), { trusted: true }).file);
    await decodeParsed(read, root);
    const judged = await policyProblems(root, read.docs, undefined, {
      only: again,
      clusterNamespaces,
      clusterLimitRanges,
      clusterClasses,
      clusterNetworkPolicies,
      onWarning: options.onWarning,
    });
    const kept = [...entry.problems.filter((p) => !(again.includes(p.rule ?? '') && files.includes(p.file))), ...judged];
    const { seal: _, ...rest } = {
      ...entry,
      problems: kept,
      podSecurityBasis: basis,
      limitRangeBasis: rangeBasis,
      classBasis: classesBasis,
      networkPolicyBasis: policyBasis,
    };
    const updated = { ...rest, seal: sealOf(tool, rest) };
    reused.set(name, updated);
    next[name] = updated;
  }
  writeCache(root, { tool, apps: next, ...(shared ? { shared } : {}) });

  // A node port is the first Service's in apply order, across the apps of its env, reused or not:
  // judged anew in every run, never remembered as one app's verdict.
  const taken = judging === undefined ? nodePortProblems([...claims, ...[...reused.values()].flatMap((e) => e.nodePorts)]) : [];
  // So is a cluster IP, and the default PriorityClass.
  const allocated = judging === undefined ? allocationProblems([...allocations, ...[...reused.values()].flatMap((e) => e.allocations)]) : [];
  // So is whether something in the env creates each namespace an app's objects live in.
  const missing = namespaceProblems([...spaces, ...[...reused.values()].flatMap((e) => e.namespaces)], kubernetesSettings(root).namespaces);
  // And whether an earlier app of the env routes an Ingress's host and path.
  // And whether the env has each class its pods name.
  const unclassed =
    judging === undefined ? classProblems([...classes, ...[...reused.values()].flatMap((e) => e.classes)], declaredClassesOf(root)) : [];
  const routed = ingressRouteProblems([...routes, ...[...reused.values()].flatMap((e) => e.ingresses)]);
  const problems = [
    ...checked.problems.filter((p) => !inGitops(p.file)),
    ...(gitopsFound?.problems ?? []),
    ...[...reused.values()].flatMap((e) => e.problems),
    ...taken,
    ...allocated,
    ...routed,
    ...missing,
    ...unclassed,
  ];
  problems.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  // The apps' objects; gitops/'s are counted apart.
  const gitopsJudged = gitopsParsed ? (gitopsFound?.resources ?? 0) : 0;
  const resources = checked.resources - gitopsJudged + [...reused.values()].reduce((n, e) => n + e.resources, 0);
  for (const [name, entry] of reused) for (const e of ENVIRONMENTS) compared.set(Layout.overlay(e, name), entry.findings[e]);
  const roundTrip: PipelineResult['roundTrip'] = [];
  const unmatchedPatches: string[] = [];
  const envRootCollisions: string[] = [];
  for (const e of ENVIRONMENTS) {
    const apps = names.map((app) => ({ app, findings: compared.get(Layout.overlay(e, app)) }));
    for (const { app, findings } of apps) {
      roundTrip.push(...(findings?.roundTrip ?? []).map((m) => ({ ...m, overlay: Layout.overlay(e, app) })));
      unmatchedPatches.push(...(findings?.unmatched ?? []));
    }
    // An app that did not build is reported as such; its env root is left to check.
    if (apps.every((a) => a.findings)) envRootCollisions.push(...proveEnvRoot(e, apps as { app: string; findings: OverlayFindings }[]).collisions);
  }
  const failed = new Set(built.results.filter((r) => !r.ok).map((r) => r.output));
  const distFiles = ENVIRONMENTS.flatMap((env) => names.map((app) => ({ env, app, file: Layout.distOf(env, app) }))).filter(
    (f) => !failed.has(f.file),
  );
  const documents = new Map([...parsed.files].filter(([file]) => !inGitops(file)).map(([file, read]) => [file, read.docs]));
  // Said even when every app was reused: their findings were made without the same checks.
  const runNotes = checkedNotes ?? (judging !== undefined || resolveHelper() ? [] : [NOT_BUILT_NOTE]);
  // The kinds left to a cluster are named as a run that judged every app would name them.
  const needsCluster = serverChecks ? [...leftToCluster, ...[...reused.values()].flatMap((e) => e.needsCluster ?? [])] : [];
  // This run's note on them is said again below with the reused apps' kinds.
  const leftNote = checkedLeft.length > 0 ? notCheckedNote(checkedLeft) : undefined;
  const notes = [...runNotes.filter((n) => n !== leftNote), ...(needsCluster.length > 0 ? [notCheckedNote(needsCluster)] : [])];
  return {
    apps: names.length,
    reused: reused.size,
    generated,
    pruned,
    built,
    problems,
    resources,
    roundTrip,
    unmatchedPatches,
    envRootCollisions,
    strayFolders: strays,
    strayRegistrations: registrations,
    handWritten,
    distFiles,
    documents,
    phases: { generate: tGenerate, build: tBuild, validate: tValidate },
    ...(gitopsFound ? { gitops: { folders: gitopsFound.folders, resources: gitopsFound.resources, reused: gitopsReused !== undefined } } : {}),
    notes,
    // Said even when every app was reused, as the note is.
    ...(notes.includes(NOT_BUILT_NOTE) ? { skipped: [SERVER_CHECKS] } : {}),
  };
}

/** The stamps of the files an app read and wrote in this run, when it can be remembered at all. */
interface StampedApp {
  readonly inputs: Record<string, Stamp>;
  readonly outputs: Record<string, Stamp>;
}

/** Each compiled source by root and real path: relative to the root, or null where the tool's fingerprint counts it. */
const ownInputs = new Map<string, string | null>();

/**
 * A compiled source as an input of its own app (see stampApp): most are shared by many apps (the
 * files of the workspace packages they import), so each is worked out once.
 */
function ownInput(root: string, source: string): string | null {
  const key = `${root}\0${source}`;
  let input = ownInputs.get(key);
  if (input === undefined) {
    const f = relative(root, source);
    input = inFingerprint(f) || isPrebuiltCopy(f) ? null : f;
    if (ownInputs.size >= 100_000) ownInputs.clear(); // a long-lived process runs in many workspaces
    ownInputs.set(key, input);
  }
  return input;
}

/**
 * The stamps of what an app this run rendered and built read (as each file was before this run read
 * it) and wrote; undefined when it cannot be reused: an overlay failed, its sources are unknown, a
 * file it read changed since, or its folders hold a file the plan does not.
 */
function stampApp(
  root: string,
  name: string,
  plan: AppPlan | undefined,
  app: App | undefined,
  results: readonly Built[],
  own: readonly string[],
  onlyPlanned: boolean,
  before: ReadonlyMap<string, Stamp>,
  stamps: (file: string) => Stamp | undefined,
  stampPlanned: (path: string, content: string) => Stamp | undefined,
  writtenAs: ReadonlyMap<string, WrittenAs>,
): StampedApp | undefined {
  const sources = appSources(root, name);
  if (!plan || !sources?.length || results.length !== ENVIRONMENTS.length || results.some((r) => !r.ok)) return undefined;
  // Its compiled sources, the workspace packages it imports, and every file of its own folder
  // (package.json, tsconfig.json, a file that would change how an import resolves), each as it was
  // before this run read it; a file that changed since is not remembered at all. One outside its
  // folder (pins kept elsewhere, say) was not stamped before: the loader knows what it read of it.
  const inputs: Record<string, Stamp> = {};
  // The files of Strata's own packages that the tool's fingerprint hashes count for every app at
  // once there; so does the strata command's prebuilt copy of them (packages/cli/dist/<key>/), which
  // is compiled from those very files and named by their hash, so that a run from the prebuilt
  // command and one from the sources seal an app alike. Any other file it was compiled from is its
  // own input.
  const linked = sources.map((s) => ownInput(root, s)).filter((f) => f !== null);
  for (const f of new Set([...linked, ...own])) {
    const now = stamps(f);
    const then = before.get(f) ?? (app && sourceAsLoaded(app, join(root, f)) ? now : undefined);
    if (!now || !then || now.hash !== then.hash) return undefined;
    inputs[f] = then;
  }
  // What its code read through node:fs as it loaded and rendered (a data file shared by several apps,
  // say), as it was when first read; what it found at a path that holds no file (a folder it listed, a
  // file it looked for) cannot be stamped, and an app that looked keeps no entry: it renders every run.
  for (const [path, hash] of app ? readsOf(app) : []) {
    const f = relative(root, path);
    if (f in inputs || inFingerprint(f) || isPrebuiltCopy(f)) continue;
    if (hash === '-') return undefined;
    const now = stamps(f);
    if (!now || now.hash !== hash) return undefined;
    inputs[f] = now;
  }
  // Hashes of what this run meant to write, with the files' sizes and times as its write left them
  // (a generated file's as applyTree wrote or read it, which it always does).
  const outputs: Record<string, Stamp> = {};
  for (const [path, content] of plan.files) {
    const stamp = stampPlanned(path, content);
    if (!stamp) return undefined;
    outputs[path] = stamp;
  }
  for (const r of results) {
    const stamp = stampOf(join(root, r.output), r.yaml, writtenAs.get(r.output));
    if (!stamp) return undefined;
    outputs[r.output] = stamp;
  }
  // Files already in its folders that the plan does not hold (foreign ones) keep it from being reused.
  if (!onlyPlanned && !filesUnder(root, plan.dirs).every((f) => f in outputs)) return undefined;
  return { inputs, outputs };
}

/** The cache entry of an app this run rendered, built and validated; undefined if it cannot be reused. */
function entryFor(
  tool: string,
  stamped: StampedApp | undefined,
  plan: AppPlan | undefined,
  found: {
    problems: Problem[];
    resources: number;
    nodePorts: readonly NodePortClaim[];
    allocations: readonly AllocationClaim[];
    classes: readonly ClassClaims[];
    namespaces: readonly NamespaceClaims[];
    podSecurityBasis: string;
    limitRanges: readonly ClusterLimitRange[];
    limitRangeBasis: string;
    clusterClasses: readonly ClusterClass[];
    classBasis: string;
    networkPolicies: readonly ClusterNetworkPolicy[];
    networkPolicyBasis: string;
    ingresses: readonly IngressClaim[];
    needsCluster?: readonly string[];
  },
  findings: Record<Environment, OverlayFindings> | undefined,
  sync: Record<Environment, AppSyncPlan> | undefined,
  judging: AppEntry['serverChecks'],
): AppEntry | undefined {
  if (!stamped || !plan || !sync || !findings) return undefined;
  const { inputs, outputs } = stamped;
  // As it will be read back, so that the seal is over the same bytes.
  const entry = JSON.parse(
    JSON.stringify({ inputs, outputs, dirs: plan.dirs, sync, ...found, findings, ...(judging ? { serverChecks: judging } : {}) }),
  ) as Omit<AppEntry, 'seal'>;
  return { ...entry, seal: sealOf(tool, entry) };
}

type Built = BuildOutcome['results'][number];

/** The claims sorted by file, each file's in the order read (the sort is stable). */
const inFileOrder = <T extends { readonly file: string }>(claims: readonly T[]): T[] =>
  [...claims].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

/** The items by key, in their order: one pass instead of a filter per key. */
function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Sends every env's overlay of a planned app to the builder with the files they read (their own and
 * the base's) in one request: the base is sent and held once for all of them.
 */
function buildInMemory(session: BuilderSession, plan: AppPlan, onBuild?: (r: BuildResult) => void, early?: EarlyBuilds): Promise<Built>[] {
  const overlays = ENVIRONMENTS.map((env) => Layout.overlay(env, plan.app));
  const folders = buildFolders(plan.app);
  const files = new Map([...plan.files].filter(([path]) => folders.some((f) => path.startsWith(`${f}/`))));
  return (early?.take(plan.app, files) ?? session.buildAll(overlays, files)).map((built, i) =>
    built.then((r) => {
      onBuild?.(r);
      const env = ENVIRONMENTS[i]!;
      return { ...r, env, app: plan.app, output: Layout.distOf(env, plan.app) };
    }),
  );
}
