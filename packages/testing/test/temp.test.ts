import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inTempDir } from '../src/temp.ts';

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
