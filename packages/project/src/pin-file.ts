import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonKeys } from './json-keys.ts';
import { Layout } from './layout.ts';

/**
 * Refuses an `images.json` with a key written twice, which JSON keeps only the last of: two
 * branches that each add or bump a pin merge textually into a duplicate, and a release bot's bump
 * of the first would change nothing. Only apps that read their pins (`pins` in the definition) are
 * looked at; a file that is not JSON is left to the reader that parses it, which names that.
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
    const { duplicate } = jsonKeys(text);
    if (duplicate) {
      const { path, line, column, first } = duplicate;
      throw new Error(
        `${Layout.pins(app.name)}:${line}:${column}: ${path}: written twice (first at line ${first}); JSON keeps only the last, so keep one`,
      );
    }
  }
}
