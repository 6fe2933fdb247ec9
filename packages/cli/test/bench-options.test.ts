import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo } from '@strata/testing/workspace';

/** `npm run bench -- <args>` without npm's own lines: the script as the bench's npm script runs it. */
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'scripts/bench.ts'), ...args], {
    cwd: repo,
    encoding: 'utf8',
    // A bench that started anyway would run for many minutes: the test fails on the timeout instead.
    timeout: 60_000,
  });

describe('npm run bench: its options', () => {
  it.each([
    [['--sizez', '50'], "Unknown option '--sizez'"],
    [['--runs'], "Option '--runs <value>' argument missing"],
    [['--runs', '0'], '--runs 0: not a whole number of at least 1'],
    [['--sizes', '50,2x0'], '--sizes 2x0: not a whole number of at least 1'],
    [['--sizes', '50,,200'], '--sizes "": not a whole number of at least 1'],
    [['--workspace=-3'], '--workspace -3: not a whole number of at least 1'],
    [['500'], 'unexpected argument "500"'],
  ])('%j is refused in one line that shows the usage, exit 2, before any work', (args, words) => {
    const r = bench(...args);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`bench: ${words}; usage: npm run bench -- [--sizes 50,200,500] [--runs 3] [--no-peers] [--no-write] | --workspace N`);
  });

  it('--help prints the usage and exits 0 without running anything', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^usage: npm run bench -- .*--workspace N$/);
    expect(r.stderr).toBe('');
  });
});
