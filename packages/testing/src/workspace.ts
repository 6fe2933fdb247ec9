import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { findRoot } from '@strata/project';
import { setTemplateObjects, writeTemplateApp } from './workspace-copy.ts';

export const repo = findRoot();

/** A root package.json's text that registers (`@strata-apps/<name>`) the apps `apps` alone, as the repository's registers all of its own. */
export function registering(text: string, apps: readonly string[]): string {
  const pkg = JSON.parse(text) as { devDependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.devDependencies)) {
    if (dep.startsWith('@strata-apps/') && !apps.includes(dep.slice('@strata-apps/'.length))) delete pkg.devDependencies[dep];
  }
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Where a {@link tempWorkspace} is made. */
export interface TempWorkspaceOptions {
  /**
   * The copy's folder, a relative path below a fresh temporary folder (`jenkins #1/strata_feature%2Fx`,
   * a checkout named as a CI server names it); the fresh temporary folder itself when not given.
   */
  readonly folder?: string;
}

/**
 * A throw-away copy of the workspace holding the given apps and their generated tree; .tools and
 * what node_modules holds are linked, not copied. node_modules itself is a folder of the copy's own,
 * and so is its @strata-apps, linking the copy's apps: a command that unlinks an app there
 * (remove-app) must not reach through to the repository's own node_modules.
 */
export function tempWorkspace(apps: readonly string[], options: TempWorkspaceOptions = {}): { root: string; dispose(): void } {
  // Tests running beside this one write (and remove) temporaries in the repository, crd models
  // in packages/crds among them: a copy that met one would fail on it once it is gone.
  const copy = { recursive: true, verbatimSymlinks: true, filter: (from: string) => !/\.strata-tmp/.test(basename(from)) };
  const top = mkdtempSync(join(tmpdir(), 'strata-ws-'));
  const root = options.folder === undefined ? top : join(top, options.folder);
  mkdirSync(root, { recursive: true });
  for (const f of ['pnpm-workspace.yaml', 'tsconfig.base.json', 'vitest.config.ts', 'strata.config.json', 'scripts'])
    cpSync(join(repo, f), join(root, f), { recursive: true });
  // The root package.json registers the apps of the copy, no other: check and the pipeline report a registration of no app.
  writeFileSync(join(root, 'package.json'), registering(readFileSync(join(repo, 'package.json'), 'utf8'), apps));
  const modules = join(root, 'node_modules');
  mkdirSync(join(modules, '@strata-apps'), { recursive: true });
  for (const e of readdirSync(join(repo, 'node_modules'))) if (e !== '@strata-apps') symlinkSync(join(repo, 'node_modules', e), join(modules, e));
  for (const app of apps) symlinkSync(join('..', '..', 'apps', app), join(modules, '@strata-apps', app));
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  cpSync(join(repo, 'packages'), join(root, 'packages'), copy);
  mkdirSync(join(root, 'apps'));
  for (const app of apps) {
    cpSync(join(repo, 'apps', app), join(root, 'apps', app), copy);
    cpSync(join(repo, 'base', app), join(root, 'base', app), { recursive: true });
    for (const env of ['dev', 'staging', 'prod']) cpSync(join(repo, 'overlays', env, app), join(root, 'overlays', env, app), { recursive: true });
  }
  return { root, dispose: () => rmSync(top, { recursive: true, force: true }) };
}

/**
 * A {@link tempWorkspace} for the tests of the describe block that calls this: made before them,
 * removed after them. With `generate`, its env roots and gitops/ are generated first: the copy
 * holds those of the whole repository, not of a workspace of just these apps.
 */
export function suiteWorkspace(
  apps: readonly string[],
  options: TempWorkspaceOptions & { generate?: boolean; timeout?: number } = {},
): { readonly root: string } {
  let ws: ReturnType<typeof tempWorkspace> | undefined;
  beforeAll(() => {
    ws = tempWorkspace(apps, options);
    if (options.generate) expect(strata(ws.root, ['generate']).status).toBe(0);
  }, options.timeout);
  afterAll(() => ws?.dispose());
  return {
    get root() {
      if (!ws) throw new Error('the workspace of a suite is made before its tests, not while they are collected');
      return ws.root;
    },
  };
}

/**
 * A {@link tempWorkspace} of no app of the repository, removed after the tests of the describe block
 * that calls this, holding an app of the new-app template for each entry of `apps`, in order: it
 * renders the template's objects and the entry's objects (TypeScript expressions) after them, with
 * the import lines `imports` at the top of its render.ts. `setObjects` makes one of them render
 * other objects.
 */
export function templateAppsWorkspace(
  imports: readonly string[],
  apps: Readonly<Record<string, readonly string[]>>,
): { readonly root: string; setObjects(name: string, objects: readonly string[]): void } {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  const setObjects = (name: string, objects: readonly string[]) => setTemplateObjects(ws.root, name, imports, objects);
  for (const [name, objects] of Object.entries(apps)) {
    writeTemplateApp(repo, ws.root, name);
    setObjects(name, objects);
  }
  return { root: ws.root, setObjects };
}

/**
 * A {@link tempWorkspace} of no app of the repository, removed after the tests of the describe block
 * that calls this, holding the new-app template's app `app`, where kubernetes.namespaces of
 * strata.config.json lists `namespaces` as made by the platform.
 */
export function platformNamespacesWorkspace(app: string, namespaces: readonly string[]): { readonly root: string } {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  writeTemplateApp(repo, ws.root, app);
  declarePlatformNamespaces(ws.root, namespaces);
  return { root: ws.root };
}

/** Lists `namespaces` under kubernetes.namespaces of the strata.config.json at `root`: those the platform makes. */
export function declarePlatformNamespaces(root: string, namespaces: readonly string[]): void {
  const config = join(root, 'strata.config.json');
  const settings = JSON.parse(readFileSync(config, 'utf8')) as { kubernetes?: Record<string, unknown> };
  settings.kubernetes = { ...settings.kubernetes, namespaces };
  writeFileSync(config, `${JSON.stringify(settings, null, 2)}\n`);
}

/**
 * Rewrites a file with `edit`, failing the test when the edit changes nothing (the text it looks
 * for has moved); returns the text the file had, for a test that puts it back.
 */
export function editFile(file: string, edit: (text: string) => string): string {
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  expect(after, `${file}: the edit changed nothing`).not.toBe(before);
  writeFileSync(file, after);
  return before;
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `strata` command in `cwd`, with `env` added to the environment. */
export function strata(cwd: string, args: readonly string[], input?: string, env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [join(cwd, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    // A command that never ends (a child process left waiting) fails its test instead of stopping the suite.
    timeout: 300_000,
    killSignal: 'SIGKILL',
  });
  const timedOut = r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `\n(strata ${args.join(' ')} did not end within 300 s)` : '';
  return { status: r.status ?? -1, stdout: r.stdout, stderr: `${r.stderr}${timedOut}` };
}

/** Every file under the generated folders (or the folders `tops`), by relative path. */
export function treeOf(root: string, tops: readonly string[] = ['base', 'overlays']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const top of tops) {
    for (const e of readdirSync(join(root, top), { withFileTypes: true, recursive: true })) {
      if (e.isFile()) out[join(e.parentPath, e.name).slice(root.length + 1)] = readFileSync(join(e.parentPath, e.name), 'utf8');
    }
  }
  return out;
}

/**
 * Runs `strata args` in `root` as a command that must refuse: it exits `status`, says exactly
 * `stderr` (one entry a line) and writes nothing, neither the images.json of `apps` nor the
 * generated tree. Returns the run, for what else a test expects of it.
 */
export function expectRefusal(
  root: string,
  args: readonly string[],
  expected: { readonly status: number; readonly stderr: readonly unknown[]; readonly apps: readonly string[] },
): Run {
  const state = () => ({
    pins: expected.apps.map((app) => readFileSync(join(root, 'apps', app, 'images.json'), 'utf8')),
    tree: treeOf(root),
  });
  const before = state();
  const r = strata(root, args);
  expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toStrictEqual(expected.stderr);
  expect(r.status, args.join(' ')).toBe(expected.status);
  expect(state(), `strata ${args.join(' ')} wrote`).toStrictEqual(before);
  return r;
}
