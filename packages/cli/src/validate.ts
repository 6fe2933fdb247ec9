import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { isMap, LineCounter, parseAllDocuments } from 'yaml';
import { dumpYaml } from '@strata/emit';
import { groupOf, isPlainObject, UsageError, type Manifest } from '@strata/core';
import { validateWithKubeconform } from '@strata/kubeconform-wrapper';
import { checkEnv } from './generate.ts';
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

export interface ParsedInputs {
  readonly docs: SourceDoc[];
  readonly problems: Problem[];
  /** Per input file, its readable documents as one YAML stream (what kubeconform gets). */
  readonly streams: Map<string, string>;
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

/**
 * Reads YAML files, folders and `-` (stdin) into documents. Syntax errors, duplicate keys,
 * non-mapping documents and documents without apiVersion or kind become problems; empty and
 * comment-only documents are fine.
 */
export function parseInputs(root: string, inputs: readonly string[], stdin?: () => string): ParsedInputs {
  const docs: SourceDoc[] = [];
  const problems: Problem[] = [];
  const streams = new Map<string, string>();
  const files = inputs.flatMap((input) => (input === '-' ? [{ input, path: '-' }] : expand(root, input).map((path) => ({ input, path }))));
  for (const { input, path } of files) {
    const rel = relative(root, path);
    const file = path === '-' ? '<stdin>' : rel && !rel.startsWith('..') ? rel : path;
    let text: string;
    try {
      text = path === '-' ? (stdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(path, 'utf8');
    } catch (err) {
      throw new UsageError(`${file}: cannot read: ${(err as Error).message}`);
    }
    const lines = new LineCounter();
    const good: string[] = [];
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
      const missing = ['apiVersion', 'kind'].filter((k) => typeof value[k] !== 'string' || value[k] === '');
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
      const manifest = { ...value, metadata: meta } as Manifest;
      const lineOf = (path: readonly (string | number)[]) => {
        for (let n = path.length; n > 0; n--) {
          const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
          if (node?.range) return lines.linePos(node.range[0]).line;
        }
        return line;
      };
      docs.push({ file, line, manifest, lineOf, input });
      good.push(dumpYaml(value));
    }
    streams.set(file, good.map((g) => `---\n${g}`).join(''));
  }
  return { docs, problems, streams };
}

/** JSON pointer or kubeconform path (`/spec/replicas`) to a dotted field path (`spec.replicas`). */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** Runs one kubeconform process over every readable document and maps its verdicts back to lines. */
export async function schemaProblems(root: string, parsed: ParsedInputs, kubernetesVersion?: string): Promise<Problem[]> {
  if (parsed.docs.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'strata-validate-'));
  try {
    const byTemp = new Map<string, string>();
    [...parsed.streams.entries()].forEach(([file, stream], i) => {
      if (!stream) return;
      const temp = join(dir, `${i}.yaml`);
      writeFileSync(temp, stream);
      byTemp.set(temp, file);
    });
    const results = await validateWithKubeconform({ paths: [dir] }, { root, ...(kubernetesVersion ? { kubernetesVersion } : {}) });
    const taken = new Set<SourceDoc>();
    const problems: Problem[] = [];
    for (const r of results) {
      if (r.status === 'valid' || r.status === 'empty') continue;
      const file = byTemp.get(r.filename) ?? byTemp.get(resolve(r.filename)) ?? r.filename;
      const doc = parsed.docs.find(
        (d) => !taken.has(d) && d.file === file && d.manifest.kind === r.kind && d.manifest.metadata.name === r.name && d.manifest.apiVersion === r.version,
      );
      if (doc) taken.add(doc);
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
        problems.push({ ...object, ...(doc ? { line: doc.lineOf(segments) } : {}), path, message: unknown ? 'unknown field (not in the schema); check its spelling and indentation' : e.message, rule: 'schema', severity: 'error' });
      }
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  const parsed = parseInputs(root, inputs, options.stdin);
  const isKustomization = (d: SourceDoc) => d.manifest.apiVersion.startsWith('kustomize.config.k8s.io/');
  const resources = parsed.docs.filter((d) => !isKustomization(d));
  const schemaInput: ParsedInputs = { ...parsed, docs: resources, streams: streamsOf(parsed, resources) };
  const { policyProblems, secretValueProblems } = await import('./policy.ts');
  const problems = [
    ...parsed.problems,
    ...duplicateProblems(resources),
    ...secretValueProblems(parsed.docs),
    ...(await schemaProblems(root, schemaInput, options.kubernetesVersion)),
    ...(options.policy === false ? [] : await policyProblems(root, resources, checkEnv(options.env))),
  ];
  problems.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  const count = parsed.docs.length + parsed.problems.filter((p) => p.rule !== 'duplicate-key' && p.rule !== 'yaml-syntax').length;
  return { problems, resources: count, files: [...parsed.streams.keys()] };
}

/** The YAML streams kubeconform reads: per file, only the given documents. */
function streamsOf(parsed: ParsedInputs, docs: readonly SourceDoc[]): Map<string, string> {
  const keep = new Set(docs);
  const out = new Map<string, string>();
  for (const file of parsed.streams.keys()) {
    out.set(file, parsed.docs.filter((d) => d.file === file && keep.has(d)).map((d) => `---\n${dumpYaml(d.manifest)}`).join(''));
  }
  return out;
}
