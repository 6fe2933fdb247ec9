import { isUtf8 } from 'node:buffer';
import { basename } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Scalar, type YAMLMap } from 'yaml';
import { isPlainObject, type Manifest } from '@strata/core';
import { isArgoCdHook } from '@strata/core/argocd';
import { isKustomizationFile } from '@strata/kustomize/files';
import { gitopsConsumers, objectName, type Problem } from '@strata/project';
import { parseGroupVersion } from './group-version.ts';
import { judgeList, ServedKinds } from './lists.ts';
import { decodeAll, goKey, type Decoded, type DecodedChunk, type DecodedObject } from './decode.ts';
import { MAX_DEPTH, tooDeep } from './depth.ts';
import type { Source } from './sources.ts';
import type { FileInput, FileRead, ParsedInputs, SourceDoc } from './types.ts';

type Path = readonly (string | number)[];

/** Line of each byte offset: editors and `grep -n` count `\n` only, so U+2028 does not start a line. */
function lineIndex(bytes: Buffer): (offset: number) => number {
  const starts = [0];
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** The position-tracking parse of one chunk, for lines only: the objects come from the decoder. */
interface Located {
  readonly doc?: Document;
  readonly lines: LineCounter;
  readonly text: string;
}

function locate(text: string): Located {
  const lines = new LineCounter();
  try {
    return { doc: parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, version: '1.1', merge: true }), lines, text };
  } catch {
    return { lines, text }; // too deep for the parser: lines fall back to the document's
  }
}

/**
 * The position-tracking parse of one JSON value of a chunk kubectl reads as JSON (it starts with
 * `{`): JSON is YAML 1.2 flow, and its keys are all quoted text. Without a document when the parser
 * finds anything amiss: the decoder has read the value, and lines fall back to the object's.
 */
function locateJson(text: string): Located {
  const lines = new LineCounter();
  try {
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, version: '1.2', merge: false });
    return doc.errors.length === 0 ? { doc, lines, text } : { lines, text };
  } catch {
    return { lines, text };
  }
}

/** Keys of a JSON value written again in the same object (kubectl's JSON reading keeps the last value silently), in the order of the text. */
function jsonDuplicates(at: Located): { readonly key: string; readonly line: number }[] {
  const found: { key: string; offset: number }[] = [];
  if (!at.doc) return [];
  visit(at.doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key) || !key.range) continue;
        if (seen.has(key.value)) found.push({ key: String(key.value), offset: key.range[0] });
        seen.add(key.value);
      }
    },
  });
  return found.sort((a, b) => a.offset - b.offset).map(({ key, offset }) => ({ key, line: at.lines.linePos(offset).line }));
}

/** Whether kubectl reads a chunk as JSON: its first character that is not white space is `{`. */
function isJsonChunk(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a) return b === 0x7b;
  }
  return false;
}

function nodeLine(at: Located, path: Path): number | undefined {
  if (!at.doc) return undefined;
  for (let n = path.length; n > 0; n--) {
    let node: { range?: [number, number, number] } | undefined;
    try {
      node = at.doc.getIn(path.slice(0, n), true) as typeof node;
    } catch {
      node = undefined;
    }
    if (node?.range) return at.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/**
 * The line where a field is typed: its key's (`selector:`, not the first line of its block value),
 * an item's own for a list index; for a field that is not there (a missing required one), that of
 * its nearest existing parent, typed the same way. This is where `strata verify` places the API
 * server's findings too.
 */
function keyLine(at: Located, path: Path, abs: (line: number) => number): number | undefined {
  if (!at.doc) return undefined;
  for (let k = path.length; k > 0; k--) {
    let parent: unknown;
    try {
      parent = k === 1 ? at.doc.contents : at.doc.getIn(path.slice(0, k - 1), true);
    } catch {
      continue;
    }
    const last = path[k - 1];
    const node = isMap(parent) ? mapKey(at.doc, parent, last) : isSeq(parent) && typeof last === 'number' ? parent.items[last] : undefined;
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return abs(at.lines.linePos(range[0]).line);
  }
  return undefined;
}

/**
 * The key node of a field of a mapping, also where a merge key (`<<: {privileged: true}`, `<<: *base`)
 * brings it in; of a key written twice, the last, whose value kubectl keeps.
 */
function mapKey(doc: Document, map: YAMLMap, key: unknown, depth = 0): unknown {
  const own = map.items.findLast((pair) => isScalar(pair.key) && pair.key.value === key)?.key;
  if (own || depth > 8) return own;
  for (const pair of map.items) {
    // With merge keys on, the parser makes the key a symbol; its source is `<<`.
    if (!isScalar(pair.key) || (pair.key.value !== '<<' && pair.key.source !== '<<')) continue;
    const value = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
    for (const source of isSeq(value) ? value.items : [value]) {
      const from = isAlias(source) ? source.resolve(doc) : source;
      const found = isMap(from) ? mapKey(doc, from, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * How the keys that kubectl's strict reading names `id` (Go syntax of the YAML 1.1 value) at a
 * later value's `line` (within the chunk) are written in that mapping: the first such key, then the
 * one at the line.
 */
function spellings(at: Located, line: number, id: string): { readonly first: string; readonly line: number; readonly later: string } | undefined {
  let found: { first: string; line: number; later: string } | undefined;
  const written = (key: Scalar) => (key.range ? at.text.slice(key.range[0], key.range[1]) : String(key.value));
  if (!at.doc) return undefined;
  visit(at.doc, {
    Map(_, map) {
      if (found) return visit.BREAK;
      let first: Scalar | undefined;
      for (const pair of map.items) {
        const key = pair.key;
        if (!isScalar(key) || typeof key.value === 'symbol' || key.source === '<<') continue;
        if (goKey(key.value, typeof key.source === 'string' ? key.source : undefined) !== id) continue;
        const start = (pair.value as { range?: [number, number, number] } | null)?.range?.[0] ?? key.range?.[0];
        if (first && start !== undefined && at.lines.linePos(start).line === line) {
          found = { first: written(first), line: at.lines.linePos(first.range![0]).line, later: written(key) };
          return visit.BREAK;
        }
        first ??= key;
      }
      return undefined;
    },
  });
  return found;
}

/** The words for a key set twice in one mapping (`id` as kubectl's strict reading names it). */
function duplicateMessage(id: string, keys: ReturnType<typeof spellings>, abs: (line: number) => number): string {
  const value = /^"/.test(id) ? undefined : id === 'true' || id === 'false' ? `the boolean ${id}` : id === '<nil>' ? 'null' : `the number ${id}`;
  if (value && keys)
    return `key ${keys.later} is ${value} to kubectl (YAML 1.1), as is key ${keys.first} at line ${abs(keys.line)} of the same mapping: one key to kubectl, which silently keeps only the last value; remove one, or quote both if they are text`;
  let shown = id;
  try {
    if (!value) shown = q(JSON.parse(id) as string); // Go's quoting, as JSON writes it
  } catch {
    // an escape JSON has not (\\x01): Go's own words
  }
  return `key ${shown} appears twice in one mapping; kubectl silently keeps only the last value: remove the other`;
}

/**
 * The key of a field only one reading has (`difference.absent`): of kustomize's field, the key written
 * so (`yes`); of kubectl's, the last key YAML 1.1 reads as it (`yes` or `on` as true), whose value it keeps.
 */
function retypedKey(at: Located, d: NonNullable<DecodedChunk['yaml12']>[number]): Scalar | undefined {
  if (!d.absent || d.path.length === 0 || !at.doc) return undefined;
  let parent: unknown;
  try {
    parent = d.path.length === 1 ? at.doc.contents : at.doc.getIn(d.path.slice(0, -1), true);
  } catch {
    return undefined;
  }
  if (!isMap(parent)) return undefined;
  const name = String(d.path.at(-1));
  const read = (k: Scalar) => (d.absent === 'kubectl' && typeof k.source === 'string' ? k.source : String(k.value));
  return parent.items.findLast(
    (pair): pair is typeof pair & { key: Scalar } => isScalar(pair.key) && typeof pair.key.value !== 'symbol' && read(pair.key) === name,
  )?.key;
}

/** The text of a scalar as written, e.g. `yes` where the decoder saw true. */
function nodeSource(at: Located, path: Path): string | undefined {
  try {
    const node = at.doc?.getIn(path, true);
    return isScalar(node) && node.range ? at.text.slice(node.range[0], node.range[1]) : undefined;
  } catch {
    return undefined;
  }
}

const q = (s: string) => JSON.stringify(s);
const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** kubectl reads YAML 1.1: values a person may mean as text are booleans to it. */
const MISSING = (value: Record<string, unknown>) =>
  ['apiVersion', 'kind']
    .filter((k) => typeof value[k] !== 'string' || value[k] === '')
    .map((k) => (value[k] === undefined || value[k] === '' ? `missing ${k}` : `${k} is ${article(typeof value[k])}, not text`));

const KUSTOMIZE_API = 'kustomize.config.k8s.io/v1beta1';

/** A Kustomization or a Component of kustomize: neither has nor needs a name. */
const isKustomizeKind = (m: Manifest) =>
  m.kind === 'Kustomization' || (m.kind === 'Component' && m.apiVersion.startsWith('kustomize.config.k8s.io/'));

/** The type and name of an object, as a problem names it. */
function objectOf(o: Record<string, unknown> | undefined): Pick<Problem, 'apiVersion' | 'kind' | 'namespace' | 'name'> {
  if (!o) return {};
  const meta = isPlainObject(o.metadata) ? o.metadata : {};
  return {
    ...(typeof o.apiVersion === 'string' ? { apiVersion: o.apiVersion } : {}),
    ...(typeof o.kind === 'string' ? { kind: o.kind } : {}),
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    ...(typeof meta.name === 'string' ? { name: meta.name } : {}),
  };
}

/** Turns one file's decoded chunks into documents and problems, with lines. */
function build(
  source: Omit<Source, 'shown'> & { readonly shown?: string },
  decoded: Decoded,
  counters: Map<string, number>,
  served: ServedKinds,
  consumers: GitopsConsumers,
): FileRead & { resources: number; documents?: readonly Record<string, unknown>[] } {
  const { file, input, shown } = source;
  // Offsets are in the text kubectl decodes (UTF-16 made UTF-8, a byte order mark dropped), which
  // has the file's lines: lines found in it are the file's.
  const bytes = decoded.text !== undefined ? Buffer.from(decoded.text, 'utf8') : source.bytes;
  const lineOf = lineIndex(bytes);
  const docs: SourceDoc[] = [];
  const problems: Problem[] = [];
  let resources = 0;
  // Numbered within the file, so a resource keeps its id whatever else is read in the same run
  // (a reused verdict is compared with a fresh one); a file read twice goes on counting.
  const id = () => {
    const n = counters.get(file) ?? 0;
    counters.set(file, n + 1);
    return `${file}#${n}`;
  };
  if (decoded.error) {
    problems.push({
      file,
      line: 1,
      message: `kubectl cannot read this file: ${decoded.error}`,
      rule: 'yaml-syntax',
      severity: 'error',
      resource: id(),
    });
    resources++;
  }
  // Every object kubectl reads, in order, with its id.
  const read: { id: string; object: Record<string, unknown> }[] = [];
  const chunks: { chunk: DecodedChunk; objects: readonly DecodedObject[] }[] = decoded.stream
    ? [{ chunk: { offset: 0, length: bytes.length, objects: decoded.stream }, objects: decoded.stream }]
    : decoded.chunks.map((chunk) => ({ chunk, objects: chunk.objects }));
  for (const { chunk, objects } of chunks) {
    const startLine = lineOf(chunk.offset);
    // The position-tracking parse costs more than the decoding: only a chunk that needs a line inside it is parsed.
    let located: Located | undefined;
    const loc = () => (located ??= locate(bytes.subarray(chunk.offset, chunk.offset + chunk.length).toString('utf8')));
    const abs = (line: number) => startLine + line - 1;
    const fieldLine = (path: Path) => {
      const l = nodeLine(loc(), path);
      return l === undefined ? undefined : abs(l);
    };
    const contentLine = abs(firstContentLine(bytes, chunk.offset, chunk.offset + chunk.length));
    const first = objects[0]?.object;
    if (chunk.error !== undefined) {
      const rid = id();
      resources++;
      // Nesting that kubectl's reader refuses is too deep for the in-process parser as well (its stack
      // overflows, after seconds): kubectl's own words, without parsing it again.
      // Past the YAML reader's limit, JSON's (encoding/json, also 10000) can refuse it still, without a line.
      const deep =
        /yaml: line (\d+): exceeded max depth of (\d+)/.exec(chunk.error) ?? (/ exceeded max depth$/.test(chunk.error) ? ['', '', '10000'] : null);
      if (deep) {
        problems.push({
          file,
          line: deep[1] ? abs(Number(deep[1])) : contentLine,
          message: `not valid YAML: nested more than ${deep[2]} levels deep; kubectl refuses it`,
          rule: 'yaml-syntax',
          severity: 'error',
          resource: rid,
        });
        continue;
      }
      const syntax = (loc().doc?.errors ?? []).filter((e) => e.code !== 'DUPLICATE_KEY');
      if (syntax.length > 0) {
        for (const e of syntax)
          problems.push({
            file,
            line: abs(loc().lines.linePos(e.pos[0]).line),
            message: `not valid YAML: ${e.message.split('\n')[0]}`,
            rule: 'yaml-syntax',
            severity: 'error',
            resource: rid,
          });
        continue;
      }
      // kustomize takes a kustomization file without apiVersion and kind as a Kustomization.
      const meant = isKustomizationFile(basename(file)) && /Object 'Kind' is missing/.test(chunk.error) ? meantObject(loc(), []) : undefined;
      if (meant && meant.apiVersion === undefined && meant.kind === undefined) {
        docs.push({
          file,
          line: contentLine,
          manifest: {
            ...meant,
            apiVersion: KUSTOMIZE_API,
            kind: 'Kustomization',
            metadata: isPlainObject(meant.metadata) ? meant.metadata : {},
          } as Manifest,
          input,
          id: rid,
          ...(shown !== undefined && shown !== file ? { shown } : {}),
          lineOf: (path) => keyLine(loc(), path, abs) ?? contentLine,
          sourceOf: (path) => nodeSource(loc(), path),
        });
        continue;
      }
      problems.push({ file, ...explain(chunk.error, loc(), abs, contentLine), severity: 'error', resource: rid });
      continue;
    }
    // kubectl maps and validates a list itself before it applies its items: a list it refuses is
    // one problem, at the list (or at the item of a typed list that does not fit its element kind).
    if (chunk.list && !decoded.stream) {
      const items = objects.filter((o) => o.item >= 0).map((o) => ({ index: o.item, object: o.object }));
      for (const f of judgeList(chunk.list, served, items)) {
        problems.push({
          file,
          line: keyLine(loc(), f.field, abs) ?? contentLine,
          name: '', // a list has no name of its own (metadata.name is not a list's field)
          ...objectOf(chunk.list),
          path: f.path,
          message: f.message,
          rule: f.rule,
          severity: 'error',
          resource: objects.length > 0 ? `${file}#${counters.get(file) ?? 0}` : (resources++, id()),
        });
      }
    }
    if (objects.length === 0) {
      // Empty, comment-only or `null`; a list with no items holds no object either.
      continue;
    }
    const ids = objects.map(() => id());
    for (const [n, o] of objects.entries()) read.push({ id: ids[n]!, object: o.object });
    const odd = oddBreak(bytes, chunk.offset, chunk.offset + chunk.length);
    if (odd) {
      const owner = ids[0] ?? (chunk.error === undefined ? id() : undefined);
      if (!ids[0] && owner) resources++;
      problems.push({
        file,
        line: lineOf(odd.offset),
        ...objectOf(first),
        message: `${odd.name} is a line break to kubectl (YAML 1.1) but not to YAML 1.2 tools such as kustomize, which then read other objects: replace it with a newline, or remove it`,
        rule: 'yaml-line-break',
        severity: 'error',
        ...(owner ? { resource: owner } : {}),
      });
    }
    const idOfItem = (item: number) => ids[objects.findIndex((o) => o.item === item)] ?? ids[0];
    // Each JSON value of a chunk kubectl reads as JSON (several when they follow one another), by its
    // offset in the chunk, parsed on its own: for its keys written twice and its fields' lines.
    const jsonValues = new Map<number, { readonly at: Located; readonly abs: (line: number) => number }>();
    if (isJsonChunk(bytes, chunk.offset, chunk.offset + chunk.length) && !objects.some((o) => tooDeep(o.object))) {
      const starts = [...new Set(objects.map((o) => Math.max(o.offset, 0)))].sort((a, b) => a - b);
      for (const [n, start] of starts.entries()) {
        const text = bytes.subarray(chunk.offset + start, chunk.offset + (starts[n + 1] ?? chunk.length)).toString('utf8');
        const startLine = lineOf(chunk.offset + start);
        jsonValues.set(start, { at: locateJson(text), abs: (line) => startLine + line - 1 });
      }
    }
    // A key kubectl takes twice, at its line of the file: in a list, of the item the line is in (the
    // last that starts at or before it); of JSON values one after another, of the one at `offset`.
    const duplicateKey = (line: number, message: string, offset = -1) => {
      const at = chunk.list
        ? objects.filter((o) => o.item >= 0 && (fieldLine(['items', o.item]) ?? Infinity) <= line).at(-1)
        : objects.find((o) => o.offset >= 0 && o.offset === offset);
      const owner = at ? ids[objects.indexOf(at)] : ids[0];
      problems.push({
        file,
        line,
        ...objectOf(at?.object ?? first),
        message,
        rule: 'duplicate-key',
        severity: 'error',
        ...(owner ? { resource: owner } : {}),
      });
    };
    for (const m of (chunk.duplicate ?? '').matchAll(/line (\d+): key ("(?:[^"\\]|\\.)*"|.+?) already set in map/g))
      duplicateKey(abs(Number(m[1])), duplicateMessage(m[2]!, spellings(loc(), Number(m[1]), m[2]!), abs));
    for (const [offset, { at, abs: jsonLine }] of jsonValues)
      for (const d of jsonDuplicates(at)) duplicateKey(jsonLine(d.line), duplicateMessage(q(d.key), undefined, jsonLine), offset);
    for (const c of chunk.collisions ?? [])
      duplicateKey(
        abs(c.line),
        `key ${c.key} and key ${c.first} at line ${abs(c.firstLine)} are the one key ${q(c.json)} in the JSON kubectl sends: it keeps only one of the two values, and which one is left to Go's map order; remove one, or quote both`,
      );
    // One problem per scalar the readings differ on, at its line. A key that YAML 1.1 reads as
    // another (`yes` as true) is a field only kubectl has and one only kustomize has: both are that key.
    const differences = (chunk.yaml12 ?? []).map((d) => ({ d, key: d.error === undefined ? retypedKey(loc(), d) : undefined }));
    for (const [n, { d, key }] of differences.entries()) {
      const other = key ? differences.find((e, m) => m !== n && e.key === key) : undefined;
      if (other && differences.indexOf(other) < n) continue; // said with the first
      const written = other && d.absent === 'yaml12' ? other.d : d; // the path as written, kustomize's
      const path = written.path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
      const item = d.path[0] === 'items' && typeof d.path[1] === 'number' ? d.path[1] : -1;
      const owner = objects.find((o) => o.item === item)?.object ?? first;
      const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
      const [as11, as12] = d.absent === 'kubectl' ? [other?.d, d] : [d, other?.d];
      problems.push({
        file,
        line: (key?.range ? abs(loc().lines.linePos(key.range[0]).line) : fieldLine(d.path)) ?? contentLine,
        ...objectOf(owner),
        ...(path ? { path: item >= 0 ? path.replace(/^items\[\d+\]\.?/, '') || path : path } : {}),
        message: d.error
          ? `kustomize (YAML 1.2) cannot read this document, kubectl (YAML 1.1) can: ${d.error}`
          : other
            ? `kubectl (YAML 1.1) reads this key as ${q(String(as11!.path.at(-1)))} but kustomize (YAML 1.2) as ${q(String(as12!.path.at(-1)))}: write it so both agree (quote text; true or false for booleans)`
            : `kubectl (YAML 1.1) reads ${show(d.absent === 'kubectl' ? undefined : d.kubectl)} here but kustomize (YAML 1.2) ${show(d.absent === 'yaml12' ? undefined : d.yaml12)}: write it so both agree (quote text; true or false for booleans)`,
        rule: 'yaml-version',
        severity: 'error',
        ...(idOfItem(item) ? { resource: idOfItem(item)! } : {}),
      });
    }
    for (const item of chunk.inferred ?? []) {
      const o = objects.find((x) => x.item === item)?.object;
      problems.push({
        file,
        line: fieldLine(['items', item]) ?? contentLine,
        ...objectOf(o),
        message: `list item without apiVersion and kind: kubectl takes them from the list (${String(o?.apiVersion ?? '?')} ${String(o?.kind ?? '?')}) but kustomize refuses the item; write both on every item`,
        rule: 'missing-type',
        severity: 'error',
        ...(idOfItem(item) ? { resource: idOfItem(item)! } : {}),
      });
    }
    if (objects.filter((o) => o.offset >= 0).length > 1) {
      problems.push({
        file,
        line: contentLine,
        message: `${objects.length} JSON objects in one document: kubectl reads them all, kustomize only the first; put each in its own file or document, or in a List`,
        rule: 'json-stream',
        severity: 'error',
        resource: ids[1]!,
      });
    }
    for (const [n, o] of objects.entries()) {
      const rid = ids[n]!;
      resources++;
      const prefix: Path = o.item >= 0 ? ['items', o.item] : [];
      const line = o.offset >= 0 ? lineOf(chunk.offset + o.offset) : o.item >= 0 ? (fieldLine(prefix) ?? contentLine) : contentLine;
      const value = o.object;
      // kubectl flattens a list's items one level: an item that is a list itself (it has items) stops it.
      if (o.item >= 0 && Array.isArray(value.items)) {
        problems.push({
          file,
          line,
          ...objectOf(value),
          ...(typeof (isPlainObject(value.metadata) ? value.metadata : {}).name === 'string' ? {} : { name: '' }),
          path: 'items',
          message:
            'a list inside a list: kubectl refuses it (*unstructured.Unstructured is not a list: no Items field in this object): put its items in the outer list',
          rule: 'not-an-object',
          severity: 'error',
          resource: rid,
        });
        continue;
      }
      const missing = MISSING(value);
      if (missing.length > 0) {
        problems.push({
          file,
          line,
          ...objectOf(value),
          path: value.apiVersion === undefined || typeof value.apiVersion !== 'string' ? 'apiVersion' : 'kind',
          message: `${missing.join(' and ')}; every object needs both as text (e.g. apiVersion: apps/v1, kind: Deployment)`,
          rule: 'missing-type',
          severity: 'error',
          resource: rid,
        });
        continue;
      }
      // Only a list's item gets here with one (a document's own is a decoding error, above).
      const gv = parseGroupVersion(value.apiVersion as string);
      if ('error' in gv) {
        problems.push({
          file,
          line: fieldLine([...prefix, 'apiVersion']) ?? line,
          ...objectOf(value),
          path: 'apiVersion',
          message: `${gv.error}; kubectl refuses it: an apiVersion is a version (v1) or a group and a version (apps/v1)`,
          rule: 'missing-type',
          severity: 'error',
          resource: rid,
        });
        continue;
      }
      const deep = tooDeep(value);
      if (deep) {
        const at = deep.path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
        problems.push({
          file,
          line: fieldLine([...prefix, ...deep.path.slice(0, 1)]) ?? line,
          ...objectOf(value),
          path: at,
          message: `nested ${deep.depth} levels deep; strata checks objects up to ${MAX_DEPTH} levels (the API server reads up to 10000): flatten this field`,
          rule: 'too-deep',
          severity: 'error',
          resource: rid,
        });
        continue;
      }
      const manifest = { ...value, metadata: isPlainObject(value.metadata) ? value.metadata : {} } as Manifest;
      const named = (k: string) => typeof manifest.metadata[k] === 'string' && manifest.metadata[k] !== '';
      // A generateName names an object only for Argo CD, and only on a hook, which it names itself;
      // Flux, where it applies the tree too, reads no hook and applies every object by its name.
      const hook = named('generateName') && isArgoCdHook(manifest);
      if (!named('name') && !(hook && !consumers.flux) && !isKustomizeKind(manifest)) {
        problems.push({
          file,
          line: keyLine(loc(), [...prefix, 'metadata'], abs) ?? line,
          ...objectOf(value),
          // An object with only a generateName is named by the pattern the server gives it (`g-*`), as everywhere else.
          name: objectName(manifest.metadata) ?? '',
          path: 'metadata.name',
          message: hook
            ? `missing metadata.name; Flux applies this tree (gitops.consumer "${consumers.setting}" in strata.config.json) and reads no Argo CD or Helm hook: it applies every object by its name, and refuses generateName alone as kubectl apply does`
            : named('generateName')
              ? 'missing metadata.name; kubectl apply refuses generateName alone, and Argo CD takes it only on a hook (argocd.argoproj.io/hook or helm.sh/hook), which it names itself'
              : 'missing metadata.name; kubectl apply and kustomize refuse an object without a name',
          rule: 'missing-name',
          severity: 'error',
          resource: rid,
        });
      }
      const inYaml = o.offset < 0;
      const inJson = jsonValues.get(o.offset);
      // What kustomize reads otherwise in this object, by the path within it.
      const yaml12 = inYaml
        ? (chunk.yaml12 ?? []).flatMap((d) =>
            d.error === undefined && d.path.length > prefix.length && prefix.every((s, i) => d.path[i] === s)
              ? [{ ...d, path: d.path.slice(prefix.length) }]
              : [],
          )
        : [];
      docs.push({
        file,
        line,
        manifest,
        ...(o.json !== undefined ? { json: o.json } : {}),
        input,
        id: rid,
        ...(shown !== undefined && shown !== file ? { shown } : {}),
        lineOf: (path) =>
          inJson?.at.doc ? (keyLine(inJson.at, path, inJson.abs) ?? line) : inYaml ? (keyLine(loc(), [...prefix, ...path], abs) ?? line) : line,
        sourceOf: (path) => (inYaml ? nodeSource(loc(), [...prefix, ...path]) : undefined),
        ...(yaml12.length > 0 ? { yaml12 } : {}),
      });
      if (manifest.kind === 'Kustomization' && manifest.apiVersion.startsWith('kustomize.config.k8s.io/') && !isKustomizationFile(basename(file))) {
        problems.push({
          file,
          line,
          apiVersion: manifest.apiVersion,
          kind: manifest.kind,
          ...(typeof manifest.metadata.name === 'string' ? { name: manifest.metadata.name } : { name: '' }),
          message: 'a Kustomization is not an object a cluster accepts: build it with kustomize (kubectl apply -k <folder>) and validate the output',
          rule: 'not-a-resource',
          severity: 'error',
          resource: rid,
        });
      }
    }
  }
  if (decoded.kustomize) {
    const owner = read[decoded.kustomize.index] ?? read[0];
    if (!owner) resources++;
    problems.push({ ...kustomizeProblem(file, source.bytes, bytes, decoded, lineOf), ...objectOf(owner?.object), resource: owner?.id ?? id() });
  }
  // One YAML document per object, and nothing reported: every difference between the readings of
  // YAML 1.1 and 1.2 is a problem (yaml-version), as are errors, repeated keys and odd line breaks.
  const plain = problems.length === 0 && decoded.aligned && !decoded.stream && !decoded.error;
  const documents = plain && chunks.every(({ objects }) => objects.every((o) => o.item === -1 && o.offset === -1));
  return { docs, problems, resources, ...(documents ? { documents: chunks.flatMap(({ objects }) => objects.map((o) => o.object)) } : {}) };
}

/**
 * A file that kubectl reads through its text decoding (`Decoded.text`) while kustomize reads its
 * bytes as they are, and finds other objects: the file's objects are judged as kubectl reads them,
 * and this says that a kustomization would build others from it.
 */
function kustomizeProblem(
  file: string,
  raw: Buffer,
  text: Buffer,
  decoded: Decoded,
  lineOf: (offset: number) => number,
): Pick<Problem, 'file' | 'line' | 'message' | 'rule' | 'severity'> {
  const k = decoded.kustomize!;
  // Where kubectl's object that kustomize reads otherwise starts; for a refused file, the first character kubectl replaced.
  const starts = decoded.stream ? [] : decoded.chunks.flatMap((c) => c.objects.map(() => c.offset));
  const at = k.error !== undefined ? Math.max(0, text.indexOf(Buffer.from([0xef, 0xbf, 0xbd]))) : (starts[k.index] ?? 0);
  const found = `finds ${k.kubectl} object${k.kubectl === 1 ? '' : 's'}`;
  const utf16 = raw[0] === 0xff && raw[1] === 0xfe ? 'little-endian' : raw[0] === 0xfe && raw[1] === 0xff ? 'big-endian' : undefined;
  const bom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
  const how = utf16
    ? `kubectl reads this UTF-16 file (${utf16}, with a byte order mark) as text and ${found}`
    : bom && isUtf8(raw)
      ? `kubectl drops the byte order mark at the start of this file and ${found}`
      : `kubectl reads the bytes of this file that are not UTF-8 as U+FFFD and ${found}`;
  const what =
    k.error !== undefined
      ? `refuses the file (${k.error})`
      : k.index >= k.kubectl
        ? `finds ${k.objects}`
        : k.index >= k.objects
          ? `finds only ${k.objects}`
          : `reads object ${k.index + 1} otherwise`;
  const fix = utf16 || bom ? 'save it as UTF-8 without a byte order mark' : 'write those bytes as UTF-8';
  return {
    file,
    line: lineOf(at),
    message: `${how}; kustomize reads its bytes as they are and ${what}: ${fix}`,
    rule: 'yaml-encoding',
    severity: 'error',
  };
}

/** The line (within a chunk, from 1) of its first line that is not blank, a comment or a directive. */
function firstContentLine(bytes: Buffer, start: number, end: number): number {
  let line = 1;
  let pos = start;
  while (pos < end) {
    const nl = bytes.indexOf(0x0a, pos);
    const stop = nl < 0 || nl >= end ? end : nl;
    const text = bytes.subarray(pos, stop).toString('utf8').trim();
    if (text !== '' && !text.startsWith('#') && !text.startsWith('%') && text !== '---' && !text.startsWith('--- ')) return line;
    line++;
    pos = stop + 1;
  }
  return 1;
}

/** The first YAML 1.1 line break other than CR and LF (U+0085, U+2028, U+2029) in a byte range. */
function oddBreak(bytes: Buffer, start: number, end: number): { offset: number; name: string } | undefined {
  const found = [
    { at: bytes.subarray(start, end).indexOf(Buffer.from([0xc2, 0x85])), name: 'U+0085 (next line)' },
    { at: bytes.subarray(start, end).indexOf(Buffer.from([0xe2, 0x80, 0xa8])), name: 'U+2028 (line separator)' },
    { at: bytes.subarray(start, end).indexOf(Buffer.from([0xe2, 0x80, 0xa9])), name: 'U+2029 (paragraph separator)' },
  ].filter((f) => f.at >= 0);
  if (found.length === 0) return undefined;
  const first = found.reduce((a, b) => (b.at < a.at ? b : a));
  return { offset: start + first.at, name: first.name };
}

/** What a JSON value of Go's kind `got` (bool, number, string, array, object) is in the position-tracking parse. */
function holds(node: unknown, got: string): boolean {
  if (isMap(node)) return got === 'object';
  if (isSeq(node)) return got === 'array';
  if (!isScalar(node)) return false;
  const v = node.value;
  return got === 'bool'
    ? typeof v === 'boolean'
    : got === 'number'
      ? typeof v === 'number' || typeof v === 'bigint'
      : got === 'string' && typeof v === 'string';
}

/** The first key of the mapping at `path` whose value is of Go's kind `got`, if the mapping has one. */
function refusedKey(at: Located, path: Path, got: string): string | undefined {
  let node: unknown;
  try {
    node = at.doc?.getIn(path, true);
  } catch {
    return undefined;
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (!isScalar(pair.key) || !holds(pair.value, got)) continue;
    // As written: YAML 1.1 reads a key such as n as a boolean, which Go then writes as false.
    const range = pair.key.range;
    return range && typeof pair.key.source === 'string' ? pair.key.source : range ? at.text.slice(range[0], range[1]) : String(pair.key.value);
  }
  return undefined;
}

/** The object a document that kubectl cannot decode was meant to be (the list item `path` names), as far as the parse tells. */
function meantObject(at: Located, path: Path): Record<string, unknown> | undefined {
  try {
    const node = at.doc?.getIn(path, true);
    const value: unknown = isMap(node) ? node.toJS(at.doc!, { maxAliasCount: 100 }) : undefined;
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A decoder error as a problem that names the line and says how to fix it. */
function explain(
  error: string,
  at: Located,
  abs: (line: number) => number,
  line: number,
): Pick<Problem, 'line' | 'path' | 'message' | 'rule' | 'apiVersion' | 'kind' | 'namespace' | 'name'> {
  const anchor = /unknown anchor '([^']*)' referenced/.exec(error);
  if (anchor)
    return {
      line,
      message: `not valid YAML: alias *${anchor[1]} names no anchor of this document (anchors do not reach across ---); kubectl refuses it`,
      rule: 'yaml-syntax',
    };
  if (/excessive aliasing/.test(error))
    return { line, message: 'not valid YAML: its aliases expand into an enormous document (an alias bomb); kubectl refuses it', rule: 'yaml-syntax' };
  if (/into Go value of type (unstructured\.detector|map\[string\]interface)/.test(error) && !/^items\[/.test(error)) {
    if (isMap(at.doc?.contents) && at.doc?.has('items')) {
      const items = at.doc.get('items', true);
      const bad = isSeq(items) ? items.items.findIndex((i) => !isMap(i)) : -1;
      const where = bad >= 0 ? nodeLine(at, ['items', bad]) : nodeLine(at, ['items']);
      return {
        line: where ? abs(where) : line,
        path: bad >= 0 ? `items[${bad}]` : 'items',
        message: 'every item of a list must be one Kubernetes object (a mapping), and items a sequence of them',
        rule: 'not-an-object',
      };
    }
    return { line, message: 'document is not a mapping; each YAML document must be one Kubernetes object', rule: 'not-an-object' };
  }
  const meant = /Object 'Kind' is missing/.test(error) ? meantObject(at, []) : undefined;
  const gv = typeof meant?.apiVersion === 'string' ? parseGroupVersion(meant.apiVersion) : undefined;
  if (gv && 'error' in gv) {
    const where = nodeLine(at, ['apiVersion']);
    return {
      line: where ? abs(where) : line,
      ...objectOf(meant),
      path: 'apiVersion',
      message: `${gv.error}; kubectl refuses it: an apiVersion is a version (v1) or a group and a version (apps/v1)`,
      rule: 'missing-type',
    };
  }
  if (/Object 'Kind' is missing/.test(error))
    return {
      line,
      path: 'kind',
      message: 'missing kind; every object needs both apiVersion and kind as text (e.g. apiVersion: apps/v1, kind: Deployment)',
      rule: 'missing-type',
    };
  const field =
    /^(?:items\[(\d+)\]: )?json: cannot unmarshal (\w+) into Go (?:struct field|value) (?:[\w.]*?\.)?((?:metadata|apiVersion|kind)[\w.]*)? ?of type ([\w.[\]{}* ]+)$/.exec(
      error,
    );
  const item = /^items\[(\d+)\]: /.exec(error)?.[1];
  const prefix: (string | number)[] = item !== undefined ? ['items', Number(item)] : [];
  if (field) {
    const [, , got, where, want] = field;
    const path = [...prefix, ...(where ? where.split('.') : [])];
    // Go names the field of a map (metadata.labels), not the key whose value it refused: that key is
    // the first one there holding what Go got.
    if (where && !want?.startsWith('map[') && got) {
      const key = refusedKey(at, path, got);
      if (key !== undefined) path.push(key);
    }
    const shown = path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
    const fieldLine = nodeLine(at, path);
    const typeWord = want?.startsWith('map[') ? 'mapping' : want === 'string' ? 'string' : (want ?? 'value');
    if (where === 'apiVersion' || where === 'kind')
      return {
        line: fieldLine ? abs(fieldLine) : line,
        path: shown,
        message: `${article(got ?? 'value')} where text is needed; write it as text (e.g. apiVersion: apps/v1, kind: Deployment)`,
        rule: 'missing-type',
      };
    if (!where)
      return {
        line: fieldLine ? abs(fieldLine) : line,
        ...(shown ? { path: shown } : {}),
        message: `${article(got ?? 'value')} where kubectl expects an object; each list item must be one Kubernetes object`,
        rule: 'not-an-object',
      };
    const written = got === 'bool' ? nodeSource(at, path) : undefined;
    const hint = written && !/^(true|false)$/i.test(written) ? ` (kubectl reads an unquoted ${written} as a boolean; quote it: "${written}")` : '';
    return {
      line: fieldLine ? abs(fieldLine) : line,
      ...objectOf(meantObject(at, prefix)),
      path: shown,
      message: `${article(got ?? 'value')} where kubectl expects ${article(typeWord)}${hint}; kubectl refuses this object (quote the value or fix the indentation)`,
      rule: 'schema',
    };
  }
  const yamlLine = /yaml: line (\d+): (.*)$/.exec(error);
  if (yamlLine) return { line: abs(Number(yamlLine[1])), message: `not valid YAML: ${yamlLine[2]}`, rule: 'yaml-syntax' };
  return {
    line,
    message: `kubectl cannot read this document: ${error.replace(/^error converting YAML to JSON: (yaml: )?/, '')}`,
    rule: 'yaml-syntax',
  };
}

type GitopsConsumers = ReturnType<typeof gitopsConsumers>;
/** Outside a workspace: Argo CD, the default consumer. */
const ARGO_CD_ONLY: GitopsConsumers = { argocd: true, flux: false, setting: 'argocd' };

/** Decodes the files of `parsed` not decoded yet (one decoder run for all of them) and fills in their documents and problems. */
export async function decodeParsed(parsed: ParsedInputs, root?: string): Promise<void> {
  const pending = [...parsed.files.entries()].filter(([, f]) => !f.decoded);
  const rest = pending.filter(([, f]) => !f.decoding);
  const others = await decodeAll(
    rest.map(([, f]) => f.bytes),
    root,
  );
  const early = await Promise.all(pending.map(([, f]) => f.decoding));
  let next = 0;
  const decoded = early.map((d) => (d ?? others[next++]) as Decoded);
  const counters = new Map<string, number>();
  const served = new ServedKinds(root);
  const consumers = root === undefined ? ARGO_CD_ONLY : gitopsConsumers(root);
  pending.forEach(([file, f], i) => {
    const r = build(
      { file, input: f.input, bytes: f.bytes, ...(f.shown !== undefined ? { shown: f.shown } : {}) },
      decoded[i]!,
      counters,
      served,
      consumers,
    );
    f.docs = r.docs;
    f.problems = r.problems;
    f.resources = r.resources;
    f.decoded = true;
    if (r.documents) f.documents = r.documents;
    for (const d of r.docs) parsed.docs.push(d);
    for (const p of r.problems) parsed.problems.push(p);
  });
}

/**
 * Decodes texts that are no input files (what kustomize built from a walked kustomization) in one
 * decoder run, as `file` with ids that go on from `first`: their documents and problems.
 */
export async function decodeTexts(
  root: string,
  texts: readonly { readonly file: string; readonly input: string; readonly bytes: Buffer; readonly first: number }[],
): Promise<(FileRead & { resources: number })[]> {
  if (texts.length === 0) return [];
  const decoded = await decodeAll(
    texts.map((t) => t.bytes),
    root,
  );
  const served = new ServedKinds(root);
  const consumers = gitopsConsumers(root);
  return texts.map((t, i) => build({ file: t.file, input: t.input, bytes: t.bytes }, decoded[i]!, new Map([[t.file, t.first]]), served, consumers));
}

/** What a kustomization makes of a file it names, other than a resource: the words for it, and whether kustomize reads it as YAML. */
export interface KustomizeInput {
  readonly what: string;
  readonly yaml: boolean;
}

/** The files a kustomization (or component) reads other than as resources, by path from its folder. */
export function kustomizeInputs(k: Record<string, unknown>): [string, KustomizeInput][] {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
  const texts = (v: unknown) => list(v).filter((p): p is string => typeof p === 'string' && !p.includes('\n'));
  const paths = (v: unknown, field = 'path') => list(v).flatMap((p) => (isPlainObject(p) && typeof p[field] === 'string' ? [p[field]] : []));
  const yaml =
    (what: string) =>
    (path: string): [string, KustomizeInput] => [path, { what, yaml: true }];
  const data =
    (what: string) =>
    (path: string): [string, KustomizeInput] => [path, { what, yaml: false }];
  const generated = (field: string) =>
    list(k[field]).flatMap((g) =>
      isPlainObject(g)
        ? [
            // `key=path` names the key the file's bytes go under.
            ...texts(g.files).map((f) => f.slice(f.indexOf('=') + 1)),
            ...texts(g.envs),
            ...texts(g.env),
          ].map(data(`a ${field} file`))
        : [],
    );
  return [
    // An entry with a line break is written inline, not a file.
    ...[...paths(k.patches), ...paths(k.patchesJson6902), ...texts(k.patchesStrategicMerge)].map(yaml('a patch')),
    ...generated('configMapGenerator'),
    ...generated('secretGenerator'),
    ...paths(k.replacements).map(yaml('a replacement')),
    ...texts(k.transformers).map(yaml('a transformer')),
    ...texts(k.generators).map(yaml('a generator')),
    ...texts(k.validators).map(yaml('a validator')),
    ...texts(k.configurations).map(yaml('a transformer configuration')),
    ...texts(k.crds).map(yaml('a CRD schema')),
    ...paths(k.openapi).map(yaml('an OpenAPI schema')),
    ...list(k.helmCharts).flatMap((h) =>
      isPlainObject(h) ? [...texts(h.valuesFile), ...texts(h.additionalValuesFiles)].map(data('a Helm values file')) : [],
    ),
  ];
}

/** A key written twice in one mapping, as text to YAML 1.2 too: kustomize keeps one value (a patch's first, a replacement's last). */
export const TWICE = /^key "(?:[^"\\]|\\.)*" appears twice in one mapping; /;

export function newFile(input: string, bytes: Buffer, shown?: string): FileInput {
  return { input, ...(shown !== undefined ? { shown } : {}), bytes, docs: [], problems: [], resources: 0, decoded: false };
}

/**
 * The files of `parsed` that the person named otherwise than their key (a relative path typed in a
 * subfolder: `ReadOptions.cwd`), key to name. The checks know files by their key (built output by
 * `dist/<env>/<app>.yaml`); a report names them as they were typed.
 */
export function namesAsTyped(...all: readonly ParsedInputs[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const parsed of all) for (const [file, f] of parsed.files) if (f.shown !== undefined && f.shown !== file) names.set(file, f.shown);
  return names;
}

/** A file key, or an object id (`<file>#<n>`), as `names` (from `namesAsTyped`) names it. */
export function nameAsTyped(key: string, names: ReadonlyMap<string, string>): string {
  const direct = names.get(key);
  if (direct !== undefined) return direct;
  const hash = key.lastIndexOf('#');
  const file = hash < 0 ? undefined : names.get(key.slice(0, hash));
  return file === undefined ? key : `${file}${key.slice(hash)}`;
}

/** A problem (or any record naming a file and an object) with its file and object named as typed. */
export function renamedAsTyped<T extends { readonly file: string; readonly resource?: string; readonly resources?: readonly string[] }>(
  p: T,
  names: ReadonlyMap<string, string>,
): T {
  if (names.size === 0) return p;
  return {
    ...p,
    file: nameAsTyped(p.file, names),
    ...(p.resource !== undefined ? { resource: nameAsTyped(p.resource, names) } : {}),
    ...(p.resources !== undefined ? { resources: p.resources.map((r) => nameAsTyped(r, names)) } : {}),
  };
}

/**
 * Takes one text already in memory (`file` as reported), such as what `kustomize build` just wrote.
 * Nothing is decoded yet: `checkParsed` decodes every file taken this way in one decoder run, so
 * the documents and problems returned here are empty and `file` is what goes into `files`.
 */
export function readText(
  text: string | Buffer,
  file: string,
  input: string,
  _path?: string,
  _options?: { trusted: boolean },
): FileRead & { file: FileInput } {
  void file;
  return { docs: [], problems: [], file: newFile(input, Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')) };
}
