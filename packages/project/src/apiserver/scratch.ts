import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary folders that say who owns them. A run killed with SIGKILL cannot clean up after itself,
 * so each folder records the owning process and the servers it started (pid and start time, so a
 * reused pid is never taken for them), and the next run removes the folders of dead owners and
 * ends what they left running.
 */

const OWNER_FILE = 'strata-owner.json';
/** The folders this package creates: `strata-verify-<kind>-XXXXXX`; only those are ever swept. */
const PREFIX = 'strata-verify-';
const KINDS = ['server', 'ref'] as const;
// What versions before owner files created for servers: `strata-verify-XXXXXX`.
const LEGACY = /^strata-verify-[A-Za-z0-9]{6}$/;
/** A folder without an owner file (made by an older version) is left alone this long after its last change. */
const UNOWNED_GRACE_MS = 60 * 60_000;

interface ProcessId {
  readonly pid: number;
  /** Start time in clock ticks since boot (Linux); undefined where /proc is not available. */
  readonly start?: string;
}

interface Owner extends ProcessId {
  readonly servers: readonly ProcessId[];
}

/** The start time of a process, which together with its pid names it uniquely; undefined off Linux or when it is gone. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

const idOf = (pid: number): ProcessId => {
  const start = startOf(pid);
  return start === undefined ? { pid } : { pid, start };
};

/** Whether this exact process (not a later one that got its pid) is still running. */
function isAlive(id: ProcessId): boolean {
  try {
    process.kill(id.pid, 0);
  } catch (err) {
    // EPERM: it exists and belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (id.start === undefined) return true;
  return startOf(id.pid) === id.start;
}

function writeOwner(dir: string, owner: Owner): void {
  const tmp = join(dir, `.${OWNER_FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(owner));
  renameSync(tmp, join(dir, OWNER_FILE));
}

/** Creates a temporary folder (mode 0700) owned by this process. */
export function makeScratchDir(kind: (typeof KINDS)[number]): string {
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${kind}-`));
  writeOwner(dir, { ...idOf(process.pid), servers: [] });
  return dir;
}

/** Records the processes started for a folder, so that a later run can end them if this one is killed. */
export function recordServers(dir: string, pids: readonly number[]): void {
  writeOwner(dir, { ...idOf(process.pid), servers: pids.map(idOf) });
}

function readOwner(dir: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/**
 * Removes the folders of runs that are gone and kills any server they left running (servers built
 * from this package's mains end on their own with their parent; binaries given through
 * STRATA_ETCD / STRATA_KUBE_APISERVER may not). Folders of live runs, of other users and without an
 * owner file (unless untouched for an hour) are left alone. Returns the folders removed.
 */
export function sweepStale(parent: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => LEGACY.test(n) || KINDS.some((k) => n.startsWith(`${PREFIX}${k}-`)));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const dir = join(parent, name);
    try {
      const owner = readOwner(dir);
      if (owner) {
        if (isAlive(owner)) continue;
        // Only a server whose start time still matches: without /proc a pid alone is not proof.
        for (const s of owner.servers) if (s.start !== undefined && isAlive(s)) process.kill(s.pid, 'SIGKILL');
      } else if (Date.now() - statSync(dir).mtimeMs < UNOWNED_GRACE_MS) continue;
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      removed.push(dir);
    } catch {
      // Another user's folder, or one removed meanwhile: not ours to deal with.
    }
  }
  return removed;
}
