import { type Document, isAlias, isMap, isScalar, isSeq, type Node, visit } from 'yaml';

/**
 * The fields kustomize v5.8.1 decodes a kustomization and a builtin plugin configuration into, and
 * the ways of writing them that it reads otherwise than they look. kustomize decodes both with
 * sigs.k8s.io/yaml: go-yaml v2 resolves `<<` merge keys (keeping the last of two equal keys), then
 * encoding/json matches each key to a field by its exact name or else in any case (so `Resources`,
 * `RESOURCES` and `reſources` are `resources`), two keys of one field overwriting each other by its
 * own rules. A reader that takes keys as written sees other fields than kustomize does.
 */

/** A Go struct by its JSON field names: each field's shape, or `true` for a value with no fields kustomize loads a path by. */
interface Struct {
  readonly fields: Readonly<Record<string, Shape>>;
}
/** A list of one shape; a map whose keys kustomize takes exactly (`map[string]string`); free data (Helm values), not read here. */
type Shape = true | Struct | readonly [Shape] | 'map' | 'free';

const names = (...fields: string[]): Record<string, true> => Object.fromEntries(fields.map((f) => [f, true]));

const PATCH: Struct = { fields: names('path', 'patch', 'target', 'options') };
const GENERATOR = names('namespace', 'name', 'behavior', 'literals', 'files', 'envs', 'env', 'options');
const REPLACEMENT: Struct = { fields: names('source', 'targets', 'sourceValue', 'path') };
const HELM_CHART = {
  ...names('name', 'version', 'repo', 'releaseName', 'namespace', 'additionalValuesFiles', 'valuesFile', 'valuesMerge', 'includeCRDs'),
  ...names('skipHooks', 'apiVersions', 'kubeVersion', 'nameTemplate', 'skipTests', 'debug', 'devel'),
  valuesInline: 'free',
} as const;
const HELM_ARGS: Struct = {
  fields: {
    ...names('chartName', 'chartVersion', 'chartRepoUrl', 'chartHome', 'chartRepoName', 'helmBin', 'helmHome', 'values', 'valuesMerge'),
    ...names('releaseName', 'releaseNamespace', 'extraArgs'),
    valuesLocal: 'free',
  },
};

/** `types.Kustomization` (api v0.21.1), with the fields that hold what kustomize loads by path spelled out to the strings. */
export const KUSTOMIZATION: Struct = {
  fields: {
    ...names('kind', 'apiVersion', 'metadata', 'namePrefix', 'nameSuffix', 'namespace', 'commonLabels', 'labels', 'commonAnnotations'),
    ...names('patchesStrategicMerge', 'images', 'imageTags', 'replicas', 'vars', 'sortOptions', 'resources', 'components', 'crds'),
    ...names('bases', 'helmGlobals', 'generatorOptions', 'configurations', 'generators', 'transformers', 'validators', 'buildMetadata'),
    openapi: 'map',
    patchesJson6902: [PATCH],
    patches: [PATCH],
    replacements: [REPLACEMENT],
    configMapGenerator: [{ fields: GENERATOR }],
    secretGenerator: [{ fields: { ...GENERATOR, type: true } }],
    helmCharts: [{ fields: HELM_CHART }],
    helmChartInflationGenerator: [HELM_ARGS],
  },
};

/** The builtin plugins whose configuration names a file kustomize loads, by kind: their `Config` struct, with kyaml's `apiVersion`, `kind` and `metadata`. */
export const BUILTIN_CONFIGS: Readonly<Record<string, Struct>> = Object.fromEntries(
  Object.entries<Record<string, Shape>>({
    PatchTransformer: names('path', 'patch', 'target', 'options'),
    PatchJson6902Transformer: names('target', 'path', 'jsonOp'),
    PatchStrategicMergeTransformer: names('paths', 'patches'),
    ReplacementTransformer: { replacements: [REPLACEMENT] },
    ValueAddTransformer: names('value', 'targets', 'targetFilePath'),
    ConfigMapGenerator: GENERATOR,
    SecretGenerator: { ...GENERATOR, type: true },
    HelmChartInflationGenerator: { ...names('chartHome', 'configHome'), ...HELM_CHART },
  }).map(([kind, fields]) => [kind, { fields: { ...names('apiVersion', 'kind', 'metadata'), ...fields } }]),
);

/** Any configuration: kyaml resolves a merge key before kustomize knows its kind. */
export const ANY_CONFIG: Struct = { fields: names('apiVersion', 'kind', 'metadata') };

/**
 * A key as encoding/json folds it to match a field in any case (its `foldName`): ASCII letters in
 * upper case, and the two other letters whose case fold holds an ASCII one (`ſ` is S, the Kelvin sign K).
 */
export const foldKey = (key: string): string =>
  key
    .replace(/[a-z]/g, (c) => c.toUpperCase())
    .replace(/ſ/g, 'S')
    .replace(/\u212a/g, 'K');

/** A way of writing a field that kustomize reads otherwise than it looks, at a path of the document. */
export interface Misspelling {
  readonly path: readonly (string | number)[];
  /** The key or value as written. */
  readonly written: string;
  /** Where the key or value starts in the source. */
  readonly offset: number | undefined;
  /** What kustomize does with it and how to write it instead, one sentence. */
  readonly why: string;
}

const MERGE_TAG = 'tag:yaml.org,2002:merge';
const BINARY_TAG = 'tag:yaml.org,2002:binary';

/**
 * Where `doc` writes a field of `shape` (a kustomization, a plugin configuration) that kustomize reads
 * otherwise than it looks: a `<<` merge key (plain, or tagged `!!merge`, as go-yaml takes one), a key
 * in another case than its field, a field written twice (equal keys, or keys equal in any case), a
 * `!!binary` value (decoded to the text it encodes). Only the mappings kustomize decodes into its own
 * fields are read; Helm values and other free data are not.
 */
export function misspellings(doc: Document, node: unknown, shape: Shape, at: readonly (string | number)[] = []): Misspelling[] {
  const out: Misspelling[] = [];
  const resolved = (n: unknown): unknown => (isAlias(n) ? n.resolve(doc) : n);
  const walk = (raw: unknown, s: Shape, path: readonly (string | number)[]) => {
    const n = resolved(raw);
    if (s === 'free') return;
    if (s === true) return binaries(n, path);
    if (Array.isArray(s)) {
      if (isSeq(n)) n.items.forEach((item, i) => walk(item, s[0], [...path, i]));
      else binaries(n, path);
      return;
    }
    if (!isMap(n)) return binaries(n, path);
    const fields = s === 'map' ? undefined : (s as Struct).fields;
    const seen = new Map<string, string>();
    for (const pair of n.items) {
      const key = resolved(pair.key);
      if (!isScalar(key)) continue; // go-yaml refuses a collection as a key
      const offset = key.range?.[0];
      if (key.tag === BINARY_TAG) {
        out.push({ path: [...path], written: String(key.source ?? ''), offset, why: binary });
        continue;
      }
      const written = typeof key.value === 'symbol' ? (key.source ?? '<<') : String(key.value); // `!!merge <<` is a symbol here
      if (written === '<<' && ((key.type === 'PLAIN' && !key.tag) || key.tag === MERGE_TAG)) {
        out.push({
          path: [...path, '<<'],
          written,
          offset,
          why: 'kustomize resolves this YAML merge key into the fields it merges, which are not read here as they are written; write those fields out in its place',
        });
        continue;
      }
      const field =
        fields === undefined ? written : fields[written] !== undefined ? written : Object.keys(fields).find((f) => foldKey(f) === foldKey(written));
      if (field === undefined) continue; // no field: kustomize refuses it in a kustomization, ignores it in a configuration
      if (field !== written)
        out.push({
          path: [...path, written],
          written,
          offset,
          why: `kustomize reads \`${written}\` as its field \`${field}\` (it matches field names in any case); spell it \`${field}\``,
        });
      const twice = seen.get(field);
      if (twice !== undefined)
        out.push({
          path: [...path, written],
          written,
          offset,
          why: `\`${field}\` is written twice (${twice === written ? `\`${written}\` twice` : `as \`${twice}\` and \`${written}\``}), and kustomize keeps one of them by rules not read here; write it once`,
        });
      seen.set(field, written);
      walk(pair.value, fields === undefined ? true : fields[field]!, [...path, written]);
    }
  };
  const binaries = (raw: unknown, path: readonly (string | number)[]) => {
    const n = resolved(raw);
    if (isSeq(n)) return n.items.forEach((item, i) => binaries(item, [...path, i]));
    if (!isScalar(n) && !isMap(n)) return;
    let found = false;
    visit(n as Node, {
      Scalar(_, s) {
        if (s.tag !== BINARY_TAG || found) return;
        found = true;
        out.push({ path: [...path], written: String(s.source ?? ''), offset: s.range?.[0], why: binary });
      },
    });
  };
  walk(node, shape, at);
  return out;
}

const binary = 'kustomize decodes this !!binary value into the text it encodes, which is not read here as it is written; write that text plainly';
