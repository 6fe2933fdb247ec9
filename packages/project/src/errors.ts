/** Thrown for problems the user fixes by changing how the command is called (exit 2). */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** Thrown when a required external binary cannot be found (exit 2); `hint` says how to install it. */
export class ToolMissingError extends Error {
  override readonly name: string = 'ToolMissingError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(`${message}: ${hint}`);
  }
}

/**
 * Thrown when an external tool failed rather than judged the input (exit 2): it was killed, could
 * not start, or answered with something unreadable. The input may be fine; rerunning may help.
 */
export class ToolError extends Error {
  override readonly name: string = 'ToolError';
}
