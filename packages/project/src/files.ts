import { readdirSync, statSync } from 'node:fs';
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

/**
 * Whether `path` is a folder (or a link to one): not when it is missing, or is a file, or a folder
 * above it is a file (where reading it fails with ENOTDIR).
 */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * What a folder the repository's layout holds (a generated folder, an env's overlays/<env>) is when
 * it is a file, and what to do, in one line; `folder` as the repository names it.
 */
export const notAFolder = (folder: string, then = 'generate again') =>
  `${folder}: is a file, where generate writes a folder of generated files; it must be a folder: remove it, then ${then}`;
