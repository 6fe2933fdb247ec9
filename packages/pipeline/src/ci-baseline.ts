/**
 * The git ref a CI run of `strata ci --against` checks the upgrade from: what the clusters ran before
 * this commit. On a push that is the branch's tip before the push, which the CI names (GitHub
 * Actions: the push event's `before`, in the payload at $GITHUB_EVENT_PATH; GitLab:
 * $CI_COMMIT_BEFORE_SHA), since a push may bring several commits and Argo CD syncs from the old tip
 * to the new one in one step; HEAD~1 would check only the push's last commit. Elsewhere (a pull
 * request's merge commit, whose first parent is the target branch; a CI that names no before commit;
 * a new branch, whose before is all zeros) it is HEAD~1. A commit the clone lacks (a shallow fetch)
 * cannot be built, so it falls back a step, and says so. A git that cannot run in the clone (not
 * installed, or refusing a clone another user owns: `detected dubious ownership`) throws with git's
 * words: it says nothing of the history, and a gate that skipped its upgrade check for it would pass.
 */

import { readFileSync } from 'node:fs';
import { isGitCommit } from '@strata/project/git';

export interface CiBaseline {
  /** The ref to pass as `--against`; undefined when the clone has none to check against. */
  readonly against?: string;
  /** One line saying where the baseline came from, or why there is none; none for plain HEAD~1. */
  readonly said?: string;
}

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The before commit the CI names for a push, or undefined when it names none (another event, a new branch's zeros). */
export function pushBefore(env: NodeJS.ProcessEnv): { readonly commit: string; readonly from: string } | undefined {
  const named = (value: unknown, from: string) =>
    typeof value === 'string' && COMMIT.test(value) && !/^0+$/.test(value) ? { commit: value, from } : undefined;
  if (env.GITHUB_ACTIONS === 'true') {
    // A pull_request event's payload has a before too (the branch's previous head): only a push's is what was deployed.
    if (env.GITHUB_EVENT_NAME !== 'push' || !env.GITHUB_EVENT_PATH) return undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
    } catch {
      return undefined;
    }
    const before = typeof payload === 'object' && payload !== null ? (payload as { before?: unknown }).before : undefined;
    return named(before, "the push event's before");
  }
  if (env.GITLAB_CI === 'true') return named(env.CI_COMMIT_BEFORE_SHA, 'CI_COMMIT_BEFORE_SHA');
  return undefined;
}

/** The baseline for the CI run of the repository at `root`, from the CI's variables in `env`; throws when git cannot run there (see isGitCommit). */
export function ciBaseline(root: string, env: NodeJS.ProcessEnv = process.env): CiBaseline {
  const before = pushBefore(env);
  const parent = isGitCommit(root, 'HEAD~1');
  if (before && isGitCommit(root, before.commit)) {
    return { against: before.commit, said: `ci: the upgrade is checked from ${before.commit}, the branch before this push (${before.from})` };
  }
  const lacking = before
    ? `the branch before this push, ${before.commit} (${before.from}), is not in this clone (fetch its history: fetch-depth: 0 in GitHub Actions, GIT_DEPTH: 0 in GitLab); `
    : '';
  if (parent) return { against: 'HEAD~1', ...(before ? { said: `ci: ${lacking}the upgrade is checked from HEAD~1` } : {}) };
  return {
    said: `ci: ${lacking}HEAD has no parent in this clone (a root commit or a shallow clone): the upgrade from HEAD~1 is not checked`,
  };
}
