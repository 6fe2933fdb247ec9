import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { Layout } from './layout.ts';

/**
 * Refuses an `images.json` with a key written twice, which JSON keeps only the last of: two
 * branches that each add or bump a pin merge textually into a duplicate, and a release bot's bump
 * of the first would change nothing. Read as YAML (a superset of JSON) for the keys' places. Only
 * apps that read their pins (`pins` in the definition) are looked at; a file that is not JSON is
 * left to the reader that parses it, which names that.
 */
export function checkPinFiles(root: string, apps: readonly { readonly name: string; readonly pins?: unknown }[]): void {
  for (const app of apps) {
    if (app.pins === undefined) continue;
    let text: string;
    try {
      text = readFileSync(join(root, Layout.pins(app.name)), 'utf8');
    } catch {
      continue; // no file: nothing written twice
    }
    const duplicate = duplicateKey(text);
    if (duplicate) {
      const { path, line, column, first } = duplicate;
      throw new Error(
        `${Layout.pins(app.name)}:${line}:${column}: ${path}: written twice (first at line ${first}); JSON keeps only the last, so keep one`,
      );
    }
  }
}

/** The first key written twice in one object of a JSON text, with the places of both. */
function duplicateKey(text: string): { path: string; line: number; column: number; first: number } | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const walk = (node: unknown, path: readonly string[]): ReturnType<typeof duplicateKey> => {
    if (!isMap(node)) return undefined;
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const offset = (pair.key as Node | null)?.range?.[0] ?? 0;
      const at = lines.linePos(offset);
      const first = seen.get(key);
      if (first !== undefined) return { path: [...path, key].join('.'), line: at.line, column: at.col, first };
      seen.set(key, at.line);
      const inner = walk(pair.value, [...path, key]);
      if (inner) return inner;
    }
    return undefined;
  };
  return walk(doc.contents, []);
}
