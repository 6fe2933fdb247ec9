import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** Where the objects of a kind live, as the API server's discovery says it (`namespaced`). */
export type Scope = 'Namespaced' | 'Cluster';

/** `group/Kind` of an apiVersion and kind, the core group written as the empty string (`/Namespace`). */
export const groupKind = (apiVersion: string, kind: string): string => `${apiVersion.slice(0, Math.max(0, apiVersion.lastIndexOf('/')))}/${kind}`;

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const shippedCrdsDir = join(packageDir, 'crds');

let builtin: ReadonlyMap<string, Scope> | undefined;

/**
 * Every built-in `group/Kind` with its scope, as kube-apiserver's discovery serves it
 * (kubernetes/api-scopes.json, made by scripts/scopes.mjs from the Kubernetes release's own
 * discovery documents). A kind keeps its scope in every API version and release.
 */
export function builtinScopes(): ReadonlyMap<string, Scope> {
  builtin ??= new Map(
    Object.entries((JSON.parse(readFileSync(join(packageDir, 'kubernetes', 'api-scopes.json'), 'utf8')) as { scopes: Record<string, Scope> }).scopes),
  );
  return builtin;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The `group/Kind` and scope that each CustomResourceDefinition among `docs` defines. */
export function crdScopes(docs: Iterable<unknown>): Map<string, Scope> {
  const out = new Map<string, Scope>();
  for (const doc of docs) {
    if (!isRecord(doc) || doc.kind !== 'CustomResourceDefinition' || typeof doc.apiVersion !== 'string') continue;
    if (!doc.apiVersion.startsWith('apiextensions.k8s.io/')) continue;
    const spec = doc.spec;
    if (!isRecord(spec) || typeof spec.group !== 'string' || !isRecord(spec.names) || typeof spec.names.kind !== 'string') continue;
    // The API server refuses a CRD whose scope is neither.
    if (spec.scope === 'Cluster' || spec.scope === 'Namespaced') out.set(`${spec.group}/${spec.names.kind}`, spec.scope);
  }
  return out;
}

// By path, kept while the file's size and time stay: the shipped CRDs are megabytes of YAML.
const byFile = new Map<string, { stamp: string; scopes: Map<string, Scope> }>();

/**
 * The scopes the CRDs of one YAML file define. Controller-gen and the API server write `scope`
 * before `versions`, which holds the schema: a file of one CRD is parsed only up to there.
 */
function scopesOfFile(path: string): Map<string, Scope> {
  const st = statSync(path);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const known = byFile.get(path);
  if (known?.stamp === stamp) return known.scopes;
  const text = readFileSync(path, 'utf8');
  const parse = (source: string) => {
    try {
      return crdScopes(parseAllDocuments(source).map((d) => d.toJS() as unknown));
    } catch {
      return new Map<string, Scope>(); // not YAML: validating the file says so; it defines no scope here
    }
  };
  const versions = text.indexOf('\n  versions:\n');
  const oneDocument = text.indexOf('\n---', text.indexOf('---') + 3) < 0;
  let scopes = versions > 0 && oneDocument ? parse(text.slice(0, versions + 1)) : new Map<string, Scope>();
  if (scopes.size === 0) scopes = parse(text);
  byFile.set(path, { stamp, scopes });
  return scopes;
}

/** The scopes of the CRDs in the YAML files directly in `dir`, the first file of a kind winning. */
function dirScopes(dir: string): Map<string, Scope> {
  const out = new Map<string, Scope>();
  if (!existsSync(dir)) return out;
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort();
  for (const name of files) for (const [gk, scope] of scopesOfFile(join(dir, name))) if (!out.has(gk)) out.set(gk, scope);
  return out;
}

let shipped: ReadonlyMap<string, Scope> | undefined;

/**
 * The scopes of the CRDs Strata ships, read once a process: they are part of the installed tool,
 * and a run asks for them once per app and env (43 files looked at 1,500 times at 500 apps).
 */
const shippedScopes = (): ReadonlyMap<string, Scope> => (shipped ??= dirScopes(shippedCrdsDir));

/** A kind as manifests name it. */
export interface KindRef {
  readonly apiVersion: string;
  readonly kind: string;
}

/**
 * The scope of each kind that `objects` may hold, by group and kind, never by kind alone (a
 * `Deployment` of `apps.acme.io` is a custom resource of its own): a built-in kind as kube-apiserver
 * serves it, else a custom kind as its CRD says, the CRD found among `objects` themselves, in
 * `crdDirs` (a repository's crds/, which `strata crd add` writes) or among the CRDs Strata ships, in
 * that order. Undefined for a kind none of them knows.
 */
export function scopeOf(objects: Iterable<unknown> = [], crdDirs: readonly string[] = []): (m: KindRef) => Scope | undefined {
  const own = crdScopes(objects);
  let kept: Map<string, Scope> | undefined;
  return (m) => {
    const gk = groupKind(m.apiVersion, m.kind);
    const known = builtinScopes().get(gk) ?? own.get(gk);
    if (known !== undefined) return known;
    // A project's own CRD wins over a shipped one of the same kind, as strata verify installs it over it.
    kept ??= new Map([...shippedScopes(), ...crdDirs.flatMap((d) => [...dirScopes(d)])]);
    return kept.get(gk);
  };
}

/**
 * Whether objects of a kind live in a namespace (see {@link scopeOf}). A kind whose scope nothing
 * Strata has says is taken for namespaced, as kustomize's namespace transformer takes it, so every
 * reader agrees with the namespace the built tree gives it; validation refuses such an object
 * anyway, having no schema for it, so it never reaches a cluster from a green run.
 */
export function namespacedIn(objects: Iterable<unknown> = [], crdDirs: readonly string[] = []): (m: KindRef) => boolean {
  const scope = scopeOf(objects, crdDirs);
  return (m) => scope(m) !== 'Cluster';
}

let kustomizeClusterScoped: ReadonlySet<string> | undefined;

/**
 * Whether kustomize's namespace transformer (v5.8.1) gives objects of a kind the kustomization's
 * `namespace:`. It knows a kind for cluster-scoped by apiVersion and kind from the Kubernetes 1.21
 * OpenAPI document kyaml embeds (kubernetes/kustomize-scopes.json, made by
 * scripts/kustomize-scopes.mjs), and sets the namespace of every other kind: a cluster-scoped
 * built-in kind added since (ValidatingAdmissionPolicy, flowcontrol.apiserver.k8s.io/v1 FlowSchema)
 * and every custom kind, a CRD's in the same kustomization too. kube-apiserver then drops that
 * namespace of a cluster-scoped object without a word.
 */
export function kustomizeSetsNamespace(m: KindRef): boolean {
  kustomizeClusterScoped ??= new Set(
    (JSON.parse(readFileSync(join(packageDir, 'kubernetes', 'kustomize-scopes.json'), 'utf8')) as { clusterScoped: string[] }).clusterScoped,
  );
  return !kustomizeClusterScoped.has(`${m.apiVersion} ${m.kind}`);
}

/**
 * The cluster-scoped objects (see {@link scopeOf}) that kustomize's namespace transformer would give
 * a namespace (see {@link kustomizeSetsNamespace}): what a kustomization that sets `namespace:` must
 * not reach. A kind whose scope nothing says is not among them: it gets the namespace, as kustomize
 * gives it, and validation refuses it for want of a schema.
 */
export function misscopedByKustomize(objects: Iterable<unknown> = [], crdDirs: readonly string[] = []): (m: KindRef) => boolean {
  const scope = scopeOf(objects, crdDirs);
  return (m) => kustomizeSetsNamespace(m) && scope(m) === 'Cluster';
}
