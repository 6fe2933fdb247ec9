import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { beforeAll, expect } from 'vitest';
import { parse } from 'yaml';
import { ENVIRONMENTS, type Environment } from '@strata/core';
import { appTemplate } from '@strata/project';
import { suiteTempDir, writeTree } from './temp.ts';

// Throw-away copies of the workspace for tests that do what a user does: the real CLI, the
// project's pinned pnpm, its own node_modules. Nothing here needs the network.

export interface Run {
  status: number | null;
  output: string;
}

/** Runs a command without blocking the event loop; stdout and stderr are kept together for failure messages. */
export function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeout: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, timeout, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** The inherited environment without anything that would steer turbo, pnpm or a test runner. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TURBO_') && !k.startsWith('npm_') && !k.startsWith('VITEST')));
}

/** What a commit of the working tree at `repo` would hold: tracked files as they are now, and new ones not ignored. */
export function workingTreeFiles(repo: string): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return [...new Set(out.split('\0').filter(Boolean))];
}

/**
 * Reads each file of `repo` once and writes it into every copy, so that all copies hold the same
 * snapshot even while the working tree is being edited.
 */
export function snapshot(repo: string, files: readonly string[], copies: readonly string[]): void {
  for (const file of files) {
    const src = join(repo, file);
    const stat = lstatSync(src, { throwIfNoEntry: false });
    if (!stat) continue; // deleted in the working tree but still in the index
    const data = stat.isSymbolicLink() ? readlinkSync(src) : stat.isFile() ? readFileSync(src) : undefined;
    if (data === undefined) continue;
    for (const copy of copies) {
      const dest = join(copy, file);
      mkdirSync(dirname(dest), { recursive: true });
      if (typeof data === 'string') symlinkSync(data, dest);
      else writeFileSync(dest, data, { mode: stat.mode & 0o777 });
    }
  }
}

/**
 * Runs git in `root` as a test's author (no signing): what it prints on stdout. A failing git
 * command throws, with what it printed on stderr.
 */
export function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
}

/**
 * Makes the folder `root` a git repository on branch main whose one commit holds `paths` (all of
 * it, but for what its .gitignore leaves out, when none are given).
 */
export function commitAll(root: string, paths: readonly string[] = []): void {
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A', '--', ...paths);
  git(root, 'commit', '-qm', 'start');
}

/**
 * What `pnpm install` links into a new app of the template at `dir` (`apps/<name>`): the links of
 * the app tokenplace-relay of `repo`, which has the same dependencies.
 */
export function linkAppModules(repo: string, dir: string): void {
  cpSync(join(repo, 'apps/tokenplace-relay/node_modules'), join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
}

/** What a test changes of the new-app template's app: see {@link writeTemplateApp}. */
export interface TemplateAppChanges {
  /**
   * A setting added to its Config after `replicas`, with its default (TypeScript: `{ name: 'nodePort',
   * type: 'number', value: '30000' }`); each env gives its own with {@link writeEnvConfigs}.
   */
  readonly setting?: { readonly name: string; readonly type: string; readonly value: string };
  /** Edits of its src/render.ts, in order: each `[from, to]` replaces the first `from`, which must be there. */
  readonly render?: readonly (readonly [from: string, to: string])[];
}

/**
 * Writes the app `name` of the new-app template (`appTemplate`) into the workspace at `root`, its
 * dependencies linked ({@link linkAppModules}), with `changes` made to it.
 */
export function writeTemplateApp(repo: string, root: string, name: string, changes: TemplateAppChanges = {}): void {
  writeTree(root, Object.fromEntries(appTemplate(name)));
  linkAppModules(repo, join(root, 'apps', name));
  const { setting } = changes;
  if (setting) {
    editAppFile(root, name, 'src/config.ts', [
      ['  readonly replicas: number;', `  readonly replicas: number;\n  readonly ${setting.name}: ${setting.type};`],
      ['  replicas: 1,', `  replicas: 1,\n  ${setting.name}: ${setting.value},`],
    ]);
  }
  if (changes.render) editAppFile(root, name, 'src/render.ts', changes.render);
}

/** Sets the namespace the template's app `name` at `root` puts its objects in (its Config's `namespace`). */
export function setTemplateNamespace(root: string, name: string, namespace: string): void {
  const path = join(root, 'apps', name, 'src/config.ts');
  const text = readFileSync(path, 'utf8');
  expect(text).toMatch(/ {2}namespace: '[^']*',/);
  writeFileSync(path, text.replace(/ {2}namespace: '[^']*',/, `  namespace: '${namespace}',`));
}

/** Edits `file` of the app `name` at `root`: each `[from, to]` replaces the first `from`, and a `from` not found fails the test. */
function editAppFile(root: string, name: string, file: string, edits: readonly (readonly [string, string])[]): void {
  const path = join(root, 'apps', name, file);
  let text = readFileSync(path, 'utf8');
  for (const [from, to] of edits) {
    expect(text, `${file} of the template app`).toContain(from);
    text = text.replace(from, to);
  }
  writeFileSync(path, text);
}

/**
 * Makes the template's app `name` at `root` render `objects` (TypeScript expressions) after the
 * template's own objects, with `imports` (import lines) at the top of its render.ts; called again,
 * it replaces the objects of the last call.
 */
export function setTemplateObjects(root: string, name: string, imports: readonly string[], objects: readonly string[]): void {
  const template = appTemplate(name).get(`apps/${name}/src/render.ts`);
  expect(template).toBeDefined();
  const last = '    allowTraffic(';
  expect(template).toContain(last);
  writeFileSync(
    join(root, 'apps', name, 'src/render.ts'),
    `${imports.map((i) => `${i}\n`).join('')}${template!.replace(last, `${objects.map((o) => `    ${o},\n`).join('')}${last}`)}`,
  );
}

/** The number of the first line of `file` that is `text` but for its indentation; 0 when none is. */
export function lineOf(file: string, text: string): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.trim() === text) + 1
  );
}

/**
 * Writes each env file (`src/env/<env>.ts`) of the template's app `name` at `root`, giving it the
 * config override `config(env)`, a TypeScript object literal (`{ replicas: 2 }`).
 */
export function writeEnvConfigs(root: string, name: string, config: (env: Environment) => string): void {
  for (const env of ENVIRONMENTS) {
    writeFileSync(
      join(root, 'apps', name, 'src/env', `${env}.ts`),
      [
        "import type { EnvironmentDefinition } from '@strata/core';",
        "import type { Config } from '../config.ts';",
        '',
        `export const ${env}: EnvironmentDefinition<Config> = {`,
        `  config: ${config(env)},`,
        '};',
        '',
      ].join('\n'),
    );
  }
}

/** The project's pinned pnpm (`npm run setup` puts it in .tools/pnpm). */
export function pinnedPnpm(root: string): string {
  return join(root, '.tools/pnpm/node_modules/pnpm/bin/pnpm.cjs');
}

/**
 * A fresh clone of the working tree at `repo` in `copy`, installed as a CI runner installs it:
 * the pinned tools linked from the repository, the dependencies installed into the copy's own
 * node_modules from the lockfile, offline, from the machine's pnpm store.
 */
export async function installedCopy(repo: string, copy: string): Promise<void> {
  snapshot(repo, workingTreeFiles(repo), [copy]);
  symlinkSync(join(repo, '.tools'), join(copy, '.tools'));
  const r = await run(
    process.execPath,
    [pinnedPnpm(copy), 'install', '--frozen-lockfile', '--offline', '--reporter=append-only'],
    copy,
    cleanEnv(),
    120_000,
  );
  if (r.status !== 0) throw new Error(`pnpm install --frozen-lockfile --offline failed in ${copy}:\n${r.output}`);
}

/**
 * An {@link installedCopy} of the working tree at `repo`, for the tests of the describe block that
 * calls this: `root` is the copy, installed before the tests; `work`, a fresh folder around it that
 * the tests may use too (pnpm caches, say). Both are removed after the tests.
 */
export function suiteInstalledCopy(repo: string, prefix: string): { work: string; root: string } {
  const { dir: work } = suiteTempDir(prefix);
  const root = join(work, 'workspace');
  beforeAll(() => installedCopy(repo, root), 180_000);
  return { work, root };
}

/**
 * The environment under which the workspace's `pnpm install` runs offline, as a user's does when
 * pnpm's cache already knows every package: the pinned pnpm first on PATH, `offline` on, and
 * pnpm's metadata cache in `cacheDir` (see {@link offlineMetadata}; an empty one makes every
 * resolution fail, as offline on a machine that never resolved these packages).
 */
export function offlinePnpmEnv(root: string, cacheDir: string): NodeJS.ProcessEnv {
  return {
    ...cleanEnv(),
    PATH: [join(root, '.tools/pnpm/node_modules/.bin'), process.env.PATH].join(delimiter),
    npm_config_offline: 'true',
    npm_config_cache_dir: cacheDir,
    FORCE_COLOR: '0',
  };
}

interface LockedPackage {
  resolution?: { integrity?: string };
  engines?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  hasBin?: boolean;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
}

interface LockedSnapshot {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * A package's dependencies as the lockfile resolved them (its first snapshot), each at its locked
 * version: the peers it was resolved with are left out, as they are not its own.
 */
function lockedDependencies(snapshots: Record<string, LockedSnapshot>, key: string, locked: LockedPackage): Record<string, Record<string, string>> {
  const snapshot = Object.entries(snapshots).find(([k]) => k === key || k.startsWith(`${key}(`))?.[1];
  const out: Record<string, Record<string, string>> = {};
  for (const field of ['dependencies', 'optionalDependencies'] as const) {
    const deps = Object.entries(snapshot?.[field] ?? {})
      .filter(([name]) => !(name in (locked.peerDependencies ?? {})))
      .map(([name, version]) => [name, version.replace(/\(.*$/s, '')]);
    if (deps.length > 0) out[field] = Object.fromEntries(deps);
  }
  return out;
}

/** The fields of a package's manifest that the registry's abbreviated metadata carries. */
const METADATA_FIELDS = [
  'name',
  'version',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bin',
  'directories',
  'engines',
  'os',
  'cpu',
  'libc',
] as const;

/**
 * Writes into `cacheDir` the registry metadata pnpm reads offline, for every package of the
 * lockfile at `root`, each with only its locked versions: pnpm offline resolves a new package's
 * dependencies (an app that joins the workspace) from that cache, which a frozen install never
 * fills. The manifests come from the packages installed in the root's node_modules, the
 * integrity from the lockfile; a package not installed there (another platform's binary) gets
 * what the lockfile says of it.
 */
export function offlineMetadata(root: string, cacheDir: string, registry = 'https://registry.npmjs.org/'): void {
  const lock = parse(readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8')) as {
    packages?: Record<string, LockedPackage>;
    snapshots?: Record<string, LockedSnapshot>;
  };
  const manifests = installedManifests(join(root, 'node_modules/.pnpm'));
  const byName = new Map<string, Map<string, Record<string, unknown>>>();
  for (const [key, locked] of Object.entries(lock.packages ?? {})) {
    const integrity = locked.resolution?.integrity;
    if (integrity === undefined) continue; // not from the registry
    const at = key.lastIndexOf('@');
    const [name, version] = [key.slice(0, at), key.slice(at + 1)];
    const manifest = manifests.get(key);
    const fields: Record<string, unknown> = manifest
      ? Object.fromEntries(METADATA_FIELDS.filter((f) => manifest[f] !== undefined).map((f) => [f, manifest[f]]))
      : {
          name,
          version,
          ...Object.fromEntries(
            (['engines', 'os', 'cpu', 'libc', 'peerDependencies', 'peerDependenciesMeta'] as const)
              .filter((f) => locked[f] !== undefined)
              .map((f) => [f, locked[f]]),
          ),
          ...lockedDependencies(lock.snapshots ?? {}, key, locked),
        };
    const scripts = (manifest?.scripts ?? {}) as Record<string, unknown>;
    if (['preinstall', 'install', 'postinstall'].some((s) => s in scripts)) fields.hasInstallScript = true;
    const versions = byName.get(name) ?? new Map<string, Record<string, unknown>>();
    byName.set(name, versions);
    versions.set(version, {
      ...fields,
      dist: { integrity, tarball: `${registry}${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${version}.tgz` },
    });
  }
  const host = new URL(registry).host;
  for (const [name, versions] of byName) {
    const latest = [...versions.keys()].sort(compareVersions).at(-1)!;
    const doc = { name, 'dist-tags': { latest }, versions: Object.fromEntries(versions), modified: new Date(0).toISOString(), cachedAt: Date.now() };
    const file = join(cacheDir, 'metadata-v1.3', host, `${name}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(doc));
    // Optional dependencies are resolved from the full metadata: the same document serves.
    const full = join(cacheDir, 'metadata-full-v1.3', host, `${name}.json`);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, JSON.stringify(doc));
  }
}

/** Each package installed in a virtual store (node_modules/.pnpm), by `name@version`: its own folder, not the links to its dependencies. */
function installedManifests(store: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const entry of readdirSync(store, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'node_modules') continue;
    const modules = join(store, entry.name, 'node_modules');
    for (const child of readdirSync(modules, { withFileTypes: true })) {
      const dirs = child.name.startsWith('@') ? readdirSync(join(modules, child.name), { withFileTypes: true }) : [child];
      for (const d of dirs) {
        if (!d.isDirectory()) continue; // a link to a dependency
        const manifest = JSON.parse(readFileSync(join(d.parentPath, d.name, 'package.json'), 'utf8')) as Record<string, unknown>;
        out.set(`${manifest.name}@${manifest.version}`, manifest);
      }
    }
  }
  return out;
}

/** Semantic versions in order; a pre-release sorts before its release. */
function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = a.split(/-(.*)/s);
  const [coreB = '', preB] = b.split(/-(.*)/s);
  const core = coreA.localeCompare(coreB, 'en', { numeric: true });
  if (core !== 0) return core;
  if (preA === undefined || preB === undefined) return preA === undefined ? (preB === undefined ? 0 : 1) : -1;
  return preA.localeCompare(preB, 'en', { numeric: true });
}

/** What the workspace ignores (.gitignore): installed, built and cached, never its content. */
const IGNORED = new Set(['node_modules', '.tools', '.turbo', '.strata', 'dist', '.git']);

/** Every file of the workspace at `root`, by relative path: its content, as a commit of it would hold. */
export function workspaceFiles(root: string, dir = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory() && !IGNORED.has(e.name)) for (const [p, data] of workspaceFiles(root, rel)) out.set(p, data);
    else if (e.isFile()) out.set(rel, readFileSync(join(root, rel)));
    else if (e.isSymbolicLink() && !IGNORED.has(e.name)) out.set(rel, Buffer.from(`-> ${readlinkSync(join(root, rel))}`));
  }
  return out;
}

/** The paths added, removed or changed between two {@link workspaceFiles}, sorted. */
export function changedFiles(before: ReadonlyMap<string, Buffer>, after: ReadonlyMap<string, Buffer>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => !before.get(p)?.equals(after.get(p) ?? Buffer.alloc(0)) || !after.has(p)).sort();
}

/** What a test reads of pnpm-lock.yaml: each importer's dependencies, with their specifiers and versions. */
export interface Lockfile {
  importers: Record<string, Record<string, Record<string, { specifier: string; version: string }> | undefined>>;
}

/** The workspace's pnpm-lock.yaml, parsed. */
export function readLockfile(root: string): Lockfile {
  return parse(readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8')) as Lockfile;
}

/**
 * Asserts what `pnpm install` does for a new app `apps/<app>`: each dependency it declares linked
 * in its node_modules (@strata/core as a link to packages/core), the app linked in the root's
 * node_modules, and the lockfile listing the app with exactly those dependencies and the root's
 * link to it, every other importer as in `before`.
 */
export function expectAppInstalled(root: string, app: string, before: Lockfile): void {
  const pkg = JSON.parse(readFileSync(join(root, `apps/${app}/package.json`), 'utf8')) as Record<string, Record<string, string>>;
  const declared = { ...pkg.dependencies, ...pkg.devDependencies };
  expect(Object.keys(declared)).toContain('@strata/core');
  for (const dep of Object.keys(declared)) expect(existsSync(join(root, `apps/${app}/node_modules`, dep, 'package.json')), dep).toBe(true);
  expect(realpathSync(join(root, `apps/${app}/node_modules/@strata/core`))).toBe(realpathSync(join(root, 'packages/core')));
  expect(realpathSync(join(root, `node_modules/@strata-apps/${app}`))).toBe(realpathSync(join(root, `apps/${app}`)));

  const lock = readLockfile(root);
  const importer = lock.importers[`apps/${app}`]!;
  expect(
    Object.fromEntries(Object.entries({ ...importer.dependencies, ...importer.devDependencies }).map(([d, v]) => [d, v.specifier])),
  ).toStrictEqual(declared);
  expect(lock.importers['.']!.devDependencies![`@strata-apps/${app}`]).toStrictEqual({ specifier: 'workspace:*', version: `link:apps/${app}` });
  const { [`apps/${app}`]: _added, '.': rootNow, ...others } = lock.importers;
  const { '.': rootBefore, ...othersBefore } = before.importers;
  expect(others).toStrictEqual(othersBefore);
  const { [`@strata-apps/${app}`]: _link, ...rootDevNow } = rootNow!.devDependencies!;
  expect(rootDevNow).toStrictEqual(rootBefore!.devDependencies);
}

/** Asserts that `apps/<app>` is generated: its base and an overlay per env, each listed in its env's root. */
export function expectAppGenerated(root: string, app: string): void {
  for (const dir of [`base/${app}`, `overlays/dev/${app}`, `overlays/staging/${app}`, `overlays/prod/${app}`])
    expect(existsSync(join(root, dir, 'kustomization.yaml')), dir).toBe(true);
  for (const env of ['dev', 'staging', 'prod'])
    expect(readFileSync(join(root, `overlays/${env}/kustomization.yaml`), 'utf8').split('\n'), env).toContain(`  - ${app}`);
}

/** Asserts that a command that failed changed no file of the workspace (`before` from workspaceFiles). */
export function expectNothingChanged(root: string, before: ReadonlyMap<string, Buffer>): void {
  const after = workspaceFiles(root);
  expect(after.get('pnpm-lock.yaml')?.equals(before.get('pnpm-lock.yaml')!)).toBe(true);
  expect(changedFiles(before, after)).toEqual([]);
}

/** What a test reads of a command it ran: its exit status and what it printed on stderr. */
export interface Outcome {
  status: number | null;
  stderr: string;
}

/**
 * The environment of a CI job that runs pnpm offline with its metadata cache in `cacheDir` (see
 * {@link offlinePnpmEnv}): there pnpm keeps the lockfile frozen unless told otherwise.
 */
export function ciOfflinePnpmEnv(root: string, cacheDir: string): Record<string, string> {
  return { ...offlinePnpmEnv(root, cacheDir), CI: 'true' } as Record<string, string>;
}

/**
 * Asserts that a command meant to add `apps/<app>` failed with `status` and a stderr that matches
 * `stderr` (in one line, with `oneLine`), leaving no `apps/<app>` and no file of the workspace changed.
 */
export function expectAppNotAdded(
  root: string,
  app: string,
  command: () => Outcome,
  want: { status: number; stderr: RegExp; oneLine?: boolean },
): void {
  const before = workspaceFiles(root);
  const r = command();
  expect(r.status, r.stderr).toBe(want.status);
  if (want.oneLine) expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(want.stderr);
  expect(existsSync(join(root, `apps/${app}`))).toBe(false);
  expectNothingChanged(root, before);
}

/**
 * Runs a command that adds `apps/<app>` with pnpm offline, its metadata cache in `cacheDir` filled
 * from the lockfile ({@link offlineMetadata}), and asserts that it exits 0 having installed the app
 * ({@link expectAppInstalled}). The command's outcome is returned for what else it should say.
 */
export function expectAppAdded<R extends Outcome>(root: string, app: string, cacheDir: string, command: (env: Record<string, string>) => R): R {
  offlineMetadata(root, cacheDir);
  const lockBefore = readLockfile(root);
  const r = command(ciOfflinePnpmEnv(root, cacheDir));
  expect(r.status, r.stderr).toBe(0);
  expectAppInstalled(root, app, lockBefore);
  return r;
}

/**
 * Runs `fn` while the root package.json of the workspace at `root` registers `@strata-apps/<app>`,
 * an app the workspace does not hold (as after its folder was deleted by hand), then puts the file
 * back as it was.
 */
export function withStrayRegistration<T>(root: string, app: string, fn: () => T): T {
  const file = join(root, 'package.json');
  const before = readFileSync(file, 'utf8');
  const pkg = JSON.parse(before) as { devDependencies?: Record<string, string> };
  pkg.devDependencies = { ...pkg.devDependencies, [`@strata-apps/${app}`]: 'workspace:*' };
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  try {
    return fn();
  } finally {
    writeFileSync(file, before);
  }
}

/**
 * Asserts that `command`, run with pnpm offline and its metadata in `cacheDir`, refuses to add `app`
 * while package.json registers `@strata-apps/gone`, an app the workspace does not hold: exit 2, one
 * line that matches `stderr`, no file of the workspace changed.
 */
export function expectRefusedBesideStray(
  root: string,
  app: string,
  cacheDir: string,
  command: (env: Record<string, string>) => Outcome,
  stderr: RegExp,
): void {
  offlineMetadata(root, cacheDir);
  withStrayRegistration(root, 'gone', () =>
    expectAppNotAdded(root, app, () => command(ciOfflinePnpmEnv(root, cacheDir)), { status: 2, oneLine: true, stderr }),
  );
}
