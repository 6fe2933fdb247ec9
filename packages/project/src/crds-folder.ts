import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from './errors.ts';
import { Layout } from './layout.ts';
import { outsideRoot } from './repository-files.ts';

/**
 * The repository's own CRDs folder (crds/: the CRDs `strata crd add` wrote and their strict schemas),
 * for a reader of it: validate, the pipeline, verify, the gitops and crd commands. Refused, in one
 * line, when the folder, or a file or folder in it, is a symbolic link leading outside the repository
 * or to nothing: a clone lacks its target, so it would judge and install other CRDs than this
 * machine, and `strata crd add` would write through the link.
 */
export function crdsFolder(root: string): string {
  refuseLinkedCrds(root);
  return join(root, Layout.crds);
}

/** Throws the refusal of {@link crdsFolder}, if any; otherwise does nothing. */
export function refuseLinkedCrds(root: string): void {
  const dir = join(root, Layout.crds);
  // Most repositories have no crds/: asked for with every app, its absence costs no thrown error.
  let top: ReturnType<typeof lstatSync> | undefined;
  try {
    top = lstatSync(dir, { throwIfNoEntry: false });
  } catch {
    return;
  }
  if (!top) return;
  let realRoot: string | undefined;
  const refuse = (path: string) => {
    const name = relative(root, path).split(sep).join('/') + (path === dir ? '/' : '');
    const target = resolve(dirname(path), readlinkSync(path));
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      throw new UsageError(
        `${name}: a symbolic link to ${target}, which does not exist (a dangling link); put the CRDs in the repository in place of the link, or remove it`,
      );
    }
    realRoot ??= realpathSync(root);
    if (outsideRoot(realRoot, real))
      throw new UsageError(
        `${name}: a symbolic link to ${real}, outside the repository: a clone of the repository lacks it, and validate, verify and strata crd read the repository's CRDs from it; copy it into the repository in place of the link`,
      );
  };
  let start = dir;
  if (top.isSymbolicLink()) {
    refuse(dir);
    start = realpathSync(dir); // inside the repository: its files are judged there
    if (!lstatSync(start).isDirectory()) return;
  } else if (!top.isDirectory()) return;
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) refuse(path);
      else if (entry.isDirectory()) walk(path);
    }
  };
  walk(start);
}
