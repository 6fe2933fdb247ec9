import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { onLines } from '../src/index.ts';

describe('onLines', () => {
  it('hands over each line as soon as it is complete, however the chunks cut it, and the last one on flush', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const reader = onLines(stream, (l) => lines.push(l));
    // "é" is two bytes: the chunk boundary falls inside it.
    const bytes = Buffer.from('one\ntwo\u00e9\nthr', 'utf8');
    for (const chunk of [bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)]) stream.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toStrictEqual(['one', 'two\u00e9']);
    stream.end('ee');
    await new Promise((resolve) => stream.on('end', resolve));
    reader.flush();
    reader.flush();
    expect(lines).toStrictEqual(['one', 'two\u00e9', 'three']);
  });
});
