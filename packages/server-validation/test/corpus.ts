import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const corpusDir = fileURLToPath(new URL('./corpus', import.meta.url));

/** One hand-written document and what a real API server does with it. */
export interface Case {
  /** The file name without `.yaml`. */
  readonly name: string;
  readonly expected: 'accept' | 'refuse';
  /** The one thing that is wrong with it (or what it shows, for a valid one). */
  readonly why: string;
  /** The fields a refusal is about, when the first line names them (`# refuse at spec.cidrs[0]: ...`). */
  readonly at?: readonly string[];
  readonly object: Record<string, unknown> & { apiVersion: string; kind: string; metadata?: Record<string, unknown> };
}

/**
 * Every case of test/corpus (or of another folder of this layout, such as test/crd-corpus/cases):
 * one document per file, its first line `# accept: ...` or `# refuse: ...`, or `# refuse at <field>, <field>: ...`
 * naming the fields the refusal is about.
 */
export function loadCorpus(dir: string = corpusDir): Case[] {
  const where = relative(fileURLToPath(new URL('.', import.meta.url)), dir);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const head = /^# (accept|refuse)(?: at ([^:]+))?: (.+)$/.exec(text.split('\n')[0] ?? '');
      if (!head) throw new Error(`test/${where}/${file}: the first line must be "# accept: <what>" or "# refuse: <what is wrong>"`);
      return {
        name: file.replace(/\.yaml$/, ''),
        expected: head[1] as Case['expected'],
        why: head[3]!,
        ...(head[2] ? { at: head[2].split(',').map((f) => f.trim()) } : {}),
        object: parse(text) as Case['object'],
      };
    });
}
