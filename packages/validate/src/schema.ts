import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeScratchDir, objectName, type Problem } from '@strata/project';
import { validateWithKubeconform, type KubeconformResult } from '@strata/kubeconform-wrapper';
import { canonicalApiVersion } from './group-version.ts';
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
 * maps its verdicts back to lines. kubeconform reads the objects as they were decoded, as JSON, from
 * temporary files: it judges exactly what policy judges and kubectl sends, never a second reading of
 * the input (a pipe cannot be read twice, and its own YAML reader may differ).
 *
 * Within a file kubeconform tells objects apart only by apiVersion, kind and name (see `signature`),
 * so the documents go into as few files as keep those unique: the second object of a signature goes
 * to the second file, and so on. A few files instead of one per input saves their creation, which at
 * 1,500 built overlays took longer than kubeconform's start. An object equal as JSON to one written
 * before is not written again (an app's envs repeat most of its objects): its verdict is the earlier
 * one's, taken for its own file, line and id.
 */
export async function schemaProblems(
  root: string,
  parsed: ParsedInputs,
  only: readonly SourceDoc[],
  kubernetesVersion?: string,
  jsonOf: (d: SourceDoc) => string = (d) => d.json ?? JSON.stringify(d.manifest),
): Promise<Problem[]> {
  if (only.length === 0) return [];
  const wanted = new Set(only);
  const dir = makeScratchDir('validate');
  try {
    // The documents in file order, each with its place in it, for the order of the verdicts.
    const order = new Map<SourceDoc, number>();
    for (const input of parsed.files.values()) for (const d of input.docs) if (wanted.has(d)) order.set(d, order.size);
    const firstOf = new Map<string, SourceDoc>();
    const copiesOf = new Map<SourceDoc, SourceDoc[]>();
    const texts: string[][] = [];
    // The documents written to each file, in order.
    const written: SourceDoc[][] = [];
    // How many documents of each signature are written: the next one goes to the file after.
    const seen = new Map<string, number>();
    // Each written document by its file's number and signature: the key of kubeconform's verdict.
    const index = new Map<string, SourceDoc>();
    for (const d of order.keys()) {
      const json = jsonOf(d);
      const first = firstOf.get(json);
      if (first) {
        copiesOf.get(first)!.push(d);
        continue;
      }
      firstOf.set(json, d);
      copiesOf.set(d, []);
      const sig = signature(d.manifest);
      const n = seen.get(sig) ?? 0;
      seen.set(sig, n + 1);
      (texts[n] ??= []).push(`---\n${yamlSafe(json)}\n`);
      (written[n] ??= []).push(d);
      index.set(`${n}\0${sig}`, d);
    }
    const paths = texts.map((_, n) => join(dir, `${n}.yaml`));
    texts.forEach((t, n) => writeFileSync(paths[n]!, t.join('')));
    const numberOf = new Map(paths.flatMap((p, n) => [[p, n] as const, [resolve(p), n] as const]));
    const run = async (files: readonly string[]) => {
      const out: KubeconformResult[] = [];
      for (let i = 0; i < files.length; i += PATHS_PER_RUN) {
        // One verdict per object: far too many for the arguments of one push.
        for (const r of await validateWithKubeconform(
          { paths: files.slice(i, i + PATHS_PER_RUN) },
          { root, ...(kubernetesVersion ? { kubernetesVersion } : {}) },
        ))
          out.push(r);
      }
      return out;
    };
    // Each verdict for its own document and for every copy of it.
    const verdicts: { r: KubeconformResult; doc: SourceDoc }[] = [];
    const take = (r: KubeconformResult, doc: SourceDoc) => {
      verdicts.push({ r, doc });
      for (const copy of copiesOf.get(doc)!) verdicts.push({ r, doc: copy });
    };
    const results = await run(paths);
    // A verdict that names no object it was given (one kubeconform could not read as an object)
    // cannot be told apart within its file: that file's documents are judged again, each alone.
    const unnamed = new Set<number>();
    for (const r of results) {
      if (r.status === 'valid' || r.status === 'empty') continue;
      const n = numberOf.get(r.filename);
      if (n !== undefined && !index.has(`${n}\0${r.version}\0${r.kind}\0${r.name}`)) unnamed.add(n);
    }
    for (const r of results) {
      if (r.status === 'valid' || r.status === 'empty') continue;
      const n = numberOf.get(r.filename);
      if (n === undefined || unnamed.has(n)) continue;
      take(r, index.get(`${n}\0${r.version}\0${r.kind}\0${r.name}`)!);
    }
    const alone = new Map<string, SourceDoc>();
    for (const n of unnamed) {
      written[n]!.forEach((d, i) => {
        const path = join(dir, `${n}-${i}.yaml`);
        writeFileSync(path, `${yamlSafe(jsonOf(d))}\n`);
        alone.set(path, d);
      });
    }
    if (alone.size > 0) {
      for (const r of await run([...alone.keys()])) {
        const doc = alone.get(r.filename) ?? alone.get(resolve(r.filename));
        if (doc && r.status !== 'valid' && r.status !== 'empty') take(r, doc);
      }
    }
    // In the documents' order, whichever file they were written to.
    verdicts.sort((a, b) => order.get(a.doc)! - order.get(b.doc)!);
    const problems: Problem[] = [];
    for (const { r, doc } of verdicts) {
      const object = {
        file: doc.file,
        line: doc.line,
        namespace: doc.manifest.metadata.namespace,
        resource: doc.id,
        apiVersion: r.version,
        kind: r.kind,
        name: objectName(doc.manifest.metadata) ?? r.name,
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
        const unknown = unknownFields(e.message, doc.manifest, segments);
        if (unknown.length > 0) {
          const parent = fieldPath(e.path);
          for (const name of unknown)
            problems.push({
              ...object,
              line: doc.lineOf([...segments, name]),
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
          line: doc.lineOf(segments),
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

/**
 * JSON text as kubeconform's YAML reader reads it back: the characters that YAML refuses in a
 * document (DEL, the C1 controls, U+FFFE and U+FFFF) or takes for line breaks (U+0085, U+2028,
 * U+2029), and a byte order mark, written as JSON escapes. JSON.stringify leaves them as they are;
 * they occur only inside strings, where the escape means the same character.
 */
function yamlSafe(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * How kubeconform names an object in its verdicts: apiVersion, kind, and the name, or the
 * generateName followed by `{{ generateName }}` whenever there is one (a name beside it is not
 * used), as its `SignatureFromMap` does.
 */
function signature(manifest: SourceDoc['manifest']): string {
  const metadata: unknown = manifest.metadata;
  const { name, generateName } = (metadata !== null && typeof metadata === 'object' ? metadata : {}) as Record<string, unknown>;
  const named = typeof generateName === 'string' ? `${generateName}{{ generateName }}` : typeof name === 'string' ? name : '';
  return `${canonicalApiVersion(String(manifest.apiVersion))}\0${String(manifest.kind)}\0${named}`;
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
