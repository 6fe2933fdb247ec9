import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ToolMissingError } from '@strata/project';
import { pathWithoutGit, refuseGit } from '@strata/testing/git-refusal';
import { git } from '@strata/testing/workspace-copy';
import { ciBaseline } from '../src/ci-baseline.ts';

const ZEROS = '0'.repeat(40);
const ELSEWHERE = 'a'.repeat(40);

// A clone of three commits, as a push of the last two would leave it; and a clone of its root commit only.
let repo: string;
let rootOnly: string;
let commits: string[];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-ci-baseline-'));
  repo = join(dir, 'repo');
  git(dir, 'init', '-q', '-b', 'main', repo);
  for (const n of [1, 2, 3]) {
    writeFileSync(join(repo, 'file'), `${n}\n`);
    git(repo, 'add', 'file');
    git(repo, 'commit', '-qm', `commit ${n}`);
  }
  commits = git(repo, 'rev-list', '--reverse', 'HEAD').trim().split('\n');
  rootOnly = join(dir, 'root-only');
  git(dir, 'clone', '-q', '--depth', '1', `file://${repo}`, rootOnly);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** GitHub Actions' variables for an event whose payload holds `before`. */
function github(event: string, before: string | undefined): NodeJS.ProcessEnv {
  const path = join(dir, `${event}-${before ?? 'none'}.json`);
  writeFileSync(path, JSON.stringify(before === undefined ? {} : { before, after: commits[2] }));
  return { GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: event, GITHUB_EVENT_PATH: path };
}

describe('the baseline .ci/run checks the upgrade from', () => {
  it('is HEAD~1, said by nothing, where no CI names a before commit (this repository run locally, a fresh clone of main)', () => {
    expect(ciBaseline(repo, {})).toStrictEqual({ against: 'HEAD~1' });
  });

  it("is the push's before commit on GitHub Actions, so a push of two commits is checked from the tip before both", () => {
    const r = ciBaseline(repo, github('push', commits[0]!));
    expect(r.against).toBe(commits[0]);
    expect(r.said).toBe(`ci: the upgrade is checked from ${commits[0]}, the branch before this push (the push event's before)`);
  });

  it("is CI_COMMIT_BEFORE_SHA on GitLab, and HEAD~1 for GitLab's zeros (a new branch, a merge request pipeline)", () => {
    expect(ciBaseline(repo, { GITLAB_CI: 'true', CI_COMMIT_BEFORE_SHA: commits[0] }).against).toBe(commits[0]);
    expect(ciBaseline(repo, { GITLAB_CI: 'true', CI_COMMIT_BEFORE_SHA: ZEROS })).toStrictEqual({ against: 'HEAD~1' });
  });

  it("is HEAD~1 for a new branch's all-zero before, a payload without one, and a pull request's before (its own previous head)", () => {
    expect(ciBaseline(repo, github('push', ZEROS))).toStrictEqual({ against: 'HEAD~1' });
    expect(ciBaseline(repo, github('push', undefined))).toStrictEqual({ against: 'HEAD~1' });
    expect(ciBaseline(repo, github('pull_request', commits[0]!))).toStrictEqual({ against: 'HEAD~1' });
    expect(ciBaseline(repo, { GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: join(dir, 'missing.json') })).toStrictEqual({
      against: 'HEAD~1',
    });
  });

  it('falls back to HEAD~1 when the before commit is not in the clone, saying to fetch the history', () => {
    const r = ciBaseline(repo, github('push', ELSEWHERE));
    expect(r.against).toBe('HEAD~1');
    expect(r.said).toBe(
      `ci: the branch before this push, ${ELSEWHERE} (the push event's before), is not in this clone (fetch its history: fetch-depth: 0 in GitHub Actions, GIT_DEPTH: 0 in GitLab); the upgrade is checked from HEAD~1`,
    );
  });

  it('is none in a clone without HEAD~1, said in one line, as before', () => {
    expect(ciBaseline(rootOnly, {})).toStrictEqual({
      said: 'ci: HEAD has no parent in this clone (a root commit or a shallow clone): the upgrade from HEAD~1 is not checked',
    });
    expect(ciBaseline(rootOnly, github('push', commits[1]!)).against).toBeUndefined();
  });

  it('is printed by the script .ci/run runs: the ref on stdout, where it came from on stderr', () => {
    const script = join(import.meta.dirname, '../../../scripts/ci-baseline.ts');
    const tsx = join(import.meta.dirname, '../../../node_modules/.bin/tsx');
    const run = (env: NodeJS.ProcessEnv) => spawnSync(tsx, [script], { cwd: repo, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
    const plain = run({});
    expect([plain.stdout, plain.stderr, plain.status]).toStrictEqual(['HEAD~1\n', '', 0]);
    const pushed = run(github('push', commits[0]!));
    expect(pushed.stdout).toBe(`${commits[0]}\n`);
    expect(pushed.stderr).toMatch(/^ci: the upgrade is checked from [0-9a-f]{40}, the branch before this push/);
    expect(pushed.status).toBe(0);
  });

  describe('where git cannot run in the clone, fails with its words, so that .ci/run stops rather than skip the upgrade check', () => {
    const script = join(import.meta.dirname, '../../../scripts/ci-baseline.ts');
    const tsx = join(import.meta.dirname, '../../../node_modules/.bin/tsx');
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('git refusing the clone (another user owns it, as in a CI container): its dubious-ownership line, exit 2', () => {
      const refusal = refuseGit(repo);
      try {
        const says = `git failed in ${repo}: ${refusal.says}`;
        const run = spawnSync(tsx, [script], { cwd: repo, encoding: 'utf8', env: { PATH: process.env.PATH, ...refusal.env } });
        expect([run.stdout, run.stderr, run.status]).toStrictEqual(['', `ci: ${says}\n`, 2]);
        for (const [k, v] of Object.entries(refusal.env)) vi.stubEnv(k, v);
        expect(() => ciBaseline(repo, {})).toThrow(says);
        expect(() => ciBaseline(repo, github('push', commits[0]!))).toThrow(says);
      } finally {
        refusal.undo();
      }
    });

    it('git not installed: "git not found", exit 2', () => {
      const bare = pathWithoutGit();
      try {
        const run = spawnSync(process.execPath, [join(import.meta.dirname, '../../../node_modules/tsx/dist/cli.mjs'), script], {
          cwd: repo,
          encoding: 'utf8',
          env: { PATH: bare.path },
        });
        expect([run.stdout, run.stderr, run.status]).toStrictEqual(['', 'ci: git not found: install git, or put it on PATH\n', 2]);
        vi.stubEnv('PATH', bare.path);
        expect(() => ciBaseline(rootOnly, {})).toThrow(new ToolMissingError('git not found', 'install git, or put it on PATH'));
      } finally {
        bare.dispose();
      }
    });
  });
});
