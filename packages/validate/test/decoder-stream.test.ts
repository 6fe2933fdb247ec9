import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot, ToolError } from '@strata/project';
import { DecoderStream, decoderPath, runDecoder } from '../src/decode.ts';

const bin = decoderPath(findRoot());

// Texts whose answers differ from one another, each a case the decoder reads its own way.
const texts = [
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  mode: 0777\n',
  'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata:\n      name: hidden\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  name: c\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  x: "one\u2028two"\n---\nkind: [\n',
  '\ufeffapiVersion: v1\nkind: Namespace\nmetadata:\n  name: bom\n',
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: ${'x'.repeat(3 << 20)}\n`,
].map((t) => Buffer.from(t, 'utf8'));

describe('DecoderStream', () => {
  it('finds the decoder the setup script builds', () => {
    expect(bin).toBeDefined();
  });

  it('answers each text as one decoder run over all of them does, in the order pushed', async () => {
    const whole = await runDecoder(bin!, texts);
    const stream = new DecoderStream(bin!);
    // Pushed in turns with waits between, as builds come in.
    const answers: Promise<unknown>[] = [];
    for (const t of texts) {
      answers.push(stream.push(t)!);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    stream.end();
    const streamed = await Promise.all(answers);
    expect(streamed).toEqual(whole);
    // The answers tell the texts apart: a mix-up of their order would show.
    expect(new Set(streamed.map((a) => JSON.stringify(a))).size).toBe(texts.length);
  });

  it('takes no text once ended, so that its reader decodes that one another way', async () => {
    const stream = new DecoderStream(bin!);
    const first = stream.push(texts[0]!);
    stream.end();
    expect(stream.push(texts[1]!)).toBeUndefined();
    await expect(first).resolves.toEqual((await runDecoder(bin!, [texts[0]!]))[0]);
  });

  it('fails the texts it has not answered when stopped, and takes no more', async () => {
    const stream = new DecoderStream(bin!);
    const pending = stream.push(texts[5]!)!;
    stream.stop();
    await expect(pending).rejects.toThrow(/strata-decode/);
    expect(stream.push(texts[0]!)).toBeUndefined();
  });

  it('fails every text it holds with the decoder when the decoder cannot run', async () => {
    const stream = new DecoderStream('/nonexistent/strata-decode');
    const pending = stream.push(texts[0]!);
    await expect(pending).rejects.toThrow(/ENOENT/);
  });
});

// A decoder that fails says nothing of the texts: the run ends as a tool error (exit 2), naming how
// it ended, never as an invalid input (exit 1) nor as an error thrown out of an event handler.
describe('a decoder that fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-decoder-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const standIn = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const cases = [
    ['killed', 'cat >/dev/null; kill -KILL $$', /^strata-decode was killed by SIGKILL$/],
    ['crashing', 'cat >/dev/null; echo "panic: runtime error" >&2; exit 2', /^strata-decode failed \(exit 2\): panic: runtime error$/],
    ['answering garbage', 'cat >/dev/null; echo "{not an answer"', /^strata-decode answered with something unreadable: \{not an answer$/],
  ] as const;

  it.each(cases)('%s is a ToolError of one run over all texts', async (name, body, message) => {
    const run = runDecoder(standIn(`run-${name.replace(' ', '-')}`, body), [texts[0]!]);
    await expect(run).rejects.toThrow(message);
    await expect(run).rejects.toBeInstanceOf(ToolError);
  });

  it.each(cases)('%s is a ToolError of each text a stream holds', async (name, body, message) => {
    const stream = new DecoderStream(standIn(`stream-${name.replace(' ', '-')}`, body));
    const pending = stream.push(texts[0]!)!;
    stream.end();
    await expect(pending).rejects.toThrow(message);
    await expect(pending).rejects.toBeInstanceOf(ToolError);
  });
});
