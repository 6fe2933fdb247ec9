import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, LineCounter, parseAllDocuments } from 'yaml';
import { dumpYaml } from '@strata/emit';
import { checkEnv, groupOf, isPlainObject, UsageError, type Manifest } from '@strata/core';
import { validateWithKubeconform } from '@strata/kubeconform-wrapper';
import type { Problem } from './problems.ts';

/** One parsed document of an input, with where it came from. */
export interface SourceDoc {
  readonly file: string;
  readonly line: number;
  readonly manifest: Manifest;
  /** The input argument (file, folder or -) it came from: the policy checks references within it. */
  readonly input: string;
  /** The line of a field (`['spec', 'replicas']`), or of its nearest existing parent. */
  lineOf(path: readonly (string | number)[]): number;
}

/** One input file: its readable documents, and its path when kubeconform may read it as it is. */
export interface FileInput {
  readonly docs: readonly SourceDoc[];
  readonly path?: string;
}

export interface ParsedInputs {
  readonly docs: SourceDoc[];
  readonly problems: Problem[];
  /** Per input file (as reported), what it holds. */
  readonly files: Map<string, FileInput>;
}

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

/** The documents and problems of one file. */
export interface FileRead {
  readonly docs: SourceDoc[];
  readonly problems: Problem[];
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

/** JSON pointer or kubeconform path (`/spec/replicas`) to a dotted field path (`spec.replicas`). */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** Paths per kubeconform run, so that a very large tree stays under the system's argument limit. */
const PATHS_PER_RUN = 4000;

/**
 * Runs kubeconform over the given documents (one process per 4,000 files, so nearly always one) and
 * maps its verdicts back to lines. A file whose documents are all given is read by kubeconform as
 * it is; otherwise only the given documents are written to a temporary file for it.
 */
export async function schemaProblems(root: string, parsed: ParsedInputs, only: readonly SourceDoc[], kubernetesVersion?: string): Promise<Problem[]> {
  if (only.length === 0) return [];
  const wanted = new Set(only);
  const dir = mkdtempSync(join(tmpdir(), 'strata-validate-'));
  try {
    const byPath = new Map<string, string>();
    let temp = 0;
    for (const [file, input] of parsed.files) {
      const docs = input.docs.filter((d) => wanted.has(d));
      if (docs.length === 0) continue;
      if (input.path && docs.length === input.docs.length) {
        byPath.set(input.path, file);
        continue;
      }
      const path = join(dir, `${temp++}.yaml`);
      writeFileSync(path, docs.map((d) => `---\n${dumpYaml(d.manifest)}`).join(''));
      byPath.set(path, file);
    }
    const paths = [...byPath.keys()];
    const results = [];
    for (let i = 0; i < paths.length; i += PATHS_PER_RUN) {
      results.push(...(await validateWithKubeconform({ paths: paths.slice(i, i + PATHS_PER_RUN) }, { root, ...(kubernetesVersion ? { kubernetesVersion } : {}) })));
    }
    // The documents of each file by type and name, to find a verdict's document without a scan.
    const index = new Map<string, SourceDoc[]>();
    const keyOf = (file: string, apiVersion: unknown, kind: unknown, name: unknown) => `${file}\0${String(apiVersion)}\0${String(kind)}\0${String(name)}`;
    for (const d of only) {
      const key = keyOf(d.file, d.manifest.apiVersion, d.manifest.kind, d.manifest.metadata.name);
      index.set(key, [...(index.get(key) ?? []), d]);
    }
    const problems: Problem[] = [];
    for (const r of results) {
      if (r.status === 'valid' || r.status === 'empty') continue;
      const file = byPath.get(r.filename) ?? byPath.get(resolve(r.filename)) ?? r.filename;
      const doc = index.get(keyOf(file, r.version, r.kind, r.name))?.shift();
      const object = {
        file,
        ...(doc ? { line: doc.line, namespace: doc.manifest.metadata.namespace } : {}),
        apiVersion: r.version,
        kind: r.kind,
        name: r.name,
      };
      if (r.errors.length === 0) problems.push({ ...object, message: r.message, rule: 'schema', severity: 'error' });
      for (const e of r.errors) {
        const segments = e.path.split('/').filter(Boolean).map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg.replace(/~1/g, '/').replace(/~0/g, '~')));
        // Point an unknown field at its own line and path, not at its parent's.
        const unknown = /^additional propert(?:y|ies) '([^',]+)' not allowed$/.exec(e.message)?.[1];
        if (unknown) segments.push(unknown);
        const path = fieldPath(e.path) + (unknown ? `${e.path === '' || e.path === '/' ? '' : '.'}${unknown}` : '');
        const message = unknown ? 'unknown field (not in the schema); check its spelling and indentation' : e.message + yaml11Hint(e.message, doc, segments);
        problems.push({ ...object, ...(doc ? { line: doc.lineOf(segments) } : {}), path, message, rule: 'schema', severity: 'error' });
      }
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * kubeconform, like kubectl, reads YAML 1.1, where unquoted yes, no, on and off are booleans; a
 * reader who sees `a: yes` expects a string. Says so when that is why a boolean was found.
 */
function yaml11Hint(message: string, doc: SourceDoc | undefined, path: readonly (string | number)[]): string {
  if (!doc || !/got boolean/.test(message)) return '';
  let value: unknown = doc.manifest;
  for (const seg of path) value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  return typeof value === 'string' ? ` (kubectl reads an unquoted ${value} as a boolean; quote it: "${value}")` : '';
}

/** Two objects with the same group, kind, namespace and name in one file: one would overwrite the other. */
export function duplicateProblems(docs: readonly SourceDoc[]): Problem[] {
  const seen = new Map<string, SourceDoc>();
  const problems: Problem[] = [];
  for (const d of docs) {
    const m = d.manifest;
    const key = `${d.file}|${groupOf(m.apiVersion)}|${m.kind}|${m.metadata.namespace ?? ''}|${m.metadata.name ?? ''}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, d);
      continue;
    }
    problems.push({
      file: d.file,
      line: d.line,
      apiVersion: m.apiVersion,
      kind: m.kind,
      ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
      name: String(m.metadata.name),
      message: `same group, kind, namespace and name as the object at line ${first.line}; one would replace the other when applied`,
      rule: 'duplicate-resource',
      severity: 'error',
    });
  }
  return problems;
}

export interface ValidateResult {
  readonly problems: Problem[];
  readonly resources: number;
  /** The files read, relative to the root (`<stdin>` for -). */
  readonly files: string[];
  /** Resources per file. */
  readonly counts: Record<string, number>;
}

export interface ValidateOptions {
  readonly kubernetesVersion?: string;
  readonly stdin?: () => string;
  /** Run the policy rules too. @default true */
  readonly policy?: boolean;
  /** The env of inputs that are not `dist/<env>/<app>.yaml` (for env-specific rules and severities). */
  readonly env?: string;
}

/**
 * `strata validate`: structural checks, one strict kubeconform run and the policy rules over the
 * given inputs. Kustomization files are checked for secret literals but have no schema of their own.
 */
export async function validate(root: string, inputs: readonly string[], options: ValidateOptions = {}): Promise<ValidateResult> {
  return checkParsed(root, parseInputs(root, inputs, options.stdin), options);
}

/** The checks of `validate` over documents already read (by `parseInputs` or `readText`). */
export async function checkParsed(root: string, parsed: ParsedInputs, options: ValidateOptions = {}): Promise<ValidateResult> {
  const isKustomization = (d: SourceDoc) => d.manifest.apiVersion.startsWith('kustomize.config.k8s.io/');
  const resources = parsed.docs.filter((d) => !isKustomization(d));
  const { policyProblems, secretValueProblems } = await import('./policy.ts');
  // kubeconform runs in its own process while the checks below run in this one.
  const schema = schemaProblems(root, parsed, resources, options.kubernetesVersion);
  schema.catch(() => undefined); // awaited below; a failure of the checks in between must not leave it unhandled
  const own = [
    ...parsed.problems,
    ...duplicateProblems(resources),
    ...secretValueProblems(parsed.docs),
    ...(options.policy === false ? [] : await policyProblems(root, resources, checkEnv(options.env))),
  ];
  const problems = [...own, ...(await schema)];
  problems.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  const counted = (p: Problem) => p.rule !== 'duplicate-key' && p.rule !== 'yaml-syntax';
  const counts: Record<string, number> = {};
  for (const d of parsed.docs) counts[d.file] = (counts[d.file] ?? 0) + 1;
  for (const p of parsed.problems) if (counted(p)) counts[p.file] = (counts[p.file] ?? 0) + 1;
  const count = parsed.docs.length + parsed.problems.filter(counted).length;
  return { problems, resources: count, files: [...parsed.files.keys()], counts };
}
