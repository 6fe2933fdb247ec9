import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '@strata/core';
import { Layout } from '@strata/project';
import type { ParsedInputs } from '@strata/validate';

/**
 * The folders of gitops/ that a cluster is bootstrapped from, among `paths` (the files of gitops/):
 * each env's Argo CD folder (`kubectl apply -k gitops/<env>`, built as kustomize builds it) and each
 * env's Flux folder (`kubectl apply -f gitops/flux/<env>`, or Flux itself, its files as written).
 * The top kustomization of one Argo CD for every env only gathers the env folders: their objects are
 * judged there.
 */
export function gitopsFolders(paths: Iterable<string>): string[] {
  const all = [...paths];
  return ENVIRONMENTS.flatMap((env) => [
    ...(all.includes(`${Layout.gitopsEnv(env)}/kustomization.yaml`) ? [Layout.gitopsEnv(env)] : []),
    ...(all.some((p) => p.startsWith(`${Layout.fluxEnv(env)}/`)) ? [Layout.fluxEnv(env)] : []),
  ]);
}

/** Whether a file is one of gitops/, whose problems are the folders' verdict, not an app's. */
export const inGitops = (file: string): boolean => file.startsWith(`${Layout.gitops}/`);

/**
 * Adds what `from` read (the gitops folders, walked as `strata validate` walks them) to `into` (the
 * built files of the apps), so that one kubeconform run and one run of the server's checks judge both.
 */
export function addParsed(into: ParsedInputs, from: ParsedInputs): void {
  into.docs.push(...from.docs);
  into.problems.push(...from.problems);
  for (const [file, read] of from.files) into.files.set(file, read);
  if (from.placements) for (const [id, place] of from.placements) (into.placements ??= new Map()).set(id, place);
  if (from.builtBy) for (const [id, folder] of from.builtBy) (into.builtBy ??= new Map()).set(id, folder);
  if (from.appliedAsWritten) for (const input of from.appliedAsWritten) (into.appliedAsWritten ??= new Set()).add(input);
  if (from.generated) for (const id of from.generated) (into.generated ??= new Set()).add(id);
}

/**
 * The files whose objects a person applies from each of `folders` (see gitopsFolders), in order: an
 * Argo CD folder's as its kustomization lists them (it lists files and changes nothing of them, so
 * they are the objects kustomize builds, each at its own line), a Flux folder's every YAML file.
 */
export function gitopsFiles(root: string, folders: readonly string[]): string[] {
  return folders.flatMap((folder) => {
    const kustomization = join(root, folder, 'kustomization.yaml');
    if (existsSync(kustomization)) {
      const listed = (parse(readFileSync(kustomization, 'utf8')) as { resources?: unknown } | null)?.resources;
      return (Array.isArray(listed) ? listed : []).filter((r): r is string => typeof r === 'string').map((r) => `${folder}/${r}`);
    }
    return readdirSync(join(root, folder))
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => `${folder}/${f}`);
  });
}
