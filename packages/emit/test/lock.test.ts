import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTree, lockTree, recover, removeStaleWriterFiles, TreeBusyError, WRITE_STATE_DIR } from '../src/index.ts';
import { bundleChild, startChild, versionOf, workspace } from './fixtures/harness.ts';
import { DIRS, treeFiles, VERSIONS, type Version } from './fixtures/trees.ts';

const BUSY = /^another strata generate \(pid (\d+)\) is running; wait for it or stop it$/;

/** The start time the lock records for a live process (Linux), so a test can write one by hand. */
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

function writeLock(root: string, record: string): void {
  mkdirSync(join(root, WRITE_STATE_DIR), { recursive: true });
  writeFileSync(join(root, WRITE_STATE_DIR, 'lock'), record);
}

describe('two writers on one tree', () => {
  let script: string;
  let root: string;
  beforeAll(async () => {
    script = await bundleChild();
    root = workspace('a');
  });
  afterAll(() => {
    rmSync(dirname(script), { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  /** Starts two writers towards the two other versions, released at the same moment. */
  async function race(lockWaitMs: number | undefined) {
    const current = versionOf(root, VERSIONS)!;
    const [x, y] = VERSIONS.filter((v) => v !== current) as [Version, Version];
    const options = { waitForGo: true, ...(lockWaitMs === undefined ? {} : { lockWaitMs }) };
    const children = [startChild(script, root, x, options), startChild(script, root, y, options)];
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.process.stdin!.end('go\n');
    const ends = await Promise.all(children.map((c) => c.ended));
    return { targets: [x, y], ends, pids: children.map((c) => c.process.pid!), now: versionOf(root, VERSIONS) };
  }

  it("the loser refuses in one line, naming the winner, and the tree is exactly the winner's", async () => {
    let refused = 0;
    const trials = 8;
    for (let trial = 0; trial < trials; trial++) {
      const { targets, ends, pids, now } = await race(0);
      for (const [i, end] of ends.entries()) {
        expect([0, 2], end.stderr).toContain(end.code);
        if (end.code === 2) {
          refused++;
          expect(end.stderr.trimEnd()).toMatch(BUSY);
          expect(Number(BUSY.exec(end.stderr.trimEnd())![1])).toBe(pids[1 - i]);
        }
      }
      const winners = targets.filter((_, i) => ends[i]!.code === 0);
      expect(winners.length).toBeGreaterThan(0);
      // Exactly one run's content, file for file; when both ran, one after the other, the later.
      expect(winners, `trial ${trial}: the tree is ${now ?? 'a mix'}`).toContain(now);
      expect(existsSync(join(root, WRITE_STATE_DIR))).toBe(false);
    }
    console.info(
      `concurrency, refusing at once: ${trials} trials of two 1,000-file writers released together; ${refused} refused, ${trials - refused} ran one after the other; the tree was exactly one run's every time`,
    );
  }, 300_000);

  it("a writer that waits runs after the other, and the tree is exactly one run's", async () => {
    const trials = 4;
    for (let trial = 0; trial < trials; trial++) {
      const { targets, ends, now } = await race(undefined);
      for (const end of ends) expect(end.code, end.stderr).toBe(0);
      expect(targets, `trial ${trial}: the tree is ${now ?? 'a mix'}`).toContain(now);
    }
    console.info(
      `concurrency, waiting: ${trials} trials, both writers finished every time, one after the other; the tree was exactly one run's every time`,
    );
  }, 300_000);
});

describe('the lock', () => {
  let root: string;
  beforeAll(() => {
    root = workspace('a');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('left by a process that has died is taken over', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeLock(root, `${dead} 1 strata generate\n`);
    const r = applyTree(root, treeFiles('b'), { dirs: DIRS, lockWaitMs: 0 });
    expect(r.written.length).toBe(900);
    expect(versionOf(root, VERSIONS)).toBe('b');
    expect(existsSync(join(root, WRITE_STATE_DIR))).toBe(false);
  });

  it('naming a live pid that has since been reused by another process is taken over', () => {
    // This process, but started at another time: the pid was reused.
    writeLock(root, `${process.pid} 1 strata generate\n`);
    applyTree(root, treeFiles('a'), { dirs: DIRS, lockWaitMs: 0 });
    expect(versionOf(root, VERSIONS)).toBe('a');
  });

  it('held by a live process makes a writer refuse in one line and leaves the tree alone; recovery leaves its work alone', async () => {
    const holder = spawn('sleep', ['60']);
    try {
      await new Promise((resolve) => holder.once('spawn', resolve));
      writeLock(root, `${holder.pid} ${startOf(holder.pid!)} strata generate\n`);
      let error: unknown;
      try {
        applyTree(root, treeFiles('b'), { dirs: DIRS, lockWaitMs: 0 });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TreeBusyError);
      expect((error as Error).message).toBe(`another strata generate (pid ${holder.pid}) is running; wait for it or stop it`);
      expect(versionOf(root, VERSIONS)).toBe('a');
      expect(recover(root)).toMatchObject({ busy: holder.pid, rolledForward: 0, rolledBack: 0 });
      // Once it has gone, its lock is stale.
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('close', resolve));
      expect(recover(root).busy).toBeUndefined();
      expect(existsSync(join(root, WRITE_STATE_DIR))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('is re-entrant, so a caller can hold it around several writes', () => {
    const lock = lockTree(root);
    try {
      applyTree(root, treeFiles('c'), { dirs: DIRS, lockWaitMs: 0 });
      expect(versionOf(root, VERSIONS)).toBe('c');
      expect(existsSync(join(root, WRITE_STATE_DIR, 'lock'))).toBe(true);
    } finally {
      lock.release();
    }
    expect(existsSync(join(root, WRITE_STATE_DIR))).toBe(false);
  });
});

// A link in Strata's state folder (which a change can commit) would have every writer put the lock,
// the journal and the cache wherever it points, another checkout's .strata among them.
describe("Strata's state folder, or a folder of it, as a symbolic link", () => {
  let root: string;
  let outside: string;
  beforeAll(() => {
    root = workspace('a');
    outside = mkdtempSync(join(tmpdir(), 'strata-state-elsewhere-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it.each([
    '.strata',
    '.strata/cache',
    '.strata/write',
  ])('%s is refused by the lock in one line before anything is written, on either side of it', (link) => {
    mkdirSync(join(root, link, '..'), { recursive: true });
    symlinkSync(outside, join(root, link));
    try {
      const refusal = `${link}: is a symbolic link (to ${outside}); Strata's cache and the tree writer's lock and journal go only to plain folders in the workspace, so nothing was written through it: remove the link, then run again`;
      expect(() => lockTree(root)).toThrow(new Error(refusal));
      expect(() => applyTree(root, treeFiles('b'), { dirs: DIRS, lockWaitMs: 0 })).toThrow(new Error(refusal));
      expect(versionOf(root, VERSIONS)).toBe('a');
      expect(readdirSync(outside)).toStrictEqual([]);
    } finally {
      rmSync(join(root, '.strata'), { recursive: true, force: true });
    }
  });

  it("a journal and writers' temporary files reached through it are no work of this tree: recovery leaves them alone", () => {
    const txn = join(outside, 'write', 'txn-1-x');
    mkdirSync(txn, { recursive: true });
    writeFileSync(join(txn, 'journal.json'), '{}');
    // A writer's temporary file of a process that has ended: removed, were it this tree's.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const temporary = join(outside, 'cache', `.pipeline.json.strata-tmp-${dead}-1`);
    mkdirSync(dirname(temporary), { recursive: true });
    writeFileSync(temporary, 'x');
    symlinkSync(outside, join(root, '.strata'));
    try {
      expect(recover(root)).toStrictEqual({ rolledForward: 0, rolledBack: 0, discarded: 0, files: 0 });
      removeStaleWriterFiles(root);
      expect([existsSync(join(txn, 'journal.json')), existsSync(temporary)]).toStrictEqual([true, true]);
      expect(versionOf(root, VERSIONS)).toBe('a');
    } finally {
      rmSync(join(root, '.strata'));
    }
  });
});

// Node's recursive mkdir says ENOENT for a folder it cannot make for another reason (EROFS on a
// read-only file system, EEXIST for a symbolic link to nothing in its place), and a lock that is
// there but cannot be read looks like one let go just now: retried on that, the writer held the
// thread at 100% CPU for good, deaf to every signal. In a child process, so that a writer that
// never returns fails the test within its time.
describe('a lock or its folder that can never be made', () => {
  /** lockTree(root) in a child process: what it threw, or 'locked'. */
  function lockIn(root: string): { out: string; ended: boolean } {
    const lock = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'lock.ts')).href;
    const script = `const { lockTree } = await import(${JSON.stringify(lock)});
try { lockTree(${JSON.stringify(root)}); process.stdout.write('locked'); } catch (e) { process.stdout.write(\`\${e.name} \${e.message}\`); }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    return { out: r.stdout, ended: r.error === undefined };
  }

  it('refuses a lock that is a symbolic link to nothing, in one line', () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-lock-'));
    try {
      mkdirSync(join(root, WRITE_STATE_DIR), { recursive: true });
      symlinkSync(join(root, 'nothing'), join(root, WRITE_STATE_DIR, 'lock'));
      const r = lockIn(root);
      expect(r.ended, 'lockTree did not return').toBe(true);
      expect(r.out).toBe(`UsageError ${WRITE_STATE_DIR}/lock: is there, but cannot be read (a symbolic link to nothing?); remove it, then run again`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a workspace folder that is a symbolic link to nothing, in one line', () => {
    const top = mkdtempSync(join(tmpdir(), 'strata-lock-'));
    try {
      const root = join(top, 'checkout');
      symlinkSync(join(top, 'nothing'), root);
      const r = lockIn(root);
      expect(r.ended, 'lockTree did not return').toBe(true);
      expect(r.out).toBe(`Error ${root}: is a symbolic link to nothing, where a folder is needed; remove it, then run again`);
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  }, 60_000);
});
