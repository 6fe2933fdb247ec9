import { argoCdDestination } from '@strata/core/argocd';
import type { Manifest } from '@strata/core';
import { distOf } from '@strata/project';
import { namespacedIn } from './namespaces.ts';

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
