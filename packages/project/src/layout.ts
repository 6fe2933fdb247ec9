import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ENVIRONMENTS, type Environment } from '@strata/core';
import { UsageError } from './errors.ts';
import { isFolder, notAFolder } from './files.ts';

/**
 * Where everything of a Strata workspace lives, as paths relative to its root with `/` between
 * folders (the spelling problems, the journal and the committed tree use). The one place that
 * knows the layout: callers ask it rather than spelling `overlays/${env}/${app}` themselves.
 */
export const Layout = {
  /** The file that marks the workspace root. */
  workspaceFile: 'pnpm-workspace.yaml',
  /** The project-wide settings (policy severities, gitops). */
  configFile: 'strata.config.json',
  /** The application packages. */
  apps: 'apps',
  app: (app: string) => `apps/${app}`,
  /** The module that exports an app's `defineApp(...)`. */
  appModule: (app: string) => `apps/${app}/src/app.ts`,
  /** An app's image pins per env. */
  pins: (app: string) => `apps/${app}/images.json`,
  /** The generated trees: base, overlays and the Argo CD and Flux files. */
  base: 'base',
  overlays: 'overlays',
  gitops: 'gitops',
  baseOf: (app: string) => `base/${app}`,
  /** `overlays/<env>`: every app of the env in one buildable tree (the env root). */
  envRoot: (env: string) => `overlays/${env}`,
  /** The env root's kustomization, listing every app of the env. */
  envKustomization: (env: string) => `overlays/${env}/kustomization.yaml`,
  overlay: (env: string, app: string) => `overlays/${env}/${app}`,
  overlayKustomization: (env: string, app: string) => `overlays/${env}/${app}/kustomization.yaml`,
  /** The Argo CD files of one env. */
  gitopsEnv: (env: string) => `gitops/${env}`,
  /** The Flux files: one folder per env, each applied on its own. */
  flux: 'gitops/flux',
  fluxEnv: (env: string) => `gitops/flux/${env}`,
  /** CustomResourceDefinitions the project added with `strata crd add`, one `<group>_<plural>.yaml` each (verify installs them). */
  crds: 'crds',
  crdManifest: (group: string, plural: string) => `crds/${group}_${plural}.yaml`,
  /** Their strict schemas, `<group>/<kind>_<version>.json`, beside the shipped ones in kubeconform's CRD layout. */
  crdSchemas: 'crds/schemas',
  /** Their typed models, generated into the `@strata/crd-models` package that apps import. */
  crdModels: 'packages/crd-models/gen',
  /**
   * The committed pictures of each env's topology (`strata graph`): SVG and Mermaid text. Redrawn
   * where they exist by the commands that add or remove an app; `npm run topology` draws them all.
   */
  topology: (env: string, format: 'svg' | 'mermaid') => `docs/topology-${env}.${format === 'svg' ? 'svg' : 'mmd'}`,
  /** What each of those pictures was drawn from (a hash of its inputs), so that check tells a stale picture without drawing it. */
  topologyInputs: 'docs/topology.inputs',
  /** Built output: one file per overlay. */
  dist: 'dist',
  distOf: (env: string, app: string) => `dist/${env}/${app}.yaml`,
  /** Strata's own state: caches and the tree writer's journal; never committed. */
  state: '.strata',
  cache: '.strata/cache',
  /** The tree writer's lock and journal: inside `.strata/`, on the tree's file system, so a staged file reaches its place by a rename. */
  writeState: '.strata/write',
} as const;

const OVERLAY = /^overlays\/([^/]+)\/([^/]+)(?:\/|$)/;
const DIST = /^dist\/([^/]+)\/([^/]+)\.yaml$/;

/** The env and app of a path inside an app's overlay folder, if it is one. */
export function overlayOf(path: string): { env: Environment; app: string } | undefined {
  const m = OVERLAY.exec(path);
  return m && (ENVIRONMENTS as readonly string[]).includes(m[1]!) && m[2] !== 'kustomization.yaml'
    ? { env: m[1] as Environment, app: m[2]! }
    : undefined;
}

/** The env and app of a built file `dist/<env>/<app>.yaml`, if it is one. */
export function distOf(path: string): { env: Environment; app: string } | undefined {
  const m = DIST.exec(path);
  return m && (ENVIRONMENTS as readonly string[]).includes(m[1]!) ? { env: m[1] as Environment, app: m[2]! } : undefined;
}

/**
 * The app overlays of the tree at `root`: each `overlays/<env>/<app>` folder that holds a
 * kustomization.yaml, env by env in the order given (every env by default), apps by name; `apps`,
 * when it names any, keeps only those. Read from the tree rather than from apps/: an overlay is what
 * gets built and applied, and a git ref's exported tree has no app packages. The one list that the
 * checks of built output (`dist/<env>/<app>.yaml`) go by.
 */
export function listOverlays(
  root: string,
  selection: { readonly envs?: readonly string[]; readonly apps?: readonly string[] } = {},
): { env: string; app: string }[] {
  const { envs = ENVIRONMENTS, apps } = selection;
  const out: { env: string; app: string }[] = [];
  for (const env of envs) {
    const dir = join(root, Layout.envRoot(env));
    if (!existsSync(dir)) continue;
    if (!isFolder(dir)) throw new Error(notAFolder(Layout.envRoot(env)));
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!d.isDirectory() || (apps && apps.length > 0 && !apps.includes(d.name))) continue;
      if (existsSync(join(root, Layout.overlayKustomization(env, d.name)))) out.push({ env, app: d.name });
    }
  }
  return out;
}

/** The workspace root: the nearest folder at or above `from` holding pnpm-workspace.yaml. */
export function findRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, Layout.workspaceFile))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new UsageError(`no Strata workspace (pnpm-workspace.yaml) at or above ${from}; run strata from the repository`);
    dir = parent;
  }
}

/**
 * The workspace root, or else the current folder: for the commands that also read any files outside
 * a workspace (validate, verify of named files).
 */
export function findRootOrCwd(from: string = process.cwd()): string {
  try {
    return findRoot(from);
  } catch {
    return resolve(from);
  }
}

/** Whether a path belongs to a run limited to `env`: anything outside overlays/, and that env's overlays. */
export function inEnvScope(path: string, env: Environment | undefined): boolean {
  return !env || !path.startsWith(`${Layout.overlays}/`) || path.startsWith(`${Layout.envRoot(env)}/`);
}
