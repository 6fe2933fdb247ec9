import { readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import type { Environment } from '@strata/core';
import { isGenerated } from '@strata/emit';
import { kustomizationFilesIn } from '@strata/kustomize';
import { filesIn, isFolder, Layout } from '@strata/project';

/**
 * The files Argo CD merges into an Application's source when its path holds them ("parameter
 * overrides stored in Git"): `.argocd-source.yaml`, and `.argocd-source-<application>.yaml`, which
 * Argo CD Image Updater writes unless its write-back target is the kustomization.
 */
const ARGOCD_SOURCE = /^\.argocd-source(?:-.+)?\.yaml$/;

export function isArgoCdSource(path: string): boolean {
  return ARGOCD_SOURCE.test(basename(path));
}

export interface HandWrittenScope {
  /** The apps whose generated folders (base/<app>/, overlays/<env>/<app>/) are looked at. */
  readonly apps: readonly string[];
  readonly envs: readonly Environment[];
  /**
   * Files the caller knows to be generated (planned, or a reused app's outputs, unchanged since):
   * not read again.
   */
  readonly known: (path: string) => boolean;
  /**
   * Look at the whole of base/, overlays/ and gitops/ for Argo CD's source files (the env roots and
   * gitops/ too), but for these folders (of no app: `strayFolders` reports them whole). Without it,
   * only the apps' folders are looked at.
   */
  readonly everywhere?: { readonly skip: readonly string[] };
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * The files in the generated folders that no build or check sees, one line each saying how to fix
 * it: every `.argocd-source*.yaml` (Argo CD applies its images and patches on top of what was built
 * and checked here), and in an app's folders every other file without the generated header
 * (kustomize reads only what a kustomization lists, and generate never writes or deletes such a
 * file), and a second kustomization file beside the generated one of an env root or a gitops/
 * folder (kustomize refuses the folder). A listing of the folders, nothing built; only files the
 * caller does not know are read.
 * Symbolic links count as files: git checks them out, and Argo CD reads through them.
 */
export function handWrittenFiles(root: string, scope: HandWrittenScope): string[] {
  const apps = new Set(scope.apps);
  const envs = new Set<string>(scope.envs);
  // The app whose generated folder holds a file, if it is one of the scope's.
  const ownerOf = (file: string): string | undefined => {
    const parts = file.split('/');
    const app = parts[0] === Layout.base ? parts[1] : parts[0] === Layout.overlays && envs.has(parts[1]!) ? parts[2] : undefined;
    return app !== undefined && apps.has(app) && parts.length > (parts[0] === Layout.base ? 2 : 3) ? app : undefined;
  };
  const skip = (scope.everywhere?.skip ?? []).map((d) => `${d}/`);
  const dirs = scope.everywhere
    ? [Layout.base, Layout.overlays, Layout.gitops]
    : scope.apps.flatMap((app) => [Layout.baseOf(app), ...scope.envs.map((e) => Layout.overlay(e, app))]);
  const lines: string[] = [];
  for (const dir of dirs) {
    // A file in the folder's place holds no files: the drift says what it is.
    if (!isFolder(join(root, dir))) continue;
    for (const abs of filesIn(join(root, dir), { links: true })) {
      const file = relative(root, abs).split(sep).join('/');
      if (skip.some((d) => file.startsWith(d))) continue;
      const app = ownerOf(file);
      if (isArgoCdSource(file)) lines.push(argoLine(file, app));
      else if (app !== undefined && !scope.known(file) && !isGenerated(read(abs) ?? ''))
        lines.push(
          `${file}: a file without the generated header in a folder strata generates for ${app}: nothing builds or checks it, and generate never writes or deletes it; change ${Layout.app(app)} instead, and move the file out or delete it`,
        );
    }
  }
  lines.push(...secondKustomizations(root, scope));
  return lines.sort();
}

/**
 * The kustomization files without the generated header beside a generated one, in the folders strata
 * generates a kustomization into outside the apps' own (the env roots, gitops/<env>/ and gitops/):
 * kustomize, and so `kubectl apply -k` and Argo CD, refuse a folder that holds two ("Found multiple
 * kustomization files"), while the checks read the generated one alone.
 */
function secondKustomizations(root: string, scope: HandWrittenScope): string[] {
  const dirs = [...scope.envs.flatMap((e) => [Layout.overlays + '/' + e, Layout.gitopsEnv(e)]), Layout.gitops];
  return dirs.flatMap((dir) => {
    if (!isFolder(join(root, dir))) return [];
    const files = kustomizationFilesIn(join(root, dir)).map((abs) => `${dir}/${basename(abs)}`);
    const generated = files.filter((f) => scope.known(f) || isGenerated(read(join(root, f)) ?? ''));
    if (generated.length === 0) return [];
    return files
      .filter((f) => !generated.includes(f))
      .map(
        (f) =>
          `${f}: a second kustomization file beside the generated ${generated[0]}: kustomize build and kubectl apply -k ${dir} refuse the folder ("Found multiple kustomization files"), while strata reads the generated one alone; move the file out or delete it`,
      );
  });
}

function argoLine(file: string, app: string | undefined): string {
  const pins = app ? Layout.pins(app) : Layout.pins('<app>');
  return (
    `${file}: Argo CD merges this file into the source of an Application whose path holds it, so its images and patches would ship ` +
    `unbuilt and unchecked; delete it, and carry an image into ${pins} with \`npx strata set image\` ` +
    '(Argo CD Image Updater writes this file unless its write-back-target is kustomization)'
  );
}
