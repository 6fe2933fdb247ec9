import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeScratchDir, objectName, type Problem } from '@strata/project';
import { validateWithKubeconform, type KubeconformResult } from '@strata/kubeconform-wrapper';
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
 *
 * An object equal as JSON to one written before is not written again (an app's envs repeat most of
 * its objects): its verdict is the earlier one's, taken for its own file, line and id. Only objects
 * whose verdict kubeconform names unambiguously take part: a name (not a generateName) that is
 * unique in its file for its apiVersion and kind.
 */
export async function schemaProblems(root: string, parsed: ParsedInputs, only: readonly SourceDoc[], kubernetesVersion?: string): Promise<Problem[]> {
  if (only.length === 0) return [];
  const wanted = new Set(only);
  const dir = makeScratchDir('validate');
  try {
    const byPath = new Map<string, string>();
    // The temporary path of each file, written or not: verdicts are ordered by it.
    const pathOf = new Map<string, string>();
    const keyOf = (file: string, apiVersion: unknown, kind: unknown, name: unknown) =>
      `${file}\0${String(apiVersion)}\0${String(kind)}\0${String(name)}`;
    // kubeconform names an object that has only a generateName "<generateName>{{ generateName }}".
    const docKey = (d: SourceDoc) => {
      const { name, generateName } = d.manifest.metadata;
      const named = name === undefined && typeof generateName === 'string' ? `${generateName}{{ generateName }}` : name;
      return keyOf(d.file, d.manifest.apiVersion, d.manifest.kind, named);
    };
    const firstOf = new Map<string, SourceDoc>();
    const copiesOf = new Map<SourceDoc, SourceDoc[]>();
    const written: SourceDoc[] = [];
    // Documents written to a temporary file of their own, by its path.
    const own = new Map<string, SourceDoc>();
    let copies = 0;
    let temp = 0;
    for (const [file, input] of parsed.files) {
      const docs = input.docs.filter((d) => wanted.has(d));
      if (docs.length === 0) continue;
      const path = join(dir, `${temp++}.yaml`);
      pathOf.set(file, path);
      const keys = new Map<string, number>();
      for (const d of docs) keys.set(docKey(d), (keys.get(docKey(d)) ?? 0) + 1);
      let text = '';
      for (const d of docs) {
        const json = JSON.stringify(d.manifest);
        const { name, generateName } = d.manifest.metadata;
        if (typeof name === 'string' && generateName === undefined && keys.get(docKey(d)) === 1) {
          const first = firstOf.get(json);
          if (first) {
            copiesOf.get(first)!.push(d);
            copies++;
            continue;
          }
          firstOf.set(json, d);
          copiesOf.set(d, []);
        }
        if (keys.get(docKey(d))! > 1) {
          // kubeconform would name it like another object of this file (two Jobs with one
          // generateName, say): a file of its own tells its verdict apart.
          const alone = join(dir, `${temp++}.yaml`);
          writeFileSync(alone, `${json}\n`);
          byPath.set(alone, file);
          own.set(alone, d);
          continue;
        }
        written.push(d);
        text += `---\n${json}\n`;
      }
      if (text === '') continue;
      writeFileSync(path, text);
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
    for (const d of written) {
      const key = docKey(d);
      index.set(key, [...(index.get(key) ?? []), d]);
    }
    // Each verdict for its own document and for every copy of it, in the order of one verdict per document.
    const verdicts: { r: KubeconformResult; file: string; doc: SourceDoc | undefined }[] = [];
    for (const r of results) {
      const file = byPath.get(r.filename) ?? byPath.get(resolve(r.filename)) ?? r.filename;
      if (r.status === 'valid' || r.status === 'empty') continue;
      const doc = own.get(r.filename) ?? own.get(resolve(r.filename)) ?? index.get(keyOf(file, r.version, r.kind, r.name))?.shift();
      verdicts.push({ r, file, doc });
      for (const copy of (doc && copiesOf.get(doc)) ?? [])
        verdicts.push({ r: { ...r, filename: pathOf.get(copy.file)! }, file: copy.file, doc: copy });
    }
    if (copies > 0) verdicts.sort((a, b) => compareResults(a.r, b.r));
    const problems: Problem[] = [];
    for (const { r, file, doc } of verdicts) {
      const object = {
        file,
        ...(doc ? { line: doc.line, namespace: doc.manifest.metadata.namespace, resource: doc.id } : {}),
        apiVersion: r.version,
        kind: r.kind,
        name: (doc && objectName(doc.manifest.metadata)) ?? r.name,
      };
      if (r.errors.length === 0) problems.push({ ...object, message: r.message, rule: 'schema', severity: 'error' });
      // kubeconform lists a resource's errors, and the names in one "additional properties" error, in
      // Go's map order, which differs from run to run: both are put in one order here.
      const errors = [...r.errors].sort((a, b) =>
        a.path < b.path ? -1 : a.path > b.path ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0,
      );
      for (const e of errors) {
        const segments = e.path
          .split('/')
          .filter(Boolean)
          .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg.replace(/~1/g, '/').replace(/~0/g, '~')));
        // Point each unknown field at its own line and path, not at its parent's.
        const unknown = unknownFields(e.message, doc?.manifest, segments);
        if (unknown.length > 0) {
          const parent = fieldPath(e.path);
          for (const name of unknown)
            problems.push({
              ...object,
              ...(doc ? { line: doc.lineOf([...segments, name]) } : {}),
              path: parent ? `${parent}.${name}` : name,
              message: 'unknown field (not in the schema); check its spelling and indentation',
              rule: 'schema',
              severity: 'error',
            });
          continue;
        }
        const message = e.message + yaml11Hint(e.message, doc, segments);
        problems.push({
          ...object,
          ...(doc ? { line: doc.lineOf(segments) } : {}),
          path: fieldPath(e.path),
          message,
          rule: 'schema',
          severity: 'error',
        });
      }
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The fields an "additional properties 'a', 'b' not allowed" error names, in the order the object
 * holds them (the message's order is Go's map order). A name is taken from the object's own keys
 * where it has them, since a key may hold a quote or a comma; otherwise from the message, sorted.
 */
function unknownFields(message: string, manifest: unknown, at: readonly (string | number)[]): string[] {
  const listed = /^additional propert(?:y|ies) ('.*') not allowed$/s.exec(message)?.[1];
  if (listed === undefined) return [];
  let node: unknown = manifest;
  for (const seg of at) node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined;
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    const named = Object.keys(node).filter((k) => listed.includes(`'${k}'`));
    if (named.length > 0) return named;
  }
  return listed.slice(1, -1).split("', '").sort();
}

/** The order validateWithKubeconform gives its verdicts. */
function compareResults(a: KubeconformResult, b: KubeconformResult): number {
  for (const key of ['filename', 'version', 'kind', 'name', 'status', 'message'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  return 0;
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
