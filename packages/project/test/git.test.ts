import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
// By path, as temp.ts: @strata/testing depends on this package. The module imports nothing of the workspace.
import { pathWithoutGit, refuseGit } from '../../testing/src/git-refusal.ts';
import { GitError, gitText, isGitCommit } from '../src/git.ts';
import { ignoredFiles, ignoredFilesAsync, ignoredPaths } from '../src/ignored.ts';
import { ToolMissingError } from '../src/errors.ts';
import { checkNewAppName } from '../src/scaffold.ts';
import { testTempDir } from './temp.ts';

/** A repository of one commit whose .gitignore ignores dist/. */
function repository(): string {
  const root = realpathSync(testTempDir('strata-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: root });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(root, '.gitignore'), 'dist/\n');
  git('add', '.gitignore');
  git('commit', '-qm', 'start');
  return root;
}

/** More paths than a pipe holds: git ends before it reads them all. */
const MANY = Array.from({ length: 20_000 }, (_, i) => `apps/app-${i}/src/env/dev.ts`);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('a git that cannot run in the repository', () => {
  it('is told apart from its answers: a ref it does not know is no commit, a file it does not ignore is not ignored', () => {
    const root = repository();
    expect(isGitCommit(root, 'HEAD')).toBe(true);
    expect(isGitCommit(root, 'HEAD~1')).toBe(false);
    expect(isGitCommit(root, 'origin/no-such-branch')).toBe(false);
    expect(ignoredPaths(root, ['dist/x.yaml', 'apps/a/package.json'])).toStrictEqual([{ path: 'dist/', rule: '.gitignore:1: dist/' }]);
    expect(() => gitText(root, ['ls-tree', 'no-such-ref'])).toThrow(`git ls-tree failed in ${root}: fatal: Not a valid object name no-such-ref`);
    // A workspace that is no git repository: nothing to commit into, so nothing ignored, however
    // many files are asked about (git refuses before it reads them).
    const outside = testTempDir('strata-no-repo-');
    expect(ignoredPaths(outside, MANY)).toStrictEqual([]);
    expect(ignoredFiles(outside)).toBeUndefined();
    expect(() => isGitCommit(outside, 'HEAD')).toThrow(`git failed in ${outside}: fatal: not a git repository`);
  });

  it('that refuses the repository fails every question with its own words, never "no commit" or "nothing ignored"', async () => {
    const root = repository();
    const refusal = refuseGit(root);
    try {
      for (const [k, v] of Object.entries(refusal.env)) vi.stubEnv(k, v);
      const says = `git failed in ${root}: ${refusal.says}`;
      expect(() => isGitCommit(root, 'HEAD~1')).toThrow(new GitError(says));
      expect(() => ignoredPaths(root, ['dist/x.yaml'])).toThrow(says);
      expect(() => ignoredPaths(root, MANY)).toThrow(says);
      expect(() => ignoredPaths(root, ['dist/x.yaml'], { untrackedOnly: true })).toThrow(says);
      expect(() => ignoredFiles(root)).toThrow(says);
      await expect(ignoredFilesAsync(root)).rejects.toThrow(says);
      expect(() => checkNewAppName(root, 'dist')).toThrow(says);
    } finally {
      refusal.undo();
    }
  });

  it('that is not installed fails them as a missing tool, in a clone; outside any repository there is nothing to ask', async () => {
    const root = repository();
    const outside = testTempDir('strata-no-repo-');
    mkdirSync(join(outside, 'apps'));
    const bare = pathWithoutGit();
    try {
      vi.stubEnv('PATH', bare.path);
      const missing = new ToolMissingError('git not found', 'install git, or put it on PATH');
      expect(() => isGitCommit(root, 'HEAD')).toThrow(missing);
      expect(() => ignoredPaths(root, ['dist/x.yaml'])).toThrow(missing);
      await expect(ignoredFilesAsync(root)).rejects.toThrow(missing);
      // A workspace that is no git repository: allowed, as with git installed.
      expect(ignoredPaths(outside, ['dist/x.yaml'])).toStrictEqual([]);
      expect(ignoredFiles(outside)).toBeUndefined();
      expect(() => isGitCommit(outside, 'HEAD')).toThrow(missing);
    } finally {
      bare.dispose();
    }
  });
});
