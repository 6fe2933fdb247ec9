import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { buildInTree } from './build.ts';
import { buildFailureLine } from './build-line.ts';
import { describe as describeObject, ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import {
  appDirs,
  checkEnv,
  gitBytes,
  gitText,
  isGitCommit,
  Layout,
  loadApps,
  makeScratchDir,
  ToolError,
  UsageError,
  untranslatedEnv,
  type WarningOptions,
} from '@strata/project';
import {
  dumpYaml,
  isGeneratedConfigMap,
  normalize,
  planApp,
  planChanges,
  planEnvironments,
  planOptionsOf,
  schemaMergeKeys,
  sortKeys,
} from '@strata/emit';
import { parseBuild, resolveBuilder, resolveKustomize, type BuildOptions } from '@strata/kustomize';

export interface ResourceDiff {
  readonly app: string;
  /** `apiVersion/Kind name`; the namespace is part of the diff, not of the identity. */
  readonly resource: string;
  /**
   * The object on each side as `apiVersion/Kind namespace/name`, where that side has it: objects are
   * paired by `resource`, so the two sides of a pair may live in different namespaces (one per env).
   */
  readonly fromObject?: string;
  readonly toObject?: string;
  readonly status: 'added' | 'removed' | 'changed';
  readonly diff: string;
}

export interface DiffResult {
  readonly from: string;
  readonly to: string;
  readonly diffs: ResourceDiff[];
  readonly resources: number;
}

const identity = (m: Manifest) => `${m.apiVersion}/${m.kind} ${m.metadata.name}`;

/** Per-resource unified diffs between two sets of objects of one app. */
export function diffManifests(app: string, from: readonly Manifest[], to: readonly Manifest[], labels: { from: string; to: string }): ResourceDiff[] {
  const a = new Map(from.map((m) => [identity(m), sortKeys(m)]));
  const b = new Map(to.map((m) => [identity(m), sortKeys(m)]));
  const out: ResourceDiff[] = [];
  for (const id of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const left = a.get(id);
    const right = b.get(id);
    const l = left ? dumpYaml(left) : '';
    const r = right ? dumpYaml(right) : '';
    if (l === r) continue;
    // Each header names its own side's object; a side without it names the other's, as the object it lacks.
    const fromObject = left ? describeObject(left) : undefined;
    const toObject = right ? describeObject(right) : undefined;
    out.push({
      app,
      resource: id,
      ...(fromObject ? { fromObject } : {}),
      ...(toObject ? { toObject } : {}),
      status: !left ? 'added' : !right ? 'removed' : 'changed',
      diff: createTwoFilesPatch(
        `${labels.from}/${app}: ${(fromObject ?? toObject)!}`,
        `${labels.to}/${app}: ${(toObject ?? fromObject)!}`,
        l,
        r,
        '',
        '',
        {
          context: 3,
        },
      ),
    });
  }
  return out;
}

/** Renders two environments of the selected apps in this process and diffs them resource by resource. */
export async function diffEnvironments(
  root: string,
  fromEnv: string,
  toEnv: string,
  apps?: readonly string[],
  options: WarningOptions = {},
): Promise<DiffResult> {
  const from = checkEnv(fromEnv)!;
  const to = checkEnv(toEnv)!;
  // An env compared with itself has no differences: a mistyped --from or --to, never a comparison.
  if (from === to) {
    const other = ENVIRONMENTS.find((e) => e !== from)!;
    throw new UsageError(`--from and --to are both ${from}, which has no differences with itself; name two envs, as --from ${from} --to ${other}`);
  }
  const loaded = await loadApps(root, apps, options);
  const diffs: ResourceDiff[] = [];
  let resources = 0;
  for (const app of loaded) {
    const a = app.manifests(from);
    const b = app.manifests(to);
    resources += new Set([...a, ...b].map(identity)).size;
    diffs.push(...diffManifests(app.name, a, b, { from, to }));
  }
  return { from, to, diffs, resources };
}

/** Where the builds of a scratch tree get kustomize: the working tree's builder, or its kustomize. */
function buildOptions(root: string): BuildOptions {
  const builder = resolveBuilder(root);
  return builder ? { builder } : { command: resolveKustomize(root) };
}

async function builtTree(root: string, overlays: readonly string[], options: BuildOptions = {}): Promise<Map<string, Manifest[]>> {
  // What a kustomization names to fetch over the network is refused before kustomize runs, never fetched.
  const results = await buildInTree(root, overlays, options);
  const out = new Map<string, Manifest[]>();
  for (const r of results) {
    if (!r.ok) throw new (r.toolFailed ? ToolError : Error)(buildFailureLine(r));
    const manifests = parseBuild(r.yaml, r.overlay);
    const generated = new Set(manifests.filter(isGeneratedConfigMap).map((m) => m.metadata.name));
    out.set(r.overlay, normalize(manifests, generated));
  }
  return out;
}

/** base/ and overlays/ as the apps of `root` generate them now (gitops/ is not built, so left out). */
async function plannedTree(root: string, options: WarningOptions): Promise<Map<string, string>> {
  const names = appDirs(root);
  const files = new Map<string, string>();
  for (const app of await loadApps(root, names, { fresh: true, onWarning: options.onWarning }))
    for (const [path, content] of planApp(app, schemaMergeKeys, planOptionsOf(root)).files) files.set(path, content);
  for (const [path, content] of planEnvironments(names)) files.set(path, content);
  return files;
}

function writeTree(dir: string, files: ReadonlyMap<string, string>): void {
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/**
 * The apps of a git ref, exported to `dir`, able to load: they import their packages through the
 * working tree's node_modules (the ref is rendered by this strata), and an app that only the ref
 * has borrows another app's, as every app depends on the same few packages.
 */
function exportRef(root: string, ref: string, dir: string): void {
  const env = untranslatedEnv();
  // git's warnings about the ref (a tag and a branch of one name) are the user's to see, in git's words.
  const top = gitText(root, ['ls-tree', '--name-only', ref], { warnings: 'pass' }).split('\n');
  const wanted = [Layout.apps, Layout.base, Layout.overlays, 'package.json', Layout.workspaceFile, Layout.configFile, 'tsconfig.base.json'].filter(
    (p) => top.includes(p),
  );
  const archive = gitBytes(root, ['archive', '--format=tar', ref, '--', ...wanted], { maxBuffer: 1 << 30, warnings: 'pass' });
  execFileSync('tar', ['-x', '-C', dir], { input: archive, env });
  if (existsSync(join(root, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const donor = appDirs(root)
    .map((a) => join(root, Layout.app(a), 'node_modules'))
    .find((p) => existsSync(p));
  for (const app of appDirs(dir)) {
    const own = join(root, Layout.app(app), 'node_modules');
    const modules = existsSync(own) ? own : donor;
    if (!modules) continue;
    rmSync(join(dir, Layout.app(app), 'node_modules'), { recursive: true, force: true });
    symlinkSync(modules, join(dir, Layout.app(app), 'node_modules'));
  }
}

/** Generated files (under base/ and overlays/) that differ from what the sources of `root` generate now. */
function staleFiles(root: string, files: ReadonlyMap<string, string>): number {
  const changes = planChanges(root, files, [Layout.base, Layout.overlays]);
  return changes.written.length + changes.removed.length;
}

export interface AgainstResult extends DiffResult {
  /** What was compared when it is not simply the committed overlays of both sides. */
  readonly notes: string[];
}

export interface DiffOptions {
  /** A git ref to compare with the working tree. */
  readonly against?: string;
  /** Two envs of the working tree to compare, instead of `against`. */
  readonly from?: string;
  readonly to?: string;
  readonly apps?: readonly string[];
  /** With `against`: only this env. */
  readonly env?: string;
}

/**
 * `strata diff`: two envs of the working tree (`from` and `to`, both), or a git ref against the
 * working tree (`against`); anything else is a usage error saying what to compare.
 */
export async function diff(root: string, options: DiffOptions & WarningOptions): Promise<DiffResult & { readonly notes?: readonly string[] }> {
  const { against, from, to, apps, env, onWarning } = options;
  if (against) {
    if (from || to) throw new UsageError('use either --against <ref> or --from <env> --to <env>, not both');
    return diffAgainst(root, against, { ...(apps ? { apps } : {}), ...(env ? { env } : {}), onWarning });
  }
  if (!from || !to) throw new UsageError('say what to compare: --from <env> --to <env>, or --against <git ref>');
  return diffEnvironments(root, from, to, apps, { onWarning });
}

/**
 * Diffs what a git ref deploys with what the working tree deploys, per resource, without a cluster:
 * both sides are rendered from their sources (the ref's apps exported and generated by this
 * strata), then built with kustomize. A side whose committed overlays are behind its sources is
 * said so in the notes, and what the sources generate is what is compared. A ref whose apps this
 * strata cannot load is compared by its committed overlays, and the notes say that too.
 */
export async function diffAgainst(
  root: string,
  ref: string,
  options: { env?: string; apps?: readonly string[] } & WarningOptions = {},
): Promise<AgainstResult> {
  const env = checkEnv(options.env);
  const scratch = makeScratchDir('diff');
  const notes: string[] = [];
  try {
    // A git that cannot run throws its own words (exit 2): that says nothing of the ref.
    if (!isGitCommit(root, ref)) throw new UsageError(`--against ${ref}: not a commit in this repository`);
    const refDir = join(scratch, 'ref');
    mkdirSync(refDir);
    exportRef(root, ref, refDir);
    // An app of either side is known: one only the ref has was removed, one only the working tree
    // has was added. A name of neither selects nothing, which would read as no difference.
    const known = [...new Set([...appDirs(root), ...appDirs(refDir)])].sort();
    const unknown = (options.apps ?? []).find((a) => !known.includes(a));
    if (unknown !== undefined)
      throw new UsageError(`unknown app "${unknown}" in the working tree and in ${ref}; known apps: ${known.join(', ') || '(none)'}`);
    const build = buildOptions(root);
    const envs: Environment[] = env ? [env] : [...ENVIRONMENTS];
    const apps = options.apps && options.apps.length > 0 ? [...options.apps] : known;
    const existing = (dir: string) => existsSync(join(dir, 'kustomization.yaml'));
    const overlays = envs.flatMap((e) => apps.map((a) => Layout.overlay(e, a)));
    // The ref: what its sources generate, built in a folder of its own.
    let before = refDir;
    try {
      const planned = await plannedTree(refDir, options);
      const stale = staleFiles(refDir, planned);
      if (stale > 0)
        notes.push(`${ref}: its committed overlays are behind its sources (${stale} generated files differ); compared what its sources generate`);
      before = join(scratch, 'ref-generated');
      writeTree(before, planned);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const why = (err as Error).message.split('\n')[0];
      // With none either, the ref would read as deploying nothing, and every resource as added.
      if (!overlays.some((o) => existing(join(refDir, o))))
        throw new UsageError(
          `--against ${ref}: its apps do not render with this strata (${why}) and it commits no overlays of them to compare instead`,
        );
      notes.push(`${ref}: its apps do not render with this strata (${why}); compared its committed overlays`);
    }
    // The working tree: its overlays, or what its sources generate when those are newer.
    const planned = await plannedTree(root, options);
    const stale = staleFiles(root, planned);
    let after = root;
    if (stale > 0) {
      notes.push(
        `the working tree's sources are newer than its overlays (${stale} generated files differ): compared what they generate; run \`npx strata generate\` to write it`,
      );
      after = join(scratch, 'working-generated');
      writeTree(after, planned);
    }
    const a = await builtTree(
      before,
      overlays.filter((o) => existing(join(before, o))),
      build,
    );
    const b = await builtTree(
      after,
      overlays.filter((o) => existing(join(after, o))),
      after === root ? {} : build,
    );
    // An overlay neither side has compares nothing: said, and when it is every one, refused.
    const neither = overlays.filter((o) => !a.has(o) && !b.has(o));
    if (overlays.length === 0) throw new UsageError(`nothing to compare: neither ${ref} nor the working tree has an app`);
    if (neither.length === overlays.length)
      throw new UsageError(
        `nothing to compare: neither ${ref} nor the working tree has ${overlays.length === 1 ? 'the overlay' : 'any of the overlays'} ${overlays.join(', ')}`,
      );
    if (neither.length > 0) notes.push(`not compared, as neither ${ref} nor the working tree has them: ${neither.join(', ')}`);
    const diffs: ResourceDiff[] = [];
    let resources = 0;
    for (const overlay of overlays) {
      const [, e, app] = overlay.split('/');
      const left = a.get(overlay) ?? [];
      const right = b.get(overlay) ?? [];
      resources += new Set([...left, ...right].map(identity)).size;
      diffs.push(
        ...diffManifests(`${app}`, left, right, { from: `${ref}:${e}`, to: `working tree:${e}` }).map((d) => ({ ...d, app: `${e}/${app}` })),
      );
    }
    return { from: ref, to: 'working tree', diffs, resources, notes };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
