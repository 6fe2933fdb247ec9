import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  describe,
  ENVIRONMENTS,
  isDns1035Label,
  isDnsSubdomain,
  nameProblem,
  isPlainObject,
  ObjectError,
  ownField,
  toManifest,
  type Environment,
  type KubeObject,
  type Manifest,
} from '@strata/core';
import {
  appDirs,
  appPackageFiles,
  ignoredAppFile,
  windowsDeviceName,
  isSystemNamespace,
  Layout,
  loadApps,
  makeScratchDir,
  namespaceUser,
  platformNamespaces,
  refuseStrayRegistrations,
  SYSTEM_NAMESPACE_REASON,
  ToolError,
  UsageError,
} from '@strata/project';
import {
  FileNameError,
  generatedApps,
  lockTree,
  normalize,
  openTransaction,
  planApp,
  planEnvironments,
  planOptionsOf,
  recoverLocked,
  refuseFoldersInTheWay,
  refuseIgnored,
  schemaMergeKeys,
  sortKeys,
} from '@strata/emit';
import { loadSettings, planGitops } from '@strata/gitops';
import { redrawTopology } from '@strata/graph';
import { buildOverlays, parseBuild, resolveBuilder, resolveKustomize } from '@strata/kustomize';
import { builtinSchemasDir, crdSchemasDir, shippedCrdVersions } from '@strata/schemas';
import { kubernetesVersionOf, namespacedIn } from '@strata/validate';
import { parse } from 'yaml';
import { generateApp, modelModule, MODULES } from './codegen.ts';
import { DuplicateObjectError, ImportError } from './errors.ts';
import { dropClusterState, leaveOutClusterMade, refuseControllerMade, type Dropped } from './exported.ts';
import { buildModel, DEFAULT_SECRET_STORE, type Model, type SecretStore } from './model.ts';
import { refuseInvalidImages } from './images.ts';
import { importedFindings } from './policy.ts';
import { refusePipelineRefusals } from './server-checks.ts';
import { kustomizationIn, layoutSources, parseEnvOptions, pathNamer, readSources, type SourceSet } from './sources.ts';

export { ImportError } from './errors.ts';
export { modelModule } from './codegen.ts';

export interface ImportOptions {
  /** The app's name: its folder under apps/, its package @strata-apps/<name>. */
  readonly name: string;
  /** `ENV=PATH` per env. */
  readonly envs?: readonly string[];
  /** A folder with base/ and overlays/<env>/, instead of `envs`. */
  readonly path?: string;
  /**
   * The store the ExternalSecrets that replace Secrets read from: `NAME` or `NAME:Kind` (Kind is
   * ClusterSecretStore or SecretStore). @default secret-store:ClusterSecretStore
   */
  readonly secretStore?: string;
  /** Run `pnpm install` and a full `strata generate` after writing. @default true */
  readonly install?: boolean;
  /**
   * Import objects in `default` or a kube- namespace, which Kubernetes keeps for itself; refused
   * otherwise, naming each one's file and line. @default false
   */
  readonly allowSystemNamespace?: boolean;
  /**
   * The namespace of the namespaced objects that name none, as `kubectl apply -n NAMESPACE` puts
   * them (the usual shape of `helm template` output and of vendors' manifests); without it such an
   * object is refused, naming its file and line. Objects that name a namespace keep theirs.
   */
  readonly namespace?: string;
  /**
   * The folder that relative source paths are named from, and named from in messages: the shell's
   * working folder when a person types them. @default root
   */
  readonly cwd?: string;
}

export interface ImportResult {
  /** Files written, relative to the root. */
  readonly files: string[];
  /** One line each: where each Secret's values went, features kept only as their result, apps that loaded only one by one. */
  readonly warnings: string[];
  /** Objects proven per env. */
  readonly objects: Record<Environment, number>;
  /** One line per policy rule the original fails: what was excepted and what clears it. */
  readonly policy: string[];
  /** Whether install and generate ran. */
  readonly installed: boolean;
  /** The committed topology pictures (docs/) redrawn with the app. */
  readonly redrawn: string[];
  /** What the sources' objects held of a client's or the cluster's state, left out of the app. */
  readonly dropped: Dropped;
  /** The objects left out because the new cluster's controllers make them (`Kind namespace/name (maker)`). */
  readonly clusterMade: string[];
}

/** What the import's summary line says of what it left out: '' when nothing. */
export function leftOutSummary(r: Pick<ImportResult, 'dropped' | 'clusterMade'>): string {
  const { fields, objects } = r.dropped;
  const state =
    fields.length === 0 ? '' : `; left out what the cluster or kubectl kept on ${objects} object${objects === 1 ? '' : 's'}: ${fields.join(', ')}`;
  const made = r.clusterMade.length === 0 ? '' : `; left out what the cluster's controllers make themselves: ${r.clusterMade.join(', ')}`;
  return `${state}${made}`;
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * `strata import`: reads each env's Kustomize folder or YAML, writes apps/<name> as a typed app,
 * and proves it before writing anything: the generated app's overlays, built with the real
 * kustomize, equal each env's source (hash suffixes aside, Secrets as their ExternalSecrets). A
 * difference, an unsupported feature or an existing app is an error and nothing is written.
 * The app, its registration, its tree, the env roots, gitops/ and the committed topology pictures
 * (docs/) drawn with it are one transaction under the tree's lock, with the install and the full
 * generate when they run: a failure or a killed run leaves everything as it was.
 */
export async function importApp(root: string, options: ImportOptions): Promise<ImportResult> {
  // Everything the import writes is made from the tree as the lock holds it: the other apps (their
  // namespaces, builds and gitops entries), the env roots and the root package.json. Read before
  // the lock, a writer that committed meanwhile (a new-app, another import) would lose its part of
  // those files to what this one planned from the files as they were.
  const lock = lockTree(root, { label: 'strata import' });
  try {
    recoverLocked(root);
    return await importLocked(root, options);
  } finally {
    lock.release();
  }
}

async function importLocked(root: string, options: ImportOptions): Promise<ImportResult> {
  const { name } = options;
  if (!isDns1035Label(name) || name.length > 50) {
    throw new UsageError(`--name ${name}: must be a lower-case DNS label starting with a letter (a-z, 0-9, "-"; at most 50 characters)`);
  }
  const device = windowsDeviceName(name);
  if (device) throw new UsageError(`--name ${name}: ${device}; pick another --name`);
  if (existsSync(join(root, 'apps', name))) throw new UsageError(`apps/${name} already exists; pick another --name or remove it first`);
  if (options.install !== false) refuseStrayRegistrations(root, 'import');
  refuseFoldersInTheWay(root, name, 'import');
  const ignored = ignoredAppFile(root, name);
  if (ignored) throw new UsageError(`--name ${name}: ${ignored}; pick another --name`);
  if (options.path !== undefined && options.envs && options.envs.length > 0)
    throw new UsageError('give either PATH or --env ENV=PATH for each env, not both');
  if (options.path === undefined && (!options.envs || options.envs.length === 0))
    throw new UsageError('nothing to import: give PATH (with base/ and overlays/<env>/) or --env dev=PATH --env staging=PATH --env prod=PATH');
  const badNamespace = options.namespace === undefined ? undefined : nameProblem(options.namespace, 'dns-label');
  if (badNamespace) throw new UsageError(`--namespace: ${badNamespace}`);
  const from = options.cwd ?? root;
  const paths = options.path !== undefined ? layoutSources(from, options.path, name) : parseEnvOptions(from, options.envs!);
  // Named in messages as typed: an absolute path stays absolute.
  const named = pathNamer(from, options.path !== undefined ? [options.path] : options.envs!.map((spec) => spec.slice(spec.indexOf('=') + 1)));

  const store = parseSecretStore(options.secretStore);
  const sources = await readSources(root, paths, named);
  await refuseControllerMade(sources);
  const clusterMade = leaveOutClusterMade(sources);
  for (const env of ENVIRONMENTS) {
    if (sources.objects[env].length === 0)
      throw new ImportError([
        `${named(paths[env])}: holds only what the cluster's controllers make themselves (${clusterMade.objects.join(', ')}), nothing to import for ${env}`,
      ]);
  }
  const dropped = withClusterScopedNamespaces(root, sources, dropClusterState(sources.objects));
  if (options.namespace !== undefined) placeUnplaced(root, sources, options.namespace);
  await refuseInvalidImages(sources);
  const model = await modelOf(root, name, sources, store);
  if (options.allowSystemNamespace !== true) await refuseSystemNamespaces(model, sources);
  await checkSources(model, paths, named);
  await refuseMissingNamespaces(root, model, sources, named);
  // Said with the other warnings at the end: the library prints nothing.
  const loading: string[] = [];
  const onWarning = (w: string) => loading.push(w);
  await refuseOthersNamespaces(root, name, model, sources, onWarning);
  // Recorded in the app where the flag let an object in: no-platform-namespace refuses it there for every other app.
  const system = { allowSystemNamespace: options.allowSystemNamespace === true && inSystemNamespace(model) };
  const app = generateApp(name, model, [], system);
  const appFiles = new Map<string, string>([...app.files].map(([rel, content]) => [`apps/${name}/${rel}`, content]));
  for (const [rel, content] of appPackageFiles(name, app.packages)) appFiles.set(`apps/${name}/${rel}`, content);
  appFiles.set(`apps/${name}/README.md`, readme(name, paths, root, model));

  const { files: tree, built, desired } = await prove(root, name, appFiles, model, onWarning);
  const others = appDirs(root).filter((a) => a !== name);
  // The other apps as their committed overlays build: the env roots aggregate those.
  const builds = await buildOthers(root, others);
  // What the pipeline would refuse of that build (the API server's checks, kubeconform, a list key
  // given twice, a namespace nothing of the env creates beside the other apps) is refused now.
  // An object of a kind with no schema is kept, with the warning below that validation fails on it.
  await refusePipelineRefusals(
    root,
    name,
    built,
    model.expected,
    sources,
    onWarning,
    (env, m) => !schemaMissing(root, env, m),
    builds.failed === undefined ? builds.yaml : undefined,
  );
  await refuseSharedObjects(root, name, desired, builds.built);
  // The original's policy findings become the app's exceptions: the app deploys as it did, and the
  // pipeline stays green while each one says what is left to harden.
  const policy = importedFindings(root, name, built, model.generatedConfigMaps);
  if (policy.exceptions.length > 0)
    appFiles.set(`apps/${name}/src/app.ts`, generateApp(name, model, policy.exceptions, system).files.get('src/app.ts')!);

  const warnings = [
    ...model.secrets.map(
      (s) =>
        `${s.env}: Secret ${s.namespace ? `${s.namespace}/` : ''}${s.name}: values not imported; an ExternalSecret now reads ${s.keys.join(', ')} from ${store.kind} ${store.name} at key ${s.remoteKey}: store them there (or import with --secret-store NAME[:Kind])`,
    ),
    ...model.tokens.map(
      (t) =>
        `${t.env}: Secret ${t.namespace ? `${t.namespace}/` : ''}${t.name}: a service-account token: imported without ${t.keys.join(', ')}, the old cluster's, which the token controller of the cluster writes for the ServiceAccount ${t.account || '(none named)'}`,
    ),
    ...sources.warnings,
    ...clusterMade.warnings,
    ...unvalidated(root, model),
  ];

  // One transaction: the app, its registration, its generated tree and the topology pictures drawn
  // with it, then the install and the full generate, or nothing (a failed install included).
  const writes = new Map<string, string>(appFiles);
  for (const [path, content] of tree) writes.set(path, content);
  // The env roots list the app and the others generated (one added with --no-install has no overlays yet).
  for (const [path, content] of planEnvironments(generatedApps(root, [...others, name], (p) => tree.has(p)))) writes.set(path, content);
  if (builds.failed === undefined) {
    const gitops = gitopsWith(root, others, name, desired, builds.built);
    for (const [path, content] of gitops) writes.set(path, content);
  } else loading.push(`gitops/ is left without apps/${name}: ${builds.failed}; run \`npx strata generate\` once it builds`);
  writes.set('package.json', register(root, name));
  // A file git would leave out of every commit (an object's, named after it) builds here and in no clone.
  refuseIgnored(root, writes.keys(), { contentOf: (path) => writes.get(path) });
  let installed = false;
  let redrawn: string[] = [];
  const lock = lockTree(root, { label: 'strata import' });
  try {
    // The other apps are rendered before anything is written, where a signal still ends a render
    // that never returns; the generate in the transaction renders the imported app alone (see renderEveryApp).
    const { generate, installInTransaction, renderEveryApp } = await import('@strata/pipeline');
    const renders = options.install === false ? undefined : await renderEveryApp(root, { onWarning });
    const created = openTransaction(root);
    try {
      created.apply([...writes].filter(([path, content]) => !existsSync(join(root, path)) || readFileSync(join(root, path), 'utf8') !== content));
      // The committed topology pictures, from the overlays just written (the proof showed they are
      // what generate makes of the app): all of them or none.
      const pictures = await redrawTopology(root);
      created.apply([...pictures]);
      redrawn = [...pictures.keys()].sort();
      if (options.install !== false) {
        const failed = await installInTransaction(root, created, name);
        if (failed !== undefined) {
          throw new ToolError(
            `pnpm install failed, so apps/${name} is not imported and nothing changed: ${failed}; once \`npx pnpm install\` passes, run the same \`npx strata import\` again (or add --no-install to import without installing)`,
          );
        }
        await generate(root, {}, { onWarning, transaction: created, ...(renders ? { renders } : {}) });
        installed = true;
      }
      created.commit();
    } catch (err) {
      created.abort();
      throw err;
    }
  } finally {
    lock.release();
  }
  const objects = Object.fromEntries(ENVIRONMENTS.map((e) => [e, model.expected[e].length])) as Record<Environment, number>;
  return {
    files: [...appFiles.keys()].sort(),
    warnings: [...warnings, ...loading],
    policy: policy.notes,
    objects,
    installed,
    redrawn,
    dropped,
    clusterMade: clusterMade.objects,
  };
}

/**
 * The other apps' committed overlays, built, by `<env>/<app>`, as `strata gitops` builds them (an app
 * not installed yet counts too), parsed and as kustomize wrote them (`yaml`). When one does not build, the build's message comes back as `failed`
 * (the others are still there): gitops/ is then left as it is, for generate.
 */
async function buildOthers(
  root: string,
  others: readonly string[],
): Promise<{ built: Map<string, Manifest[]>; yaml: Map<string, string>; failed?: string }> {
  const targets = others.flatMap((app) => ENVIRONMENTS.map((env) => ({ env, app })));
  const results =
    targets.length === 0
      ? []
      : await buildOverlays(
          root,
          targets.map((t) => Layout.overlay(t.env, t.app)),
        );
  const tool = results.find((r) => r.toolFailed);
  if (tool) throw new ToolError(`${tool.overlay}: kustomize build failed: ${tool.error ?? 'failed'}`);
  const built = new Map<string, Manifest[]>();
  const yaml = new Map<string, string>();
  let failed: string | undefined;
  results.forEach((r, i) => {
    const key = `${targets[i]!.env}/${targets[i]!.app}`;
    if (r.ok) {
      built.set(key, parseBuild(r.yaml, r.overlay));
      yaml.set(key, r.yaml);
    } else failed ??= `${r.overlay} does not build (${(r.error ?? 'kustomize build failed').split('\n')[0]})`;
  });
  return failed === undefined ? { built, yaml } : { built, yaml, failed };
}

/**
 * Refuses objects of the imported app that another app of an env holds too: kustomize would refuse
 * to build every env root that lists both apps. Another app counts as its committed overlay builds
 * (one that does not build is left out); one line, all the envs of each shared object in it.
 */
async function refuseSharedObjects(root: string, name: string, desired: Record<Environment, Manifest[]>, others: ReadonlyMap<string, Manifest[]>) {
  const { builtIds, renderedIds } = await import('@strata/pipeline');
  const shared = new Map<string, { app: string; envs: Environment[] }>();
  for (const env of ENVIRONMENTS) {
    const mine = new Set(renderedIds(desired[env]));
    for (const [key, objects] of others) {
      const [e, app] = key.split('/') as [Environment, string];
      if (e !== env) continue;
      for (const id of builtIds(objects, generatorNames(root, env, app))) {
        if (!mine.has(id)) continue;
        const seen = shared.get(id) ?? { app, envs: [] };
        if (!seen.envs.includes(env)) seen.envs.push(env);
        shared.set(id, seen);
      }
    }
  }
  if (shared.size === 0) return;
  const [id, { app, envs }] = [...shared][0]!;
  const more = shared.size > 1 ? ` (and ${shared.size - 1} more shared object${shared.size > 2 ? 's' : ''})` : '';
  throw new ImportError([
    `${envs.map((e) => Layout.envKustomization(e)).join(', ')}: ${id} is in both ${app} and the imported ${name}${more}; kustomize cannot build the env with both: leave it out of the import, or rename or remove it in ${app}; nothing was written`,
  ]);
}

/** The names of the ConfigMaps and Secrets the committed kustomizations of an app's overlay generate (its base and components included). */
function generatorNames(root: string, env: Environment, app: string): Set<string> {
  const names = new Set<string>();
  for (const dir of [Layout.overlay(env, app), Layout.baseOf(app)]) {
    if (!existsSync(join(root, dir))) continue;
    for (const file of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!/(^|\/)kustomization\.ya?ml$/.test(file)) continue;
      const k = parse(readFileSync(join(root, dir, file), 'utf8')) as Record<string, unknown> | null;
      for (const key of ['configMapGenerator', 'secretGenerator']) {
        const list = k?.[key];
        if (Array.isArray(list)) for (const g of list) if (typeof g?.name === 'string') names.add(g.name);
      }
    }
  }
  return names;
}

/**
 * gitops/ with the imported app: each other app planned from the build of its committed overlays,
 * as `strata gitops` plans it, and the imported one from its render, as generate plans it.
 */
function gitopsWith(
  root: string,
  others: readonly string[],
  name: string,
  desired: Record<Environment, Manifest[]>,
  built: ReadonlyMap<string, Manifest[]>,
): Map<string, string> {
  const all = new Map<string, Manifest[]>(built);
  for (const e of ENVIRONMENTS) all.set(`${e}/${name}`, desired[e]);
  return planGitops(root, loadSettings(root), [...others, name], { built: (env, app) => all.get(`${env}/${app}`)! });
}

/** The app's model of the sources; two objects of an env that it would hold as one are refused naming where both are. */
async function modelOf(root: string, name: string, sources: SourceSet, store: SecretStore): Promise<Model> {
  try {
    return buildModel(
      name,
      sources.objects,
      sources.generated,
      store,
      namespacedIn(
        root,
        ENVIRONMENTS.flatMap((e) => sources.objects[e]),
      ),
    );
  } catch (e) {
    if (!(e instanceof DuplicateObjectError)) throw e;
    const [first, second] = [await sources.where(e.env, e.first), await sources.where(e.env, e.second)];
    throw new ImportError([
      `${first}: ${e.object}: given again at ${second} (${e.env}); an app holds each object once: remove one of them or give it another name, then import; nothing was written`,
    ]);
  }
}

/**
 * Leaves out the `metadata.namespace` of a cluster-scoped object (a ClusterRole rendered with the
 * release's namespace, as Helm charts do): kube-apiserver drops it without a word, `kubectl get -o
 * yaml` never shows one, and validate refuses it (no-namespace-on-cluster-scoped, which no exception
 * waives), so the first pipeline would fail in every env. Named on the summary line with the rest.
 */
function withClusterScopedNamespaces(root: string, sources: SourceSet, dropped: Dropped): Dropped {
  // One object, however many envs hold it, as the other fields are counted (an exported object has none).
  const touched = new Set<string>();
  for (const env of ENVIRONMENTS) {
    const namespaced = namespacedIn(root, sources.objects[env]);
    for (const m of sources.objects[env]) {
      if (m.metadata.namespace === undefined || namespaced(m)) continue;
      delete (m.metadata as { namespace?: string }).namespace;
      touched.add(describe(m));
    }
  }
  const objects = touched.size;
  if (objects === 0) return dropped;
  const field = 'metadata.namespace (of cluster-scoped objects)';
  return { fields: [...dropped.fields, field].sort(), objects: dropped.objects + objects };
}

/** The namespace an object of the imported app is in: a Namespace's own name, else its metadata.namespace. */
const namespaceOf = (m: Manifest) => (m.kind === 'Namespace' && m.apiVersion === 'v1' ? m.metadata.name : m.metadata.namespace);

/**
 * Where an object of an env is in the sources (`file:line`), and, when its namespace is set elsewhere
 * (by a kustomization's namespace, say), ` (set at file:line)`; else ''.
 */
async function placeOf(sources: SourceSet, env: Environment, index: number, m: Manifest): Promise<{ at: string; by: string }> {
  const at = await sources.where(env, index);
  if (m.kind === 'Namespace' && m.apiVersion === 'v1') return { at, by: '' };
  const set = await sources.where(env, index, ['metadata', 'namespace']);
  return { at, by: set.replace(/:\d+$/, '') === at.replace(/:\d+$/, '') ? '' : ` (set at ${set})` };
}

/**
 * Puts every namespaced object of the sources that names no namespace into `namespace`, as `kubectl
 * apply -n` would, before the app is modelled: the app then says where they live, for `kubectl apply
 * -k` and Argo CD alike, and the round trip proves it against the sources read that way.
 */
function placeUnplaced(root: string, sources: SourceSet, namespace: string): void {
  for (const env of ENVIRONMENTS) {
    const namespaced = namespacedIn(root, sources.objects[env]);
    for (const m of sources.objects[env]) if (!m.metadata.namespace && namespaced(m)) m.metadata.namespace = namespace;
  }
}

/**
 * Refuses a namespaced object that names no namespace, in plain YAML or a Kustomize folder without
 * `namespace:`: `kubectl apply` puts it in the current context's namespace, which the sources do not
 * say, and the imported app's Argo CD Application would put it in its own destination, so the app
 * cannot deploy it where the sources did. One line each, at the object's file and line; an object
 * several envs share is named once, with the kustomizations that could give it one.
 */
async function refuseMissingNamespaces(root: string, model: Model, sources: SourceSet, named: (path: string) => string): Promise<void> {
  const found = new Map<string, Set<string>>();
  for (const env of ENVIRONMENTS) {
    const namespaced = namespacedIn(root, model.expected[env]);
    const source = sources.sources[env];
    const kustomization = source.kind === 'kustomize' ? kustomizationIn(source.path) : undefined;
    for (const [i, m] of model.expected[env].entries()) {
      if (m.metadata.namespace || !namespaced(m)) continue;
      const line = `${await sources.where(env, i)}: ${describe(m)}`;
      const kustomizations = found.get(line) ?? found.set(line, new Set()).get(line)!;
      if (kustomization) kustomizations.add(named(kustomization));
    }
  }
  if (found.size === 0) return;
  throw new ImportError(
    [...found].map(([line, kustomizations]) => {
      const or = kustomizations.size === 0 ? '' : ` or a namespace: to ${[...kustomizations].join(', ')}`;
      return (
        `${line} has no namespace: kubectl apply puts it in the current context's namespace (default unless the kubeconfig names another), which the sources do not say, ` +
        `and the imported app's Argo CD Application would put it in its destination; add metadata.namespace to it${or}, or import with --namespace NAMESPACE (as kubectl apply -n puts it); nothing was written`
      );
    }),
  );
}

/** Whether an object of any env is in `default` or a kube- namespace (or is such a Namespace). */
function inSystemNamespace(model: Model): boolean {
  return ENVIRONMENTS.some((env) =>
    model.expected[env].some((m) => {
      const ns = namespaceOf(m);
      return ns !== undefined && isSystemNamespace(ns);
    }),
  );
}

/**
 * Refuses objects in `default` or a kube- namespace (and those Namespaces themselves), which
 * Kubernetes keeps for itself, as new-app refuses such a name: the app's policies and its sync and
 * prune would reach what the cluster runs there. One line each, at the object's file and line; an
 * object several envs share is named once.
 */
async function refuseSystemNamespaces(model: Model, sources: SourceSet): Promise<void> {
  const lines = new Set<string>();
  for (const env of ENVIRONMENTS) {
    for (const [i, m] of model.expected[env].entries()) {
      const ns = namespaceOf(m);
      if (ns === undefined || !isSystemNamespace(ns)) continue;
      const { at, by } = await placeOf(sources, env, i, m);
      lines.add(
        `${at}: ${describe(m)} would be in the namespace "${ns}"${by}, ${SYSTEM_NAMESPACE_REASON}: give its objects a namespace of their own, or import with --allow-system-namespace if the app belongs there; nothing was written`,
      );
    }
  }
  if (lines.size > 0) throw new ImportError([...lines]);
}

/**
 * Refuses objects in a namespace where a platform component runs (Argo CD's, Flux's, ...), and a
 * Namespace among the imported objects that another app deploys into: the imported app
 * would own it under its own sync and prune (Strata drops the never-pruned Namespace it keeps for
 * that app), so removing the imported app later would delete the other app's namespace with it.
 * One line each, at the object's file and line (and the kustomization line that put it there).
 */
async function refuseOthersNamespaces(
  root: string,
  name: string,
  model: Model,
  sources: SourceSet,
  onWarning: (message: string) => void,
): Promise<void> {
  const platform = platformNamespaces(root);
  const lines = new Set<string>();
  const seen = new Set<string>();
  for (const env of ENVIRONMENTS) {
    for (const [i, m] of model.expected[env].entries()) {
      const ns = namespaceOf(m);
      const runs = ns === undefined ? undefined : platform.get(ns);
      if (runs) {
        const { at, by } = await placeOf(sources, env, i, m);
        lines.add(
          `${at}: ${describe(m)} would be in the namespace "${ns}"${by}, where ${runs}; an app does not deploy into a platform component's namespace (its policies and the AppProject would reach the component): give its objects a namespace of their own; nothing was written`,
        );
        continue;
      }
      if (m.kind !== 'Namespace' || m.apiVersion !== 'v1' || seen.has(m.metadata.name)) continue;
      seen.add(m.metadata.name);
      const user = await namespaceUser(root, m.metadata.name, name, { onWarning });
      if (user) {
        lines.add(
          `${await sources.where(env, i)}: Namespace ${m.metadata.name} is the namespace of the app ${user.app} (${user.where}); leave it out of the import (Strata creates each app's namespace) or move ${user.app} to another namespace; nothing was written`,
        );
      }
    }
  }
  if (lines.size > 0) throw new ImportError([...lines]);
}

/** Whether the objects hold the CustomResourceDefinition of `kind` in `group`. */
function shipsCrd(objects: readonly Manifest[], group: string, kind: string): boolean {
  return objects.some((o) => {
    if (o.kind !== 'CustomResourceDefinition') return false;
    const spec = o.spec as { group?: unknown; names?: { kind?: unknown } } | undefined;
    return spec?.group === group && spec.names?.kind === kind;
  });
}

/**
 * Whether kubeconform has no schema for an object's kind and version in an env, looking where it
 * looks: Kubernetes' own schemas of the env's version (when that version has a set), else the shipped
 * CRDs' and the project's (`strata crd add`).
 */
function schemaMissing(root: string, env: Environment, m: Manifest): boolean {
  const version = kubernetesVersionOf(root, { env })('');
  const builtins = builtinSchemasDir(version);
  const { group, apiVersion, builtin } = groupOf(m);
  if (builtin && !existsSync(builtins)) return false;
  const crdFile = `${m.kind.toLowerCase()}_${apiVersion}.json`;
  const files = builtin
    ? [join(builtins, `${m.kind.toLowerCase()}${group ? `-${group.split('.')[0]}` : ''}-${apiVersion}.json`)]
    : [join(crdSchemasDir, group, crdFile), join(root, Layout.crdSchemas, group, crdFile)];
  return !files.some((f) => existsSync(f));
}

/** An object's API group and version; Kubernetes' own groups have no dot or end in .k8s.io. */
function groupOf(m: Manifest): { group: string; apiVersion: string; builtin: boolean } {
  const slash = m.apiVersion.indexOf('/');
  const group = slash > 0 ? m.apiVersion.slice(0, slash) : '';
  return { group, apiVersion: m.apiVersion.slice(slash + 1), builtin: !group.includes('.') || group.endsWith('.k8s.io') };
}

/**
 * Kinds Strata has no schema for: the import keeps them, and says so, because validation (kubeconform
 * is run strictly, never ignoring a missing schema) fails on them until their CRD is added.
 */
function unvalidated(root: string, model: Model): string[] {
  const out = new Map<string, string>();
  for (const env of ENVIRONMENTS) {
    const version = kubernetesVersionOf(root, { env })('');
    for (const m of model.expected[env]) {
      const { group, builtin } = groupOf(m);
      const key = `${m.apiVersion}/${m.kind}${builtin ? ` ${version}` : ''}`;
      if (out.has(key) || !schemaMissing(root, env, m)) continue;
      const shipped = builtin ? [] : shippedCrdVersions(group, m.kind);
      out.set(
        key,
        builtin
          ? `${env}: ${m.kind} ${m.apiVersion}: Kubernetes ${version} does not serve it, so strata pipeline and validate fail on it (no schema); move it to an apiVersion that release serves`
          : shipped.length > 0
            ? `${m.kind} ${m.apiVersion}: Strata ships the CRD of ${group} ${m.kind}, which serves ${shipped.map((v) => `${group}/${v}`).join(', ')}, so strata pipeline and validate fail on it (no schema); move it to that apiVersion`
            : `${m.kind} ${m.apiVersion}: Strata has no schema for it, so strata pipeline and validate fail on it (no schema) until its CRD is added: ${
                shipsCrd(model.expected[env], group, m.kind)
                  ? 'its CustomResourceDefinition is among the imported objects: run `npx strata crd add <the file that holds it>`'
                  : 'run `npx strata crd add <a file or Go module@version with its CustomResourceDefinition>`'
              }, or fix the apiVersion`,
      );
    }
  }
  return [...out.values()];
}

/** `--secret-store NAME[:Kind]`: the store's name, and its kind when not the default ClusterSecretStore. */
export function parseSecretStore(spec: string | undefined): SecretStore {
  if (spec === undefined) return DEFAULT_SECRET_STORE;
  const [name = '', kind = DEFAULT_SECRET_STORE.kind, ...rest] = spec.split(':');
  if (!isDnsSubdomain(name) || rest.length > 0 || (kind !== 'ClusterSecretStore' && kind !== 'SecretStore')) {
    throw new UsageError(
      `--secret-store ${spec}: write it as NAME or NAME:Kind, NAME a lower-case DNS name and Kind ClusterSecretStore or SecretStore, e.g. --secret-store vault:ClusterSecretStore`,
    );
  }
  return { name, kind };
}

type ModelModule = Record<string, new (value: unknown) => KubeObject>;

/** A model module (`kubernetes-models/apps/v1`, ...), resolved from this package as tsx and the bundle both run it. */
async function importModel(spec: string): Promise<ModelModule> {
  const { importModelModule } = (await import(new URL('./models.mjs', import.meta.url).href)) as {
    importModelModule: (spec: string) => Promise<ModelModule>;
  };
  return importModelModule(spec);
}

/**
 * Each source object checked by its model as the app's render will check it, so that an object the
 * API server would refuse (a Deployment without a selector, say) is named as the source's problem.
 */
async function checkSources(model: Model, paths: Record<Environment, string>, named: (path: string) => string): Promise<void> {
  const problems = new Set<string>();
  for (const env of ENVIRONMENTS) {
    for (const m of model.expected[env]) {
      const module = modelModule(m.apiVersion, m.kind);
      const Model = module ? (await importModel(module.spec))[m.kind] : undefined;
      try {
        // Without a model, the names and the kind are still checked by the API server's rules.
        toManifest(Model ? new Model(structuredClone(m)) : (structuredClone(m) as KubeObject), named(paths[env]));
      } catch (e) {
        if (!(e instanceof ObjectError)) throw e;
        problems.add(`${e.message}: not a valid ${m.kind}, which an API server would refuse too; fix it in the source, then import`);
      }
    }
  }
  if (problems.size > 0) throw new ImportError([...problems]);
}

/** The root package.json with the app added to its workspace dependencies, so pnpm links it. */
function register(root: string, name: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  pkg.devDependencies = Object.fromEntries(
    Object.entries({ ...pkg.devDependencies, [`@strata-apps/${name}`]: 'workspace:*' }).sort(([a], [b]) => a.localeCompare(b)),
  );
  return json(pkg);
}

function readme(name: string, paths: Record<Environment, string>, root: string, model: Model): string {
  const rows = ENVIRONMENTS.map((e) => `| ${e} | \`${relative(root, paths[e]) || '.'}\` | ${model.expected[e].length} |`).join('\n');
  return `# ${name}

Imported with \`strata import\`: each env built to the same objects as its source (hash suffixes of
generated names aside, Secrets replaced by ExternalSecrets that hold no value).

| env | imported from | objects |
| --- | --- | --- |
${rows}

\`src/config.ts\` holds what differs between the envs, \`src/env/<env>.ts\` each env's differences and
\`src/render.ts\` everything else. Edit them, then \`npx strata generate\`.
`;
}

/**
 * Stages the app in a throw-away workspace, loads and renders it as `strata generate` would, builds
 * every env's overlay with the real kustomize and compares each with its source. Resolves to the
 * generated tree, each env's build of it and its render; rejects with every object and field that differs.
 */
async function prove(
  root: string,
  name: string,
  appFiles: ReadonlyMap<string, string>,
  model: Model,
  onWarning: (message: string) => void,
): Promise<{ files: Map<string, string>; built: Record<Environment, string>; desired: Record<Environment, Manifest[]> }> {
  const stage = makeScratchDir('import');
  try {
    for (const [path, content] of appFiles) {
      mkdirSync(dirname(join(stage, path)), { recursive: true });
      writeFileSync(join(stage, path), content);
    }
    // The staged app resolves its packages where this package does: it depends on every model package.
    symlinkSync(MODULES, join(stage, 'apps', name, 'node_modules'));
    let plan;
    try {
      const [app] = await loadApps(stage, [name], { fresh: true, onWarning });
      plan = planApp(app!, schemaMergeKeys, planOptionsOf(root));
    } catch (e) {
      const message = (e as Error).message.split('\n')[0]!.replaceAll(stage, '');
      // Names that one checkout would merge into one file are the sources' own (they hold both).
      if (e instanceof FileNameError)
        throw new ImportError([`the sources' objects cannot be files of one checkout: ${message}; nothing was written`]);
      throw new ImportError([`the imported app does not render: ${message}; this is a defect of strata import, please report it with the sources`]);
    }
    for (const [path, content] of plan.files) {
      mkdirSync(dirname(join(stage, path)), { recursive: true });
      writeFileSync(join(stage, path), content);
    }
    const builder = resolveBuilder(root);
    const overlays = ENVIRONMENTS.map((e) => `overlays/${e}/${name}`);
    const results = await buildOverlays(stage, overlays, builder ? { builder, concurrency: 1 } : { command: resolveKustomize(root), concurrency: 1 });
    const problems: string[] = [];
    const built = {} as Record<Environment, string>;
    ENVIRONMENTS.forEach((env, i) => {
      const r = results[i]!;
      built[env] = r.yaml;
      if (!r.ok) {
        problems.push(`${env}: the generated overlay does not build: ${r.error}`);
        return;
      }
      const generated = model.generatedConfigMaps[env];
      const want = normalize(model.expected[env], generated);
      const raw = parseBuild(r.yaml, r.overlay);
      const got = normalize(raw, generated);
      problems.push(...differences(env, want, got), ...unsuffixed(env, model, raw, got));
    });
    if (problems.length > 0) throw new ImportError(['the imported app does not build to its sources; nothing was written:', ...problems]);
    return { files: plan.files, built, desired: plan.desired };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

const idOf = (m: Manifest) => `${m.apiVersion}/${m.kind} ${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/** `spec.containers[0].envFrom[0].configMapRef.name` */
const fieldPath = (path: readonly (string | number)[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

/**
 * The fields where a source names a generated ConfigMap with its hash suffix and the env's build (`raw`,
 * and `got` as compared) names it without: kustomize adds the suffix only to the references it knows,
 * those of Kubernetes' own kinds, and a source's `configurations:` (or a suffix written by hand) reaches
 * fields the generated overlays do not, so the app would name a ConfigMap that does not exist. The
 * comparison cannot see it: it drops the suffix on both sides.
 */
function unsuffixed(env: Environment, model: Model, raw: readonly Manifest[], got: readonly Manifest[]): string[] {
  const built = new Map(got.map((m, i) => [idOf(m), i]));
  const out: string[] = [];
  for (const ref of model.suffixedReferences[env]) {
    const source = model.expected[env][ref.index];
    const i = source ? built.get(idOf(source)) : undefined;
    if (i === undefined) continue;
    let value: unknown = raw[i];
    for (const key of ref.path) value = isPlainObject(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[key] : undefined;
    if (value !== ref.name) continue;
    out.push(
      `${env}: ${describe(got[i]!)}: ${fieldPath(ref.path)}: the source names the generated ConfigMap "${ref.name}" with its hash suffix ("${ref.hashed}"), which kustomize adds to this field only as the sources' configurations: teach it, and the generated overlays cannot, so the app would name a ConfigMap that does not exist; give that configMapGenerator entry options: {disableNameSuffixHash: true} in the sources, then import`,
    );
  }
  return out;
}

/**
 * The import's round-trip comparison: every object missing, added or changed between what an env
 * must build to and what it built to, with the fields that differ (as data; key order aside).
 */
export function differences(env: Environment, want: readonly Manifest[], got: readonly Manifest[]): string[] {
  const w = new Map(want.map((m) => [idOf(m), sortKeys(m)]));
  const g = new Map(got.map((m) => [idOf(m), sortKeys(m)]));
  const out: string[] = [];
  for (const [id, m] of w) {
    const other = g.get(id);
    if (!other) out.push(`${env}: ${describe(m)}: missing from the generated overlay`);
    else if (!isDeepStrictEqual(m, other)) out.push(`${env}: ${describe(m)}: ${fieldDiffs(m, other, '').slice(0, 5).join(', ')}`);
  }
  for (const [id, m] of g) if (!w.has(id)) out.push(`${env}: ${describe(m)}: in the generated overlay but not in the source`);
  return out;
}

function fieldDiffs(a: unknown, b: unknown, path: string): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (isPlainObject(a) && isPlainObject(b))
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => fieldDiffs(ownField(a, k), ownField(b, k), path ? `${path}.${k}` : k));
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((v, i) => fieldDiffs(v, b[i], `${path}[${i}]`));
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v).slice(0, 60));
  return [`${path || '(object)'}: source ${show(a)}, imported ${show(b)}`];
}
