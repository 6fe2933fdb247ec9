import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryReads } from '../src/repository-files.ts';
import { testTempDir } from './temp.ts';

describe('what a render may read besides its sources', () => {
  /** A git repository and a folder beside it: the package manager's store, outside the repository. */
  const layout = () => {
    const dir = testTempDir('strata-reads-');
    const root = join(dir, 'repo');
    const store = join(dir, 'store', 'node_modules', 'pkg');
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, 'data.json'), '{}');
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: root });
    writeFileSync(join(root, '.gitignore'), 'node_modules/\n*.secret.env\n');
    writeFileSync(join(root, 'replicas.secret.env'), '1');
    writeFileSync(join(dir, 'elsewhere.json'), '{}');
    return { dir, root, store };
  };

  it("reads a file of an installed package, git-ignored in the repository's node_modules or kept outside it by the package manager", () => {
    const { root, store } = layout();
    mkdirSync(join(root, 'node_modules', 'local'));
    writeFileSync(join(root, 'node_modules', 'local', 'data.json'), '{}');
    symlinkSync(store, join(root, 'node_modules', 'pkg'));
    const judge = repositoryReads();
    expect(judge(join(root, 'node_modules', 'local', 'data.json'), root)).toBeUndefined();
    expect(judge(join(root, 'node_modules', 'pkg', 'data.json'), root)).toBeUndefined();
    expect(judge(join(store, 'data.json'), root)).toBeUndefined();
  });

  it('refuses, with the reason, a file git ignores and one outside the repository that no package holds', () => {
    const { dir, root } = layout();
    const judge = repositoryReads();
    expect(judge(join(root, 'replicas.secret.env'), root)).toMatch(/^which git ignores \(\.gitignore:2: \*\.secret\.env\)/);
    expect(judge(join(dir, 'elsewhere.json'), root)).toMatch(/^which lies outside the repository/);
  });

  it('asked ahead with prepare, judges as it does when it lists what git ignores at its first read', async () => {
    const { root } = layout();
    writeFileSync(join(root, 'config.json'), '{}');
    const ahead = repositoryReads();
    await ahead.prepare(root);
    const late = repositoryReads();
    for (const file of ['replicas.secret.env', 'config.json', 'missing.json']) {
      expect(ahead(join(root, file), root)).toBe(late(join(root, file), root));
    }
    expect(ahead(join(root, 'replicas.secret.env'), root)).toMatch(/^which git ignores/);
    // A file made after the listing is asked about on its own.
    writeFileSync(join(root, 'later.secret.env'), '2');
    expect(ahead(join(root, 'later.secret.env'), root)).toMatch(/^which git ignores/);
  });

  it('prepares nothing outside a git work tree, where there is nothing to commit into', async () => {
    const root = testTempDir('strata-reads-plain-');
    writeFileSync(join(root, 'a.secret.env'), '1');
    const judge = repositoryReads();
    await judge.prepare(root);
    expect(judge(join(root, 'a.secret.env'), root)).toBeUndefined();
  });
});
