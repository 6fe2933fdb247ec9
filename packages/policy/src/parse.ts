import type { Manifest } from '@strata/core';
import { LineCounter, parseAllDocuments } from 'yaml';
import { list, rec } from './read.ts';
import type { PolicyObject } from './types.ts';

function asManifest(value: unknown, where: string): Manifest {
  const m = rec(value);
  if (!m || typeof m.apiVersion !== 'string' || typeof m.kind !== 'string' || typeof rec(m.metadata)?.name !== 'string') {
    throw new Error(`${where}: not a Kubernetes object: every document needs apiVersion, kind and metadata.name.`);
  }
  return m as Manifest;
}

/**
 * Reads a multi-document YAML stream (such as `kustomize build` output) into policy objects, each with
 * the line its document starts on. Empty documents are skipped; `kind: List` is flattened.
 */
export function parseObjects(text: string, file: string): PolicyObject[] {
  const lineCounter = new LineCounter();
  const out: PolicyObject[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter })) {
    const start = doc.contents?.range[0] ?? doc.range[0];
    const line = lineCounter.linePos(start).line;
    const where = `${file}:${line}`;
    const [error] = doc.errors;
    if (error) throw new Error(`${file}:${lineCounter.linePos(error.pos[0]).line}: ${error.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const manifest = asManifest(value, where);
    const items = manifest.kind === 'List' ? list(manifest.items).map((item) => asManifest(item, where)) : [manifest];
    for (const item of items) out.push({ manifest: item, file, line });
  }
  return out;
}
