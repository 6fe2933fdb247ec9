import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeScratchDir, sweepScratch } from '../src/index.ts';

describe('scratch folders in TMPDIR', () => {
  it('are named after the process that made it, readable by its user only', () => {
    const dir = makeScratchDir('apps');
    try {
      expect(dirname(dir)).toBe(tmpdir());
      expect(basename(dir)).toMatch(new RegExp(`^strata-apps-${process.pid}-[A-Za-z0-9]{6}$`));
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("are swept when their process is gone; a live process's folder and every other name are left alone", async () => {
    const parent = mkdtempSync(join(tmpdir(), 'strata-sweep-'));
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      const longAgo = new Date(Date.now() - 2 * 60 * 60_000);
      const gone = [`strata-apps-${dead}-aB3dE6`, `strata-validate-${dead}-x1Y2z3`, `strata-go-${dead}-Zz9Yy8`, 'strata-diff-Qw3rTy'];
      const kept = [
        `strata-apps-${process.pid}-aB3dE6`,
        `strata-import-${live.pid}-aB3dE6`,
        // What an older version made and a run may still be using: left for an hour.
        'strata-apps-Zx9cVb',
        // Folders of the same look that strata's scratch folders are not.
        `strata-bench-${dead}-aB3dE6`,
        'strata-verify-server-aB3dE6',
        'strata-killed-tmp-aB3dE6',
        `strata-apps-${dead}-aB3dE6x`,
        'tsx-0',
      ];
      for (const name of [...gone, ...kept]) mkdirSync(join(parent, name, 'inside'), { recursive: true });
      for (const name of ['strata-diff-Qw3rTy', `strata-bench-${dead}-aB3dE6`, 'strata-verify-server-aB3dE6'])
        utimesSync(join(parent, name), longAgo, longAgo);
      expect(sweepScratch(parent).sort()).toStrictEqual(gone.map((n) => join(parent, n)).sort());
      expect(readdirSync(parent).sort()).toStrictEqual([...kept].sort());
    } finally {
      live.kill('SIGKILL');
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
