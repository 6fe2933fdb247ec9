import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface FilesInOptions {
  /** Folder names never entered, wherever they are (e.g. `node_modules`). */
  readonly skip?: Iterable<string>;
  /** Also list symbolic links (not followed), e.g. to remove them with the files. */
  readonly links?: boolean;
}

/**
 * Every file under `dir`, as absolute paths in sorted order, without following symbolic links.
 * Node 20's `readdirSync(dir, { recursive: true })` follows links to folders: in a pnpm workspace it
 * walks each package's `node_modules` once per route to it, which grows with every dependency added
 * (gigabytes for a workspace copy), and a link to a parent folder loops until ELOOP.
 */
export function filesIn(dir: string, options: FilesInOptions = {}): string[] {
  const skip = new Set(options.skip ?? []);
  const files: string[] = [];
  const pending = [dir];
  for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!skip.has(entry.name)) pending.push(path);
      } else if (entry.isFile() || (options.links && entry.isSymbolicLink())) {
        files.push(path);
      }
    }
  }
  return files.sort();
}
