import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import timers from 'node:timers';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runAppCode } from '../src/app-code.ts';

// The functions that app code is watched through (the timers, node:fs) stand in for the
// originals in the whole process: outside app code, and in it where nothing is refused or routed,
// they must do exactly what the originals do, down to what util.promisify reads from them.
describe('the functions app code is watched through', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-app-code-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const originals = [setTimeout, timers.setTimeout, setImmediate, fs.write];
  // The first run of app code puts them in place.
  runAppCode({ app: 'web', doing: 'render' }, () => undefined);

  it('promisify as the originals do: the timers to their promise forms, fs.write to both of its results', async () => {
    expect([setTimeout, timers.setTimeout, setImmediate, fs.write].filter((f, i) => f === originals[i])).toStrictEqual([]);
    expect(await promisify(setTimeout)(1, 'later')).toBe('later');
    expect(await promisify(timers.setTimeout)(1, 'later')).toBe('later');
    expect(await promisify(setImmediate)('soon')).toBe('soon');
    const fd = fs.openSync(join(dir, 'written'), 'w');
    try {
      const buffer = Buffer.from('text');
      expect(await promisify(fs.write)(fd, buffer)).toStrictEqual({ bytesWritten: 4, buffer });
    } finally {
      fs.closeSync(fd);
    }
  });
});
