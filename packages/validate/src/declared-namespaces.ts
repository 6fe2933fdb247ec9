import { argoCdDestination } from '@strata/core/argocd';
import { declaredNamespaces, distOf, Layout, objectName, type Problem } from '@strata/project';
import { builtByFile, PLATFORM_NAMESPACE_RULE } from './namespaces.ts';
import type { SourceDoc } from './types.ts';

/**
 * The apps of the built output (`dist/<env>/<app>.yaml`) that own a namespace `kubernetes.namespaces`
 * of strata.config.json lists, which the platform makes and no app creates: an app whose own
 * namespace (the one most of its objects name, its Argo CD Application's destination, which the
 * generated gitops/ creates for it) is one of them, at its first object there, and a Namespace of that
 * name the app ships, at its name. new-app refuses such a name; an app's config reaches the same
 * state later, and its default-deny NetworkPolicy and the AppProject would then reach every pod the
 * platform runs there (a monitoring stack that the other apps let scrape them).
 */
export function declaredNamespaceProblems(root: string, docs: readonly SourceDoc[]): Problem[] {
  const declared = new Set(declaredNamespaces(root));
  if (declared.size === 0) return [];
  const { byFile, namespaced } = builtByFile(root, docs);
  if (byFile.size === 0) return [];
  const key = `kubernetes.namespaces of ${Layout.configFile}`;
  const problems: Problem[] = [];
  for (const [file, group] of byFile) {
    const app = distOf(file)!.app;
    const own = argoCdDestination(
      app,
      group.map((d) => d.manifest),
      namespaced,
    );
    const isNamespace = (d: SourceDoc) => d.manifest.apiVersion === 'v1' && d.manifest.kind === 'Namespace';
    for (const d of group) {
      const m = d.manifest;
      const name = objectName(m.metadata);
      let ns: string | undefined;
      let field: 'name' | 'namespace';
      if (isNamespace(d)) {
        if (typeof m.metadata?.name !== 'string' || !declared.has(m.metadata.name)) continue;
        ns = m.metadata.name;
        field = 'name';
      } else {
        // The app's own namespace, once: at its first object there.
        if (own !== m.metadata?.namespace || !declared.has(own) || !namespaced(m)) continue;
        if (group.some((o) => isNamespace(o) && o.manifest.metadata?.name === own)) continue;
        if (problems.some((p) => p.file === file && p.namespace === own && p.kind !== 'Namespace')) continue;
        ns = own;
        field = 'namespace';
      }
      const why =
        field === 'name'
          ? `a Namespace the app would create, which ${key} says the platform makes: an app does not own a platform namespace (removing the app would prune it, with everything the platform runs there); take the Namespace out of the app, or "${ns}" out of kubernetes.namespaces if the app makes it`
          : `the app's own namespace (its Argo CD Application's destination, which gitops/ creates for it), which ${key} says the platform makes: an app does not own a platform namespace (its default-deny NetworkPolicy and the AppProject would reach every pod the platform runs there); give the app a namespace of its own, or take "${ns}" out of kubernetes.namespaces if the app makes it`;
      problems.push({
        file,
        line: d.lineOf(['metadata', field]),
        resource: d.id,
        apiVersion: m.apiVersion,
        kind: m.kind,
        ...(field === 'namespace' ? { namespace: ns } : {}),
        ...(name !== undefined ? { name } : {}),
        path: `metadata.${field}`,
        message: `would be in the namespace "${ns}", ${why}`,
        rule: PLATFORM_NAMESPACE_RULE,
        severity: 'error',
      });
    }
  }
  return problems;
}
