import { describe, expect, it } from 'vitest';
import { decodeEarly, decodeParsed, decoderPath, readText, startDecoder, type ParsedInputs } from '../src/index.ts';
import { findRoot } from '@strata/project';

const repo = findRoot(import.meta.dirname);
const bin = decoderPath(repo);

// Texts the reader treats in different ways: plain objects, a list, a duplicate key, a value that
// YAML 1.1 and 1.2 read differently, a line separator kubectl's reader breaks lines at, a byte
// order mark, an integer past 2^53, and text that is not YAML at all.
const TEXTS: Record<string, string> = {
  'dist/dev/web.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: "1"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n',
  'dist/dev/list.yaml':
    'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n- kind: ConfigMap\n  metadata:\n    name: c\n',
  'dist/dev/twice.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\ndata:\n  k: one\n  k: two\n',
  'dist/dev/yes.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\ndata:\n  flag: yes\n',
  'dist/dev/break.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: brk\ndata:\n  text: a\u2028b\n',
  'dist/dev/bom.yaml': '\ufeffapiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bom\n',
  'dist/dev/long.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\n  generation: 9007199254740993\n',
  'dist/dev/broken.yaml': 'apiVersion: v1\nkind: [unclosed\n',
};

/** What the reader makes of the texts: documents (their ids, lines and manifests), problems and documents per file. */
function reading(parsed: ParsedInputs) {
  return {
    docs: parsed.docs.map((d) => ({ id: d.id, file: d.file, line: d.line, manifest: d.manifest, json: d.json })),
    problems: parsed.problems,
    files: [...parsed.files].map(([file, f]) => ({ file, resources: f.resources, documents: f.documents, decoded: f.decoded })),
  };
}

const empty = (): ParsedInputs => ({ docs: [], problems: [], files: new Map() });

describe('decoding built output as it arrives', () => {
  it('reads every text as decoding them all at the end does, in the order the files were put', async () => {
    const atEnd = empty();
    for (const [file, text] of Object.entries(TEXTS)) atEnd.files.set(file, readText(text, file, file).file);
    await decodeParsed(atEnd, repo);

    const early = empty();
    const decoding = decodeEarly(repo);
    // Made in one order, put in another: the files' order is the caller's.
    const made = new Map(
      Object.entries(TEXTS)
        .reverse()
        .map(([file, text]) => [file, decoding.file(file, text)]),
    );
    for (const file of Object.keys(TEXTS)) early.files.set(file, made.get(file)!);
    await decoding.close();
    await decodeParsed(early, repo);

    expect(reading(early)).toStrictEqual(reading(atEnd));
    // The cases themselves, so that two equally wrong readings cannot agree unnoticed.
    expect(early.docs.map((d) => `${d.manifest.kind}/${String(d.manifest.metadata.name)}`)).toStrictEqual([
      'ConfigMap/web',
      'Deployment/web',
      'Secret/s',
      'ConfigMap/twice',
      'ServiceAccount/bom',
      'ConfigMap/long',
    ]);
    expect(early.problems.map((p) => p.file)).toStrictEqual([
      'dist/dev/list.yaml',
      'dist/dev/twice.yaml',
      'dist/dev/yes.yaml',
      'dist/dev/break.yaml',
      'dist/dev/broken.yaml',
    ]);
    expect(early.files.get('dist/dev/web.yaml')!.documents).toHaveLength(2);
  });

  it.skipIf(!bin)(
    'answers each text while more are still being given',
    async () => {
      const decoder = startDecoder(bin!);
      // More answers than the decoder keeps before it writes them out (1 MiB).
      const text = Buffer.from(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: ${'x'.repeat(64 * 1024)}\n`);
      const answers = Array.from({ length: 40 }, () => decoder.decode(text));
      const first = await Promise.race([answers[0]!.then(() => 'answered'), new Promise((r) => setTimeout(() => r('still waiting'), 20_000))]);
      expect(first).toBe('answered');
      await decoder.close();
      expect(await Promise.all(answers)).toHaveLength(40);
    },
    60_000,
  );

  it('rejects the answers still owed, and its close, when the decoder fails', async () => {
    // A decoder that exits at once with an error: the answers can never come.
    const decoder = startDecoder('/bin/sh', ['-c', 'echo "cannot decode" >&2; exit 3']);
    const answer = decoder.decode(Buffer.from('kind: ConfigMap\n'));
    await expect(decoder.close()).rejects.toThrow('strata-decode failed (exit 3): cannot decode');
    await expect(answer).rejects.toThrow('strata-decode failed (exit 3)');
    await expect(decoder.decode(Buffer.from('x'))).rejects.toThrow('strata-decode failed (exit 3)');
  });

  it.skipIf(!bin)('refuses a text given after the last', async () => {
    const decoding = decodeEarly(repo);
    await decoding.close();
    const parsed = empty();
    parsed.files.set('late.yaml', decoding.file('late.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n'));
    await expect(decodeParsed(parsed, repo)).rejects.toThrow('after its last');
  });
});
