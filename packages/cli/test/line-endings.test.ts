import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '@strata/testing/workspace-copy';
import { repo, strata, tempWorkspace } from '@strata/testing/workspace';

const APP = 'tensafe';
const GENERATED = ['base', 'overlays', 'gitops'];
const overlay = `overlays/dev/${APP}/kustomization.yaml`;

// Git for Windows checks text files out with CRLF (core.autocrlf=true) unless .gitattributes says
// otherwise, while generate writes LF: the committed tree, compared byte for byte, looked drifted.
describe('a clone whose git checks files out with CRLF (core.autocrlf=true)', () => {
  let source: ReturnType<typeof tempWorkspace>;
  const clones: string[] = [];

  beforeAll(() => {
    source = tempWorkspace([APP]);
    expect(strata(source.root, ['generate']).status).toBe(0);
    git(source.root, 'init', '-q', '-b', 'main');
    git(source.root, 'add', '--', ...GENERATED);
    git(source.root, 'commit', '-qm', 'generated tree');
  }, 120_000);
  afterAll(() => {
    source?.dispose();
    for (const c of clones) rmSync(c, { recursive: true, force: true });
  });

  /** A clone made as Git for Windows makes it, with what git does not hold (the workspace's code and modules) copied beside. */
  const clone = (): string => {
    // At the depth of the workspace copied (the compiled command names its modules relative to it).
    const dir = mkdtempSync(join(tmpdir(), 'strata-crlf-'));
    clones.push(dir);
    git(tmpdir(), '-c', 'core.autocrlf=true', 'clone', '-q', source.root, dir);
    git(dir, 'config', 'core.autocrlf', 'true');
    for (const e of readdirSync(source.root))
      if (!['.git', '.gitattributes', '.strata', 'dist', ...GENERATED].includes(e))
        cpSync(join(source.root, e), join(dir, e), { recursive: true, verbatimSymlinks: true });
    return dir;
  };

  it('says in one line per file that it differs only by line endings, naming core.autocrlf and .gitattributes, and the advice leaves it passing with nothing to commit', () => {
    const dir = clone();
    expect(readFileSync(join(dir, overlay), 'utf8')).toContain('\r\n');
    const r = strata(dir, ['check']);
    expect(r.status).toBe(1);
    const drift = r.stdout.split('\n').filter((l) => l.includes('line endings'));
    expect(drift).toContain(
      `${overlay}: differs from what generate writes only by its line endings: git checked it out with CRLF (core.autocrlf=true) where generate writes LF`,
    );
    // No diff of lines that look the same, and no advice to commit what git would not take.
    expect(r.stdout).not.toMatch(/^@@ /m);
    expect(r.stderr.split('\n')).toContain(
      'commit a .gitattributes with `* text=auto eol=lf` (or run `git config core.autocrlf false`), then run `npx strata generate`, which writes the files with LF and leaves nothing else to commit',
    );
    expect(r.stderr).not.toMatch(/out of date/);
    // Every generated file of the clone is such a file.
    const files = git(dir, 'ls-files', '--', ...GENERATED)
      .trim()
      .split('\n');
    expect(drift).toHaveLength(files.length);

    // pipeline --frozen refuses it in the same words.
    const frozen = strata(dir, ['pipeline', '--frozen']);
    expect(frozen.status).not.toBe(0);
    expect(frozen.stderr).toContain('only by its line endings');
    expect(frozen.stderr).not.toContain('the committed tree is out of date');

    // The advice, followed: nothing but .gitattributes to commit, and check passes.
    writeFileSync(join(dir, '.gitattributes'), '* text=auto eol=lf\n');
    expect(strata(dir, ['generate']).status).toBe(0);
    expect(readFileSync(join(dir, overlay), 'utf8')).not.toContain('\r');
    git(dir, 'add', '-A', '--', '.gitattributes', ...GENERATED);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('.gitattributes\n');
    expect(strata(dir, ['check']).status).toBe(0);
  }, 600_000);

  it("passes once the repository's .gitattributes checks text files out with LF, as this repository's does", () => {
    cpSync(join(repo, '.gitattributes'), join(source.root, '.gitattributes'));
    git(source.root, 'add', '--', '.gitattributes');
    git(source.root, 'commit', '-qm', 'line endings');
    const dir = clone();
    git(dir, 'checkout', '-q', '--', '.gitattributes');
    expect(readFileSync(join(dir, overlay), 'utf8')).not.toContain('\r');
    const r = strata(dir, ['check']);
    expect(r.stdout + r.stderr).not.toContain('line endings');
    expect(r.status).toBe(0);
  }, 600_000);
});
