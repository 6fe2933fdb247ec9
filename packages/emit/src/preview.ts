import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { planChanges, refuseIgnoredWrites, type TreeChanges } from './write.ts';

/** One file that applying a plan would change. */
export interface FileDiff {
  /** Relative to the root. */
  readonly file: string;
  readonly status: 'added' | 'changed' | 'removed';
  /** Unified diff with `a/` and `b/` paths (`/dev/null` for an added or removed file), as `git apply` takes it. */
  readonly diff: string;
}

/** What applying a plan would change, with the diff of every file it would write or remove. */
export interface TreeDiff extends TreeChanges {
  /** Sorted by file. */
  readonly diffs: FileDiff[];
}

/**
 * What bringing the tree under `root` to `files` would change, file by file, without touching the
 * disk: the same plan the writer applies (stale generated files in `dirs` are removals; a file
 * without the generated header, or one to write that git would never commit, is refused the same
 * way), shown as unified diffs.
 */
export function diffTree(root: string, files: ReadonlyMap<string, string>, dirs: readonly string[]): TreeDiff {
  const { writes, ...changes } = planChanges(root, files, dirs);
  refuseIgnoredWrites(root, changes.written, files);
  // A symbolic link in a planned file's place is replaced, never read through: the file is added.
  const onDisk = (rel: string) => {
    const path = join(root, rel);
    return lstatSync(path, { throwIfNoEntry: false })?.isFile() ? readFileSync(path, 'utf8') : undefined;
  };
  const patch = (rel: string, before: string | undefined, after: string | undefined) =>
    createTwoFilesPatch(
      before === undefined ? '/dev/null' : `a/${rel}`,
      after === undefined ? '/dev/null' : `b/${rel}`,
      before ?? '',
      after ?? '',
      '',
      '',
      {
        context: 3,
        headerOptions: FILE_HEADERS_ONLY,
      },
    );
  const diffs: FileDiff[] = [];
  for (const [file, content] of writes) {
    const before = onDisk(file);
    diffs.push({ file, status: before === undefined ? 'added' : 'changed', diff: patch(file, before, content) });
  }
  for (const file of changes.removed) diffs.push({ file, status: 'removed', diff: patch(file, onDisk(file) ?? '', undefined) });
  diffs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { ...changes, diffs };
}
