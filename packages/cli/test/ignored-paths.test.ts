import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editFile, expectRefusal, repo, strata, tempWorkspace } from '@strata/testing/workspace';

// A generated file that a rule of the repository's ignore files matches is never committed: the
// overlays build in the checkout that generated them and in no clone. generate, pipeline and check
// refuse such a tree, naming the file or folder, git's rule and the name to change.
const APP = 'rtmlib-ml-backend';

const git = (root: string, args: readonly string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

describe('generated paths that git ignores', () => {
  const ws = tempWorkspace([APP]);
  beforeAll(() => {
    // A checkout: the repository's ignore rules, the tree generated and committed.
    cpSync(join(repo, '.gitignore'), join(ws.root, '.gitignore'));
    expect(strata(ws.root, ['generate']).status).toBe(0);
    git(ws.root, ['init', '-q']);
    git(ws.root, ['add', '-A']);
    git(ws.root, ['commit', '-qm', 'checkout']);
  }, 300_000);
  afterAll(() => ws.dispose());

  /** Back to the commit: the app's sources, the tree and the ignore rules as committed. */
  const reset = () => {
    git(ws.root, ['checkout', '-q', '--', '.']);
    git(ws.root, ['clean', '-fdq', '--', 'apps', 'base', 'overlays', 'gitops']);
    // What git ignores, git clean leaves.
    rmSync(join(ws.root, 'base', APP, 'components', 'dist'), { recursive: true, force: true });
  };
  /** The app's component gpu renamed dist, a name the root .gitignore's `dist/` matches as a folder. */
  const renameComponent = () => {
    const src = join(ws.root, 'apps', APP, 'src');
    editFile(join(src, 'app.ts'), (t) => t.replace("'gpu'>", "'dist'>").replace('    gpu: {', '    dist: {'));
    for (const env of ['dev', 'staging', 'prod']) editFile(join(src, 'env', `${env}.ts`), (t) => t.replaceAll("'gpu'", "'dist'"));
  };
  const refusal = (writing: boolean) =>
    `strata: base/${APP}/components/dist/: git ignores it (.gitignore:5: dist/), so it would never be committed and no clone would build as this checkout does; ` +
    `rename the component dist of the app ${APP} (in apps/${APP}/src/app.ts and its env files), or narrow the rule${writing ? '; nothing was written' : ''}`;

  it(
    'generate, its dry run, pipeline and check refuse a component whose folder git ignores, in one line, and write nothing',
    { timeout: 300_000 },
    () => {
      renameComponent();
      try {
        for (const args of [['generate'], ['generate', '--dry-run'], ['pipeline', '--no-cache']]) {
          expectRefusal(ws.root, args, { status: 1, stderr: [refusal(true)], apps: [APP] });
        }
        expectRefusal(ws.root, ['check'], { status: 1, stderr: [refusal(false)], apps: [APP] });
        expect(git(ws.root, ['status', '--porcelain', '--ignored', '--', 'base', 'overlays'])).toBe('');
      } finally {
        reset();
      }
    },
  );

  it('check and the frozen pipeline (the gates) refuse such files that an earlier generate left on disk, untracked', { timeout: 300_000 }, () => {
    renameComponent();
    const ignore = join(ws.root, '.gitignore');
    try {
      // Generated while no rule matched: the files are there, and git does not track them.
      const rules = editFile(ignore, (t) => t.replace(/^dist\/$/m, '#dist/'));
      expect(strata(ws.root, ['generate']).status).toBe(0);
      writeFileSync(ignore, rules);
      expect(git(ws.root, ['status', '--porcelain', '--ignored', '--', `base/${APP}/components`])).toContain(`!! base/${APP}/components/dist/\n`);
      expectRefusal(ws.root, ['check'], { status: 1, stderr: [refusal(false)], apps: [APP] });
      expectRefusal(ws.root, ['pipeline', '--frozen'], { status: 1, stderr: [refusal(true)], apps: [APP] });
    } finally {
      reset();
    }
  });

  it('names the object whose file a rule ignores, and passes such a file while git tracks it', { timeout: 300_000 }, () => {
    const ignore = join(ws.root, '.gitignore');
    const file = `base/${APP}/networkpolicy.default-deny.yaml`;
    try {
      const rules = readFileSync(ignore, 'utf8');
      // The added rule's line: the one after the repository's own rules.
      const at = rules.split('\n').length;
      writeFileSync(ignore, `${rules}*-deny.yaml\n`);
      // Tracked: committed whatever the rules say (git add -A takes its changes).
      expect(strata(ws.root, ['check']).status).toBe(0);
      // Not tracked, and not there: generate would write it anew.
      git(ws.root, ['rm', '-q', '--', file]);
      const line =
        `strata: ${file}: git ignores it (.gitignore:${at}: *-deny.yaml), so it would never be committed and no clone would build as this checkout does; ` +
        'rename the NetworkPolicy default-deny (its file is named after it), or narrow the rule';
      expectRefusal(ws.root, ['generate'], { status: 1, stderr: [`${line}; nothing was written`], apps: [APP] });
      expectRefusal(ws.root, ['check'], { status: 1, stderr: [line], apps: [APP] });
    } finally {
      git(ws.root, ['reset', '-q']);
      reset();
    }
  });
});
