import { statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The names kustomize takes for a folder's kustomization file, in the order it looks for them
 * (`konfig.RecognizedKustomizationFileNames`); `kubectl apply -k` and Argo CD, which run kustomize,
 * take the same three. A folder that holds more than one is refused: "Found multiple kustomization files".
 */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** Whether a file name (no folder) is one kustomize reads as a folder's kustomization. */
export const isKustomizationFile = (name: string): boolean => (KUSTOMIZATION_FILES as readonly string[]).includes(name);

/** The kustomization files of a folder, as paths, in kustomize's order: one for a folder it builds, none or several for one it refuses. */
export function kustomizationFilesIn(dir: string): string[] {
  return KUSTOMIZATION_FILES.map((name) => join(dir, name)).filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile() === true);
}
