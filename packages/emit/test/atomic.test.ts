import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicAsync } from '../src/index.ts';

describe.each([
  ['writeFileAtomic', async (file: string, data: string) => writeFileAtomic(file, data)],
  ['writeFileAtomicAsync', (file: string, data: string) => writeFileAtomicAsync(file, data, { fsync: true })],
])('%s', (_name, write) => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file and its folder, then replaces it, leaving nothing else', async () => {
    const file = join(dir, 'dist/prod/app.yaml');
    await write(file, 'one\n');
    await write(file, 'two\n');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(readdirSync(join(dir, 'dist/prod'))).toStrictEqual(['app.yaml']);
  });

  it('leaves what was there and no temporary file when the rename fails', async () => {
    // A folder where the file should be: the rename fails after the temporary file is written.
    const file = join(dir, 'taken');
    mkdirSync(join(file, 'inside'), { recursive: true });
    await expect(write(file, 'new\n')).rejects.toThrow();
    expect(readdirSync(dir)).toStrictEqual(['taken']);
    expect(readdirSync(file)).toStrictEqual(['inside']);
  });
});
