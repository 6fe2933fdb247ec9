import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { restoreInterruptListeners, yieldToAppCode } from '@strata/core/sources';
import { isRunning } from '@strata/project';
import { hasWritesUnderWay, removePnpmTemporaries, removeWritesUnderWay } from './atomic.ts';
import { abortOpenTransactions, committedFiles, hasOpenTransactions } from './journal.ts';
import { releaseHeldLocks } from './lock.ts';

/*
 * SIGINT (Ctrl-C) and SIGTERM while a command writes the tree. A change made by commitTransaction
 * is synchronous, and a signal's handler runs only between two turns of the event loop, so it never
 * finds one half made: it is done (it stands) or not begun. An open transaction (new-app, import,
 * set, promote: steps with awaits between them, pnpm install among them) is before its commit point
 * whenever the handler runs, so it is undone. Then the signal is raised again, and the process ends
 * by it as it would have (exit 130 or 143). A SIGKILL cannot be caught: the next command's recovery
 * settles that one.
 */

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** What the handler found and did, for the one line a command prints. */
export interface Interruption {
  readonly signal: InterruptSignal;
  /** Files put back as they were by undoing this run's unfinished change (0 when none was open, or it had changed nothing yet). */
  readonly undone: number;
  /** Files this run's finished changes wrote or removed: they stand. */
  readonly committed: number;
}

const SIGNALS: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM'];

/** Child processes doing a step of an open transaction, with the workspace root they run in. */
const children = new Map<ChildProcess, string>();

let guarded = false;

/**
 * Makes SIGINT and SIGTERM settle this process's changes to the tree before it ends: any child
 * doing a step of an open transaction is stopped, the transaction undone, the tree's lock let go,
 * `report` told what was done, and the signal raised again. Once per process; later calls do nothing.
 */
export function guardInterrupts(report: (what: Interruption) => void): void {
  if (guarded) return;
  guarded = true;
  const handler = (signal: InterruptSignal) => {
    for (const s of SIGNALS) process.removeListener(s, handler);
    let what: Interruption;
    try {
      for (const [child, root] of children) stopChild(child, root);
      removeWritesUnderWay();
      what = { signal, undone: abortOpenTransactions(), committed: committedFiles() };
    } finally {
      releaseHeldLocks();
    }
    report(what);
    // Listening for a signal cancels Node's default exit; raise it again unless another listener
    // (verify's throw-away server) still has its own clean-up to do and raises it itself.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.on(s, handler);
  // An app's render can hold the thread for good, and this handler never runs then: while nothing
  // is written and nothing under way, the signal's default ends the run instead, which leaves what
  // the handler would (see @strata/core's interrupts.ts).
  yieldToAppCode(handler, () => children.size === 0 && !hasOpenTransactions() && !hasWritesUnderWay());
}

/**
 * Registers `child` as a step of an open transaction in the workspace at `root` (pnpm install in a
 * new app): on SIGINT or SIGTERM it is stopped, and its temporary files at the root removed, before
 * the transaction is undone, so that it writes nothing after the undo. It is forgotten when it exits.
 */
export function stopOnInterrupt(child: ChildProcess, root: string): void {
  restoreInterruptListeners();
  children.set(child, root);
  child.once('exit', () => {
    children.delete(child);
    removePnpmTemporaries(root, child.pid);
  });
}

/** Whether `pid` has ended (a zombie, not yet reaped, has). */
function ended(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return !isRunning(pid);
  }
}

function waitEnded(pid: number, ms: number): boolean {
  const deadline = Date.now() + ms;
  while (!ended(pid)) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  return true;
}

/**
 * Ends `child` and waits for it, here in the handler: a Ctrl-C at a terminal has sent it SIGINT
 * already; otherwise SIGTERM, and SIGKILL after five seconds.
 */
function stopChild(child: ChildProcess, root: string): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (!waitEnded(pid, 0)) child.kill('SIGTERM');
    if (!waitEnded(pid, 5_000)) {
      child.kill('SIGKILL');
      waitEnded(pid, 2_000);
    }
  } finally {
    removePnpmTemporaries(root, pid);
  }
}
