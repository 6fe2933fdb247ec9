import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ENVIRONMENTS, type App, type Environment } from '@strata/core';
import { settleAppCode } from '@strata/core/sources';
import {
  appDirs,
  checkEnv,
  checkPinFiles,
  eachApp,
  inEnvScope,
  isFolder,
  Layout,
  loadApps,
  loadEveryApp,
  strayRegistrations,
  type AppFailure,
  type WarningOptions,
} from '@strata/project';
import { loadSettings, planGitops } from '@strata/gitops';
import { checkAppNamespaces, checkKubernetesSettings, checkPolicySettings } from '@strata/validate/settings';
import { EnvRootCollisionError, refuseCollisions, renderedIds } from './findings.ts';
import {
  type ApplyOptions,
  applyTree,
  type AppPlan,
  diffTree,
  generatedApps,
  lockTree,
  planApp,
  planEnvironments,
  planOptionsOf,
  recoverLocked,
  schemaMergeKeys,
  type TreeChanges,
  type TreeDiff,
} from '@strata/emit';

export interface Selection {
  readonly apps?: readonly string[];
  readonly env?: string;
}

export interface TreePlan {
  readonly plans: AppPlan[];
  readonly files: Map<string, string>;
  readonly dirs: string[];
}

/** Renders the selected apps in this process and plans every file they own. */
export async function planTree(root: string, selection: Selection = {}, options: RenderOptions = {}): Promise<TreePlan> {
  const env = checkEnv(selection.env);
  // The clusters' settings are refused before any app is loaded, as validate refuses them.
  checkKubernetesSettings(root);
  // Every app that fails, to load or to render, is said in one run: the apps that loaded are rendered.
  const { apps, failures } = await loadEveryApp(root, selection.apps, options);
  return planLoaded(root, selection, env, apps, failures, options.renders);
}

/**
 * Renders of apps kept between two plans of one run, by the loaded app object: the plan of an app
 * rendered before is taken from here, and an app rendered now is put here. An app loaded again
 * (its sources changed) is another object, and is rendered again.
 */
export type Renders = Map<App, AppPlan>;

export interface RenderOptions extends WarningOptions {
  readonly renders?: Renders;
}

/**
 * Loads and renders every app as generate would, before a writer opens the transaction in which it
 * generates them all (new-app and import, once their app is installed): with nothing written yet, a
 * signal while app code runs ends the run at once by its default action (see @strata/core's
 * interrupts.ts), where inside the transaction its listener, with a change to undo, would wait for a
 * render that may never return. The generate in the transaction takes these renders, given as its
 * `renders`, for the apps it finds unchanged, and renders only the new one, whose code is the
 * template's or the import's. Throws what that generate would throw of these apps.
 */
export async function renderEveryApp(root: string, options: WarningOptions = {}): Promise<Renders> {
  const renders: Renders = new Map();
  await planTree(root, {}, { ...options, renders });
  return renders;
}

/**
 * As planTree of `apps` alone, rendered as they are given instead of loaded afresh from their
 * folders: set image and promote render the apps with pins not yet written (see release.ts).
 */
export async function planTreeOf(root: string, apps: readonly App[]): Promise<TreePlan> {
  checkKubernetesSettings(root);
  return planLoaded(root, { apps: apps.map((a) => a.name) }, undefined, apps, []);
}

async function planLoaded(
  root: string,
  selection: Selection,
  env: Environment | undefined,
  apps: readonly App[],
  failures: readonly AppFailure[],
  renders?: Renders,
): Promise<TreePlan> {
  if (failures.length === 0) {
    // A misspelt rule in the policy settings is refused before anything is written, as validate would refuse it.
    checkPolicySettings(root, apps);
    checkPinFiles(root, apps);
  }
  const plans = eachApp(
    apps,
    (app) => {
      const kept = renders?.get(app);
      if (kept) return kept;
      const plan = planApp(app, schemaMergeKeys, planOptionsOf(root));
      renders?.set(app, plan);
      return plan;
    },
    failures,
  );
  // An app in a namespace the platform makes is refused before its overlays and its ApplicationSet
  // entry are written, as validate would refuse its build.
  const byApp = new Map(plans.map((p) => [p.app, p]));
  checkAppNamespaces(root, [...byApp.keys()], env ? [env] : ENVIRONMENTS, (app, e) => byApp.get(app)!.desired[e]);
  const files = new Map<string, string>();
  const dirs: string[] = [];
  const inScope = (path: string) => inEnvScope(path, env);
  for (const plan of plans) {
    for (const [path, content] of plan.files) if (inScope(path)) files.set(path, content);
    dirs.push(...plan.dirs.filter(inScope));
  }
  // The env roots list the apps generated: those written now and the others the tree holds.
  for (const [path, content] of planEnvironments(generatedApps(root, appDirs(root), (p) => files.has(p))))
    if (inScope(path)) files.set(path, content);
  if (!selection.apps || selection.apps.length === 0) {
    // Apps whose objects share an id in an env make a root kustomize refuses to build: refused
    // here, before anything is written, as check and the pipeline refuse the tree they would make.
    const byName = new Map(plans.map((p) => [p.app, p]));
    refuseCollisions(env ? [env] : ENVIRONMENTS, [...byName.keys()], (app, e) => renderedIds(byName.get(app)!.desired[e]));
  }
  if ((!selection.apps || selection.apps.length === 0) && !env) {
    // Everything under the generated folders is the plan's or stale, wherever it lies (an env root,
    // a folder of an app or env that no longer exists, a file beside them).
    dirs.push(Layout.base, Layout.overlays);
    // The Argo CD files describe every app of every env, so only a full generate writes them.
    const byName = new Map(plans.map((p) => [p.app, p]));
    const gitops = planGitops(root, loadSettings(root), [...byName.keys()], { built: (e, app) => byName.get(app)!.desired[e] });
    for (const [path, content] of gitops) files.set(path, content);
    dirs.push(Layout.gitops);
  }
  // A render that threw from a timer or promise it started fails here, before anything is written.
  await settleAppCode();
  return { plans, files, dirs };
}

/**
 * Why `strata generate` would refuse the selected apps' tree: the objects two apps of an env share,
 * one line each (empty when it would write the tree). For a caller that found the tree out of date
 * and must not advise running generate when it would refuse.
 */
export async function generateRefusal(root: string, selection: Selection = {}): Promise<readonly string[]> {
  if (selection.apps && selection.apps.length > 0) return [];
  const env = checkEnv(selection.env);
  // Loaded already by the caller in this process, as a rule: taken from memory.
  const apps = new Map((await loadApps(root)).map((a) => [a.name, a]));
  try {
    refuseCollisions(env ? [env] : ENVIRONMENTS, [...apps.keys()], (app, e) => renderedIds(apps.get(app)!.manifests(e)));
    return [];
  } catch (err) {
    if (err instanceof EnvRootCollisionError) return err.collisions;
    throw err;
  }
}

/** Generated folders of apps (or, for every env, of envs) that no longer exist: their generated files are stale. */
export function orphanDirs(root: string, apps: ReadonlySet<string>, env: Environment | undefined): string[] {
  const subdirs = (rel: string, known: ReadonlySet<string>) =>
    // A file in a folder's place holds no folders: the plan says what it is.
    isFolder(join(root, rel))
      ? readdirSync(join(root, rel), { withFileTypes: true })
          .filter((d) => d.isDirectory() && !known.has(d.name))
          .map((d) => `${rel}/${d.name}`)
      : [];
  const envs = env ? [env] : ENVIRONMENTS;
  return [
    ...(env ? [] : [...subdirs(Layout.base, apps), ...subdirs(Layout.overlays, new Set<string>(ENVIRONMENTS))]),
    ...envs.flatMap((e) => subdirs(Layout.envRoot(e), apps)),
  ];
}

export interface GenerateResult extends TreeChanges {
  readonly apps: number;
  readonly envs: number;
  readonly files: number;
  /**
   * Of a generate of every app: registrations of apps whose folder is gone, one line each
   * (`strayRegistrations`), which generate does not mend: `strata remove-app` does.
   */
  readonly strayRegistrations: string[];
}

/** `strata generate`: render, derive and write base/ and overlays/ atomically. */
export async function generate(
  root: string,
  selection: Selection = {},
  options: Pick<ApplyOptions, 'beforeCommitStep' | 'dryRun' | 'transaction'> & RenderOptions = {},
): Promise<GenerateResult> {
  const { onWarning, renders, ...apply } = options;
  // The apps are rendered (their pins and sources read) under the tree's lock, which applyTree then
  // holds on: planned before it, the write of another writer that committed meanwhile (a release's
  // pins) would be undone by a tree made from what it replaced.
  const lock = apply.dryRun ? undefined : lockTree(root);
  let tree: TreePlan;
  let changes: TreeChanges;
  try {
    if (lock) recoverLocked(root);
    tree = await planTree(root, selection, { onWarning, ...(renders ? { renders } : {}) });
    changes = applyTree(root, tree.files, { dirs: tree.dirs, ...apply });
  } finally {
    lock?.release();
  }
  return {
    ...changes,
    apps: tree.plans.length,
    envs: selection.env ? 1 : ENVIRONMENTS.length,
    files: tree.files.size,
    strayRegistrations: selection.apps && selection.apps.length > 0 ? [] : strayRegistrations(root),
  };
}

export interface GeneratePreview extends TreeDiff {
  readonly apps: number;
  readonly envs: number;
}

/** `strata generate --dry-run`: the plan of generate as one unified diff per file it would change; nothing is written. */
export async function previewGenerate(root: string, selection: Selection = {}, options: WarningOptions = {}): Promise<GeneratePreview> {
  const tree = await planTree(root, selection, options);
  return { ...diffTree(root, tree.files, tree.dirs), apps: tree.plans.length, envs: selection.env ? 1 : ENVIRONMENTS.length };
}
