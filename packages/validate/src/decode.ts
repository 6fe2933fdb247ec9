import { spawn } from 'node:child_process';
import { isUtf8 } from 'node:buffer';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { isPlainObject } from '@strata/core';
import { holdsExactNumber, kubectlInteger, mayHoldLongInteger, strataCheckout, stringifyExact, ToolError } from '@strata/project';

/** One object kubectl decodes from a chunk: a list's items each with their index. */
export interface DecodedObject {
  readonly object: Record<string, unknown>;
  /** Index in the list it came from, or -1. */
  readonly item: number;
  /** Byte offset of a JSON object within its chunk, or -1. */
  readonly offset: number;
  /**
   * The object as kubectl sends it, when its text holds a number of 16 digits or more: an integer
   * there may be past 2^53, which `object` (read by JSON.parse) has rounded and this keeps to the
   * last digit.
   */
  readonly json?: string;
}

/** One document as kubectl's YAML reader splits a stream (`---` lines), at a byte offset of the file. */
export interface DecodedChunk {
  readonly offset: number;
  readonly length: number;
  readonly objects: readonly DecodedObject[];
  readonly error?: string;
  /** The strict reading's complaint (`line N: key "k" already set in map`) when a key repeats. */
  readonly duplicate?: string;
  /** Every field a YAML 1.2 reader (kustomize) reads differently from kubectl, or why it cannot read the chunk. */
  readonly yaml12?: readonly {
    readonly path: readonly (string | number)[];
    readonly kubectl?: unknown;
    readonly yaml12?: unknown;
    /** The reading that has no such field at all, where the other has one. */
    readonly absent?: 'kubectl' | 'yaml12';
    readonly error?: string;
  }[];
  /** Indexes of list items without apiVersion and kind (kubectl infers them, kustomize refuses them). */
  readonly inferred?: readonly number[];
  /**
   * Keys that YAML 1.1 reads apart from an earlier key of their mapping (`"true"` and `true`, `1`
   * and `1.0`) but that are one key in the JSON kubectl sends, which keeps one value in Go's map
   * order: as written, with their lines and that JSON key.
   */
  readonly collisions?: readonly {
    readonly line: number;
    readonly key: string;
    readonly firstLine: number;
    readonly first: string;
    readonly json: string;
  }[];
  /** For a document kubectl decodes as a list (it has items): the list's own fields, all but items. */
  readonly list?: Record<string, unknown>;
}

export interface Decoded {
  readonly chunks: readonly DecodedChunk[];
  /** Whether the chunks' objects are what kubectl decodes from the whole file at once. */
  readonly aligned: boolean;
  /** The whole file's objects, when they differ from the chunks'. */
  readonly stream?: readonly DecodedObject[];
  readonly error?: string;
  /**
   * The text kubectl decodes, when it is not the file's bytes (`kubectlText`: UTF-16 or a byte
   * order mark, or bytes that are not UTF-8). The offsets are in it; its lines are the file's.
   */
  readonly text?: string;
  /** Set with `text` when kustomize, reading the file's own bytes, finds other objects than kubectl. */
  readonly kustomize?: {
    /** Objects kustomize reads, or -1 when it refuses the file. */
    readonly objects: number;
    readonly kubectl: number;
    /** The first object, in kubectl's order, that kustomize reads otherwise or not at all. */
    readonly index: number;
    readonly error?: string;
  };
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * What kubectl decodes from a file's bytes: every file and stdin goes through a byte-order-mark
 * aware UTF-8 decoder first (k8s.io/cli-runtime's FileVisitor, `unicode.BOMOverride(unicode.UTF8.NewDecoder())`
 * from golang.org/x/text): a UTF-16 BOM makes it UTF-16, a UTF-8 BOM is dropped, and what is not
 * UTF-8 becomes U+FFFD, one for each maximal ill-formed part as in TextDecoder. The decoder does
 * this with the same Go module; this is the fallback's copy. Lines stay where they were.
 */
export function kubectlText(bytes: Buffer): Buffer {
  const [a, b] = [bytes[0], bytes[1]];
  const utf16 = a === 0xfe && b === 0xff ? 'utf-16be' : a === 0xff && b === 0xfe ? 'utf-16le' : undefined;
  if (utf16) return Buffer.from(new TextDecoder(utf16, { ignoreBOM: true }).decode(bytes.subarray(2)), 'utf8');
  const body = bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes;
  if (body === bytes && isUtf8(bytes)) return bytes;
  return Buffer.from(new TextDecoder('utf-8', { ignoreBOM: true }).decode(body), 'utf8');
}

/** The decoder built by the setup script from packages/validate/decoder, if it is there: the workspace's, else the Strata checkout's. */
export function decoderPath(root?: string): string | undefined {
  const candidates = [
    process.env.STRATA_DECODE,
    root && join(root, '.tools', 'bin', 'strata-decode'),
    join(strataCheckout(), '.tools', 'bin', 'strata-decode'),
  ];
  return candidates.find((c): c is string => typeof c === 'string' && c !== '' && existsSync(c));
}

/**
 * The decoder's failure, which says nothing of the texts: a ToolError (exit 2), naming how it ended
 * (an exit code and what it said, or the signal that killed it).
 */
function decoderFailed(code: number | null, signal: NodeJS.Signals | null, stderr: Buffer[]): ToolError {
  const said = Buffer.concat(stderr).toString('utf8').trim();
  if (code === null) return new ToolError(`strata-decode was killed by ${signal ?? 'a signal'}${said ? `: ${said}` : ''}`);
  return new ToolError(`strata-decode failed (exit ${code})${said ? `: ${said}` : ''}`);
}

/** The decoder's answer to one text, a ToolError when it is no answer at all. */
function decoderAnswer(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    throw new ToolError(`strata-decode answered with something unreadable: ${line.slice(0, 200)}`);
  }
}

/** Runs the decoder once over all texts (one frame each) and returns its answer per text, in order. */
export function runDecoder(bin: string, texts: readonly Buffer[], args: readonly string[] = []): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new ToolError(`strata-decode could not run: ${e.message}`)));
    child.stdin.on('error', () => undefined); // reported through the exit status
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(decoderFailed(code, signal, err));
        return;
      }
      const lines = Buffer.concat(out)
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '');
      try {
        resolve(lines.map(decoderAnswer));
      } catch (e) {
        reject(e);
      }
    });
    for (const t of texts) {
      child.stdin.write(`${t.length}\n`);
      child.stdin.write(t);
    }
    child.stdin.end();
  });
}

/**
 * One decoder run fed while its texts come in (the pipeline's builds, as the builder answers them):
 * each text is decoded as it arrives, on a core the builds leave free, and not all at once after
 * the last build, when nothing else runs. `push` gives a text's answer; `end` says no more come.
 */
export class DecoderStream {
  private readonly child;
  private readonly waiting: { resolve: (d: Decoded) => void; reject: (e: Error) => void }[] = [];
  private answered = 0;
  private ended = false;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private failure: Error | undefined;

  constructor(bin: string) {
    this.child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    let rest = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line === '') continue;
        let answer: unknown;
        try {
          answer = decoderAnswer(line);
        } catch (e) {
          this.fail(e as Error);
          return;
        }
        this.waiting[this.answered++]?.resolve(answer as Decoded);
      }
    });
    this.child.stderr.on('data', (b: Buffer) => err.push(b));
    this.child.stdin.on('error', () => undefined); // reported through the exit status
    this.child.on('error', (e) => this.fail(new ToolError(`strata-decode could not run: ${e.message}`)));
    this.child.on('close', (code, signal) => {
      this.fail(code === 0 ? new ToolError('strata-decode ended before it answered every text') : decoderFailed(code, signal, err));
    });
  }

  /** The decoder's answer for `text`, once it comes; undefined once the stream has ended or failed (decode it another way). */
  push(text: Buffer): Promise<Decoded> | undefined {
    if (this.ended || this.failure) return undefined;
    const answer = new Promise<Decoded>((resolve, reject) => this.waiting.push({ resolve, reject }));
    answer.catch(() => undefined); // its reader awaits it, or never asks
    this.queued.push(Buffer.from(`${text.length}\n`), text);
    this.queuedBytes += text.length;
    if (this.queuedBytes >= 1 << 20) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return answer;
  }

  /**
   * Writes the texts pushed since the last flush at once: a write per text and per frame header
   * (3,000 at 500 apps, each waking the decoder) cost this thread 0.7 s of system calls in a cold
   * pipeline, about twice what the batched writes cost.
   */
  private flush(): void {
    this.scheduled = false;
    if (this.queued.length === 0 || this.child.stdin.destroyed) return;
    this.child.stdin.write(Buffer.concat(this.queued));
    this.queued = [];
    this.queuedBytes = 0;
  }

  /** Sends no more texts: the decoder answers those it has and exits. Called again, does nothing. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.flush();
    this.child.stdin.end();
  }

  /** Stops the decoder, its unanswered texts failing: for a run that ends early. */
  stop(): void {
    this.end();
    this.child.kill();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.slice(this.answered)) w.reject(this.failure);
    this.answered = this.waiting.length;
  }
}

/** Decodes texts as kubectl does; with no decoder built, as closely as the YAML 1.1 mode of `yaml` can. */
export async function decodeAll(texts: readonly Buffer[], root?: string): Promise<Decoded[]> {
  if (texts.length === 0) return [];
  const bin = decoderPath(root);
  if (bin) return (await runDecoder(bin, texts)) as Decoded[];
  return texts.map(decodeInProcess);
}

/**
 * The fallback without Go: kubectl's text decoding and document split, YAML 1.1 (booleans, merge
 * keys), lists flattened. It misses what only kubectl's YAML library does (U+2028 and U+0085 as line
 * breaks), and how kustomize reads a file that kubectl decodes to other bytes.
 */
export function decodeInProcess(raw: Buffer): Decoded {
  const bytes = kubectlText(raw);
  const decoded = decodeText(bytes);
  return bytes === raw ? decoded : { ...decoded, text: bytes.toString('utf8') };
}

function decodeText(bytes: Buffer): Decoded {
  const chunks: DecodedChunk[] = [];
  let start = 0;
  let pos = 0;
  const flush = (end: number) => {
    if (end > start) chunks.push(decodeChunk(bytes, start, end));
  };
  while (pos < bytes.length) {
    const nl = bytes.indexOf(0x0a, pos);
    const end = nl < 0 ? bytes.length : nl + 1;
    const line = bytes.subarray(pos, end).toString('utf8');
    if (line.startsWith('---')) {
      const rest = line.slice(3).trim();
      if (rest !== '' && !rest.startsWith('#')) return { chunks, aligned: false, error: `invalid Yaml document separator: ${rest}` };
      flush(pos);
      start = end;
    }
    pos = end;
  }
  flush(bytes.length);
  return { chunks, aligned: true };
}

/** A YAML document's value with its integers as kubectl keeps them (`kubectlInteger`). */
function exactReading(text: string): unknown {
  return parseDocument(text, { version: '1.1', merge: true, uniqueKeys: false, intAsBigInt: true }).toJS({
    maxAliasCount: 1000,
    reviver: (_, v) => (typeof v === 'bigint' ? kubectlInteger(v.toString()) : v),
  }) as unknown;
}

function decodeChunk(bytes: Buffer, start: number, end: number): DecodedChunk {
  const text = bytes.subarray(start, end).toString('utf8');
  const base = { offset: start, length: end - start };
  try {
    const doc = parseDocument(text, { version: '1.1', merge: true, uniqueKeys: false });
    if (doc.errors.length > 0) return { ...base, objects: [], error: doc.errors[0]!.message };
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return { ...base, objects: [] };
    if (!isMap(doc.contents) || !isPlainObject(value))
      return { ...base, objects: [], error: 'json: cannot unmarshal array into Go value of type unstructured.detector' };
    // Integers a double cannot hold are read again to the last digit, as kubectl keeps them.
    const exact = mayHoldLongInteger(text) ? exactReading(text) : undefined;
    const json = (o: unknown) => (holdsExactNumber(o) ? { json: stringifyExact(o) } : {});
    // Like kubectl's strict reading, which only an object gets to.
    const repeated = duplicateKeys(doc, text);
    const collide = collisions(doc, text);
    const head = { ...base, ...(repeated ? { duplicate: repeated } : {}), ...(collide.length > 0 ? { collisions: collide } : {}) };
    if (!('items' in value)) return { ...head, objects: [{ object: value, item: -1, offset: -1, ...json(exact) }] };
    const items = Array.isArray(value.items) ? value.items : [];
    const exactItems = isPlainObject(exact) && Array.isArray(exact.items) ? exact.items : [];
    const kind = typeof value.kind === 'string' ? value.kind.replace(/List$/, '') : '';
    const { items: _items, ...list } = value;
    const typed = (o: Record<string, unknown>) =>
      o.kind === undefined && o.apiVersion === undefined ? { ...o, kind, apiVersion: value.apiVersion } : o;
    return {
      ...(items.length > 0 ? head : base),
      list,
      objects: items.map((item, i) => {
        const e: unknown = exactItems[i];
        return { object: typed(isPlainObject(item) ? item : {}), item: i, offset: -1, ...json(isPlainObject(e) ? typed(e) : undefined) };
      }),
    };
  } catch (err) {
    return { ...base, objects: [], error: (err as Error).message };
  }
}

/**
 * A key as kubectl's strict reading names it (Go's %#v of its YAML 1.1 value: `"tier"`, `true` for
 * yes, `16` for 0x10), so that keys one to kubectl are one here.
 */
export function goKey(value: unknown, source: string | undefined): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value === null) return '<nil>';
  // A timestamp stays text when read into interface{}, as kubectl reads it.
  return JSON.stringify(source ?? String(value));
}

/** Whether a number written so is a float to YAML 1.1 (it has a point, or is .inf or .nan): Go keeps it apart from the integer. */
const isFloat = (source: string | undefined) => source !== undefined && /[.]/.test(source);

/** A key as Go holds it after the YAML 1.1 reading: its Go text with its type, so that 1 and 1.0 are two keys, as they are to Go. */
export function goIdentity(value: unknown, source: string | undefined): string {
  const text = goKey(value, source);
  return typeof value === 'number' && isFloat(source) ? `float64 ${text}` : `${typeof value} ${text}`;
}

/**
 * A key as the JSON kubectl sends names it (sigs.k8s.io/yaml converts every key to text: true,
 * 16, 1 for 1.0), or undefined for one it refuses (null).
 */
export function jsonKey(value: unknown, source: string | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value === null) return undefined;
  return source ?? String(value);
}

/**
 * What kubectl's strict reading (sigs.k8s.io/yaml over go-yaml) says of the keys set twice in one
 * mapping of a document, in its words (`line N: key K already set in map`, at the later value's
 * line); keys beside a merge key (`<<`) override the merged ones without a word, as they do for
 * kubectl. The Go decoder reports the same; this is its copy for the fallback.
 */
function duplicateKeys(doc: Document, text: string): string | undefined {
  const lines: string[] = [];
  const lineAt = (offset: number) => lineOfOffset(text, offset);
  const walk = (node: unknown, depth: number): void => {
    if (depth > 1000 || isAlias(node)) return;
    if (isSeq(node)) for (const item of node.items) walk(item, depth + 1);
    if (!isMap(node)) return;
    const seen = new Set<string>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      walk(pair.value, depth + 1);
      const key = pair.key as Node | null;
      if (!isScalar(key) || typeof key.value === 'symbol' || key.source === '<<') continue;
      const source = typeof key.source === 'string' ? key.source : undefined;
      const id = goIdentity(key.value, source);
      const at = (pair.value as Node | null)?.range?.[0] ?? key.range?.[0] ?? 0;
      if (seen.has(id)) lines.push(`line ${lineAt(at)}: key ${goKey(key.value, source)} already set in map`);
      seen.add(id);
    }
  };
  walk(doc.contents, 0);
  return lines.length > 0 ? `yaml: unmarshal errors:\n  ${lines.join('\n  ')}` : undefined;
}

/** The line (from 1) of an offset of a text. */
function lineOfOffset(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The decoder's `collisions` of a document, for the fallback: keys Go holds apart that are one in kubectl's JSON. */
function collisions(doc: Document, text: string): NonNullable<DecodedChunk['collisions']> {
  const found: { line: number; key: string; firstLine: number; first: string; json: string }[] = [];
  const written = (key: Node) => (key.range ? text.slice(key.range[0], key.range[1]) : '');
  const walk = (node: unknown, depth: number): void => {
    if (depth > 1000 || isAlias(node)) return;
    if (isSeq(node)) for (const item of node.items) walk(item, depth + 1);
    if (!isMap(node)) return;
    const byJson = new Map<string, { identity: string; key: Node }>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key as Node | null;
      if (isScalar(key) && typeof key.value !== 'symbol' && key.source !== '<<' && key.range) {
        const source = typeof key.source === 'string' ? key.source : undefined;
        const json = jsonKey(key.value, source);
        const identity = goIdentity(key.value, source);
        const prev = json === undefined ? undefined : byJson.get(json);
        if (json !== undefined && !prev) byJson.set(json, { identity, key });
        else if (json !== undefined && prev && prev.identity !== identity)
          found.push({
            line: lineOfOffset(text, key.range[0]),
            key: written(key),
            firstLine: lineOfOffset(text, prev.key.range![0]),
            first: written(prev.key),
            json,
          });
      }
    }
    // As the decoder walks: a mapping's own keys, then what is in it.
    for (const pair of node.items) if (isPair(pair)) walk(pair.value, depth + 1);
  };
  walk(doc.contents, 0);
  return found;
}
