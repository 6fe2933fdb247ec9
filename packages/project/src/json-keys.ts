import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/** Where a key is written: 1-based line and column. */
export interface KeyPlace {
  readonly line: number;
  readonly column: number;
}

/** A key written twice in one object, which JSON.parse keeps only the last of. */
export interface DuplicateKey extends KeyPlace {
  /** The key's path, dotted: `staging.relay`, `policy.severity.require-probes.dev`. */
  readonly path: string;
  /** The line of its first writing; `line` and `column` are those of the second. */
  readonly first: number;
}

/** The keys of a JSON text where they are written, read up to the first one written twice. */
export interface JsonKeys {
  /** The place of each key, by its dotted path (a list's items by index: `a.0.b`). */
  readonly places: ReadonlyMap<string, KeyPlace>;
  /** The first key written twice in one object, in the order of the text. */
  readonly duplicate?: DuplicateKey;
}

/**
 * The places of a JSON text's keys and its first key written twice, which JSON.parse drops silently.
 * Read as YAML (a superset of JSON), which keeps every key with its place.
 */
export function jsonKeys(text: string): JsonKeys {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const places = new Map<string, KeyPlace>();
  const walk = (node: unknown, path: readonly string[]): DuplicateKey | undefined => {
    if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const found = walk(item, [...path, String(i)]);
        if (found) return found;
      }
    }
    if (!isMap(node)) return undefined;
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const here = [...path, key];
      const dotted = here.join('.');
      const p = lines.linePos((pair.key as Node | null)?.range?.[0] ?? 0);
      const at = { line: p.line, column: p.col };
      const first = seen.get(key);
      if (first !== undefined) return { path: dotted, ...at, first };
      seen.set(key, at.line);
      if (!places.has(dotted)) places.set(dotted, at);
      const found = walk(pair.value, here);
      if (found) return found;
    }
    return undefined;
  };
  const duplicate = walk(doc.contents, []);
  return duplicate ? { places, duplicate } : { places };
}
