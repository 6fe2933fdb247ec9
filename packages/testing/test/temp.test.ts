import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inTempDir, suiteTempDir, testTempDir, writeTree } from '../src/temp.ts';

describe('inTempDir', () => {
  it('gives a fresh folder with the prefix and removes it after, returning what the function returns', () => {
    let seen = '';
    const result = inTempDir('strata-temp-test-', (dir) => {
      seen = dir;
      expect(dir).toMatch(/strata-temp-test-[^/]+$/);
      writeFileSync(join(dir, 'a.txt'), 'a');
      return 7;
    });
    expect(result).toBe(7);
    expect(seen).not.toBe('');
    expect(existsSync(seen)).toBe(false);
  });

  it('removes the folder when the function throws, and throws on', () => {
    let seen = '';
    expect(() =>
      inTempDir('strata-temp-test-', (dir) => {
        seen = dir;
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(existsSync(seen)).toBe(false);
  });

  it('waits for an async function before it removes the folder, also when it rejects', async () => {
    let seen = '';
    await inTempDir('strata-temp-test-', async (dir) => {
      seen = dir;
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(existsSync(dir)).toBe(true);
    });
    expect(existsSync(seen)).toBe(false);
    await expect(
      inTempDir('strata-temp-test-', async (dir) => {
        seen = dir;
        await Promise.resolve();
        throw new Error('late');
      }),
    ).rejects.toThrow('late');
    expect(existsSync(seen)).toBe(false);
  });
});

describe('suiteTempDir', () => {
  const made: string[] = [];
  describe('a block with a folder of its own', () => {
    const { dir, write } = suiteTempDir('strata-suite-test-');
    made.push(dir);

    it('is there for its tests, and writes files into it, returning their paths', () => {
      expect(dir).toMatch(/strata-suite-test-[^/]+$/);
      const file = write('a.yaml', 'a: 1\n');
      expect(file).toBe(join(dir, 'a.yaml'));
      expect(readFileSync(file, 'utf8')).toBe('a: 1\n');
    });
  });

  it('is removed once the tests of its block have run', () => {
    expect(made).toHaveLength(1);
    expect(existsSync(made[0]!)).toBe(false);
  });
});

describe('testTempDir', () => {
  const made: string[] = [];
  it('is a fresh folder for the test that asks, one per call', () => {
    made.push(testTempDir('strata-test-dir-'), testTempDir('strata-test-dir-'));
    expect(made[0]).toMatch(/strata-test-dir-[^/]+$/);
    expect(made[0]).not.toBe(made[1]);
    for (const dir of made) expect(existsSync(dir)).toBe(true);
  });

  it.fails('(a test that fails with its folder made)', () => {
    made.push(testTempDir('strata-test-dir-'));
    throw new Error('failed');
  });

  it('is removed once that test has finished, passed or failed', () => {
    expect(made).toHaveLength(3);
    for (const dir of made) expect(existsSync(dir), dir).toBe(false);
  });
});

describe('writeTree', () => {
  it('writes every file at its path below the folder, making the folders between, and returns the folder', () => {
    inTempDir('strata-tree-test-', (dir) => {
      expect(writeTree(dir, { 'a.yaml': 'a: 1\n', 'base/app/b.yaml': 'b: 2\n' })).toBe(dir);
      expect(readFileSync(join(dir, 'a.yaml'), 'utf8')).toBe('a: 1\n');
      expect(readFileSync(join(dir, 'base/app/b.yaml'), 'utf8')).toBe('b: 2\n');
    });
  });
});
