import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { decodeInProcess } from '../src/decode.ts';
import { decoderPath, runDecoder, validate, type Decoded, type DecodedChunk } from '../src/index.ts';

/**
 * Keys that are one key to kubectl only once YAML 1.1 has resolved them: `yes`, `y`, `on` and
 * `true` are all the boolean true, `0x10`, `020` and `16` all the integer 16. kubectl converts each
 * document with sigs.k8s.io/yaml, which keeps the last of them without a word; its strict reading
 * (go-yaml) calls the later one a key already set in map. The truth is kubectl's own decoder
 * (-reference): a mapping whose object has fewer keys than were written lost one, and Strata must
 * say so at the line of the later key, with or without the Go decoder built.
 */
const repo = findRoot(import.meta.dirname);

interface Case {
  /** The keys of `data` in a ConfigMap, one per line from line 6. */
  readonly keys: readonly string[];
  /** Lines of the keys reported as set before, and the words that must name them. */
  readonly duplicate?: readonly { readonly line: number; readonly says: string }[];
}

const CASES: Record<string, Case> = {
  'yes-then-true': {
    keys: ['yes', 'true'],
    duplicate: [{ line: 7, says: 'key true is the boolean true to kubectl (YAML 1.1), as is key yes at line 6 of the same mapping' }],
  },
  'on-y-true': {
    keys: ['on', 'y', 'true'],
    duplicate: [
      { line: 7, says: 'key y is the boolean true to kubectl (YAML 1.1), as is key on at line 6' },
      { line: 8, says: 'key true is the boolean true to kubectl (YAML 1.1), as is key on at line 6' },
    ],
  },
  'no-and-off': { keys: ['no', 'Off'], duplicate: [{ line: 7, says: 'key Off is the boolean false to kubectl (YAML 1.1), as is key no at line 6' }] },
  'hex-then-decimal': {
    keys: ['0x10', '16'],
    duplicate: [{ line: 7, says: 'key 16 is the number 16 to kubectl (YAML 1.1), as is key 0x10 at line 6' }],
  },
  'octal-then-decimal': {
    keys: ['020', '16'],
    duplicate: [{ line: 7, says: 'key 16 is the number 16 to kubectl (YAML 1.1), as is key 020 at line 6' }],
  },
  'same-text': { keys: ['k', 'k'], duplicate: [{ line: 7, says: 'key "k" appears twice in one mapping' }] },
  // Keys YAML 1.1 reads apart (text and a boolean, an integer and a float) that are one key in the
  // JSON kubectl sends: it keeps one value, which one Go's map order decides.
  'quoted-true-and-true': {
    keys: ['"true"', 'true'],
    duplicate: [{ line: 7, says: 'key true and key "true" at line 6 are the one key "true" in the JSON kubectl sends' }],
  },
  'integer-and-float': {
    keys: ['1', '1.0'],
    duplicate: [{ line: 7, says: 'key 1.0 and key 1 at line 6 are the one key "1" in the JSON kubectl sends' }],
  },
  // Quoted, yes is text: two keys to kubectl, "yes" and "true".
  'quoted-yes-and-true': { keys: ['"yes"', 'true'] },
  'distinct-numbers': { keys: ['0x10', '17'] },
};

const text = (c: Case) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n${c.keys.map((k, i) => `  ${k}: "v${i}"\n`).join('')}`;

let dir: string;
const names = Object.keys(CASES);
const kubectl = new Map<string, Record<string, unknown>>();
const decoded = new Map<string, Decoded>();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-duplicate-keys-'));
  const bin = decoderPath(repo);
  if (!bin) throw new Error('strata-decode is not built: run npm run setup');
  const texts = names.map((n) => Buffer.from(text(CASES[n]!)));
  const reference = (await runDecoder(bin, texts, ['-reference'])) as { objects: { object: Record<string, unknown> }[]; error?: string }[];
  reference.forEach((r, i) => {
    if (r.error) throw new Error(`${names[i]}: kubectl refuses it: ${r.error}`);
    kubectl.set(names[i]!, r.objects[0]!.object);
  });
  ((await runDecoder(bin, texts)) as Decoded[]).forEach((d, i) => decoded.set(names[i]!, d));
  for (const n of names) writeFileSync(join(dir, `${n}.yaml`), text(CASES[n]!));
}, 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('keys that YAML 1.1 makes one key, as kubectl reads them', () => {
  it.each(names)('%s: reported at the later key exactly when kubectl keeps fewer keys than were written', async (name) => {
    const c = CASES[name]!;
    const data = kubectl.get(name)!.data as Record<string, unknown>;
    expect(Object.keys(data).length < c.keys.length, JSON.stringify(data)).toBe(c.duplicate !== undefined);
    const r = await validate(repo, [join(dir, `${name}.yaml`)], { policy: false, serverChecks: false });
    const duplicates = r.problems.filter((p) => p.rule === 'duplicate-key');
    expect(duplicates.map((p) => p.line)).toStrictEqual((c.duplicate ?? []).map((d) => d.line));
    duplicates.forEach((p, i) => {
      expect(p.message).toContain(c.duplicate![i]!.says);
      expect([p.kind, p.name]).toStrictEqual(['ConfigMap', 'cm']);
    });
  });

  it('says kubectl reads nothing, not null, where only kustomize (YAML 1.2) has a key', async () => {
    // kubectl keeps the one key true; kustomize reads yes as text and keeps both.
    expect(kubectl.get('yes-then-true')!.data).toStrictEqual({ true: 'v1' });
    const r = await validate(repo, [join(dir, 'yes-then-true.yaml')], { policy: false, serverChecks: false });
    expect(r.problems.filter((p) => p.rule === 'yaml-version').map((p) => [p.line, p.path, p.message])).toStrictEqual([
      [
        6,
        'data.yes',
        'kubectl (YAML 1.1) reads nothing here but kustomize (YAML 1.2) "v0": write it so both agree (quote text; true or false for booleans)',
      ],
    ]);
  });

  it.each(names)('%s: the in-process reading (no Go) finds the keys the decoder finds, in its words', (name) => {
    const keys = (chunks: readonly DecodedChunk[]) => chunks.map((ch) => [ch.duplicate, ch.collisions]);
    expect(keys(decodeInProcess(Buffer.from(text(CASES[name]!))).chunks)).toStrictEqual(keys(decoded.get(name)!.chunks));
  });
});
