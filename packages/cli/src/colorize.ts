/** Colours a unified diff for a terminal: removals red, additions green, hunks cyan. */
export function colorize(diff: string): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return `\x1b[1m${line}\x1b[0m`;
      if (line.startsWith('+')) return `\x1b[32m${line}\x1b[0m`;
      if (line.startsWith('-')) return `\x1b[31m${line}\x1b[0m`;
      if (line.startsWith('@@')) return `\x1b[36m${line}\x1b[0m`;
      return line;
    })
    .join('\n');
}

/** Unified diffs on stdout, one after the other, coloured on a terminal unless $NO_COLOR is set. */
export function printDiffs(diffs: readonly { readonly diff: string }[], out: (line: string) => void): void {
  const tty = process.stdout.isTTY && !process.env.NO_COLOR;
  for (const d of diffs) out((tty ? colorize(d.diff) : d.diff).trimEnd());
}
