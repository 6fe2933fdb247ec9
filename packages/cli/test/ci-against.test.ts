import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { pathWithoutGit, refuseGit } from '@strata/testing/git-refusal';
import { commitAll, git } from '@strata/testing/workspace-copy';
import { editFile, strata, suiteWorkspace } from '@strata/testing/workspace';

// On a fresh clone the first run builds the server binaries (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;
const APP = 'tokenplace-relay';

/** Regenerates the tree after an edit of the app's code and commits both, as a change on a branch. */
function commitChange(root: string, message: string): void {
  expect(strata(root, ['generate']).status).toBe(0);
  git(root, 'add', '-A', '--', 'apps', 'base', 'overlays');
  git(root, 'commit', '-qm', message);
}

describe('strata ci --against', () => {
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });

  it('refuses a ref that is not a commit in one line, exit 2, before the pipeline runs', { timeout: 120_000 }, () => {
    commitAll(ws.root);
    const r = strata(ws.root, ['ci', '--against', 'origin/no-such-branch'], undefined, { CI: 'true' });
    expect(r.stderr.trim()).toBe('strata: --against origin/no-such-branch: not a commit in this repository');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });

  it(
    'fails with git\'s own words, exit 2, when git cannot run in the clone (refusing it, or not installed): never "not a commit"',
    { timeout: 120_000 },
    () => {
      try {
        git(ws.root, 'rev-parse', '--verify', '-q', 'HEAD');
      } catch {
        commitAll(ws.root);
      }
      // verify reads the built output, which only has to be there: git is asked before it is read.
      for (const env of ['dev', 'staging', 'prod']) {
        mkdirSync(join(ws.root, 'dist', env), { recursive: true });
        writeFileSync(join(ws.root, 'dist', env, `${APP}.yaml`), '');
      }
      onTestFinished(() => rmSync(join(ws.root, 'dist'), { recursive: true, force: true }));
      const runs = [
        ['ci', '--against', 'HEAD~1'],
        ['diff', '--against', 'HEAD'],
        ['verify', '--against', 'HEAD~1'],
      ];
      const refusal = refuseGit(ws.root);
      try {
        for (const args of runs) {
          const r = strata(ws.root, args, undefined, { CI: 'true', ...refusal.env });
          expect([r.stderr, r.stdout, r.status], args.join(' ')).toStrictEqual([`strata: git failed in ${ws.root}: ${refusal.says}\n`, '', 2]);
        }
      } finally {
        refusal.undo();
      }
      const bare = pathWithoutGit();
      try {
        for (const args of runs) {
          const r = strata(ws.root, args, undefined, { CI: 'true', PATH: bare.path });
          expect([r.stderr, r.stdout, r.status], args.join(' ')).toStrictEqual(['strata: git not found: install git, or put it on PATH\n', '', 2]);
        }
      } finally {
        bare.dispose();
      }
    },
  );

  it('refuses a ref that holds no overlays (a docs branch) in one line, exit 2, before the pipeline runs', { timeout: 120_000 }, () => {
    try {
      git(ws.root, 'rev-parse', '--verify', '-q', 'HEAD');
    } catch {
      commitAll(ws.root);
    }
    const branch = git(ws.root, 'rev-parse', '--abbrev-ref', 'HEAD').trim();
    git(ws.root, 'checkout', '-q', '--orphan', 'docs-only');
    try {
      git(ws.root, 'rm', '-rq', '--cached', '.');
      git(ws.root, 'commit', '-q', '--allow-empty', '-m', 'docs');
    } finally {
      git(ws.root, 'checkout', '-qf', branch);
    }
    try {
      const r = strata(ws.root, ['ci', '--against', 'docs-only'], undefined, { CI: 'true' });
      expect(r.stderr.trim()).toMatch(/^strata: --against docs-only: docs-only has no overlays\/ .*nothing to check an upgrade from; pass .*$/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
      expect(r.status).toBe(2);
    } finally {
      git(ws.root, 'branch', '-qD', 'docs-only');
    }
  });

  it(
    'passes a compatible change with the upgrade checked, and fails a Deployment selector change at its field as immutable',
    () => {
      const env = join(ws.root, 'apps', APP, 'src/env/prod.ts');
      editFile(env, (t) => t.replace('replicas: 2,', 'replicas: 3,'));
      commitChange(ws.root, 'more replicas');
      const ok = strata(ws.root, ['ci', '--against', 'HEAD~1', '-o', 'json'], undefined, { CI: 'true' });
      const report = JSON.parse(ok.stdout) as { problems: { severity: string }[]; phases: Record<string, number> };
      expect(report.problems.filter((p) => p.severity === 'error')).toStrictEqual([]);
      // The ref was built, deployed and upgraded: not only created afresh.
      expect(Object.keys(report.phases)).toEqual(expect.arrayContaining(['build', 'baseline', 'upgrade']));
      expect(ok.status).toBe(0);
      const said = strata(ws.root, ['ci', '--against', 'HEAD~1'], undefined, { CI: 'true' });
      // Every object of the app the change keeps had its baseline at HEAD~1, and so had gitops/'s 6,
      // applied at HEAD~1 first as a person applied them: the line counts them all as upgrades.
      const counts =
        /^ci: passed: 1 app x 3 envs and gitops\/, \d+ resources generated, built, validated and (\d+) dry-run applied, (\d+) of them as upgrades of HEAD~1 \(/m.exec(
          said.stdout,
        );
      expect(counts).not.toBeNull();
      expect(Number(counts![2])).toBe(Number(counts![1]));
      expect(said.status).toBe(0);

      editFile(join(ws.root, 'apps', APP, 'src/render.ts'), (t) => t.replace("component: 'relay', namespace", "component: 'relay-v2', namespace"));
      commitChange(ws.root, 'a new selector');
      const refused = strata(ws.root, ['ci', '--against', 'HEAD~1'], undefined, { CI: 'true' });
      for (const envName of ['dev', 'staging', 'prod'])
        expect(refused.stdout).toMatch(
          new RegExp(
            `^dist/${envName}/${APP}\\.yaml:\\d+: apps/v1/Deployment tokenplace(-${envName})?/${APP}: spec\\.selector: .*field is immutable \\(changed since HEAD~1.*\\[immutable-field\\]$`,
            'm',
          ),
        );
      expect(refused.stdout).toMatch(/^ci: failed: /m);
      expect(refused.status).toBe(1);
    },
    BUILD_TIMEOUT,
  );
});
