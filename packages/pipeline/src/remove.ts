import { existsSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENVIRONMENTS } from '@strata/core';
import { appDirs, filesIn, loadApps, UsageError, Layout, type WarningOptions } from '@strata/project';
import { commitTransaction, isGenerated, lockTree, planApp, planEnvironments, recoverLocked, schemaMergeKeys } from '@strata/emit';
import { loadSettings, planGitops } from '@strata/gitops';
import { redrawTopology } from '@strata/graph';
import { refuseLinkedDist } from './build.ts';
import { cacheFile } from './cache.ts';

export interface RemoveResult {
  readonly app: string;
  /** Files removed, relative to the root. */
  readonly removed: string[];
  /** Files rewritten without the app (registration, env roots, gitops/, the lockfile, the cache). */
  readonly written: string[];
  /** Files in the app's generated folders without the generated header: left alone. */
  readonly foreign: string[];
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

/**
 * `strata remove-app NAME`: removes an app and every trace of it in one transaction: its folder,
 * its registration in the root package.json and pnpm-lock.yaml, base/<name>, overlays/<env>/<name>,
 * its line in each env root, its entries in gitops/, its node in the committed topology pictures
 * (docs/), its built dist/ files and its pipeline cache entry. The tree writer's journal makes it all or nothing, also when the process is killed. What
 * the install made (the app's node_modules, the root's link to it) goes afterwards: it is not
 * committed, and `pnpm install` would make or remove it again anyway.
 */
export async function removeApp(root: string, name: string, options: WarningOptions = {}): Promise<RemoveResult> {
  const known = appDirs(root);
  if (!known.includes(name)) throw new UsageError(`unknown app "${name}"; known apps: ${known.join(', ') || '(none)'}`);
  const remaining = known.filter((a) => a !== name);

  // What the others make of the shared files: the env roots and gitops/ list every app.
  // (loadApps reads an empty list as every app.)
  const plans = remaining.length === 0 ? [] : (await loadApps(root, remaining, options)).map((app) => planApp(app, schemaMergeKeys));
  const byName = new Map(plans.map((p) => [p.app, p]));
  const shared = new Map([
    ...planEnvironments(remaining),
    ...planGitops(root, loadSettings(root), remaining, { built: (e, app) => byName.get(app)!.desired[e] }),
  ]);

  const writes = new Map<string, string>();
  for (const [path, content] of shared) if (read(join(root, path)) !== content) writes.set(path, content);
  // The committed topology pictures, drawn from the other apps' overlays (which the removal leaves as they are).
  for (const [path, content] of await redrawTopology(root, { without: [name] })) writes.set(path, content);
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

  const foreign: string[] = [];
  const removed = new Set<string>(filesUnder(root, `apps/${name}`, new Set(['node_modules'])));
  const generatedDirs = [`base/${name}`, ...ENVIRONMENTS.map((e) => Layout.overlay(e, name))];
  for (const file of generatedDirs.flatMap((d) => filesUnder(root, d))) {
    if (isGenerated(read(join(root, file)) ?? '')) removed.add(file);
    else foreign.push(file);
  }
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
    // The app's node_modules, install state that is never committed, goes with the change (and
    // its folder with it when nothing else is left), also when a recovery completes the change.
    commitTransaction(root, [...writes], [...removed], { prune: [`apps/${name}/node_modules`] });
  } finally {
    held.release();
  }

  // The root's link to the app, install state outside the app's folder.
  const link = join(root, 'node_modules', '@strata-apps', name);
  try {
    if (lstatSync(link).isSymbolicLink()) unlinkSync(link);
  } catch {
    // not linked
  }
  return { app: name, removed: [...removed].sort(), written: [...writes.keys()].sort(), foreign };
}
