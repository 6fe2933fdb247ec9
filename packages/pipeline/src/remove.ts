import { existsSync, lstatSync, readFileSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { appDirs, appRegistrations, filesIn, runGit, ToolError, UsageError, Layout } from '@strata/project';
import { commitTransaction, generatedApps, isGenerated, linkedFolder, lockTree, planEnvironments, recoverLocked } from '@strata/emit';
import { loadSettings, planGitops } from '@strata/gitops';
import { redrawTopology } from '@strata/graph';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { refuseLinkedDist } from './build.ts';
import { cacheFile } from './cache.ts';
import { recordWithoutApp } from './stale-dist.ts';

export interface RemoveResult {
  readonly app: string;
  /**
   * When the app's folder was gone already (deleted by hand, by `git rm`, by a merge): what was left
   * of it, said in a few words each (its registration, its generated files, ...).
   */
  readonly leftovers?: string[];
  /** Files removed, relative to the root. */
  readonly removed: string[];
  /** Files rewritten without the app (registration, env roots, gitops/, the lockfile, the cache, the record of what the builds wrote). */
  readonly written: string[];
}

/** Every file under `dir` (relative to the root), skipping folders named in `skip`. */
function filesUnder(root: string, dir: string, skip: ReadonlySet<string> = new Set()): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return filesIn(abs, { skip, links: true }).map((file) => relative(root, file));
}

/** package.json without the app's `@strata-apps/<name>` entry, or undefined when it has none. */
function withoutRegistration(text: string, name: string): string | undefined {
  const pkg = JSON.parse(text) as Record<string, Record<string, string> | unknown>;
  let changed = false;
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const deps = pkg[field] as Record<string, string> | undefined;
    if (deps && `@strata-apps/${name}` in deps) {
      delete deps[`@strata-apps/${name}`];
      changed = true;
    }
  }
  return changed ? `${JSON.stringify(pkg, null, 2)}\n` : undefined;
}

/**
 * pnpm-lock.yaml without the app's importer and the root's link to it. Edited as text, block by
 * block, so the rest stays byte for byte what pnpm wrote; the packages only the app used stay
 * listed until the next `pnpm install`, which a frozen install tolerates.
 */
export function lockfileWithout(text: string, name: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  const indent = (l: string) => l.length - l.trimStart().length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // The importer `  apps/<name>:` with its body and the blank line after it.
    if (line === `  apps/${name}:`) {
      while (i + 1 < lines.length && (lines[i + 1] === '' || indent(lines[i + 1]!) > 2)) {
        if (lines[i + 1] === '' && (i + 2 >= lines.length || indent(lines[i + 2]!) <= 2)) {
          i++;
          break;
        }
        i++;
      }
      continue;
    }
    // A dependency entry `      '@strata-apps/<name>':` (or unquoted) with its specifier and version.
    const entry = /^(\s+)'?@strata-apps\/([^':]+)'?:$/.exec(line);
    if (entry && entry[2] === name) {
      while (i + 1 < lines.length && indent(lines[i + 1]!) > entry[1]!.length && lines[i + 1] !== '') i++;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

/** The pipeline cache's entries (by app) as it lies on disk, or undefined when there is none that can be read. */
function cachedApps(root: string): Record<string, unknown> | undefined {
  try {
    return (JSON.parse(read(cacheFile(root)) ?? '{}') as { apps?: Record<string, unknown> }).apps;
  } catch {
    return undefined;
  }
}

/**
 * What is left of an app whose folder is gone, in a few words each; refuses a folder apps/<name>
 * that holds more than install state (node_modules), whose files remove-app cannot tell are the
 * app's, and a name with nothing left of it as an unknown app.
 */
function leftoversOf(root: string, name: string, known: readonly string[], generated: readonly string[]): string[] {
  const unknown = () => new UsageError(`unknown app "${name}"; known apps: ${known.join(', ') || '(none)'}`);
  // A name that is no folder name of apps/ names nothing remove-app may touch.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw unknown();
  const kept = filesUnder(root, Layout.app(name), new Set(['node_modules']));
  if (kept.length > 0) {
    const shown = kept.length > 3 ? `${kept.slice(0, 3).join(', ')} and ${kept.length - 3} more` : kept.join(', ');
    throw new Error(
      `remove-app ${name}: ${Layout.app(name)}/ holds ${shown} but no src/app.ts, so it is no app and remove-app cannot tell its files are the app's; delete them or move them out (or put src/app.ts back), then run remove-app ${name} again; nothing was changed`,
    );
  }
  const leftovers: string[] = [];
  const registered = appRegistrations(root, (a) => a === name).get(name) ?? [];
  if (registered.length > 0) leftovers.push(`its registration in ${registered.join(' and ')}`);
  if (generated.length > 0) leftovers.push(`${generated.length} generated file${generated.length === 1 ? '' : 's'} of it`);
  const listing = ENVIRONMENTS.filter((e) =>
    new RegExp(`^\\s*-\\s*${name.replaceAll('.', '\\.')}\\s*$`, 'm').test(read(join(root, Layout.envKustomization(e))) ?? ''),
  );
  if (listing.length > 0) leftovers.push(`its entry in ${listing.map((e) => Layout.envKustomization(e)).join(', ')}`);
  const built = ENVIRONMENTS.filter((e) => existsSync(join(root, Layout.distOf(e, name))));
  if (built.length > 0) leftovers.push(`its built files in ${Layout.dist}/`);
  if (cachedApps(root)?.[name] !== undefined || recordWithoutApp(root, name)) leftovers.push('its entries in the pipeline cache');
  const installed = existsSync(join(root, Layout.app(name)));
  const linked = lstatSync(join(root, 'node_modules', '@strata-apps', name), { throwIfNoEntry: false }) !== undefined;
  if (installed || linked) leftovers.push('what the install linked for it');
  if (leftovers.length === 0) throw unknown();
  return leftovers;
}

/**
 * The files of `dir` (relative to the root) whose content git does not hold in a commit: untracked
 * ones (ignored ones apart, as install and build state) and ones changed since HEAD, staged or not,
 * each with what it is. Outside a git work tree, none: there is no commit to tell them by.
 */
function uncommittedFiles(root: string, dir: string): string[] {
  const git = (args: readonly string[]) => runGit(root, args, { outsideRepository: 'undefined' });
  const untracked = git(['ls-files', '-z', '--others', '--exclude-standard', '--', dir]);
  if (untracked === undefined) return [];
  const split = (text: string) => text.split('\0').filter((f) => f !== '');
  const files = new Map<string, string>();
  const head = git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])?.status === 0;
  if (head) {
    // Against HEAD, paths relative to the root: the edits in the index and in the files alike; a file
    // deleted since is in the commit, nothing of it is lost.
    const fields = split(git(['diff', 'HEAD', '--name-status', '--no-renames', '--relative', '-z', '--', dir])?.stdout ?? '');
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] !== 'D') files.set(fields[i + 1]!, 'changed since the last commit');
  } else {
    for (const file of split(git(['ls-files', '-z', '--cached', '--', dir])?.stdout ?? '')) files.set(file, 'never committed');
  }
  for (const file of split(untracked.stdout)) if (!file.split('/').includes('node_modules')) files.set(file, 'untracked');
  return [...files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([file, what]) => `${file} (${what})`);
}

/** The root's link to the app (`node_modules/@strata-apps/<name>`), relative to the root, when it is one. */
function rootLink(root: string, name: string): string[] {
  const link = `node_modules/@strata-apps/${name}`;
  return lstatSync(join(root, link), { throwIfNoEntry: false })?.isSymbolicLink() ? [link] : [];
}

/**
 * `strata remove-app NAME`: removes an app and every trace of it in one transaction: its folder,
 * its registration in the root package.json and pnpm-lock.yaml, base/<name>, overlays/<env>/<name>,
 * its line in each env root, its entries in gitops/, its node in the committed topology pictures
 * (docs/), its built dist/ files, its pipeline cache entry and the record of what its builds wrote
 * (`staleBuilds` reads it). The tree writer's journal makes it all or nothing, also when the process
 * is killed. What the install made (the app's node_modules, the root's link to it) goes with the
 * change as install state, so a recovery that completes a killed run leaves what a finished run leaves.
 */
export async function removeApp(root: string, name: string): Promise<RemoveResult> {
  const known = appDirs(root);
  // An app whose folder is gone (deleted by hand, by git rm, by a merge) leaves its registration,
  // which fails every pnpm install, and the rest: what is left of it goes as the whole app would.
  const gone = !known.includes(name);
  const remaining = known.filter((a) => a !== name);
  // A file written by hand in the app's generated folders is never deleted, and it would keep its
  // folder, which Argo CD's directory generator makes an Application of (overlays/<env>/*): the
  // removal is refused before anything changes, for the person to move or delete it.
  const generatedDirs = [Layout.baseOf(name), ...ENVIRONMENTS.map((e) => Layout.overlay(e, name))];
  // A folder that is a link to elsewhere is no folder of the workspace: what it holds is not the
  // app's to delete, and the writer would not remove it through the link anyway.
  for (const dir of [Layout.app(name), ...generatedDirs]) {
    const link = linkedFolder(root, `${dir}/kustomization.yaml`);
    if (link) {
      throw new Error(
        `${link.folder}: is a symbolic link (to ${link.target}); an app's folders must be plain folders in the workspace, so nothing was changed: remove the link, then run remove-app ${name} again`,
      );
    }
  }
  const generatedFiles = generatedDirs.flatMap((d) => filesUnder(root, d));
  // The app's folder is its source, written by hand: what git does not hold in a commit (a new file,
  // an edit not committed yet) would be lost for good, so the removal is refused, as `git rm -r` does.
  const uncommitted = gone ? [] : uncommittedFiles(root, Layout.app(name));
  if (uncommitted.length > 0) {
    const shown = uncommitted.length > 5 ? `${uncommitted.slice(0, 5).join(', ')} and ${uncommitted.length - 5} more` : uncommitted.join(', ');
    throw new Error(
      `remove-app ${name}: ${Layout.app(name)}/ holds work that no commit has: ${shown}; removing the folder would lose it for good, so commit it or move it out of ${Layout.app(name)}/, then run remove-app ${name} again (or, to discard it, delete the folder yourself: rm -r ${Layout.app(name)}, and remove-app ${name} removes what is left of the app); nothing was changed`,
    );
  }
  // An app whose folder is gone (deleted by hand, by git rm, by a merge) leaves its registration,
  // which fails every pnpm install, and the rest: what is left of it goes as the whole app would.
  const leftovers = gone ? leftoversOf(root, name, known, generatedFiles) : undefined;
  const foreign = generatedFiles.filter((file) => !isGenerated(read(join(root, file)) ?? ''));
  if (foreign.length > 0) {
    const files = foreign.length === 1 ? `${foreign[0]} has` : `${foreign.join(', ')} have`;
    throw new Error(
      `remove-app ${name}: ${files} no generated header (written by hand), so remove-app does not delete it and its folder would stay, an app to Argo CD (every folder under overlays/<env>/ is one); move it out of ${Layout.baseOf(name)}/ and overlays/<env>/${name}/ or delete it, then run remove-app again; nothing was changed`,
    );
  }

  // What the others make of the shared files: the env roots list every app generated, gitops/ is planned
  // from the build of each other app's committed overlays, as `strata gitops` and import plan it,
  // so no app is compiled (one added with --no-install and not installed yet counts too). An app
  // never generated has no overlays and no entry in gitops/ yet: it stays out of the plan.
  const generated = remaining.filter((app) => ENVIRONMENTS.some((e) => existsSync(join(root, Layout.overlayKustomization(e, app)))));
  const targets = generated.flatMap((app) => ENVIRONMENTS.map((env) => ({ env, app })));
  const results = await buildOverlays(
    root,
    targets.map((t) => Layout.overlay(t.env, t.app)),
  );
  const tool = results.find((r) => r.toolFailed);
  if (tool) throw new ToolError(`${tool.overlay}: kustomize build failed: ${tool.error ?? 'failed'}`);
  const built = new Map<string, Manifest[]>();
  results.forEach((r, i) => {
    if (r.ok) built.set(`${targets[i]!.env}/${targets[i]!.app}`, parseBuild(r.yaml, r.overlay));
  });

  const writes = new Map<string, string>();
  // The committed topology pictures, drawn from the other apps' overlays (which the removal leaves as they are).
  for (const [path, content] of await redrawTopology(root, { without: [name] })) writes.set(path, content);
  const failed = results.find((r) => !r.ok);
  if (failed) {
    throw new Error(
      `${failed.overlay}: kustomize build failed, so gitops/ cannot be planned without ${name}: ${(failed.error ?? 'failed').split('\n')[0]}; nothing was changed`,
    );
  }
  const shared = new Map([
    // An app never generated has no overlay for a root to list (generatedApps).
    ...planEnvironments(generatedApps(root, remaining, () => false)),
    ...planGitops(root, loadSettings(root), generated, { built: (e: Environment, app) => built.get(`${e}/${app}`)! }),
  ]);
  for (const [path, content] of shared) if (read(join(root, path)) !== content) writes.set(path, content);
  const pkg = read(join(root, 'package.json'));
  const registered = pkg === undefined ? undefined : withoutRegistration(pkg, name);
  if (registered !== undefined) writes.set('package.json', registered);
  const lock = read(join(root, 'pnpm-lock.yaml'));
  if (lock !== undefined) {
    const edited = lockfileWithout(lock, name);
    if (edited !== lock) writes.set('pnpm-lock.yaml', edited);
  }
  const cache = read(cacheFile(root));
  if (cache !== undefined) {
    try {
      const parsed = JSON.parse(cache) as { apps?: Record<string, unknown>; shared?: unknown };
      if (parsed.apps && name in parsed.apps) {
        delete parsed.apps[name];
        // The shared files' entry names every app: it no longer holds.
        delete parsed.shared;
        writes.set(relative(root, cacheFile(root)), JSON.stringify(parsed));
      }
    } catch {
      // an unreadable cache is not read by the pipeline either
    }
  }

  const removed = new Set<string>(filesUnder(root, `apps/${name}`, new Set(['node_modules'])));
  for (const file of generatedDirs.flatMap((d) => filesUnder(root, d))) removed.add(file);
  // gitops/ files that the plan without the app no longer has.
  for (const file of filesUnder(root, 'gitops'))
    if (!shared.has(file) && file.endsWith('.yaml') && isGenerated(read(join(root, file)) ?? '')) removed.add(file);
  for (const e of ENVIRONMENTS) {
    const built = Layout.distOf(e, name);
    if (!existsSync(join(root, built))) continue;
    // Through a linked dist/ folder it would be a file outside the workspace: refused before anything changes.
    refuseLinkedDist(root, built);
    removed.add(built);
  }

  const held = lockTree(root);
  try {
    recoverLocked(root);
    // Read under the lock, as the builds write it: a build that ran meanwhile keeps what it recorded.
    const record = recordWithoutApp(root, name);
    if (record) writes.set(...record);
    // What the install made for the app, state that is never committed, goes with the change, also
    // when a recovery completes it: its node_modules (and its folder with it when nothing else is
    // left) and the root's link to it, which would otherwise point at a folder that is gone.
    commitTransaction(root, [...writes], [...removed], { prune: [`apps/${name}/node_modules`, ...rootLink(root, name)] });
  } finally {
    held.release();
  }

  // With nothing to change in the tree, no transaction pruned what the install left of a gone app.
  if (gone) {
    rmSync(join(root, Layout.app(name), 'node_modules'), { recursive: true, force: true });
    try {
      rmdirSync(join(root, Layout.app(name)));
    } catch {
      // gone already, or holding what someone put there since: left as it is
    }
  }
  // The root's link to the app, when no transaction took it (nothing of the app was left in the tree).
  for (const link of rootLink(root, name)) unlinkSync(join(root, link));
  return { app: name, ...(leftovers && { leftovers }), removed: [...removed].sort(), written: [...writes.keys()].sort() };
}
