import { appCodeFailures } from '@strata/core/sources';

/**
 * What app code threw after its call had returned (from a timer or a promise it started), and what
 * that does to a command's exit code. The command fails for it, unless it had committed a change
 * to the tree by then: that change was made from what the render returned and stands, and saying
 * the command failed would be false.
 */
export interface LateFailureVerdict {
  /** The failures not reported before, one line each, in the order they came. */
  readonly lines: readonly string[];
  /** When a change had been committed: the line that says it stands. */
  readonly stands?: string;
  /** The exit code the command ends with: the one it had, or 1 (invalid input) when nothing was committed. */
  readonly exitCode: number;
}

const STANDS = 'the change to the tree was written before the app failed, from what its render returned; it stands';

/**
 * The verdict on `failures` for a command that was ending with `exitCode` and had committed
 * `committed` changes: each failure once (every render of an app may throw the same), none of
 * those in `reported`. Undefined when there is nothing new.
 */
export function lateFailureVerdict(
  failures: readonly Error[],
  reported: ReadonlySet<string>,
  committed: number,
  exitCode: number,
): LateFailureVerdict | undefined {
  const lines = [...new Set(failures.map((f) => f.message))].filter((m) => !reported.has(m));
  if (lines.length === 0) return undefined;
  if (committed > 0) return { lines, stands: STANDS, exitCode };
  return { lines, exitCode: Math.max(exitCode, 1) };
}

/**
 * The late failures of app code in this process, each reported once across the calls: the error a
 * command ended with is marked as reported, and then every call takes what came since.
 */
export class LateAppFailures {
  readonly #reported = new Set<string>();

  /** An error the command already reported, such as the one it ended with (each of its lines, the failures of several apps): never reported again. */
  reported(e: unknown): void {
    if (!(e instanceof Error)) return;
    this.#reported.add(e.message);
    for (const line of e.message.split('\n')) this.#reported.add(line);
  }

  /** The verdict on the failures since the last call, for a command ending with `exitCode`; undefined when there are none. */
  async take(exitCode: number): Promise<LateFailureVerdict | undefined> {
    if (appCodeFailures().every((f) => this.#reported.has(f.message))) return undefined;
    // Loaded only when app code failed; its count is read after the import, and so are the failures.
    const { committedChanges } = await import('@strata/emit/journal');
    const verdict = lateFailureVerdict(appCodeFailures(), this.#reported, committedChanges(), exitCode);
    for (const line of verdict?.lines ?? []) this.#reported.add(line);
    return verdict;
  }
}
