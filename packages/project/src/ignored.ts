import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runGit, runGitAsync } from './git.ts';

/** A file, or a folder of files, that git would never commit, with the rule of an ignore file that makes it so. */
export interface IgnoredPath {
  /** Relative to the root, `/`-separated; a folder ends in `/`. */
  readonly path: string;
  /** The rule as `git check-ignore --verbose` names it: `<file>:<line>: <pattern>` (`.gitignore:5: dist/`). */
  readonly rule: string;
}

export interface IgnoredPathsOptions {
  /**
   * Leave out the files git tracks already: those stay committed whatever the ignore files say
   * (`git add -A` takes their changes), so only a file not tracked yet can be left out of a
   * commit. Costs one `git ls-files`, and spares asking about every tracked file (a committed tree
   * of 500 apps holds some 10,000): `git check-ignore` runs only when some file is not tracked.
   * @default false
   */
  readonly untrackedOnly?: boolean;
}

/**
 * git's answer in the work tree at `root`; undefined when `root` is in no git repository at all: a
 * workspace that is not one is allowed, and git ignores nothing there as there is nothing to commit
 * into. A git that cannot run (not installed in a clone, `detected dubious ownership`) throws with
 * its words (see runGit): what it would ignore is not known, and taking it for nothing ignored
 * would let a file no clone will have pass.
 */
const git = (root: string, args: readonly string[], input?: string) =>
  runGit(root, args, { outsideRepository: 'undefined', ...(input === undefined ? {} : { input }) });

/**
 * Which of `files` (relative to `root`, `/`-separated) git would never commit, as git itself says:
 * by the rules of every ignore file of the repository, .git/info/exclude and core.excludesFile. Each
 * comes as the outermost folder on its way that a rule ignores (so `dist/` for every file below a
 * component folder named dist), or else as itself; each once, in the order of the files. One
 * `git check-ignore --stdin` for all of them. Empty outside a git repository: there is nothing to
 * commit into; throws when git cannot run (see runGit).
 */
export function ignoredPaths(root: string, files: Iterable<string>, options: IgnoredPathsOptions = {}): IgnoredPath[] {
  let asked = [...new Set(files)];
  if (asked.length === 0) return [];
  if (options.untrackedOnly) {
    // A few files are named as they are; many, by their top folders (git matches each pathspec
    // against each entry of the index).
    const specs = asked.length <= 64 ? asked : [...new Set(asked.map((p) => p.split('/')[0]!))];
    const listed = git(root, ['--literal-pathspecs', 'ls-files', '-z', '--cached', '--', ...specs]);
    if (!listed || listed.status !== 0) return [];
    const tracked = new Set(listed.stdout.split('\0'));
    asked = asked.filter((p) => !tracked.has(p));
    if (asked.length === 0) return [];
  }
  // Each file's folders first, outermost first, each asked once: a folder a rule ignores (`dist/`
  // matches folders only, named with their `/`) is what to name, not each file in it.
  const paths = new Set<string>();
  for (const file of asked) {
    for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) paths.add(file.slice(0, i + 1));
    paths.add(file);
  }
  // --no-index: a path git tracks (by a forced add) is matched against the rules all the same; the
  // caller that wants those spared says so (untrackedOnly). -z: any path, any pattern, unquoted.
  const r = git(root, ['check-ignore', '--verbose', '--no-index', '--stdin', '-z'], `${[...paths].join('\0')}\0`);
  // 1: none is ignored. Outside a repository, undefined; a git that cannot run threw.
  if (!r || r.status !== 0 || !r.stdout) return [];
  const matched = new Map<string, string>();
  const fields = r.stdout.split('\0');
  for (let i = 0; i + 3 < fields.length; i += 4) {
    const [source, line, pattern, path] = fields.slice(i, i + 4) as [string, string, string, string];
    // --verbose names a negated rule (`!keep.yaml`) too when it is the last to match: that path is kept.
    if (!pattern.startsWith('!')) matched.set(path, `${source}:${line}: ${pattern}`);
  }
  const out: IgnoredPath[] = [];
  const named = new Set<string>();
  for (const file of asked) {
    let path: string | undefined;
    for (let i = file.indexOf('/'); i !== -1 && path === undefined; i = file.indexOf('/', i + 1)) {
      if (matched.has(file.slice(0, i + 1))) path = file.slice(0, i + 1);
    }
    path ??= matched.has(file) ? file : undefined;
    if (path !== undefined && !named.has(path)) {
      named.add(path);
      out.push({ path, rule: matched.get(path)! });
    }
  }
  return out;
}

/**
 * What git ignores in the work tree at `root`, asked once: every path it ignores and does not track
 * (`git ls-files --others --ignored --exclude-standard --directory`, so a folder it ignores whole,
 * node_modules/ or dist/, comes as that folder and is not walked). One git process answers for any
 * number of files, where `git check-ignore` file by file costs a process each. A file made or
 * changed since is asked about on its own, as it may not have been there to list. Undefined outside
 * a git repository: there is nothing to commit into; throws when git cannot run (see runGit).
 */
export function ignoredFiles(root: string): ((file: string) => boolean) | undefined {
  const since = Date.now();
  const listed = git(root, LIST_IGNORED);
  if (!listed || listed.status !== 0) return undefined;
  return ignoredMatcher(root, listed.stdout, since);
}

/**
 * As {@link ignoredFiles}, with git run without blocking: a caller that knows it will judge files
 * soon asks early, and the listing (a walk of the work tree, a few hundred milliseconds in a
 * repository of 500 apps) overlaps its other work.
 */
export async function ignoredFilesAsync(root: string): Promise<((file: string) => boolean) | undefined> {
  const since = Date.now();
  const listed = await runGitAsync(root, LIST_IGNORED, { outsideRepository: 'undefined' });
  return !listed || listed.status !== 0 ? undefined : ignoredMatcher(root, listed.stdout, since);
}

const LIST_IGNORED = ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'];

/** Whether git ignores a file, from a listing of what it ignores begun at `since`. */
function ignoredMatcher(root: string, listing: string, since: number): (file: string) => boolean {
  const ignored = new Set(listing.split('\0').filter((p) => p !== ''));
  /** `file` (relative to `root`, `/`-separated) or a folder on its way is listed. */
  const isListed = (file: string) => {
    if (ignored.has(file)) return true;
    for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) if (ignored.has(file.slice(0, i + 1))) return true;
    return false;
  };
  return (file) => {
    if (isListed(file)) return true;
    let changed: number;
    try {
      changed = statSync(join(root, file)).ctimeMs;
    } catch {
      return false;
    }
    // Made or changed after the listing began (ctime has a coarser clock than Date.now on some file systems).
    if (changed < since - 100) return false;
    return git(root, ['check-ignore', '-q', '--', file])?.status === 0;
  };
}
