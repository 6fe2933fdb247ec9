import { sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstFolderAbove } from '../src/app-code.ts';

// What `installed` means by the folder a file is in: the first package folder of the list, in its
// order, that the file lies under. Looked up by the file's own folders; this is the scan it replaced.
const byScan = (folders: readonly string[], path: string) => folders.find((dir) => path.startsWith(`${dir}${sep}`));

describe('the package folder a file lies under', () => {
  // Nested folders in both orders, a name that is a prefix of another (`/s/a` and `/s/ab`), and
  // one listed twice: every file of every depth is looked up both ways.
  const folders = ['/w/node_modules', '/s/a', '/s/ab/node_modules/.pnpm', '/s/ab', '/w/node_modules/.pnpm/x/node_modules', '/s/a', '/t'];
  const names = ['w', 's', 'a', 'ab', 'node_modules', '.pnpm', 'x', 't', 'f.js'];
  const paths: string[] = [];
  const grow = (prefix: string, depth: number) => {
    if (depth === 0) return;
    for (const n of names) {
      paths.push(`${prefix}/${n}`);
      grow(`${prefix}/${n}`, depth - 1);
    }
  };
  grow('', 5);

  it('is the one a scan of the list finds, for every path', () => {
    expect(paths.length).toBeGreaterThan(60_000);
    const differ = paths.filter((p) => firstFolderAbove(folders, p) !== byScan(folders, p));
    expect(differ).toEqual([]);
    // Both kinds of answer occur: the comparison is not of undefined with undefined.
    expect(paths.filter((p) => byScan(folders, p) !== undefined).length).toBeGreaterThan(1000);
  });

  it('takes the first listed of two folders a file lies under, not the nearest', () => {
    expect(firstFolderAbove(folders, '/w/node_modules/.pnpm/x/node_modules/y/index.js')).toBe('/w/node_modules');
    expect(firstFolderAbove(['/s/ab/node_modules/.pnpm', '/s/ab'], '/s/ab/node_modules/.pnpm/y.js')).toBe('/s/ab/node_modules/.pnpm');
    expect(firstFolderAbove(folders, '/s/abc/f.js')).toBeUndefined();
    expect(firstFolderAbove(folders, '/s/a')).toBeUndefined(); // the folder itself is no file under it
  });
});
