import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isPlainObject } from '@strata/core';
import { crdsFolder } from '@strata/project';
import { crdManifestDocuments, crdManifestsDir } from '@strata/schemas';

/** A CustomResourceDefinition the repository keeps, as read from its file. */
export interface KeptCrd {
  readonly file: string;
  readonly group: string;
  readonly kind: string;
  readonly manifest: Record<string, unknown>;
}

const groupKindOf = (apiVersion: string, kind: string) => `${apiVersion.slice(0, Math.max(0, apiVersion.lastIndexOf('/')))}/${kind}`;

// Parsed files by path, kept while their size and time stay: the shipped CRDs are megabytes of YAML.
const parsed = new Map<string, { stamp: string; crds: KeptCrd[] }>();

function crdsOfFile(path: string, kinds: ReadonlySet<string>): KeptCrd[] {
  const st = statSync(path);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const known = parsed.get(path);
  if (known?.stamp === stamp) return known.crds;
  const text = readFileSync(path, 'utf8');
  // A file that does not even name a wanted kind holds none of its CRDs: parsing a big CRD's YAML
  // costs far more than reading it. Not remembered, since other kinds may be wanted next.
  if (![...kinds].some((k) => text.includes(k))) return [];
  const crds: KeptCrd[] = [];
  let values: unknown[] = [];
  try {
    // The shipped files are the same on every run: read once per machine.
    values = dirname(path) === crdManifestsDir ? crdManifestDocuments(text) : loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    // Not YAML: `strata verify` names the file; here it only has no CRD to give.
  }
  for (const value of values) {
    if (!isPlainObject(value) || value.apiVersion !== 'apiextensions.k8s.io/v1' || value.kind !== 'CustomResourceDefinition') continue;
    const spec = value.spec;
    if (!isPlainObject(spec) || typeof spec.group !== 'string' || !isPlainObject(spec.names) || typeof spec.names.kind !== 'string') continue;
    crds.push({ file: path, group: spec.group, kind: spec.names.kind, manifest: value });
  }
  parsed.set(path, { stamp, crds });
  return crds;
}

const yamlFiles = (dir: string, keep: (file: string) => boolean = () => true) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => (f.endsWith('.yaml') || f.endsWith('.yml')) && keep(f))
        .sort()
        .map((f) => join(dir, f))
    : [];

/**
 * The CRDs the repository keeps for the given custom resources' kinds (apiVersion and kind): those
 * shipped in packages/schemas/crds (one `<group>_<plural>.yaml` each, so only the groups asked for
 * are read), then the project's own in crds/ (`strata crd add`; read whole, as `strata verify` reads
 * it), which win over a shipped one of the same kind. These are the CRDs `strata verify` installs.
 */
export function keptCrds(root: string, objects: readonly { readonly apiVersion: string; readonly kind: string }[]): KeptCrd[] {
  const wanted = new Set(objects.map((o) => groupKindOf(o.apiVersion, o.kind)));
  const groups = new Set([...wanted].map((gk) => gk.slice(0, gk.lastIndexOf('/'))).filter(Boolean));
  if (groups.size === 0) return [];
  const files = [...yamlFiles(crdManifestsDir, (f) => groups.has(f.slice(0, Math.max(0, f.indexOf('_'))))), ...yamlFiles(crdsFolder(root))];
  const kinds = new Set(objects.map((o) => o.kind));
  return files.flatMap((f) => crdsOfFile(f, kinds)).filter((c) => wanted.has(`${c.group}/${c.kind}`));
}
