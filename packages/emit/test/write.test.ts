import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyTree, HEADER, recover, recoverWorkspace, WRITE_STATE_DIR } from '../src/index.ts';

const gen = (body: string) => `${HEADER}\n${body}\n`;

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length + 1)] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

describe('applyTree', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-write-'));
    mkdirSync(join(root, 'base/app'), { recursive: true });
    writeFileSync(join(root, 'base/app/keep.yaml'), gen('keep: 1'));
    writeFileSync(join(root, 'base/app/stale.yaml'), gen('stale: 1'));
    writeFileSync(join(root, 'base/app/notes.yaml'), 'hand: written\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['an app folder', 'base/app', 'base/app'],
    ['a folder above it', 'base', 'base'],
  ])('refuses %s that is a symbolic link, touching nothing on either side of it', (_what, linked, named) => {
    const outside = mkdtempSync(join(tmpdir(), 'strata-outside-'));
    try {
      // The folder moves out of the tree and a link takes its place.
      rmSync(outside, { recursive: true });
      renameSync(join(root, linked), outside);
      symlinkSync(outside, join(root, linked));
      const there = snapshot(outside);
      const files = new Map([['base/app/new.yaml', gen('new: 1')]]);
      for (const dirs of [['base/app'], []]) {
        expect(() => applyTree(root, files, { dirs })).toThrow(
          `${named}: is a symbolic link (to ${outside}); generated folders must be plain folders in the workspace, so nothing was written: remove the link, then generate again`,
        );
        expect(() => applyTree(root, files, { dirs, dryRun: true })).toThrow(`${named}: is a symbolic link`);
      }
      expect(snapshot(outside)).toStrictEqual(there);
      expect(existsSync(join(root, '.strata/write'))).toBe(false);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it.each([
    ['a file outside the workspace holding its content', 'outside', gen('keep: 1')],
    ['a file of the workspace without the header', 'base/app/notes.yaml', 'hand: written\n'],
    ['nothing', 'missing', undefined],
  ])('replaces a generated file that is a symbolic link to %s with the file, never writing through the link', (_what, to, held) => {
    const outside = mkdtempSync(join(tmpdir(), 'strata-outside-'));
    try {
      const target = to === 'outside' ? join(outside, 'keep.yaml') : to === 'missing' ? join(outside, 'gone.yaml') : join(root, to);
      if (to === 'outside') writeFileSync(target, held!);
      rmSync(join(root, 'base/app/keep.yaml'));
      symlinkSync(target, join(root, 'base/app/keep.yaml'));
      const files = new Map([['base/app/keep.yaml', gen('keep: 1')]]);
      expect(applyTree(root, files, { dirs: [], dryRun: true }).written).toStrictEqual(['base/app/keep.yaml']);
      const r = applyTree(root, files, { dirs: [] });
      expect(r.written).toStrictEqual(['base/app/keep.yaml']);
      expect(lstatSync(join(root, 'base/app/keep.yaml')).isFile()).toBe(true);
      expect(readFileSync(join(root, 'base/app/keep.yaml'), 'utf8')).toBe(gen('keep: 1'));
      if (held === undefined) expect(existsSync(target)).toBe(false);
      else expect(readFileSync(target, 'utf8')).toBe(held);
      expect(applyTree(root, files, { dirs: [] }).written).toStrictEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('writes new and changed files, removes stale generated ones and never touches files without the header', () => {
    const files = new Map([
      ['base/app/keep.yaml', gen('keep: 1')],
      ['base/app/new.yaml', gen('new: 1')],
    ]);
    const r = applyTree(root, files, { dirs: ['base/app'] });
    expect(r.written).toStrictEqual(['base/app/new.yaml']);
    expect(r.removed).toStrictEqual(['base/app/stale.yaml']);
    expect(r.unchanged).toBe(1);
    expect(r.foreign).toStrictEqual(['base/app/notes.yaml']);
    expect(snapshot(root)).toStrictEqual({
      'base/app/keep.yaml': gen('keep: 1'),
      'base/app/new.yaml': gen('new: 1'),
      'base/app/notes.yaml': 'hand: written\n',
    });
  });

  it("tells each planned file's status as its write left it or its read found it, not as a later edit left it", () => {
    const files = new Map([
      ['base/app/keep.yaml', gen('keep: 1')],
      ['base/app/a.yaml', gen('a: 1')],
      ['base/app/b.yaml', gen('b: 1')],
    ]);
    const told = new Map<string, Stats>();
    const tell = (path: string, status: Stats) => void told.set(path, status);
    const at = (rel: string) => join(root, rel);
    applyTree(root, files, {
      dirs: ['base/app'],
      onWritten: tell,
      onUnchanged: tell,
      // Once a.yaml is in place and before b.yaml is: a.yaml and keep.yaml edited in place, with
      // the same size, a clock tick or more after their statuses were taken.
      atStep: (phase, step) => {
        if (phase !== 'commit' || step !== 1) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        writeFileSync(at('base/app/a.yaml'), gen('a: 7'));
        writeFileSync(at('base/app/keep.yaml'), gen('keep: 7'));
      },
    });
    expect([...told.keys()].sort()).toStrictEqual(['base/app/a.yaml', 'base/app/b.yaml', 'base/app/keep.yaml']);
    const status = (s: Stats) => ({ ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs });
    expect(status(told.get('base/app/b.yaml')!)).toStrictEqual(status(statSync(at('base/app/b.yaml'))));
    for (const rel of ['base/app/a.yaml', 'base/app/keep.yaml']) {
      const now = statSync(at(rel));
      expect([told.get(rel)!.ino, told.get(rel)!.size], rel).toStrictEqual([now.ino, now.size]);
      expect(told.get(rel)!.ctimeMs, rel).toBeLessThan(now.ctimeMs);
    }
  });

  it('writes nothing the second time', () => {
    const files = new Map([['base/app/keep.yaml', gen('keep: 2')]]);
    applyTree(root, files, { dirs: ['base/app'] });
    const again = applyTree(root, files, { dirs: ['base/app'] });
    expect(again.written).toStrictEqual([]);
    expect(again.removed).toStrictEqual([]);
  });

  it('refuses to overwrite a file that lacks the generated header', () => {
    const before = snapshot(root);
    expect(() => applyTree(root, new Map([['base/app/notes.yaml', gen('x: 1')]]), { dirs: ['base/app'] })).toThrow(
      /notes.yaml: exists without the "Code generated by strata" header/,
    );
    expect(snapshot(root)).toStrictEqual(before);
  });

  it('leaves the tree exactly as it was when a write fails part-way', () => {
    const before = snapshot(root);
    const files = new Map([
      ['base/app/keep.yaml', gen('keep: changed')],
      ['base/app/a.yaml', gen('a: 1')],
      ['base/other/b.yaml', gen('b: 1')],
    ]);
    expect(() =>
      applyTree(root, files, {
        dirs: ['base/app', 'base/other'],
        beforeCommitStep: (step) => {
          if (step === 2) throw new Error('disk full');
        },
      }),
    ).toThrow('disk full');
    expect(snapshot(root)).toStrictEqual(before);
    expect(existsSync(join(root, 'base/other'))).toBe(false);
  });

  it('restores removed files when a removal step fails', () => {
    const before = snapshot(root);
    expect(() =>
      applyTree(root, new Map([['base/app/keep.yaml', gen('keep: 3')]]), {
        dirs: ['base/app'],
        beforeCommitStep: (step) => {
          if (step === 1) throw new Error('crash');
        },
      }),
    ).toThrow('crash');
    expect(snapshot(root)).toStrictEqual(before);
  });

  it('removes temporary files that writers before the journal left when they were killed', () => {
    const leftover = 'base/app/keep.yaml.strata-tmp-999999999';
    writeFileSync(join(root, leftover), gen('keep: half'));
    applyTree(root, new Map([['base/app/keep.yaml', gen('keep: 4')]]), { dirs: ['base/app'] });
    expect(existsSync(join(root, leftover))).toBe(false);
  });

  it('recovery with nothing to recover does nothing', () => {
    const before = snapshot(root);
    expect(recover(root)).toStrictEqual({ rolledForward: 0, rolledBack: 0, discarded: 0, files: 0 });
    expect(snapshot(root)).toStrictEqual(before);
  });

  it('recovers the workspace around a folder, and nothing outside any workspace', () => {
    expect(recoverWorkspace(join(root, 'base/app'))).toBeUndefined();
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages: []\n');
    // A change interrupted before anything in the tree moved: its staging is only dropped.
    const txn = join(root, WRITE_STATE_DIR, 'txn-1');
    mkdirSync(txn, { recursive: true });
    const before = snapshot(root);
    expect(recoverWorkspace(join(root, 'base/app'))).toStrictEqual({ rolledForward: 0, rolledBack: 0, discarded: 1, files: 0 });
    expect(existsSync(txn)).toBe(false);
    expect(snapshot(root)).toStrictEqual(before);
  });
});
