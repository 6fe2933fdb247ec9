import { realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { installed, type ReadJudge } from '@strata/core/sources';
import { ignoredFiles, ignoredFilesAsync, ignoredPaths } from './ignored.ts';

/**
 * Whether the files an app's render depends on are the repository's: what a clone holds. A file
 * git ignores, or one outside the repository, is on this machine only, and a tree rendered from it
 * cannot be made again from the repository (nor reused by the cache, which keys on the repository).
 */

/** Whether `path` (real) lies outside `root` (real). */
export function outsideRoot(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel.startsWith('..') || isAbsolute(rel);
}

/**
 * Whether `path` is a file of a package the workspace at `root` installed: the lockfile pins it,
 * and the install puts it in place in every clone, wherever the package manager keeps its store
 * (pnpm's global virtual store lies outside the repository, a linked node_modules too); git ignores
 * node_modules by design. Any other node_modules (the machine's global one, /tmp/x/node_modules, a
 * tool's cache in node_modules/.cache) is the machine's: see installed.
 */
export function installedPackageFile(path: string, root: string): boolean {
  return installed(path, root);
}

const CLONE_LACKS = 'a clone of the repository lacks it and cannot render the same tree';

/**
 * The judge of what app code reads (see judgeReads): a file outside the repository, or one git
 * ignores, as git itself says (a file git tracks is never ignored), is refused; nothing at a path is
 * nothing in a clone either. Each path is judged once per judge, and git is asked once per judge for
 * every file it ignores (see ignoredFiles), however many files the apps read: a judge serves a run.
 */
export function repositoryReads(): RepositoryJudge {
  const known = new Map<string, string | undefined>();
  const roots = new Map<string, Workspace>();
  const workspaceOf = (root: string) => {
    let workspace = roots.get(root);
    if (workspace === undefined) {
      workspace = { real: realpathSync(root), ignored: null };
      roots.set(root, workspace);
    }
    return workspace;
  };
  const judge = (path: string, root: string) => {
    const key = `${root}\0${path}`;
    if (known.has(key)) return known.get(key);
    const why = judged(workspaceOf(root), path);
    known.set(key, why);
    return why;
  };
  const prepare = async (root: string) => {
    const workspace = workspaceOf(root);
    if (workspace.ignored !== null) return;
    const ignored = await (workspace.listing ??= ignoredFilesAsync(workspace.real));
    if (workspace.ignored === null) workspace.ignored = ignored;
  };
  return Object.assign(judge, { prepare });
}

/**
 * A judge of what app code reads that can ask git what it ignores ahead of the first file it
 * judges: `prepare` lists it without blocking, so a caller that awaits it after other work (the
 * apps' compile) does not wait on git at its first read.
 */
export type RepositoryJudge = ReadJudge & { prepare(root: string): Promise<void> };

interface Workspace {
  /** The root's real path. */
  readonly real: string;
  /** What git ignores there; null until asked. */
  ignored: ((file: string) => boolean) | undefined | null;
  /** The listing asked for ahead of the first read (see RepositoryJudge.prepare). */
  listing?: Promise<((file: string) => boolean) | undefined>;
}

function judged(workspace: Workspace, path: string): string | undefined {
  const root = workspace.real;
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return undefined;
  }
  // A file of a package the workspace installed (what the lockfile installs), not any node_modules: see installed.
  if (installed(path, root) || installed(real, root)) return undefined;
  if (outsideRoot(root, real)) {
    return real === path
      ? `which lies outside the repository: ${CLONE_LACKS}; copy it into the repository`
      : `a symbolic link to ${real}, outside the repository: ${CLONE_LACKS}; copy the file into the repository in place of the link`;
  }
  // Asked of git at the first read that needs it, so that a run whose apps read no file runs no git.
  if (workspace.ignored === null) workspace.ignored = ignoredFiles(root);
  const file = relative(root, real).split(sep).join('/');
  if (!workspace.ignored?.(file)) return undefined;
  // The rule to name, asked only of a read that fails the app.
  const rule = ignoredPaths(root, [file])[0]?.rule ?? 'a rule of its ignore files';
  return `which git ignores (${rule}): ${CLONE_LACKS}; commit it, or put the value in the app's config`;
}
