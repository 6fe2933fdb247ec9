import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesIn } from '../src/index.ts';
import { suiteTempDir } from './temp.ts';

describe('filesIn', () => {
  const { dir } = suiteTempDir('strata-files-');
  mkdirSync(join(dir, 'a/b'), { recursive: true });
  mkdirSync(join(dir, 'node_modules/pkg'), { recursive: true });
  writeFileSync(join(dir, 'a/b/two.yaml'), '');
  writeFileSync(join(dir, 'a/one.yaml'), '');
  writeFileSync(join(dir, 'node_modules/pkg/index.js'), '');
  // A link to a parent folder: Node 20's recursive readdir follows it until ELOOP.
  symlinkSync('..', join(dir, 'a/up'));
  symlinkSync(join(dir, 'a/one.yaml'), join(dir, 'link.yaml'));

  it('lists files in sorted order without following links', () => {
    expect(filesIn(dir).map((f) => f.slice(dir.length + 1))).toStrictEqual(['a/b/two.yaml', 'a/one.yaml', 'node_modules/pkg/index.js']);
  });

  it('never enters a skipped folder, and lists links unfollowed when asked', () => {
    expect(filesIn(dir, { skip: ['node_modules'], links: true }).map((f) => f.slice(dir.length + 1))).toStrictEqual([
      'a/b/two.yaml',
      'a/one.yaml',
      'a/up',
      'link.yaml',
    ]);
  });
});
