import { argoCdDestination, argoCdSkips } from '@strata/core/argocd';
import type { Manifest } from '@strata/core';
import { distOf, siblingFiles } from '@strata/project';
import { namespacedIn } from './namespaces.ts';
import { siblingObjects } from './siblings.ts';
import type { SourceDoc } from './types.ts';

/**
 * The namespace an object of `file` written without one is applied into, as the namespace checks
 * place it: built output (`dist/<env>/<app>.yaml`) where Argo CD alone applies the tree, its
 * Application's destination (`argoCdDestination` of the file's objects, as `namespaceClaims` and the
 * generated gitops/ take it); a file applied as written (`kubectl apply -f`), the default namespace,
 * as the policy's `applyNamespace` takes it. Otherwise unknown: Flux applies built output with no
 * target namespace, and a Kustomize input gets its namespace from the kustomization that builds it.
 */
export function placement(root: string, file: string, manifests: readonly Manifest[], argoCdOnly: boolean, asWritten: boolean): string | undefined {
  const built = distOf(file);
  if (built) return argoCdOnly ? argoCdDestination(built.app, manifests, namespacedIn(root, manifests)) : undefined;
  return asWritten ? 'default' : undefined;
}

/** An object of a kind that acts across a cluster's apps, found in `file`; `place` is `placement` of that file, worked out when first asked. */
export interface ClusterObject {
  readonly file: string;
  readonly manifest: Manifest;
  readonly place: () => string | undefined;
}

/**
 * The objects of one kind (`kind`, the apiVersion `apiVersion`) each cluster holds, but for what Argo
 * CD never applies: those of the documents given and, unless the caller holds them (`siblings:
 * false`), those of the other built files of their envs as they are in dist/ (a run given one app's
 * output judges it beside every app of its env). A file's placement is worked out only for a file
 * with such an object, and once; `appliedAsWritten` names the inputs applied as written.
 */
export function clusterObjects(
  root: string,
  docs: readonly SourceDoc[],
  kind: { readonly apiVersion: string; readonly kind: string },
  argoCdOnly: boolean,
  siblings: boolean,
  appliedAsWritten?: ReadonlySet<string>,
): ClusterObject[] {
  const applied = (m: Manifest) => !(argoCdOnly && argoCdSkips(m));
  const wanted = (m: Manifest) => m.kind === kind.kind && m.apiVersion === kind.apiVersion;
  const out: ClusterObject[] = [];
  const add = (file: string, manifests: readonly Manifest[], asWritten: boolean) => {
    let placed: [string | undefined] | undefined;
    const place = () => (placed ??= [placement(root, file, manifests, argoCdOnly, asWritten)])[0];
    for (const manifest of manifests) if (wanted(manifest)) out.push({ file, manifest, place });
  };
  const byFile = new Map<string, SourceDoc[]>();
  for (const d of docs) if (applied(d.manifest)) (byFile.get(d.file) ?? byFile.set(d.file, []).get(d.file)!).push(d);
  for (const [file, group] of byFile) {
    if (!group.some((d) => wanted(d.manifest))) continue;
    add(
      file,
      group.map((d) => d.manifest),
      appliedAsWritten?.has(group[0]!.input) ?? false,
    );
  }
  if (!siblings) return out;
  // Most built files hold no such object: they are not parsed.
  const written = new RegExp(`^kind: ${kind.kind}\\s*$`, 'm');
  for (const { file, text } of siblingFiles(
    root,
    docs.map((d) => d.file),
  )) {
    if (written.test(text)) add(file, (siblingObjects(text) ?? []).filter(applied), false);
  }
  return out;
}
