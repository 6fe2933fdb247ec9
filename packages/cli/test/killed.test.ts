import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editFile, repo, strata, tempWorkspace } from '@strata/testing/workspace';

// Every command that writes, run as a user runs it (the real CLI in a child process of its own group)
// and killed with SIGKILL at a moment drawn over its measured run time: after the next command, the
// workspace is exactly what it was before or exactly what an uninterrupted run leaves, and nothing
// temporary is left. Killed once more at each step and at the commit point of every change it makes
// (an exact point, not a drawn one), it is left as before a step and as after from a commit point on.
// The install's links to the apps are compared too. STRATA_KILL_SEED replays a failure (its seed is
// in the message); STRATA_KILL_TRIALS runs more kills per command.
const SEED = Number(process.env.STRATA_KILL_SEED ?? 20261204);
const TRIALS = Number(process.env.STRATA_KILL_TRIALS ?? 6);
/** SIGINT and SIGTERM sent while strata loads, on top of those drawn over a command's run. */
const EARLY = 4;
const APPS = ['tokenplace-relay', 'tensafe'];

/** mulberry32: a small seeded generator, so that a failing kill moment can be drawn again. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the workspace holds, path -> content and mode (or a folder, or a link). */
type Snapshot = Map<string, { kind: 'file'; mode: number; content: Buffer } | { kind: 'dir'; mode: number } | { kind: 'link'; target: string }>;

/**
 * Left out of the comparison: what an install makes but the apps' links (node_modules/@strata-apps)
 * and their own node_modules, which remove-app removes with its change; the pinned tools, the caches
 * that are rebuilt when missing or stale (.strata/cache, and dist/, which every pipeline and build
 * writes again), and the shipped packages, which no command writes (only packages/crd-models,
 * which crd add writes, is compared).
 */
function skipped(rel: string): boolean {
  const parts = rel.split('/');
  const top = parts[0];
  if (top === '.tools' || top === 'dist') return true;
  if (rel === '.strata/cache' || rel.startsWith('.strata/cache/')) return true;
  if (top === 'packages' && rel !== 'packages' && !rel.startsWith('packages/crd-models')) return true;
  return top === 'node_modules' && !(rel === 'node_modules' || rel.startsWith('node_modules/@strata-apps'));
}

function snapshot(root: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (skipped(path)) continue;
      const abs = join(root, path);
      if (e.isSymbolicLink()) out.set(path, { kind: 'link', target: readlinkSync(abs) });
      else if (e.isDirectory()) {
        out.set(path, { kind: 'dir', mode: lstatSync(abs).mode & 0o7777 });
        walk(path);
      } else out.set(path, { kind: 'file', mode: lstatSync(abs).mode & 0o7777, content: readFileSync(abs) });
    }
  };
  walk('');
  return out;
}

/** Puts the workspace back to `snap`: what it lacks is made, what differs is rewritten, what it did not hold goes. */
function restore(root: string, snap: Snapshot): void {
  const now = snapshot(root);
  for (const [path, was] of [...now].reverse()) {
    const want = snap.get(path);
    if (want && want.kind === was.kind) continue;
    rmSync(join(root, path), { recursive: true, force: true });
    now.delete(path);
  }
  for (const [path, want] of snap) {
    const abs = join(root, path);
    const have = now.get(path);
    if (want.kind === 'dir') {
      if (!have) mkdirSync(abs);
      chmodSync(abs, want.mode);
    } else if (want.kind === 'link') {
      if (!have || (have.kind === 'link' && have.target !== want.target)) {
        rmSync(abs, { force: true });
        symlinkSync(want.target, abs);
      }
    } else if (!have || have.kind !== 'file' || !have.content.equals(want.content) || have.mode !== want.mode) {
      writeFileSync(abs, want.content);
      chmodSync(abs, want.mode);
    }
  }
}

/** dist/ as the builds left it, which `snapshot` leaves out. */
function built(root: string): Snapshot {
  const out: Snapshot = new Map();
  for (const e of readdirSync(join(root, 'dist'), { withFileTypes: true, recursive: true })) {
    const abs = join(e.parentPath, e.name);
    if (e.isFile()) out.set(relative(root, abs), { kind: 'file', mode: lstatSync(abs).mode & 0o7777, content: readFileSync(abs) });
  }
  return out;
}

/** The differences between two snapshots, one line each (the first few). */
function differences(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  for (const [path, x] of a) {
    const y = b.get(path);
    if (!y) out.push(`${path}: only before`);
    else if (x.kind !== y.kind) out.push(`${path}: ${x.kind} / ${y.kind}`);
    else if (x.kind === 'file' && y.kind === 'file' && !x.content.equals(y.content)) out.push(`${path}: content differs`);
    else if ('mode' in x && 'mode' in y && x.mode !== y.mode) out.push(`${path}: mode ${x.mode.toString(8)} / ${y.mode.toString(8)}`);
    else if (x.kind === 'link' && y.kind === 'link' && x.target !== y.target) out.push(`${path}: link differs`);
  }
  for (const path of b.keys()) if (!a.has(path)) out.push(`${path}: only after`);
  return out;
}

/** Temporary files and writer state anywhere in the workspace (dist/ and the caches included), but node_modules. */
function temporaries(root: string): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === 'node_modules' || path === '.tools' || path === 'packages/schemas') continue;
      if (e.name.includes('strata-tmp') || path === '.strata/write') found.push(path);
      else if (e.isDirectory() && !e.isSymbolicLink()) walk(path);
    }
  };
  walk('');
  return found;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  millis: number;
  /** When the kill or signal was sent, in ms after the spawn; undefined when the run ended first. */
  sentAt?: number;
  /** With a signal: when the run was seen listening for it (see LISTENING), in ms after the spawn, and the file that listened first. */
  listening?: { at: number; from: string };
  /** Whether no listener for the signal stood when the run ended (see DEFAULT_ACTION). */
  unheard: boolean;
  /** The CLI's process. */
  pid: number;
}

/** The tree writer's folder and lock, in the workspace (`.strata/write`). */
const LOCK_DIR = '.strata/write';

/**
 * Whether `left`, what a run changed, is only the tree's lock (and the folder that holds it), naming
 * `pid`, a process that has ended: what a run killed outright leaves, and the next writer takes over.
 */
function staleLock(root: string, left: readonly string[], pid: number): boolean {
  const only = new Set([`${LOCK_DIR}: only after`, `${LOCK_DIR}/lock: only after`]);
  if (left.length === 0 || !left.every((d) => only.has(d))) return false;
  const owner = Number(readFileSync(join(root, LOCK_DIR, 'lock'), 'utf8').split(' ')[0]);
  if (owner !== pid) return false;
  try {
    process.kill(owner, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Loaded by Node before the CLI's script when a run is to get a signal: once the first listener
 * for SIGINT or SIGTERM is in place, says on stderr which file added it (a line taken out of what
 * the run printed). Before that no code of Strata's listens, and a signal ends the process by
 * Node's own default; after it, a signal finds the listener. The line is written from the next turn,
 * when the listener surely stands.
 */
const LISTENING = 'strata-test: listening from ';
/**
 * Said at once (by the next line's preload) when no listener for SIGINT is left after one stood, as
 * while app code runs with nothing to settle (see @strata/core's interrupts.ts), and when one stands
 * again: a run that ended by the signal without a word after the first is one the signal met then.
 */
const DEFAULT_ACTION = 'strata-test: signal default';
const LISTENING_AGAIN = 'strata-test: signal listened';
const SCRIPT = 'packages/cli/bin/strata.mjs';
const WATCH_LISTENING = `process.on('newListener', function first(event) {
  if (event !== 'SIGINT' && event !== 'SIGTERM') return;
  process.removeListener('newListener', first);
  const at = new Error().stack.split('\\n').map((l) => /(file:[^()\\s]+):\\d+:\\d+\\)?$/.exec(l)?.[1]).find(Boolean);
  setImmediate(() => process.stderr.write(${JSON.stringify(LISTENING)} + at + '\\n'));
});
import { writeSync } from 'node:fs';
process.on('removeListener', (event) => {
  if (event === 'SIGINT' && process.listenerCount('SIGINT') === 0) writeSync(2, ${JSON.stringify(`${DEFAULT_ACTION}
`)});
});
process.on('newListener', (event) => {
  if (event === 'SIGINT' && process.listenerCount('SIGINT') === 0) writeSync(2, ${JSON.stringify(`${LISTENING_AGAIN}
`)});
});`;

/** Whether the run's last word on its listeners is that none stood (the signal's default applied when it ended). */
const endedUnheard = (stderr: string) => {
  const marks = stderr.split('\n').filter((l) => l === DEFAULT_ACTION || l === LISTENING_AGAIN);
  return marks.at(-1) === DEFAULT_ACTION;
};
/** What run() reads of the stderr it gives back: the marks above taken out. */
const withoutMarks = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l !== DEFAULT_ACTION && l !== LISTENING_AGAIN)
    .join('\n');

/**
 * Loaded by Node before the CLI's script for a run to get `signal` at its very end: from the moment
 * Node emits 'exit' (the last of a run's own code), a shell sends it to the process over and over
 * until the process is gone, as late as Node's own end.
 */
const signalAtExit = (signal: 'SIGINT' | 'SIGTERM') => `import { spawn } from 'node:child_process';
process.on('exit', () => spawn('sh', ['-c', 'while kill -${signal.slice(3)} ' + process.pid + ' 2>/dev/null; do :; done'], { stdio: 'ignore' }));`;

/**
 * Runs the CLI in a process group of its own; `killAfter` SIGKILLs the whole group (the builder and
 * other children too), or sends `signal` to the CLI's process alone, as `kill -INT <pid>` does;
 * without `killAfter`, `signal` is sent at the run's very end (see signalAtExit).
 */
function run(
  root: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  killAfter?: number,
  signal?: 'SIGINT' | 'SIGTERM',
  preloaded?: string,
): Promise<Ended> {
  const started = performance.now();
  const loaded = preloaded ?? (!signal ? undefined : killAfter === undefined ? signalAtExit(signal) : WATCH_LISTENING);
  const preload = loaded ? ['--import', `data:text/javascript,${encodeURIComponent(loaded)}`] : [];
  const child = spawn(process.execPath, [...preload, join(root, SCRIPT), ...args], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', ...env },
  });
  let stderr = '';
  let sentAt: number | undefined;
  let listening: Ended['listening'];
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const said = new RegExp(`^${LISTENING}(.*)\n`, 'm').exec(stderr);
    if (said && !listening) {
      listening = { at: performance.now() - started, from: said[1]! };
      stderr = stderr.replace(said[0], '');
    }
  });
  const timer =
    killAfter === undefined
      ? undefined
      : setTimeout(() => {
          sentAt = performance.now() - started;
          try {
            if (signal) process.kill(child.pid!, signal);
            else process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already ended
          }
        }, killAfter);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Children that outlived the CLI (none should) go with it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      resolve({
        code,
        signal,
        stderr: withoutMarks(stderr),
        unheard: endedUnheard(stderr),
        pid: child.pid!,
        millis: performance.now() - started,
        sentAt,
        listening,
      });
    }),
  );
}

/**
 * A moment of a change to the tree, counted over the run: `step` as a transaction still open writes
 * its journal (a step taken, the change not yet made: a kill there is undone), `commit` at a
 * transaction's commit point (its journal in place, or an open transaction's abort mark gone: a kill
 * there is completed).
 */
type Moment = { readonly at: 'step' | 'commit'; readonly n: number };
const TRANSACTION = 'strata-test: transaction ';

/**
 * Loaded by Node before the CLI's script: says on stderr (TRANSACTION) each moment of the tree
 * writer's transactions, and with `kill` SIGKILLs the process at one, right after the journal is in
 * place or the abort mark is gone. The writer's own calls of node:fs are wrapped
 * (syncBuiltinESMExports hands the wrappers to the bundle's named imports) and do what they did,
 * so the kill lands at one exact point of an otherwise real run.
 */
const atTransactions = (kill?: Moment) => `import fs from 'node:fs';
import { basename, dirname } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
const txn = (p) => /^txn-/.test(basename(p)) && basename(dirname(p)) === 'write' && basename(dirname(dirname(p))) === '.strata';
const kill = ${JSON.stringify(kill ?? null)};
const seen = { step: 0, commit: 0 };
const at = (what) => {
  seen[what]++;
  fs.writeSync(2, ${JSON.stringify(TRANSACTION)} + what + ' ' + seen[what] + '\\n');
  if (kill && kill.at === what && kill.n === seen[what]) process.kill(process.pid, 'SIGKILL');
};
const { renameSync, unlinkSync } = fs;
fs.renameSync = function (from, to) {
  renameSync(from, to);
  const folder = dirname(String(to));
  if (basename(String(to)) === 'journal.json' && txn(folder)) at(fs.existsSync(folder + '/abort') ? 'step' : 'commit');
};
fs.unlinkSync = function (path) {
  unlinkSync(path);
  if (basename(String(path)) === 'abort' && txn(dirname(String(path)))) at('commit');
};
syncBuiltinESMExports();`;

/** The moments of the transactions a run went through, in order, from what atTransactions said. */
const momentsOf = (stderr: string): Moment[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith(TRANSACTION))
    .map((l) => {
      const [at, n] = l.slice(TRANSACTION.length).split(' ') as [Moment['at'], string];
      return { at, n: Number(n) };
    });

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  /** Brings the base workspace to where the command has something to do. */
  readonly prepare?: (root: string) => void;
  readonly trials?: number;
  /** Temporaries of killed runs that this command's next run removes, not any command's: checked after a last run. */
  readonly sweptByNextRun?: string;
  /**
   * Run again after each kill and the next command: it must leave what an uninterrupted run leaves,
   * dist/ included, whatever the killed run left in dist/ and the cache (which it writes outside the
   * tree's transactions, and the comparisons leave out).
   */
  readonly rerun?: boolean;
}

const fixtureCrd = join(repo, 'packages/crds/__fixtures__/widgets.yaml');
const importEnvs = ['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=${join(repo, 'packages/import/test/__fixtures__/plain', e)}`]);
const must = (root: string, args: readonly string[]) => {
  const r = strata(root, args, undefined, { CI: '' });
  if (r.status !== 0) throw new Error(`strata ${args.join(' ')}: ${r.stderr}`);
};

const CASES: readonly Case[] = [
  {
    name: 'generate',
    args: ['generate'],
    // A tree missing an app's base and one env's overlays and env root: generate writes them all.
    prepare: (root) => {
      rmSync(join(root, 'base', APPS[0]!), { recursive: true });
      rmSync(join(root, 'overlays', 'dev'), { recursive: true });
    },
  },
  // More kills for these two: what they write is written in the last fifth of their run, after the apps are loaded.
  { name: 'set image', args: ['set', 'image', '--app', APPS[0]!, '--env', 'dev', 'ghcr.io/tokenplace/tokenplace-relay:sha-0000001'], trials: 10 },
  { name: 'promote', args: ['promote', '--from', 'dev', '--to', 'staging'], trials: 10 },
  { name: 'remove-app', args: ['remove-app', APPS[1]!] },
  {
    name: 'remove-app of an app whose folder is gone',
    args: ['remove-app', APPS[1]!],
    // Deleted as `git rm -r` deletes it: its sources go, what the install made in its folder stays.
    prepare: (root) => {
      for (const e of readdirSync(join(root, 'apps', APPS[1]!)))
        if (e !== 'node_modules') rmSync(join(root, 'apps', APPS[1]!, e), { recursive: true });
    },
  },
  { name: 'new-app', args: ['new-app', 'billing', '--no-install'] },
  {
    name: 'import',
    args: ['import', '--name', 'ledger', '--no-install', ...importEnvs],
    // Committed topology pictures, which the import draws again with the app in the same change.
    prepare: (root) => {
      mkdirSync(join(root, 'docs'));
      for (const env of ['dev', 'staging', 'prod']) must(root, ['graph', '--env', env, '--output', 'mermaid', '--out', `docs/topology-${env}.mmd`]);
    },
  },
  { name: 'crd add --no-models', args: ['crd', 'add', fixtureCrd, '--no-models'] },
  // A killed run's scratch folder for the models (inside packages/crds, where they compile) is removed by the next crd add.
  { name: 'crd add', args: ['crd', 'add', fixtureCrd], trials: 4, sweptByNextRun: 'packages/crds/.models.strata-tmp-' },
  { name: 'crd remove', args: ['crd', 'remove', 'toys.example.com'], prepare: (root) => must(root, ['crd', 'add', fixtureCrd]) },
  {
    name: 'pipeline',
    args: ['pipeline', '--no-frozen'],
    // A stale tree (the pipeline writes it) and a cold cache (it builds and validates every overlay).
    prepare: (root) => {
      rmSync(join(root, 'overlays', 'prod', APPS[0]!), { recursive: true });
      rmSync(join(root, '.strata', 'cache'), { recursive: true, force: true });
    },
    rerun: true,
  },
  {
    name: 'pipeline with a warm cache',
    args: ['pipeline', '--no-frozen'],
    // One app's source changed since the cached run: it is rendered, written, built and validated
    // again, the other reused from the cache, which the killed runs leave as far as they got.
    prepare: (root) => {
      editFile(join(root, 'apps', APPS[0]!, 'src/env/prod.ts'), (t) => t.replace('replicas: 2,', 'replicas: 3,'));
      must(root, ['pipeline', '--no-frozen']);
      editFile(join(root, 'apps', APPS[0]!, 'src/env/prod.ts'), (t) => t.replace('replicas: 3,', 'replicas: 4,'));
    },
    rerun: true,
  },
];

describe('every writing command killed at a random moment', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let base: Snapshot;
  let scratchTmp: string;
  let env: NodeJS.ProcessEnv;
  const figures: string[] = [];
  /** Each command's uninterrupted run time, for the SIGINT and SIGTERM kills. */
  const measured = new Map<string, number>();
  beforeAll(() => {
    ws = tempWorkspace(APPS);
    // The copy has no env roots or gitops/ yet; and a full pipeline's dist/ and cache, which
    // remove-app updates too.
    must(ws.root, ['generate']);
    must(ws.root, ['pipeline']);
    base = snapshot(ws.root);
    // The commands' own temporary folders, to see what a killed one leaves there.
    scratchTmp = mkdtempSync(join(tmpdir(), 'strata-killed-tmp-'));
    env = { TMPDIR: scratchTmp, CI: '' };
  }, 300_000);
  afterAll(() => {
    ws.dispose();
    rmSync(scratchTmp, { recursive: true, force: true });
    console.info(`kill loop (seed ${SEED}):\n${figures.join('\n')}`);
  });

  for (const [index, c] of CASES.entries()) {
    it(`strata ${c.name}: the next command finds the workspace exactly as before or exactly as after, with nothing temporary left`, async () => {
      restore(ws.root, base);
      c.prepare?.(ws.root);
      const before = snapshot(ws.root);
      const whole = await run(ws.root, c.args, env);
      expect(whole.code, whole.stderr).toBe(0);
      const after = snapshot(ws.root);
      const builtAfter = built(ws.root);
      expect(differences(before, after).length, `strata ${c.name} changed nothing`).toBeGreaterThan(0);
      expect(temporaries(ws.root)).toStrictEqual([]);

      const random = seeded(SEED + index);
      const outcome = { old: 0, new: 0, finished: 0 };
      const trials = c.trials ?? TRIALS;
      for (let trial = 0; trial < trials; trial++) {
        restore(ws.root, before);
        // Node's start and the loading of the apps take the first part of a run, and nothing is
        // written then: most kills land where the writing is, in the last two thirds.
        const delay = (trial % 4 === 0 ? random() : 1 / 3 + (2 / 3) * random()) * whole.millis;
        const where = `strata ${c.name}, seed ${SEED + index} (STRATA_KILL_SEED=${SEED}), trial ${trial}, killed after ${delay.toFixed(0)} of ${whole.millis.toFixed(0)} ms`;
        const killed = await run(ws.root, c.args, env, delay);
        if (killed.signal !== 'SIGKILL') {
          expect(killed.code, `${where}: ${killed.stderr}`).toBe(0);
          outcome.finished++;
        }
        // The cheapest command that reads the tree: like every command, it first completes or undoes a killed writer's change.
        const next = await run(ws.root, ['crd', 'ls'], env);
        expect(next.code, `${where}: the next command: ${next.stderr}`).toBe(0);
        const now = snapshot(ws.root);
        const toOld = differences(before, now);
        const toNew = differences(after, now);
        expect(
          toOld.length === 0 || toNew.length === 0,
          `${where}: neither as before nor as after:\n  against before: ${toOld.slice(0, 8).join('\n    ')}\n  against after: ${toNew.slice(0, 8).join('\n    ')}`,
        ).toBe(true);
        expect(
          temporaries(ws.root).filter((t) => !c.sweptByNextRun || !t.startsWith(c.sweptByNextRun)),
          where,
        ).toStrictEqual([]);
        // The killed run's scratch folders in TMPDIR (the apps' bundle, say) are gone too: the next command removes them.
        expect(readdirSync(scratchTmp), `${where}: left in TMPDIR`).toStrictEqual([]);
        if (c.rerun) {
          const again = await run(ws.root, c.args, env);
          expect(again.code, `${where}: run again: ${again.stderr}`).toBe(0);
          expect(differences(after, snapshot(ws.root)), `${where}: run again`).toStrictEqual([]);
          expect(differences(builtAfter, built(ws.root)), `${where}: dist/ once run again`).toStrictEqual([]);
        }
        outcome[toNew.length === 0 ? 'new' : 'old']++;
      }
      if (c.sweptByNextRun) {
        restore(ws.root, before);
        const last = await run(ws.root, c.args, env);
        expect(last.code, last.stderr).toBe(0);
        expect(differences(after, snapshot(ws.root))).toStrictEqual([]);
        expect(temporaries(ws.root)).toStrictEqual([]);
      }
      measured.set(c.name, whole.millis);
      figures.push(
        `  ${c.name}: ${trials} kills over ${whole.millis.toFixed(0)} ms: ${outcome.old} as before, ${outcome.new} as after (${outcome.finished} had ended before the kill); ${readdirSync(scratchTmp).length} temporary folders left in TMPDIR so far`,
      );
    }, 600_000);

    it(`strata ${c.name}: killed at each step and commit point of its transactions, the next command leaves exactly what it was before a step and what an uninterrupted run leaves from a commit point on, the install's links included`, async () => {
      restore(ws.root, base);
      c.prepare?.(ws.root);
      const before = snapshot(ws.root);
      const whole = await run(ws.root, c.args, env, undefined, undefined, atTransactions());
      expect(whole.code, whole.stderr).toBe(0);
      const after = snapshot(ws.root);
      const moments = momentsOf(whole.stderr);
      expect(moments.filter((m) => m.at === 'commit').length, `strata ${c.name} reached no commit point: ${whole.stderr}`).toBeGreaterThan(0);
      // What a run does once its change is committed is what a kill at the commit point leaves to the recovery.
      for (const moment of moments) {
        restore(ws.root, before);
        const where = `strata ${c.name}, killed at ${moment.at} ${moment.n} of its transactions (${moments.map((m) => `${m.at} ${m.n}`).join(', ')})`;
        const killed = await run(ws.root, c.args, env, undefined, undefined, atTransactions(moment));
        expect(killed.signal, `${where}: it was not killed there: ${killed.stderr}`).toBe('SIGKILL');
        const next = await run(ws.root, ['crd', 'ls'], env);
        expect(next.code, `${where}: the next command: ${next.stderr}`).toBe(0);
        const now = snapshot(ws.root);
        // A step of a change not yet made is undone; from its commit point on, the change is completed.
        const [expected, as] = moment.at === 'step' ? [before, 'before'] : [after, 'after'];
        expect(differences(expected, now), `${where}: not as ${as}`).toStrictEqual([]);
        expect(
          temporaries(ws.root).filter((t) => !c.sweptByNextRun || !t.startsWith(c.sweptByNextRun)),
          where,
        ).toStrictEqual([]);
      }
      figures.push(`  ${c.name}: killed once at each step and commit point of its transactions (${moments.map((m) => `${m.at} ${m.n}`).join(', ')})`);
    }, 600_000);

    it(`strata ${c.name}: SIGINT or SIGTERM at a random moment, its first ones included, leaves the workspace as before or as after at once, says which in one line, and exits by the signal`, async () => {
      restore(ws.root, base);
      c.prepare?.(ws.root);
      const before = snapshot(ws.root);
      const whole = await run(ws.root, c.args, env);
      expect(whole.code, whole.stderr).toBe(0);
      const after = snapshot(ws.root);
      const millis = Math.max(measured.get(c.name) ?? 0, whole.millis);
      // How long strata takes to load (Node, the CLI's bundle, the command line) before a command begins.
      const loading = (await run(ws.root, ['--version'], env)).millis;
      const random = seeded(SEED + 100 + index);
      const outcome = { old: 0, new: 0, finished: 0, early: 0, unguarded: 0 };
      const trials = Math.max(4, Math.ceil((c.trials ?? TRIALS) / 2));
      for (let trial = 0; trial < trials + EARLY; trial++) {
        restore(ws.root, before);
        const signal = trial % 2 === 0 ? 'SIGINT' : 'SIGTERM';
        // The last ones land while strata loads, half of them in a run that first compiles the
        // CLI's bundle, as the first run after an edit of its sources does.
        const early = trial >= trials;
        const compiles = early && trial - trials >= EARLY / 2;
        if (compiles) rmSync(join(ws.root, 'packages/cli/dist'), { recursive: true, force: true });
        const delay = early ? random() * loading : (trial % 4 === 0 ? random() : 1 / 3 + (2 / 3) * random()) * millis;
        const where = `strata ${c.name}, seed ${SEED + 100 + index} (STRATA_KILL_SEED=${SEED}), trial ${trial}, ${signal} after ${delay.toFixed(0)} of ${(early ? loading : millis).toFixed(0)} ms${early ? ` of loading${compiles ? ', the bundle compiled first' : ''}` : ''}`;
        const stopped = await run(ws.root, c.args, env, delay, signal);
        // No next command: the interrupted run itself left the workspace settled.
        const now = snapshot(ws.root);
        const toOld = differences(before, now);
        const toNew = differences(after, now);
        const lines = stopped.stderr.split('\n').filter((l) => l.startsWith('strata: interrupted'));
        // Listening from the script's first lines, before it loads the CLI's bundle (a signal can come then).
        if (stopped.listening)
          expect(relative(ws.root, fileURLToPath(stopped.listening.from)), `${where}: the first to listen for a signal`).toBe(SCRIPT);
        if (stopped.signal === null) {
          expect(stopped.code, `${where}: ${stopped.stderr}`).toBe(0);
          expect(toNew, where).toStrictEqual([]);
          outcome.finished++;
        } else {
          expect(stopped.signal, `${where}: ${stopped.stderr}`).toBe(signal);
          if (lines.length === 0) {
            // Only while Node itself starts, before the first line of strata's script, does no code
            // listen: the signal then ends it by Node's default, and nothing is written by then; and
            // while an app's code runs with nothing written or under way, when the listeners stand
            // aside so that a render that never returns cannot hold the run.
            expect(
              stopped.listening === undefined || (stopped.sentAt ?? 0) <= stopped.listening.at || stopped.unheard,
              `${where}: ended by ${signal} without a word, sent ${stopped.sentAt?.toFixed(0)} ms after its spawn, when it had listened since ${stopped.listening?.at.toFixed(0)} ms: ${stopped.stderr}`,
            ).toBe(true);
            // Nothing was under way: as before, or as after a change it had committed. Ended by the
            // default while its app code ran, it may hold the tree's lock, as a run killed outright
            // does: only the lock, naming the process that ended, which the next writer takes over
            // (see emit's lock tests).
            const lockLeft = stopped.unheard ? staleLock(ws.root, toOld, stopped.pid) : false;
            expect(
              toOld.length === 0 || lockLeft || (stopped.unheard && toNew.length === 0),
              `${where}: ended by ${signal} without a word: ${toOld.slice(0, 8).join('; ')}: ${stopped.stderr}`,
            ).toBe(true);
            if (lockLeft) rmSync(join(ws.root, LOCK_DIR), { recursive: true, force: true });
            outcome.unguarded++;
          } else {
            expect(lines, `${where}: ${stopped.stderr}`).toHaveLength(1);
            const [line] = lines as [string];
            expect(line, where).toMatch(new RegExp(`^strata: interrupted \\(${signal}\\)`));
            const stands = / which stands$/.test(line);
            expect(
              stands ? toNew : toOld,
              `${where}: said ${JSON.stringify(line)}, but the workspace is not as ${stands ? 'after' : 'before'}:\n    ${(stands ? toNew : toOld).slice(0, 8).join('\n    ')}`,
            ).toStrictEqual([]);
            if (early) outcome.early++;
          }
        }
        expect(
          // A run the signal's default ended leaves the tree's lock as a run killed outright does: the next writer takes it over.
          temporaries(ws.root).filter((t) => (!c.sweptByNextRun || !t.startsWith(c.sweptByNextRun)) && !(stopped.unheard && t === '.strata/write')),
          where,
        ).toStrictEqual([]);
        outcome[toNew.length === 0 ? 'new' : 'old']++;
      }
      // At its very end, as Node ends the process, a signal finds the run finished: its change
      // stands, and it ends as it would have, not by the signal without a word.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        restore(ws.root, before);
        const ending = await run(ws.root, c.args, env, undefined, signal);
        const where = `strata ${c.name}: ${signal} over and over from its 'exit' on`;
        expect([ending.code, ending.signal], `${where}: ${ending.stderr}`).toStrictEqual([0, null]);
        expect(differences(after, snapshot(ws.root)), where).toStrictEqual([]);
      }
      // The bundle the last run may have left uncompiled, for the next command's measured run.
      const compiled = await run(ws.root, ['--version'], env);
      expect(compiled.code, compiled.stderr).toBe(0);
      figures.push(
        `  ${c.name}: ${trials + EARLY} SIGINT/SIGTERM over ${millis.toFixed(0)} ms, ${EARLY} of them over its ${loading.toFixed(0)} ms of loading: ${outcome.old} as before, ${outcome.new} as after (${outcome.finished} had ended, ${outcome.early} said so while loading, ${outcome.unguarded} while Node started)`,
      );
    }, 600_000);
  }
});
