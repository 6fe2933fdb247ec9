import { CORE_SCHEMA, load } from 'js-yaml';
import { groupOf, type Manifest } from '@strata/core';

interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

const matches = (m: Manifest, t: Selector) =>
  (t.kind === undefined || m.kind === t.kind) &&
  (t.group === undefined || groupOf(m.apiVersion) === t.group) &&
  (t.version === undefined || m.apiVersion.endsWith(`/${t.version}`) || m.apiVersion === t.version) &&
  (t.name === undefined || new RegExp(`^(?:${t.name})$`).test(m.metadata.name)) &&
  (t.namespace === undefined || new RegExp(`^(?:${t.namespace})$`).test(m.metadata.namespace ?? ''));

/**
 * Patches with a `target` selector that match nothing in the built output. Kustomize applies such a
 * patch to nothing and exits 0, so a renamed object silently loses its patch. `kustomization` is the
 * text of the overlay's kustomization.yaml.
 */
export function unmatchedPatchTargets(overlay: string, kustomization: string, built: readonly Manifest[]): string[] {
  // Most overlays patch by file alone: without the word, and without an escape that could spell it
  // in a quoted key, the text has no target to read it for.
  if (!kustomization.includes('target') && !kustomization.includes('\\')) return [];
  // js-yaml: several times faster than the yaml library on a file this run just generated.
  const k = load(kustomization, { schema: CORE_SCHEMA }) as {
    patches?: { target?: Selector & { labelSelector?: string; annotationSelector?: string }; path?: string }[];
  } | null;
  const out: string[] = [];
  (k?.patches ?? []).forEach((p, i) => {
    const t = p.target;
    // Label and annotation selectors are left to kustomize: the built objects no longer show what they saw.
    if (!t || t.labelSelector || t.annotationSelector) return;
    if (!built.some((m) => matches(m, t))) {
      out.push(
        `${overlay}/kustomization.yaml: patches[${i}]${p.path ? ` (${p.path})` : ''}: target ${JSON.stringify(t)} matches no object of the build; fix the target or remove the patch`,
      );
    }
  });
  return out;
}
