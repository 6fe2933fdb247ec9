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
});
