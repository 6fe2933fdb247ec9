import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What strata keeps in the OS temp folder (TMPDIR) while it runs: the apps' compiled bundle, the
 * tree of a ref that diff compares with, the app import stages, the files kubeconform reads, and
 * the empty folder `go mod download` runs in for crd add (made by @strata/schemas' crd.mjs, which
 * is plain JavaScript and names it alike).
 */
export type ScratchKind = 'apps' | 'diff' | 'go' | 'import' | 'validate';

const KINDS: readonly ScratchKind[] = ['apps', 'diff', 'go', 'import', 'validate'];
/** `strata-<kind>-<pid>-XXXXXX`: the pid of the process that made it. */
const OWNED = new RegExp(`^strata-(?:${KINDS.join('|')})-(\\d+)-[A-Za-z0-9]{6}$`);
/** What versions before named it, `strata-<kind>-XXXXXX`: no owner to ask, so only removed once long untouched. */
const UNOWNED = new RegExp(`^strata-(?:${KINDS.join('|')})-[A-Za-z0-9]{6}$`);
const UNOWNED_GRACE_MS = 60 * 60_000;

/** Whether a process with this pid is alive (EPERM: alive, owned by someone else). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let swept = false;

/**
 * {@link sweepScratch} of TMPDIR, once a process: at the start of every command (a killed run's
 * folder would otherwise stay until a command that makes one of its own), and before the first
 * scratch folder a process makes.
 */
export function sweepScratchOnce(): void {
  if (swept) return;
  swept = true;
  sweepScratch();
}

/**
 * Makes a scratch folder in TMPDIR (mode 0700) whose name holds this process's pid. A run killed
 * with SIGKILL never removes its own, so the first one a process makes removes those of processes
 * that are gone: without that they pile up, one per killed run, each holding the apps' bundle.
 * The caller removes its folder when done.
 */
export function makeScratchDir(kind: ScratchKind): string {
  sweepScratchOnce();
  return mkdtempSync(join(tmpdir(), `strata-${kind}-${process.pid}-`));
}

/**
 * Removes the scratch folders in `parent` whose process is no longer running, and those of older
 * versions (no pid in the name) untouched for an hour; returns their paths. Only the names
 * makeScratchDir gives are looked at: another program's folder, or a live run's, is never touched.
 * A pid taken again by another process keeps its folder until that process ends too.
 */
export function sweepScratch(parent: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owned = OWNED.exec(name);
    if (!owned && !UNOWNED.test(name)) continue;
    const dir = join(parent, name);
    try {
      if (owned ? isRunning(Number(owned[1])) : Date.now() - statSync(dir).mtimeMs < UNOWNED_GRACE_MS) continue;
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      removed.push(dir);
    } catch {
      // Another user's folder, or one removed meanwhile: not ours to deal with.
    }
  }
  return removed;
}
