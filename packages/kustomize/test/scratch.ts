import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { findRoot } from '@strata/project';

/** A scratch checkout: its folder, and a writer of files into it (a path below the folder, its text). */
export interface Scratch {
  readonly root: string;
  write(file: string, text: string): void;
}

/**
 * A temporary folder of the calling describe block's own, laid out like a Strata checkout for the
 * tests there: made now, with the pinned tools of this checkout linked in as .tools and `files`
 * written before its tests (before the block's own beforeAll), removed after them.
 */
export function scratchCheckout(prefix: string, files: Readonly<Record<string, string>> = {}): Scratch {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  beforeAll(() => {
    symlinkSync(join(findRoot(), '.tools'), join(root, '.tools'));
    for (const [file, text] of Object.entries(files)) write(file, text);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return { root, write };
}
