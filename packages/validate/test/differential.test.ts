import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot, type Problem } from '@strata/project';
import { decodeInProcess } from '../src/decode.ts';
import { decoderPath, parseInputs, runDecoder, validate, type Decoded, type ParsedInputs } from '../src/index.ts';
import { kubectlReadings, kustomizeReadings, objectKey, type Reading } from './readings.ts';

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

type Obj = Record<string, unknown>;
const key = objectKey;

/** Problems that say an object could not be read as one: the only reasons to judge fewer objects than kubectl applies. */
const READ_RULES = new Set(['yaml-syntax', 'yaml-line-break', 'not-an-object', 'missing-type', 'duplicate-key']);

let parsed: ParsedInputs;
let problems: Problem[];
const kubectl = new Map<string, Reading>();
const kustomize = new Map<string, Reading>();

beforeAll(async () => {
  const bin = decoderPath(repo);
  if (!bin) throw new Error('strata-decode is not built: run npm run setup');
  const paths = files.map((f) => join(corpus, f));
  parsed = await parseInputs(repo, paths);
  problems = (await validate(repo, paths, { policy: false })).problems;
  const direct = await kubectlReadings(
    bin,
    files.map((f) => readFileSync(join(corpus, f))),
  );
  files.forEach((f, i) => kubectl.set(f, direct[i]!));
  const built = await kustomizeReadings(
    kustomizeBin,
    bin,
    files.map((f) => ({ name: f, text: readFileSync(join(corpus, f)) })),
    scratch,
  );
  files.forEach((f, i) => kustomize.set(f, built[i]!));
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
    } else if (!consumersAgree) {
      // kubectl or kustomize refuses it, or they read different objects: the reader says so, at a
      // line of the file. A schema, server or policy finding about the objects proves nothing here.
      const why = k.error ? `kubectl: ${k.error}` : z.error ? `kustomize: ${z.error}` : 'kubectl and kustomize read different objects';
      const read = parsed.problems.filter((p) => p.file === reported && p.severity === 'error');
      expect(
        read.length,
        `${why}; the reader reports nothing (the checks after it: ${refused.map((p) => p.rule).join(', ') || 'nothing'})`,
      ).toBeGreaterThan(0);
      for (const p of read) expect(p.line, JSON.stringify(p)).toBeGreaterThanOrEqual(1);
      expect(refused, 'validate reports what the reader found').toEqual(
        expect.arrayContaining(read.map((p) => expect.objectContaining({ rule: p.rule, line: p.line }))),
      );
    } else {
      // Both tools read the same objects, which Strata refuses for what they hold: refused.length > 0.
      expect(refused.length).toBeGreaterThan(0);
    }
  });
});

// kubectl reads every file and stdin through golang.org/x/text's BOMOverride(UTF8 decoder) before
// splitting documents (k8s.io/cli-runtime pkg/resource/visitor.go). The decoder does that with the
// same module; here the same decoding is done apart from it, by the WHATWG decoders of the runtime:
// a byte order mark picks UTF-8, UTF-16LE or UTF-16BE and goes, and each maximal ill-formed part
// becomes U+FFFD. kubectl's reading of the file must be its reading of that text as UTF-8.
function decodedText(b: Buffer): Buffer {
  const utf16 = b[0] === 0xff && b[1] === 0xfe ? 'utf-16le' : b[0] === 0xfe && b[1] === 0xff ? 'utf-16be' : undefined;
  const bom = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
  const body = utf16 ? b.subarray(2) : bom ? b.subarray(3) : b;
  return Buffer.from(new TextDecoder(utf16 ?? 'utf-8', { ignoreBOM: true }).decode(body), 'utf8');
}

/** The corpus files whose bytes kubectl decodes to other bytes: UTF-16, byte order marks, bytes that are not UTF-8. */
const ENCODED = files.filter((f) => !decodedText(readFileSync(join(corpus, f))).equals(readFileSync(join(corpus, f))));

const objectsOf = (d: Decoded) => (d.stream ?? d.chunks.flatMap((c) => c.objects)).map((o) => key(o.object));

describe("differential: the decoder reads each document as kubectl's own reading does", () => {
  let readings: Decoded[];
  let ofText: Reading[];
  beforeAll(async () => {
    const bin = decoderPath(repo)!;
    const bytes = files.map((f) => readFileSync(join(corpus, f)));
    readings = (await runDecoder(bin, bytes)) as Decoded[];
    ofText = await kubectlReadings(bin, bytes.map(decodedText));
  }, 60_000);

  it('has files in every encoding kubectl decodes', () =>
    expect(ENCODED).toEqual(
      expect.arrayContaining([
        'utf16le-bom.yaml',
        'utf16be-bom.yaml',
        'utf16le-bom-second-invalid.yaml',
        'utf16le-lone-surrogate.yaml',
        'utf8-bom.yaml',
        'utf8-bom-two-documents.yaml',
        'utf8-double-bom.yaml',
        'invalid-utf8-byte.yaml',
      ]),
    ));

  it.each(files)('%s: kubectl reads the file as it reads its decoded text', (file) => {
    const i = files.indexOf(file);
    const k = kubectl.get(file)!;
    expect(k.objects.map((o) => key(o.object))).toStrictEqual(ofText[i]!.objects.map((o) => key(o.object)));
    expect(k.error).toBe(ofText[i]!.error);
  });

  it.each(files)('%s: the decoder reads the objects of the reference, document by document', (file) => {
    const k = kubectl.get(file)!;
    const ours = objectsOf(readings[files.indexOf(file)]!);
    const theirs = k.objects.map((o) => key(o.object));
    // The reference stops at the first error, the decoder goes on with the next document.
    if (k.error) expect(ours.slice(0, theirs.length)).toStrictEqual(theirs);
    else expect(ours).toStrictEqual(theirs);
  });

  it.each(ENCODED)('%s: the in-process fallback decodes it as the reference does', (file) => {
    const k = kubectl.get(file)!;
    expect(objectsOf(decodeInProcess(readFileSync(join(corpus, file))))).toStrictEqual(k.objects.map((o) => key(o.object)));
  });

  it.each(ENCODED)('%s: kustomize is said to read other objects exactly when the real kustomize does', (file) => {
    const reported = relative(repo, join(corpus, file));
    const said = problems.some((p) => p.file === reported && p.rule === 'yaml-encoding');
    const k = kubectl.get(file)!;
    const z = kustomize.get(file)!;
    const differ =
      !!z.error || [...k.objects.map((o) => key(o.object))].sort().join('\n') !== [...z.objects.map((o) => key(o.object))].sort().join('\n');
    expect(said, z.error ?? JSON.stringify(z.objects.map((o) => o.object.kind))).toBe(differ);
  });

  it.each(ENCODED)('%s: the lines named are those of the file', (file) => {
    const reported = relative(repo, join(corpus, file));
    const text = decodedText(readFileSync(join(corpus, file)))
      .toString('utf8')
      .split('\n');
    for (const d of parsed.docs.filter((x) => x.file === reported)) {
      const name = (d.manifest.metadata as { name?: string }).name!;
      expect(text[d.lineOf(['metadata', 'name']) - 1], `${file}: ${name}`).toContain(`name: ${name}`);
    }
  });
});
