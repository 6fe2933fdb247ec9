import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, LineCounter, parseAllDocuments } from 'yaml';
import { isPlainObject, UsageError, type Manifest, type Problem } from '@strata/core';
import type { FileInput, FileRead, ParsedInputs, SourceDoc } from './types.ts';

const YAML_FILE = /\.(ya?ml|json)$/;

function expand(root: string, input: string): string[] {
  const abs = resolve(root, input);
  if (!existsSync(abs)) throw new UsageError(`${input}: no such file or folder`);
  if (!statSync(abs).isDirectory()) return [abs];
  return readdirSync(abs, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && YAML_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}


/**
 * Reads one file's text with line tracking. Syntax errors, duplicate keys, non-mapping documents and
 * documents without apiVersion or kind become problems; empty and comment-only documents are fine.
 */
function readLocated(text: string, file: string, input: string): FileRead {
  const docs: SourceDoc[] = [];
  const problems: Problem[] = [];
  const lines = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false })) {
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const line = lines.linePos(start).line;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const at = lines.linePos(e.pos[0]).line;
        const duplicate = e.code === 'DUPLICATE_KEY';
        problems.push({
          file,
          line: at,
          message: duplicate ? `${e.message.split('\n')[0]} (a later value would silently win)` : `not valid YAML: ${e.message.split('\n')[0]}`,
          rule: duplicate ? 'duplicate-key' : 'yaml-syntax',
          severity: 'error',
        });
      }
      continue;
    }
    const value = doc.contents === null ? null : (doc.toJS() as unknown);
    if (value === null || value === undefined) continue; // empty or comment-only document
    if (!isMap(doc.contents) || !isPlainObject(value)) {
      problems.push({ file, line, message: 'document is not a mapping; each YAML document must be one Kubernetes object', rule: 'not-an-object', severity: 'error' });
      continue;
    }
    const missing = missingType(value);
    const meta = isPlainObject(value.metadata) ? value.metadata : {};
    if (missing.length > 0) {
      problems.push({
        file,
        line,
        ...(typeof value.kind === 'string' ? { kind: value.kind } : {}),
        ...(typeof meta.name === 'string' ? { name: meta.name } : {}),
        path: missing[0]!,
        message: `missing ${missing.join(' and ')}; every object needs both (e.g. apiVersion: apps/v1, kind: Deployment)`,
        rule: 'missing-type',
        severity: 'error',
      });
      continue;
    }
    const lineOf = (path: readonly (string | number)[]) => {
      for (let n = path.length; n > 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return lines.linePos(node.range[0]).line;
      }
      return line;
    };
    docs.push({ file, line, manifest: { ...value, metadata: meta } as Manifest, lineOf, input });
  }
  return { docs, problems };
}

const missingType = (value: Record<string, unknown>) => ['apiVersion', 'kind'].filter((k) => typeof value[k] !== 'string' || value[k] === '');

/**
 * The fast reading of a file that has no problem at all, which is nearly every built file: values
 * only, about ten times faster than the line-tracking parser. Lines are worked out the first time a
 * problem asks for one. Undefined when the file has any problem; `readLocated` then reports it.
 */
function readFast(text: string, file: string, input: string): SourceDoc[] | undefined {
  const values: unknown[] = [];
  try {
    // The core schema is YAML 1.2's, as in the line-tracking parser; duplicate keys throw.
    loadAll(text, (v) => values.push(v), { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  const objects = values.filter((v) => v !== null && v !== undefined);
  if (!objects.every((v) => isPlainObject(v) && missingType(v).length === 0 && (v.metadata === undefined || isPlainObject(v.metadata)))) return undefined;
  let located: SourceDoc[] | undefined;
  const at = (i: number) => {
    located ??= readLocated(text, file, input).docs;
    return located[i];
  };
  return objects.map((v, i) => {
    const value = v as Record<string, unknown>;
    return {
      file,
      input,
      manifest: { ...value, metadata: value.metadata ?? {} } as Manifest,
      get line() {
        return at(i)?.line ?? 1;
      },
      lineOf: (path: readonly (string | number)[]) => at(i)?.lineOf(path) ?? 1,
    };
  });
}

/**
 * Reads YAML files, folders and `-` (stdin) into documents. Syntax errors, duplicate keys,
 * non-mapping documents and documents without apiVersion or kind become problems; empty and
 * comment-only documents are fine.
 */
export function parseInputs(root: string, inputs: readonly string[], stdin?: () => string): ParsedInputs {
  const docs: SourceDoc[] = [];
  const problems: Problem[] = [];
  const files = new Map<string, FileInput>();
  const expanded = inputs.flatMap((input) => (input === '-' ? [{ input, path: '-' }] : expand(root, input).map((path) => ({ input, path }))));
  for (const { input, path } of expanded) {
    const rel = relative(root, path);
    const file = path === '-' ? '<stdin>' : rel && !rel.startsWith('..') ? rel : path;
    let text: string;
    try {
      text = path === '-' ? (stdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(path, 'utf8');
    } catch (err) {
      throw new UsageError(`${file}: cannot read: ${(err as Error).message}`);
    }
    // Any file may be hand-written: read it exactly, with lines.
    const read = readText(text, file, input, path === '-' ? undefined : path, { trusted: false });
    docs.push(...read.docs);
    problems.push(...read.problems);
    files.set(file, read.file);
  }
  return { docs, problems, files };
}

/**
 * Reads one file's text (`file` as reported, `path` where it is on disk, if it is). kubeconform may
 * read the file as it is when every document in it was readable and it is on disk.
 *
 * `trusted` is for what `kustomize build` just wrote: machine-written YAML, read the fast way when
 * it has no problem. js-yaml accepts a few things the line-tracking parser rejects (an unindented
 * flow continuation, a key over 1,024 characters), which kustomize never writes but a person might,
 * so other files are read with the line-tracking parser.
 */
export function readText(text: string, file: string, input: string, path: string | undefined, options: { trusted: boolean }): FileRead & { file: FileInput } {
  const fast = options.trusted ? readFast(text, file, input) : undefined;
  const read = fast ? { docs: fast, problems: [] } : readLocated(text, file, input);
  return { ...read, file: { docs: read.docs, ...(read.problems.length === 0 && path ? { path } : {}) } };
}

