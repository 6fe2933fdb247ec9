import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Problem } from '@strata/project';
import { validateWithKubeconform } from '@strata/kubeconform-wrapper';
import type { ParsedInputs, SourceDoc } from './types.ts';

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
 * maps its verdicts back to lines. kubeconform reads the objects as they were decoded, as JSON, one
 * temporary file per input file: it judges exactly what policy judges and kubectl sends, never a
 * second reading of the input (a pipe cannot be read twice, and its own YAML reader may differ).
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
      const path = join(dir, `${temp++}.yaml`);
      writeFileSync(path, docs.map((d) => `---\n${JSON.stringify(d.manifest)}\n`).join(''));
      byPath.set(path, file);
    }
    const paths = [...byPath.keys()];
    const results = [];
    for (let i = 0; i < paths.length; i += PATHS_PER_RUN) {
      // One verdict per object: far too many for the arguments of one push.
      for (const r of await validateWithKubeconform(
        { paths: paths.slice(i, i + PATHS_PER_RUN) },
        { root, ...(kubernetesVersion ? { kubernetesVersion } : {}) },
      ))
        results.push(r);
    }
    // The documents of each file by type and name, to find a verdict's document without a scan.
    const index = new Map<string, SourceDoc[]>();
    const keyOf = (file: string, apiVersion: unknown, kind: unknown, name: unknown) =>
      `${file}\0${String(apiVersion)}\0${String(kind)}\0${String(name)}`;
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
        ...(doc ? { line: doc.line, namespace: doc.manifest.metadata.namespace, resource: doc.id } : {}),
        apiVersion: r.version,
        kind: r.kind,
        name: r.name,
      };
      if (r.errors.length === 0) problems.push({ ...object, message: r.message, rule: 'schema', severity: 'error' });
      for (const e of r.errors) {
        const segments = e.path
          .split('/')
          .filter(Boolean)
          .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg.replace(/~1/g, '/').replace(/~0/g, '~')));
        // Point an unknown field at its own line and path, not at its parent's.
        const unknown = /^additional propert(?:y|ies) '([^',]+)' not allowed$/.exec(e.message)?.[1];
        if (unknown) segments.push(unknown);
        const path = fieldPath(e.path) + (unknown ? `${e.path === '' || e.path === '/' ? '' : '.'}${unknown}` : '');
        const message = unknown
          ? 'unknown field (not in the schema); check its spelling and indentation'
          : e.message + yaml11Hint(e.message, doc, segments);
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
  const written = doc.sourceOf?.(path);
  return written && !/^(true|false)$/i.test(written) ? ` (kubectl reads an unquoted ${written} as a boolean; quote it: "${written}")` : '';
}
