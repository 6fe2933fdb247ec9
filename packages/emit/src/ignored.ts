import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ignoredPaths, Layout } from '@strata/project';
import { parse } from 'yaml';

/**
 * Thrown when git would leave a planned file out of every commit (a rule of the repository's ignore
 * files matches it or its folder): the tree would build here and nowhere else. A problem of the
 * names the file or folder is made of, never of the tree on disk.
 */
export class IgnoredFileError extends Error {
  override readonly name: string = 'IgnoredFileError';
}

const COMPONENT = /^base\/([^/]+)\/components\/([^/]+)\/$/;
const APP_FOLDER = /^(?:base|overlays\/[^/]+)\/([^/]+)\/$/;

export interface RefuseIgnoredOptions {
  /** A planned file's content, to name the object it holds; a file it does not give is read from disk. */
  readonly contentOf?: (path: string) => string | undefined;
  /**
   * Whether the caller was about to write the files, so that the refusal says nothing was written.
   * @default true
   */
  readonly writing?: boolean;
}

/**
 * Refuses the generated files at `paths` (relative to `root`) when git would never commit one that
 * it does not track already, in one line: the file or folder, the rule as git names it
 * (`.gitignore:5: dist/`) and the name to change. One `git check-ignore` for all of them, and none
 * when git tracks every one (a committed tree that generate only rewrites). Nothing is refused
 * outside a git repository; a git that cannot run there throws (see runGit).
 */
export function refuseIgnored(root: string, paths: Iterable<string>, options: RefuseIgnoredOptions = {}): void {
  const [first, ...more] = ignoredPaths(root, paths, { untrackedOnly: true });
  if (!first) return;
  const also =
    more.length === 0
      ? ''
      : ` (and ${more.length} more: ${more
          .slice(0, 3)
          .map((m) => m.path)
          .join(', ')}${more.length > 3 ? ', ...' : ''})`;
  const content = (path: string) => options.contentOf?.(path) ?? readOrUndefined(join(root, path));
  throw new IgnoredFileError(
    `${first.path}: git ignores it (${first.rule}), so it would never be committed and no clone would build as this checkout does; ${remedy(first.path, content)}${also}${options.writing === false ? '' : '; nothing was written'}`,
  );
}

const readOrUndefined = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** What to rename so that the path is another, or else which rule to change. */
function remedy(path: string, content: (path: string) => string | undefined): string {
  const component = COMPONENT.exec(path);
  if (component) {
    const [, app, name] = component;
    return `rename the component ${name} of the app ${app} (in ${Layout.appModule(app!)} and its env files), or narrow the rule`;
  }
  const folder = APP_FOLDER.exec(path);
  if (folder) return `rename the app ${folder[1]}, or narrow the rule`;
  const inTree = path.startsWith(`${Layout.base}/`) || path.startsWith(`${Layout.overlays}/`);
  if (inTree && !path.endsWith('/') && !path.endsWith('/kustomization.yaml')) {
    // Every other file of base/ and overlays/ is one object's (or its patch's), named after it.
    const object = objectOf(content(path));
    if (object) return `rename the ${object.kind} ${object.name} (its file is named after it), or narrow the rule`;
  }
  return 'narrow the rule: Strata writes this path whatever the apps are named';
}

function objectOf(content: string | undefined): { kind: string; name: string } | undefined {
  if (content === undefined) return undefined;
  try {
    const doc = parse(content) as { kind?: unknown; metadata?: { name?: unknown } } | null;
    const kind = doc?.kind;
    const name = doc?.metadata?.name;
    return typeof kind === 'string' && typeof name === 'string' ? { kind, name } : undefined;
  } catch {
    return undefined;
  }
}
