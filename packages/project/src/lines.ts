import type { Readable } from 'node:stream';

/** What `onLines` returns: `flush` hands over a last line that had no newline, once the stream has ended. */
export interface LineReader {
  flush(): void;
}

/**
 * Calls `take` with each line of `stream` (UTF-8, without its `\n`) as soon as the line is complete,
 * so a long-lived tool's answers and a build's progress arrive as they are written, whatever the
 * chunks. Call `flush` when the process has ended for a last line without a newline.
 */
export function onLines(stream: Readable, take: (line: string) => void): LineReader {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      take(line);
    }
  });
  return {
    flush() {
      if (buffered === '') return;
      const line = buffered;
      buffered = '';
      take(line);
    },
  };
}
