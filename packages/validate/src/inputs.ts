import { buildWalkedKustomizations } from './kustomize-walk.ts';
import { decodeParsed, newFile } from './read.ts';
import { readSources, type ReadOptions } from './sources.ts';
import type { ParsedInputs } from './types.ts';

/**
 * Reads YAML files, folders and `-` (stdin), each once, and decodes them as kubectl does: syntax
 * errors, documents that are not objects or lack apiVersion or kind, and duplicate keys become
 * problems; lists become their items. The kustomizations a folder walk meets are built, their
 * objects read as built (`buildWalkedKustomizations`); the rest of a walked folder is applied as
 * written (`ParsedInputs.appliedAsWritten`).
 */
export async function parseInputs(root: string, inputs: readonly string[], options: ReadOptions = {}): Promise<ParsedInputs> {
  const parsed: ParsedInputs = { docs: [], problems: [], files: new Map(), notes: [] };
  const walked = new Set<string>();
  for (const s of await readSources(root, inputs, options)) {
    parsed.files.set(s.file, newFile(s.input, s.bytes, s.shown));
    if (!s.walked) continue;
    walked.add(s.file);
    // A folder is applied as its files are written (`kubectl apply -f`), kustomizations or not: an
    // object without a namespace lands in the default one, never in any namespace.
    (parsed.appliedAsWritten ??= new Set()).add(s.input);
  }
  await decodeParsed(parsed, root);
  if (walked.size > 0) await buildWalkedKustomizations(parsed, root, walked);
  return parsed;
}
