import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot, type Problem } from '@strata/project';
import { decoderPath, parseInputs, runDecoder, validate, type ParsedInputs } from '../src/index.ts';

// The objects Strata judges must be the objects kubectl applies and kustomize builds from the same
// bytes. kubectl's side is its own decoder (k8s.io/apimachinery's stream decoder and unstructured
// scheme, the decoder's -reference mode); kustomize's side is the real pinned kustomize building a
// folder that holds the file as its one resource, its output read the same way. Where the two
// consumers disagree or refuse the input, Strata must refuse it too.
const repo = findRoot(import.meta.dirname);
const corpus = join(import.meta.dirname, '..', '__fixtures__', 'corpus');
const files = readdirSync(corpus).sort();
const kustomizeBin = join(repo, '.tools', 'bin', 'kustomize');
const scratch = mkdtempSync(join(tmpdir(), 'strata-differential-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Reference {
  readonly objects: { object: Record<string, unknown> }[];
  readonly error?: string;
}
type Obj = Record<string, unknown>;

const normal = (o: Obj): Obj => ({ ...o, metadata: o.metadata ?? {} });
const key = (o: Obj) => JSON.stringify(sortKeys(normal(o)));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  return v;
}

/** Problems that say an object could not be read as one: the only reasons to judge fewer objects than kubectl applies. */
const READ_RULES = new Set(['yaml-syntax', 'yaml-line-break', 'not-an-object', 'missing-type', 'duplicate-key']);

let parsed: ParsedInputs;
let problems: Problem[];
const kubectl = new Map<string, Reference>();
const kustomize = new Map<string, Reference>();

beforeAll(async () => {
  const bin = decoderPath(repo);
  if (!bin) throw new Error('strata-decode is not built: run npm run setup');
  const paths = files.map((f) => join(corpus, f));
  parsed = await parseInputs(repo, paths);
  problems = (await validate(repo, paths, { policy: false })).problems;
  const direct = (await runDecoder(
    bin,
    files.map((f) => readFileSync(join(corpus, f))),
    ['-reference'],
  )) as Reference[];
  files.forEach((f, i) => kubectl.set(f, direct[i]!));
  const built: { file: string; out?: Buffer; error?: string }[] = [];
  for (const f of files) {
    const dir = mkdtempSync(join(scratch, 'k-'));
    writeFileSync(join(dir, f), readFileSync(join(corpus, f)));
    writeFileSync(join(dir, 'kustomization.yaml'), `resources:\n  - ${f}\n`);
    // kustomize expands an alias bomb without limit: 1 GB of memory is its answer to it.
    const r = spawnSync('bash', ['-c', 'ulimit -v 1048576; exec "$0" build "$1"', kustomizeBin, dir], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    });
    built.push(r.status === 0 ? { file: f, out: r.stdout } : { file: f, error: r.stderr.toString('utf8').trim() || `exit ${r.status ?? r.signal}` });
  }
  const ok = built.filter((b) => b.out);
  const decoded = (await runDecoder(
    bin,
    ok.map((b) => b.out!),
    ['-reference'],
  )) as Reference[];
  ok.forEach((b, i) => kustomize.set(b.file, decoded[i]!));
  for (const b of built) if (b.error) kustomize.set(b.file, { objects: [], error: b.error });
}, 300_000);

describe('differential: Strata judges what kubectl and kustomize read', () => {
  it('has a corpus of at least 40 inputs', () => expect(files.length).toBeGreaterThanOrEqual(40));

  it.each(files)('%s', (file) => {
    const reported = relative(repo, join(corpus, file));
    const judged = parsed.docs.filter((d) => d.file === reported).map((d) => d.manifest as Obj);
    const refused = problems.filter((p) => p.file === reported && p.severity === 'error');
    const k = kubectl.get(file)!;
    const z = kustomize.get(file)!;
    const kubectlObjects = k.objects.map((o) => o.object);
    // Every object Strata judges is one kubectl applies, in kubectl's order.
    if (!k.error) {
      let at = 0;
      for (const o of judged) {
        while (at < kubectlObjects.length && key(kubectlObjects[at]!) !== key(o)) at++;
        expect(at < kubectlObjects.length, `Strata judges an object kubectl does not apply: ${JSON.stringify(o)}`).toBe(true);
        at++;
      }
    }
    if (!k.error && judged.length !== kubectlObjects.length) {
      expect(refused.filter((p) => READ_RULES.has(p.rule)).length, 'Strata skips an object kubectl applies without saying why').toBeGreaterThan(0);
    }
    const consumersAgree =
      !k.error && !z.error && [...kubectlObjects.map(key)].sort().join('\n') === [...z.objects.map((o) => key(o.object))].sort().join('\n');
    if (consumersAgree && refused.length === 0) {
      // A clean input: exactly kubectl's objects, which are kustomize's.
      expect(judged.map(key)).toStrictEqual(kubectlObjects.map(key));
    } else {
      // kubectl or kustomize refuses it, they read different objects, or Strata skips one: Strata says so.
      const why = k.error ? `kubectl: ${k.error}` : z.error ? `kustomize: ${z.error}` : 'kubectl and kustomize read different objects';
      expect(refused.length, `${why}; Strata reports no error`).toBeGreaterThan(0);
    }
  });
});
