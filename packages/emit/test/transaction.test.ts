import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitTransaction, lockTree, openTransaction, recover, WRITE_STATE_DIR, type WritePhase } from '../src/index.ts';
import { bundleChild } from './fixtures/harness.ts';
import { LONG_NAME_BEFORE, LONG_NAME_CHANGE } from './fixtures/long-name.ts';
import { AFTER, BEFORE, FIRST, SECOND } from './fixtures/transaction-steps.ts';

function fresh(): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-txn-'));
  for (const [rel, { content, mode }] of BEFORE) {
    mkdirSync(join(root, dirname(rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
    chmodSync(join(root, rel), mode);
  }
  return root;
}

/** Every file under root (but the writer's state) with its mode, and every folder. */
function tree(root: string): { files: Map<string, { content: string; mode: number }>; dirs: string[] } {
  const files = new Map<string, { content: string; mode: number }>();
  const dirs: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const rel = join(e.parentPath, e.name).slice(root.length + 1);
    if (rel.startsWith('.strata')) continue;
    if (e.isDirectory()) dirs.push(rel);
    else files.set(rel, { content: readFileSync(join(root, rel), 'utf8'), mode: statSync(join(root, rel)).mode & 0o7777 });
  }
  return { files, dirs: dirs.sort() };
}

const dirsOf = (files: ReadonlyMap<string, unknown>) =>
  [
    ...new Set(
      [...files.keys()].flatMap((f) =>
        f
          .split('/')
          .slice(0, -1)
          .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
      ),
    ),
  ].sort();

describe('an open transaction (several steps, one change)', () => {
  it('commits every step together, each file keeping the mode of the one it replaces', () => {
    const root = fresh();
    const lock = lockTree(root);
    const txn = openTransaction(root);
    txn.apply(FIRST.writes, FIRST.removed);
    // A later step reads what an earlier one wrote.
    expect(readFileSync(join(root, 'apps/a/images.json'), 'utf8')).toBe(FIRST.writes[0][1]);
    txn.apply(SECOND.writes, SECOND.removed);
    txn.commit();
    lock.release();
    expect(tree(root)).toStrictEqual({ files: new Map(AFTER), dirs: dirsOf(AFTER) });
    expect(existsSync(join(root, WRITE_STATE_DIR))).toBe(false);
    rmSync(root, { recursive: true });
  });

  it('abort puts every file back as it was, bytes and mode, and removes the folders it made', () => {
    const root = fresh();
    const lock = lockTree(root);
    const txn = openTransaction(root);
    txn.apply(FIRST.writes, FIRST.removed);
    txn.apply(SECOND.writes, SECOND.removed);
    txn.abort();
    lock.release();
    expect(tree(root)).toStrictEqual({ files: new Map(BEFORE), dirs: dirsOf(BEFORE) });
    expect(existsSync(join(root, WRITE_STATE_DIR))).toBe(false);
    rmSync(root, { recursive: true });
  });

  it('a step that fails undoes the steps before it too', () => {
    const root = fresh();
    const lock = lockTree(root);
    const txn = openTransaction(root);
    txn.apply(FIRST.writes, FIRST.removed);
    // A file where the step needs a folder.
    expect(() => txn.apply([['base/a/kept.yaml/x.yaml', '# x\n']])).toThrow(/ENOTDIR/);
    lock.release();
    expect(tree(root)).toStrictEqual({ files: new Map(BEFORE), dirs: dirsOf(BEFORE) });
    rmSync(root, { recursive: true });
  });
});

describe('an open transaction killed at any point', () => {
  let script: string;
  beforeAll(async () => {
    script = await bundleChild('transaction-child.ts');
  });
  afterAll(() => rmSync(dirname(script), { recursive: true, force: true }));

  it('is undone by recovery when killed before the commit, and completed after it', () => {
    // Every point: staging and placing each operation of both steps, then after the commit point.
    const first = FIRST.writes.length + FIRST.removed.length;
    const all = first + SECOND.writes.length + SECOND.removed.length;
    const points: { phase: WritePhase; step: number }[] = [
      ...Array.from({ length: all + 1 }, (_, step) => ({ phase: 'stage' as const, step })),
      ...Array.from({ length: all }, (_, step) => ({ phase: 'commit' as const, step })),
      { phase: 'finish', step: 0 },
    ];
    const outcomes: string[] = [];
    for (const killAt of points) {
      const root = fresh();
      const r = spawnSync(process.execPath, [script, root, JSON.stringify(killAt)], { encoding: 'utf8' });
      const where = JSON.stringify(killAt);
      if (r.signal !== 'SIGKILL') expect(r.status, `${where}: ${r.stderr}`).toBe(0);
      expect(recover(root).busy, where).toBeUndefined();
      const now = tree(root);
      const expected = killAt.phase === 'finish' ? AFTER : BEFORE;
      expect(now, where).toStrictEqual({ files: new Map(expected), dirs: dirsOf(expected) });
      expect(existsSync(join(root, WRITE_STATE_DIR)), where).toBe(false);
      outcomes.push(`${killAt.phase} ${killAt.step}: ${r.signal ?? r.status}`);
      rmSync(root, { recursive: true });
    }
    // Each point was reached: the process died there every time.
    expect(outcomes.filter((o) => !o.endsWith('SIGKILL'))).toStrictEqual([]);
  });
});

describe('install state pruned with a change', () => {
  let script: string;
  beforeAll(async () => {
    script = await bundleChild('prune-child.ts');
  });
  afterAll(() => rmSync(dirname(script), { recursive: true, force: true }));

  it('goes when the change is completed, also by the recovery after a kill, and stays when it is undone', () => {
    const before = new Map([
      ['apps.txt', 'gone, kept\n'],
      ['apps/gone/package.json', '{}\n'],
      ['apps/gone/src/app.ts', 'export {};\n'],
      ['apps/gone/node_modules/dep/index.js', 'module.exports = 1;\n'],
      ['apps/kept/package.json', '{}\n'],
    ]);
    const points: { phase: WritePhase; step: number }[] = [
      ...Array.from({ length: 4 }, (_, step) => ({ phase: 'stage' as const, step })),
      ...Array.from({ length: 3 }, (_, step) => ({ phase: 'commit' as const, step })),
      { phase: 'finish', step: 0 },
    ];
    const outcomes: string[] = [];
    for (const killAt of [...points, undefined]) {
      const root = mkdtempSync(join(tmpdir(), 'strata-prune-'));
      for (const [rel, content] of before) {
        mkdirSync(join(root, dirname(rel)), { recursive: true });
        writeFileSync(join(root, rel), content);
      }
      const r = spawnSync(process.execPath, [script, root, ...(killAt ? [JSON.stringify(killAt)] : [])], { encoding: 'utf8' });
      const where = JSON.stringify(killAt ?? 'not killed');
      if (r.signal !== 'SIGKILL') expect(r.status, `${where}: ${r.stderr}`).toBe(0);
      expect(recover(root).busy, where).toBeUndefined();
      const now = tree(root);
      if (killAt?.phase === 'stage') {
        expect(now.files, where).toStrictEqual(new Map([...before].map(([f, content]) => [f, { content, mode: now.files.get(f)?.mode ?? -1 }])));
      } else {
        // The app's folder is gone whole, its node_modules with it; the other app stays.
        expect([...now.files.keys()].sort(), where).toStrictEqual(['apps.txt', 'apps/kept/package.json']);
        expect(now.dirs, where).toStrictEqual(['apps', 'apps/kept']);
      }
      expect(existsSync(join(root, WRITE_STATE_DIR)), where).toBe(false);
      outcomes.push(`${where}: ${r.signal ?? r.status}`);
      rmSync(root, { recursive: true });
    }
    expect(outcomes.filter((o) => !o.endsWith('SIGKILL'))).toStrictEqual(['"not killed": 0']);
  });
});

describe('install state discarded when a change is undone', () => {
  let script: string;
  beforeAll(async () => {
    script = await bundleChild('discard-child.ts');
  });
  afterAll(() => rmSync(dirname(script), { recursive: true, force: true }));

  it.each(['abort', 'kill'])('goes with the folders the change created, on %s, and nothing else does', (how) => {
    const before = new Map([
      ['apps.txt', 'kept\n'],
      ['apps/kept/package.json', '{}\n'],
      ['apps/kept/node_modules/dep/index.js', 'module.exports = 1;\n'],
    ]);
    const root = mkdtempSync(join(tmpdir(), 'strata-discard-'));
    for (const [rel, content] of before) {
      mkdirSync(join(root, dirname(rel)), { recursive: true });
      writeFileSync(join(root, rel), content);
    }
    const r = spawnSync(process.execPath, [script, root, how], { encoding: 'utf8' });
    if (how === 'kill') expect(r.signal).toBe('SIGKILL');
    else expect(r.status, r.stderr).toBe(0);
    // Killed: the files and node_modules are still there until the next writer recovers.
    if (how === 'kill') expect(existsSync(join(root, 'apps/fresh/node_modules/dep/index.js'))).toBe(true);
    expect(recover(root).busy).toBeUndefined();
    const now = tree(root);
    expect([...now.files.keys()].sort()).toStrictEqual([...before.keys()].sort());
    expect(now.dirs).toStrictEqual(['apps', 'apps/kept', 'apps/kept/node_modules', 'apps/kept/node_modules/dep']);
    expect(existsSync(join(root, WRITE_STATE_DIR))).toBe(false);
    rmSync(root, { recursive: true });
  });
});

describe('a change naming a file longer than the file system allows', () => {
  let script: string;
  beforeAll(async () => {
    script = await bundleChild('long-name-child.ts');
  });
  afterAll(() => rmSync(dirname(script), { recursive: true, force: true }));

  const before = () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-long-'));
    for (const [rel, content] of LONG_NAME_BEFORE) {
      mkdirSync(join(root, dirname(rel)), { recursive: true });
      writeFileSync(join(root, rel), content);
    }
    return root;
  };
  const unchanged = (root: string, where = '') => {
    const now = tree(root);
    expect(new Map([...now.files].map(([f, { content }]) => [f, content])), where).toStrictEqual(LONG_NAME_BEFORE);
    expect(now.dirs, where).toStrictEqual(['base', 'base/a']);
    expect(existsSync(join(root, WRITE_STATE_DIR)), where).toBe(false);
  };

  it('fails, and is undone whole: the file it could not make counts as never made', () => {
    const root = before();
    const lock = lockTree(root);
    expect(() => commitTransaction(root, LONG_NAME_CHANGE.writes, LONG_NAME_CHANGE.removed)).toThrow(/ENAMETOOLONG/);
    lock.release();
    unchanged(root);
    rmSync(root, { recursive: true });
  });

  it('is undone by the recovery after a kill at any point, also after the commit point, when it cannot be completed', () => {
    const ops = LONG_NAME_CHANGE.writes.length + LONG_NAME_CHANGE.removed.length;
    const points: { phase: WritePhase; step: number }[] = [
      ...Array.from({ length: ops + 1 }, (_, step) => ({ phase: 'stage' as const, step })),
      // The write of the long name is step 2: the redo never passes it.
      ...Array.from({ length: 3 }, (_, step) => ({ phase: 'commit' as const, step })),
      ...Array.from({ length: ops }, (_, step) => ({ phase: 'undo' as const, step })),
      { phase: 'finish', step: 0 },
    ];
    const outcomes: string[] = [];
    for (const killAt of points) {
      const root = before();
      const r = spawnSync(process.execPath, [script, root, JSON.stringify(killAt)], { encoding: 'utf8' });
      const where = JSON.stringify(killAt);
      outcomes.push(`${killAt.phase} ${killAt.step}: ${r.signal ?? r.stderr}`);
      const recovery = recover(root);
      expect(recovery.busy, where).toBeUndefined();
      if (killAt.phase === 'commit' || killAt.phase === 'undo') expect(recovery.rolledBack, where).toBe(1);
      unchanged(root, where);
      rmSync(root, { recursive: true });
    }
    expect(outcomes.filter((o) => !o.endsWith('SIGKILL'))).toStrictEqual([]);
  });
});

describe('a change to a file that refuses to be replaced', () => {
  // An immutable file (root on ext4, say) refuses the rename of its new content for real, and the
  // rename of its old content back too; elsewhere there is no way to make only that step fail.
  const immutable = (file: string, on: boolean) => spawnSync('chattr', [on ? '+i' : '-i', file]).status === 0;

  it('is undone whole, says which file and how to fix it, and leaves nothing for the next command', (ctx) => {
    const root = fresh();
    const refusing = join(root, 'apps/a/images.json');
    const before = tree(root);
    if (!immutable(refusing, true)) {
      rmSync(root, { recursive: true });
      ctx.skip();
    }
    try {
      const lock = lockTree(root);
      // The refusing file is the second of three: the first is written, then put back.
      const writes = [
        ['base/a/kept.yaml', '# changed\n'],
        ['apps/a/images.json', '{}\n'],
        ['base/b/new.yaml', '# new\n'],
      ] as const;
      let error: Error | undefined;
      try {
        commitTransaction(root, writes, ['base/a/old.yaml']);
      } catch (e) {
        error = e as Error;
      }
      lock.release();
      expect(error?.message).toBe(
        'cannot change apps/a/images.json (EPERM: operation not permitted); nothing in the tree was changed: make it writable (its mode, its owner, an immutable attribute or a read-only mount) and run again',
      );
      // Still the machine's fault, not the input's: the system call stays on the error.
      expect((error as NodeJS.ErrnoException).code).toBe('EPERM');
      expect(tree(root)).toStrictEqual(before);
      expect(
        existsSync(join(root, WRITE_STATE_DIR)) ? readdirSync(join(root, WRITE_STATE_DIR)).filter((n) => n.startsWith('txn-')) : [],
      ).toStrictEqual([]);
      expect(recover(root)).toMatchObject({ rolledForward: 0, rolledBack: 0, discarded: 0 });
    } finally {
      immutable(refusing, false);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
