import { CommanderError } from 'commander';
import { ToolError, ToolMissingError, UsageError } from '@strata/project';
// A type only: erased, so the pipeline package still loads only when a command needs it.
import type { Verdict } from '@strata/pipeline';

/**
 * The exit codes, decided here for every command: 0 when all is well, 1 when the input is invalid
 * (an overlay that does not build, a failing check, an app that does not render), 2 when strata was
 * called wrongly, a tool it runs failed or strata itself failed, so the input was never judged.
 */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/**
 * Whether strata's own code failed: the errors the language raises for a program's mistakes (reading
 * a field of undefined, a name that does not exist, an array length out of range). The libraries
 * judge input with errors of their own, and an app's own failures reach here wrapped in them
 * (RenderError, the load problems), so one of these is a bug in strata, never a verdict on the input.
 */
export function isInternalError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError;
}

/**
 * Ends a command as a library's verdict says, once its results are shown: a run a tool failed to
 * judge raises the error that says so (exit 2), an invalid input exits 1.
 */
export function settle(v: Verdict): void {
  if (v.unjudged) throw v.unjudged;
  if (v.outcome === 'failed') process.exitCode = EXIT.invalid;
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  // By class: the libraries' own errors extend these (KubeconformFailedError is a ToolError,
  // TreeBusyError a UsageError), so the packages loaded on demand need not be loaded here.
  if (e instanceof UsageError || e instanceof ToolMissingError || e instanceof ToolError) return EXIT.usage;
  // A failed system call (a file that cannot be written, a full disk): the machine, not the input.
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string') return EXIT.usage;
  if (isInternalError(e)) return EXIT.usage;
  return EXIT.invalid;
}

/**
 * What stderr says of an error that ended a command, one line each: several problems (misspelt keys
 * in a few env files, say) come as several lines; a bug in strata says it is one.
 */
export function errorLines(e: unknown): string[] {
  const lines = (e instanceof Error ? e.message : String(e)).split('\n');
  if (!isInternalError(e)) return lines;
  return [
    `internal error: ${lines.join('; ')}`,
    'this is a bug in strata, not a problem of the input: run again with STRATA_DEBUG=1 for the stack and report it',
  ];
}
