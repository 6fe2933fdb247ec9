import { basename, isAbsolute, relative, resolve } from 'node:path';
import { isKustomizationFile } from '@strata/kustomize/files';
import { buildWalkedKustomizations, namedKustomizationReads } from './kustomize-walk.ts';
import { decodeParsed, newFile } from './read.ts';
import { readSources, type ReadOptions, type Source } from './sources.ts';
import type { ParsedInputs } from './types.ts';

export interface ParseOptions extends ReadOptions {
  /**
   * Build a kustomization file named on its own as its folder is built; else it is read as the
   * document it is, as `kubectl apply -f` reads it. @default true
   */
  readonly buildNamedKustomizations?: boolean;
}

/**
 * Reads YAML files, folders and `-` (stdin), each once, and decodes them as kubectl does: syntax
 * errors, documents that are not objects or lack apiVersion or kind, and duplicate keys become
 * problems; lists become their items. The kustomizations a folder walk meets are built, their
 * objects read as built (`buildWalkedKustomizations`); the rest (a named file, stdin, the files of a
 * walked folder that no kustomization lists) is applied as written (`ParsedInputs.appliedAsWritten`).
 * A kustomization file named on its own (`k/kustomization.yaml`, `k/Kustomization`) is built as its
 * folder is, what `kubectl apply -k k` creates; the same text on stdin is no kustomization file, and
 * is refused as an object.
 */
export async function parseInputs(root: string, inputs: readonly string[], options: ParseOptions = {}): Promise<ParsedInputs> {
  const parsed: ParsedInputs = { docs: [], problems: [], files: new Map(), notes: [] };
  const walked = new Set<string>();
  const { buildNamedKustomizations = true, ...read } = options;
  const named: Source[] = [];
  for (const s of await readSources(root, inputs, read)) {
    parsed.files.set(s.file, newFile(s.input, s.bytes, s.shown));
    // A file, stdin or a folder is applied as its files are written (`kubectl apply -f`),
    // kustomizations or not: an object without a namespace lands in the default one, never in any
    // namespace. Built output (dist/) is told apart where the policy runs.
    (parsed.appliedAsWritten ??= new Set()).add(s.input);
    if (s.walked) walked.add(s.file);
    else if (buildNamedKustomizations && s.file !== '<stdin>' && isKustomizationFile(basename(s.file))) named.push(s);
  }
  // A kustomization file named on its own, with the files of its folder that it reads, as a walk of
  // the folder reads them, each named as the kustomization file was (from the folder the person is in).
  const cwd = options.cwd ?? root;
  for (const s of named) {
    walked.add(s.file);
    const reads = namedKustomizationReads(resolve(cwd, s.input)).map((file) => (isAbsolute(s.input) ? file : relative(cwd, file)));
    for (const r of await readSources(root, reads, { ...read, skipped: [] })) {
      if (!parsed.files.has(r.file)) parsed.files.set(r.file, newFile(r.input, r.bytes, r.shown));
      walked.add(r.file);
    }
  }
  await decodeParsed(parsed, root);
  if (walked.size > 0) await buildWalkedKustomizations(parsed, root, walked);
  return parsed;
}
