import { dirname } from 'node:path';
import { removeStaleTemporaries, writeFileAtomic } from '@strata/emit/atomic';
import { UsageError } from '@strata/project';

/**
 * Writes a picture to `file`, the path given to `graph --out`, as the tree's files are written: to
 * a temporary file beside it, renamed over it, so that a write that fails (a full disk, a file-size
 * limit) or a run killed meanwhile leaves the old picture whole, never a truncated one. The folder
 * must exist; a failure is one line naming the path.
 */
export function writePicture(file: string, picture: string): void {
  // A run killed between writing and renaming left its temporary file here; nothing else removes it.
  removeStaleTemporaries(dirname(file));
  try {
    writeFileAtomic(file, picture, { makeFolder: false });
  } catch (e) {
    throw new UsageError(
      `--out ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); name a file in a folder that exists and is writable`,
    );
  }
}
