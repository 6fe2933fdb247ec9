import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AtomicWriteOptions, removeStaleTemporaries, temporaryName, writeFileAtomic, writeFileAtomicAsync } from '../src/index.ts';
import { bundleChild } from './fixtures/harness.ts';

describe.each([
  ['writeFileAtomic', async (file: string, data: string, options: AtomicWriteOptions = {}) => writeFileAtomic(file, data, options)],
  [
    'writeFileAtomicAsync',
    (file: string, data: string, options: AtomicWriteOptions = {}) => writeFileAtomicAsync(file, data, { fsync: true, ...options }),
  ],
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

  it('makes the folder again when it was removed after an earlier write into it', async () => {
    const file = join(dir, 'dist/prod/app.yaml');
    await write(file, 'one\n');
    rmSync(join(dir, 'dist'), { recursive: true });
    await Promise.all([write(file, 'two\n'), write(join(dir, 'dist/prod/other.yaml'), 'three\n')]);
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(readdirSync(join(dir, 'dist/prod')).sort()).toStrictEqual(['app.yaml', 'other.yaml']);
  });

  it('makes no folder when told not to: a missing one is an error, and nothing is left', async () => {
    await expect(write(join(dir, 'typo/app.yaml'), 'one\n', { makeFolder: false })).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toStrictEqual([]);
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

describe('removeStaleTemporaries', () => {
  it("removes what killed writers left, and spares live writers' files and everything else", () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-atomic-'));
    try {
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      for (const name of [
        `.pipeline.json.strata-tmp-${dead}-1`,
        `.pipeline.json.strata-tmp-${process.pid}-7`,
        'pipeline.json',
        `pipeline.json.strata-tmp-${dead}`,
      ])
        writeFileSync(join(dir, name), '');
      expect(removeStaleTemporaries(dir)).toStrictEqual([`.pipeline.json.strata-tmp-${dead}-1`]);
      expect(readdirSync(dir).sort()).toStrictEqual(
        [`.pipeline.json.strata-tmp-${process.pid}-7`, 'pipeline.json', `pipeline.json.strata-tmp-${dead}`].sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('temporaryName', () => {
  it("names files that the repository's .gitignore ignores, wherever the target lies", () => {
    const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    for (const rel of [
      'base/app/deployment.app.yaml',
      'overlays/prod/kustomization.yaml',
      'apps/app/images.json',
      'gitops/prod/x.yaml',
      'README.md',
    ]) {
      const tmp = relative(repo, temporaryName(join(repo, rel)));
      const r = spawnSync('git', ['check-ignore', '--no-index', '-q', tmp], { cwd: repo });
      expect(r.status, `${tmp} is not ignored`).toBe(0);
    }
  });
});

// SIGINT's handler ends the asynchronous writes under way before the run ends: one whose temporary
// file was still being made off the main thread when the handler ran made it after, and the run
// ended with it in dist/. The child holds the writer thread in the middle of a write (its temporary
// file is a FIFO that a reader opens a second later), so the moment is the same on every machine.
describe('an interrupt while the writer thread is in the middle of a write', () => {
  it('waits for that write to end, lets no other start, and leaves no temporary file', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-atomic-interrupted-'));
    try {
      const child = await bundleChild('interrupted-write-child.ts');
      try {
        const r = spawnSync(process.execPath, [child, dir], { encoding: 'utf8', timeout: 30_000 });
        expect(r.signal, r.stderr).toBe('SIGKILL');
        const report = JSON.parse(r.stdout) as { first: string; second: string; waited: number };
        // The write ended in place (its file a FIFO still: what it wrote went to the reader).
        expect(report.first).toMatch(/^written \d+$/);
        expect(report.second).toBe('refused writes were stopped by an interrupt');
        // It waited for the reader, which came a second after the write was in hand.
        expect(report.waited).toBeGreaterThanOrEqual(500);
        expect(readdirSync(dir)).toStrictEqual(['app.yaml']);
      } finally {
        rmSync(dirname(child), { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
