import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decoderPath, runDecoder, validate, type ValidateOptions, type ValidateResult } from '../src/index.ts';

/**
 * How the real tools read a text, for the differential tests of the reader: kubectl's side is its
 * own decoder (k8s.io/apimachinery's stream decoder and unstructured scheme, the decoder's
 * -reference mode), kustomize's side the pinned kustomize building a folder that holds the text as
 * its one resource, its output read the same way.
 */

/** The objects a tool reads from a text, in order, or why it refuses it. */
export interface Reading {
  readonly objects: { readonly object: Record<string, unknown> }[];
  readonly error?: string;
}

/** A value with the keys of every mapping in it sorted, so that two readings compare as text. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  return v;
}

/** An object as comparable text: its keys sorted, and an absent metadata as the empty one the tools give it. */
export const objectKey = (o: Record<string, unknown>): string => JSON.stringify(sortKeys({ ...o, metadata: o.metadata ?? {} }));

/** kubectl's reading of each text, by its own decoder. */
export async function kubectlReadings(decoder: string, texts: readonly Buffer[]): Promise<Reading[]> {
  return (await runDecoder(decoder, texts, ['-reference'])) as Reading[];
}

/**
 * kustomize's reading of each file: what `kustomize build` makes of a folder (in `scratch`) holding
 * the file, under its name, as its one resource, read by kubectl's decoder; or kustomize's error.
 * kustomize expands an alias bomb without limit: 1 GB of memory is its answer to it.
 */
export async function kustomizeReadings(
  kustomize: string,
  decoder: string,
  files: readonly { readonly name: string; readonly text: Buffer }[],
  scratch: string,
): Promise<Reading[]> {
  const built = files.map(({ name, text }) => {
    const dir = mkdtempSync(join(scratch, 'k-'));
    writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'kustomization.yaml'), `resources:\n  - ${name}\n`);
    const r = spawnSync('bash', ['-c', 'ulimit -v 1048576; exec "$0" build "$1"', kustomize, dir], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    });
    const built: { out?: Buffer; error?: string } =
      r.status === 0 ? { out: r.stdout } : { error: r.stderr.toString('utf8').trim() || `exit ${r.status ?? r.signal}` };
    return built;
  });
  const read = await kubectlReadings(
    decoder,
    built.flatMap((b) => (b.out ? [b.out] : [])),
  );
  let next = 0;
  return built.map((b) => (b.out ? read[next++]! : { objects: [], error: b.error ?? '' }));
}

/** Each case's three readings: kubectl's, kustomize's, and Strata's validate of it as a file of its own. */
export interface CaseReadings {
  /** The scratch folder that holds the files; the caller removes it. */
  readonly dir: string;
  readonly kubectl: Map<string, Reading>;
  readonly kustomize: Map<string, Reading>;
  readonly results: Map<string, ValidateResult>;
}

/**
 * Reads each case (`name` to its text) the three ways, as `<name>.<ext>` in a scratch folder under
 * the system's temporary folder, validated in the repository at `repo` with `options`.
 */
export async function readCases(
  repo: string,
  cases: ReadonlyMap<string, string>,
  ext: 'yaml' | 'json',
  options: ValidateOptions,
): Promise<CaseReadings> {
  const decoder = decoderPath(repo);
  if (!decoder) throw new Error('strata-decode is not built: run npm run setup');
  const dir = mkdtempSync(join(tmpdir(), `strata-readings-${ext}-`));
  const names = [...cases.keys()];
  const files = names.map((n) => ({ name: `${n}.${ext}`, text: Buffer.from(cases.get(n)!) }));
  const kubectl = new Map<string, Reading>();
  const kustomize = new Map<string, Reading>();
  const results = new Map<string, ValidateResult>();
  try {
    (
      await kubectlReadings(
        decoder,
        files.map((f) => f.text),
      )
    ).forEach((r, i) => kubectl.set(names[i]!, r));
    (await kustomizeReadings(join(repo, '.tools', 'bin', 'kustomize'), decoder, files, dir)).forEach((r, i) => kustomize.set(names[i]!, r));
    for (const f of files) {
      const file = join(dir, f.name);
      writeFileSync(file, f.text);
      results.set(f.name.slice(0, -ext.length - 1), await validate(repo, [file], options));
    }
  } catch (e) {
    // The caller never learns of the folder: it is removed here.
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, kubectl, kustomize, results };
}
