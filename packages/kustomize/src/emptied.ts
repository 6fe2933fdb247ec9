import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { distOf, Layout } from '@strata/project';
import { buildOverlays, checkoutBuildOptions, parseBuild } from './index.ts';

/** What to say of a built file that holds no object: where it came from, and how to build it again. */
export interface EmptiedFile {
  /** The built file, `dist/<env>/<app>.yaml`, relative to the root. */
  readonly file: string;
  readonly message: string;
}

const AGAIN = 'build it again with `npx strata build` (or `npx strata pipeline`)';

/**
 * Of built files (`dist/<env>/<app>.yaml`, relative to `root`) that hold no Kubernetes object, those
 * that should hold some: emptied or left over by a build that did not finish. An app may render
 * nothing for one env (generate then writes an overlay that deletes every object of its base, which
 * builds into nothing), so only a build of the file's overlay tells the two apart; as only files
 * without objects are built, a sound dist/ costs nothing. A file whose overlay is gone or does not
 * build is emptied too: its app's built output cannot be nothing.
 */
export async function emptiedBuiltFiles(root: string, files: readonly string[]): Promise<EmptiedFile[]> {
  const built = files.flatMap((file) => {
    const m = distOf(file);
    return m ? [{ file, overlay: Layout.overlay(m.env, m.app) }] : [];
  });
  const present = built.filter((b) => existsSync(join(root, b.overlay, 'kustomization.yaml')));
  if (present.length === 0)
    return built.map(({ file, overlay }) => ({ file, message: `holds no Kubernetes objects and there is no ${overlay} to build it from; ${AGAIN}` }));
  // This checkout's pinned kustomize and builder, whichever tree holds the files.
  const results = await buildOverlays(
    root,
    present.map((b) => b.overlay),
    checkoutBuildOptions(),
  );
  const found = new Map(present.map((b, i) => [b.file, results[i]!]));
  return built.flatMap(({ file, overlay }): EmptiedFile[] => {
    const r = found.get(file);
    if (!r) return [{ file, message: `holds no Kubernetes objects and there is no ${overlay} to build it from; ${AGAIN}` }];
    if (!r.ok)
      return [
        { file, message: `holds no Kubernetes objects, and ${overlay} does not build (${(r.error ?? '').split('\n')[0]}); fix it, then ${AGAIN}` },
      ];
    const objects = parseBuild(r.yaml, overlay).length;
    return objects === 0 ? [] : [{ file, message: `holds no Kubernetes objects, but ${overlay} builds into ${objects}; ${AGAIN}` }];
  });
}
