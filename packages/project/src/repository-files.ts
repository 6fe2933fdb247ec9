import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import type { ReadJudge } from '@strata/core/sources';

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
 * Whether `path` is a file of an installed package (a `node_modules` folder on its way): the
 * lockfile pins it, and the install puts it in place in every clone, wherever the package manager
 * keeps its store (pnpm's global virtual store lies outside the repository, a linked node_modules
 * too); git ignores node_modules by design.
 */
export function installedPackageFile(path: string): boolean {
  return path.split(sep).includes('node_modules');
}

const CLONE_LACKS = 'a clone of the repository lacks it and cannot render the same tree';

/**
 * The judge of what app code reads (see judgeReads): a file outside the repository, or one git
 * ignores, as git itself says (`git check-ignore`: a file git tracks is never ignored), is refused;
 * nothing at a path is nothing in a clone either. Each path is judged once per judge.
 */
export function repositoryReads(): ReadJudge {
  const known = new Map<string, string | undefined>();
  const roots = new Map<string, string>();
  return (path, root) => {
    const key = `${root}\0${path}`;
    if (known.has(key)) return known.get(key);
    let realRoot = roots.get(root);
    if (realRoot === undefined) {
      realRoot = realpathSync(root);
      roots.set(root, realRoot);
    }
    const why = judged(realRoot, path);
    known.set(key, why);
    return why;
  };
}

function judged(root: string, path: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return undefined;
  }
  if (installedPackageFile(path) || installedPackageFile(real)) return undefined;
  if (outsideRoot(root, real)) {
    return real === path
      ? `which lies outside the repository: ${CLONE_LACKS}; copy it into the repository`
      : `a symbolic link to ${real}, outside the repository: ${CLONE_LACKS}; copy the file into the repository in place of the link`;
  }
  const rule = ignoredBy(root, relative(root, real));
  return rule ? `which git ignores (${rule}): ${CLONE_LACKS}; commit it, or put the value in the app's config` : undefined;
}

/** The rule of an ignore file that makes git ignore `file` (relative to `root`): `.gitignore:9: *.secret.env`; undefined outside a git work tree. */
function ignoredBy(root: string, file: string): string | undefined {
  const r = spawnSync('git', ['check-ignore', '--verbose', '--', file], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 || !r.stdout) return undefined;
  // <source>:<line>:<pattern><TAB><path>
  const match = /^(.*?):(\d+):(.*)\t/m.exec(r.stdout);
  return match ? `${match[1]}:${match[2]}: ${match[3]}` : 'a rule of its ignore files';
}
