import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ENVIRONMENTS, isPlainObject, type Environment, type Manifest } from '@strata/core';
import { isArgoCdHook } from '@strata/core/argocd';
import { exactIntegers, filesIn, kubectlInteger, mayHoldLongInteger, objectName, parseExact, UsageError } from '@strata/project';
import { buildOverlays, isKustomizationFile, kustomizationFilesIn, parseBuild } from '@strata/kustomize';
import { isRemoteEntry, parseInputs, remoteInputs, type ParsedInputs, type SourceDoc } from '@strata/validate';
import { ImportError } from './errors.ts';

/** Where one env's manifests come from. */
export interface EnvSource {
  readonly env: Environment;
  /** Absolute path of a Kustomize folder, or of a YAML file or folder. */
  readonly path: string;
  readonly kind: 'kustomize' | 'yaml';
}

/** What each env's source builds to, and what the import must know about how it was made. */
export interface SourceSet {
  readonly sources: Record<Environment, EnvSource>;
  readonly objects: Record<Environment, Manifest[]>;
  /** Names given to configMapGenerator and secretGenerator entries whose output gets a hash suffix. */
  readonly generated: ReadonlySet<string>;
  /** Features kept only as their result (vars, replacements): one line each. */
  readonly warnings: string[];
  /**
   * Where an object of an env (by its index in `objects[env]`) is in the sources, for a message:
   * `file:line` of its document, named as the person typed the paths; a built object's is the file
   * its kustomization read it from. With `field` (`['metadata', 'namespace']`), where that field's
   * value is set: the line of the document that writes it, or of the kustomization that set it.
   * The env's source when it cannot be found.
   */
  where(env: Environment, index: number, field?: readonly (string | number)[]): Promise<string>;
  /** Takes an object out of an env's sources (the later ones keep their places). */
  leaveOut(env: Environment, index: number): void;
}

export const kustomizationIn = (dir: string): string | undefined => kustomizationFilesIn(dir)[0];

/**
 * The env paths of `strata import PATH`: `PATH/overlays/<env>` when that is a kustomization, else
 * `PATH/overlays/<env>/<name>` (the layout Strata itself writes). A relative PATH is named from `from`.
 */
export function layoutSources(from: string, path: string, name: string): Record<Environment, string> {
  const abs = resolve(from, path);
  if (!existsSync(join(abs, 'overlays'))) {
    throw new UsageError(`${path}: has no overlays/ folder; pass each env's folder with --env dev=PATH --env staging=PATH --env prod=PATH`);
  }
  const out = {} as Record<Environment, string>;
  for (const env of ENVIRONMENTS) {
    const candidates = [join(abs, 'overlays', env), join(abs, 'overlays', env, name)];
    const found = candidates.find((c) => kustomizationIn(c));
    if (!found)
      throw new UsageError(`${path}: no kustomization in overlays/${env} or overlays/${env}/${name}; pass the env's folder with --env ${env}=PATH`);
    out[env] = found;
  }
  const others = otherOverlays(join(abs, 'overlays'), name, Object.values(out));
  if (others.length > 0) {
    const folders = others.map((o) => join(path, 'overlays', o));
    throw new UsageError(
      `${folders.join(', ')}: ${others.length === 1 ? 'an overlay' : 'overlays'} of ${others.length === 1 ? 'an env' : 'envs'} Strata does not have (its envs are ${ENVIRONMENTS.join(', ')}), which PATH alone would not import; import ${others.length === 1 ? 'it' : 'each'} as one of Strata's envs with --env dev=PATH --env staging=PATH --env prod=PATH (e.g. --env staging=${folders[0]}), or rename or remove the folder, then import; nothing was written`,
    );
  }
  return out;
}

/**
 * The folders of `overlays/` beside the envs' that an experienced kustomize user deploys as envs of
 * their own (`overlays/qa`): each holds a kustomization (or `<name>/` one, as Strata lays them out)
 * that is not a Component and that no env's kustomization includes (an `overlays/common` the envs
 * build on is part of them).
 */
function otherOverlays(overlays: string, name: string, envDirs: readonly string[]): string[] {
  const included = new Set<string>();
  const walk = (dir: string, depth: number): void => {
    const file = kustomizationIn(dir);
    if (!file || included.has(dir) || depth > 32) return;
    included.add(dir);
    let k: unknown;
    try {
      k = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS();
    } catch {
      return; // Said when the env is read.
    }
    if (!isPlainObject(k)) return;
    for (const field of ['resources', 'components', 'bases']) {
      const entries = Array.isArray(k[field]) ? (k[field] as unknown[]) : [];
      for (const entry of entries) {
        if (typeof entry !== 'string' || isRemoteEntry(dir, entry)) continue;
        const target = resolve(dir, entry);
        if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) walk(target, depth + 1);
      }
    }
  };
  for (const dir of envDirs) walk(dir, 0);
  const out: string[] = [];
  for (const entry of readdirSync(overlays, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || (ENVIRONMENTS as readonly string[]).includes(entry.name)) continue;
    const dir = [join(overlays, entry.name), join(overlays, entry.name, name)].find((d) => kustomizationIn(d));
    if (!dir || included.has(dir) || isComponent(dir)) continue;
    out.push(entry.name);
  }
  return out.sort();
}

function isComponent(dir: string): boolean {
  try {
    const k: unknown = parseAllDocuments(readFileSync(kustomizationIn(dir)!, 'utf8'))[0]?.toJS();
    return isPlainObject(k) && k.kind === 'Component';
  } catch {
    return false;
  }
}

/** Parses `--env dev=PATH` values, a relative PATH named from `from`; every env must be given once. */
export function parseEnvOptions(from: string, specs: readonly string[]): Record<Environment, string> {
  const out: Partial<Record<Environment, string>> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const env = spec.slice(0, eq);
    if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--env ${spec}: write it as ENV=PATH, e.g. --env dev=k8s/overlays/dev`);
    if (!(ENVIRONMENTS as readonly string[]).includes(env))
      throw new UsageError(`--env ${spec}: unknown env "${env}"; known envs: ${ENVIRONMENTS.join(', ')}`);
    if (out[env as Environment]) throw new UsageError(`--env ${env} is given twice; give each env once`);
    out[env as Environment] = resolve(from, spec.slice(eq + 1));
  }
  const missing = ENVIRONMENTS.filter((e) => !out[e]);
  if (missing.length > 0) throw new UsageError(`missing --env ${missing.map((e) => `${e}=PATH`).join(' --env ')}; every env needs its source`);
  return out as Record<Environment, string>;
}

/**
 * How messages name a path of the sources: as the person typed the source it lies in. Under a source
 * typed as an absolute path it is absolute; otherwise it is named from `from`, the folder the
 * relative paths were typed in (kubectl and kustomize name files so).
 */
export function pathNamer(from: string, typed: readonly string[] = []): (path: string) => string {
  const absolute = typed.filter((t) => isAbsolute(t)).map((t) => resolve(t));
  const under = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
  return (path) => (absolute.some((dir) => under(path, dir)) ? path : relative(from, path) || '.');
}

interface Walk {
  readonly refusals: string[];
  readonly warnings: string[];
  readonly generated: Set<string>;
  readonly seen: Set<string>;
}

/**
 * Reads a kustomization and those it includes, for what the import cannot take from the build
 * output alone: features it must refuse, features kept only as their result, and the names of
 * generated objects (whose hash suffix is Kustomize's, not part of the name).
 */
function walkKustomization(dir: string, named: (path: string) => string, w: Walk): void {
  const file = kustomizationIn(dir);
  if (!file || w.seen.has(file)) return;
  w.seen.add(file);
  const where = named(file);
  let k: Record<string, unknown>;
  try {
    const doc = parseAllDocuments(readFileSync(file, 'utf8'))[0];
    const value = doc?.toJS() as unknown;
    k = isPlainObject(value) ? value : {};
  } catch (e) {
    throw new ImportError([`${where}: cannot read it: ${(e as Error).message.split('\n')[0]}`]);
  }
  if (k.helmCharts !== undefined || k.helmChartInflationGenerator !== undefined || k.helmGlobals !== undefined) {
    w.refusals.push(
      `${where}: helmCharts: Helm inflation cannot be imported faithfully; render the chart once (helm template ... > chart.yaml), list that file under resources, then import`,
    );
  }
  for (const field of ['generators', 'transformers', 'validators'] as const) {
    if (k[field] === undefined) continue;
    // Kustomize's own builtin plugins, configured here, are deterministic: their result is imported.
    const configs = Array.isArray(k[field]) ? (k[field] as unknown[]).map((e) => pluginConfigs(e, dir)) : [undefined];
    if (field !== 'validators' && configs.every((c) => c !== undefined && c.length > 0 && c.every(isBuiltin))) {
      w.warnings.push(
        `${where}: ${field}: Kustomize's builtin ${field} (${[...new Set(configs.flat().map((c) => (c as { kind: string }).kind))].sort().join(', ')}) imported as the objects they produce; a value they set in several places becomes one setting of the typed config`,
      );
      continue;
    }
    w.refusals.push(
      `${where}: ${field}: KRM function and plugin ${field} cannot be imported; run them (kustomize build --enable-alpha-plugins), save the output as YAML and import that folder`,
    );
  }
  for (const field of ['vars', 'replacements'] as const) {
    if (k[field] !== undefined) {
      w.warnings.push(
        `${where}: ${field}: imported as the values they produce; a value copied into several fields becomes one setting of the typed config, any other link is not kept`,
      );
    }
  }
  const options = isPlainObject(k.generatorOptions) ? k.generatorOptions : {};
  for (const field of ['configMapGenerator', 'secretGenerator'] as const) {
    const entries = Array.isArray(k[field]) ? (k[field] as unknown[]) : [];
    for (const g of entries) {
      if (!isPlainObject(g) || typeof g.name !== 'string') continue;
      const own = isPlainObject(g.options) ? g.options : {};
      const disabled = own.disableNameSuffixHash ?? options.disableNameSuffixHash;
      if (disabled !== true) w.generated.add(g.name);
    }
  }
  for (const field of ['resources', 'components', 'bases'] as const) {
    const entries = Array.isArray(k[field]) ? (k[field] as unknown[]) : [];
    for (const entry of entries) {
      if (typeof entry !== 'string' || isRemoteEntry(dir, entry)) continue; // refused by remoteRefusals
      const target = resolve(dir, entry);
      if (existsSync(target) && statSync(target).isDirectory()) walkKustomization(target, named, w);
    }
  }
}

/**
 * What the kustomization in `dir` would have kustomize fetch over the network, one line each, before
 * kustomize runs: an import judges what is in the tree, and an app's sources that change by themselves
 * would make it another app.
 */
function remoteRefusals(dir: string, named: (path: string) => string): string[] {
  return remoteInputs(dir).map((r) =>
    r.misspelled
      ? `${named(r.file)}:${r.line}: ${r.field}: cannot tell what kustomize would fetch over the network, so it cannot be imported: ${r.misspelled}, then import`
      : r.resource
        ? `${named(r.file)}:${r.line}: ${r.field}: ${r.entry}: a remote resource cannot be imported (it needs the network and may change); vendor it into a local folder, point the kustomization at that folder, then import`
        : `${named(r.file)}:${r.line}: ${r.field}: ${r.entry}: a remote file cannot be imported (kustomize would fetch it over the network, and it may change); vendor it into the kustomization's folder, name it there by its local path, then import`,
  );
}

const isBuiltin = (c: unknown) =>
  isPlainObject(c) &&
  c.apiVersion === 'builtin' &&
  typeof c.kind === 'string' &&
  !(isPlainObject(c.metadata) && isPlainObject(c.metadata.annotations) && 'config.kubernetes.io/function' in c.metadata.annotations);

/**
 * The plugin configurations one `generators`/`transformers` entry names: inline YAML, a file, or a
 * kustomization whose resources are the configurations. Undefined when they cannot be read here.
 */
function pluginConfigs(entry: unknown, dir: string, depth = 0): unknown[] | undefined {
  if (isPlainObject(entry)) return [entry];
  if (typeof entry !== 'string' || depth > 8) return undefined;
  try {
    if (entry.includes('\n')) return parseAllDocuments(entry).map((d) => d.toJS() as unknown);
    if (isRemoteEntry(dir, entry)) return undefined;
    const target = resolve(dir, entry);
    if (!existsSync(target)) return undefined;
    if (statSync(target).isFile())
      return parseAllDocuments(readFileSync(target, 'utf8'))
        .map((d) => d.toJS() as unknown)
        .filter((v) => v !== null);
    const file = kustomizationIn(target);
    if (!file) return undefined;
    const k = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as unknown;
    const resources = isPlainObject(k) && Array.isArray(k.resources) ? k.resources : [];
    const out: unknown[] = [];
    for (const r of resources) {
      const found = pluginConfigs(r, target, depth + 1);
      if (!found) return undefined;
      out.push(...found);
    }
    return out;
  } catch {
    return undefined;
  }
}

function yamlFiles(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return filesIn(path).filter((file) => /\.ya?ml$/.test(file));
}

/**
 * What kubectl's reading reports that it still applies: the objects are imported as kubectl reads
 * them. These rules say kustomize would read the file otherwise; an imported plain YAML file is
 * never handed to kustomize (the app's overlays are written anew), so they are warnings here.
 */
const APPLIED_AS_READ = new Set(['yaml-version', 'duplicate-key', 'yaml-encoding', 'yaml-line-break']);

/**
 * Plain YAML: every document of a file or of every .yaml/.yml file under a folder, read as
 * `kubectl apply -f` reads it (YAML 1.1, merge keys, lists of any kind unpacked): the objects a
 * person applying these files gets. What kubectl refuses is refused in its words, at its line; what
 * it reads otherwise than a YAML 1.2 tool would (`010` is 8, `yes` is true, U+2028 ends a line), a key
 * given twice, or a file it decodes first (UTF-16 with a byte order mark), is imported as kubectl
 * reads it, and said.
 */
async function readYaml(path: string, root: string, shown: (path: string) => string, warnings: string[]): Promise<readonly SourceDoc[]> {
  const files = yamlFiles(path);
  if (files.length === 0) return [];
  // A kustomization file among them is refused below, never built: plain YAML is applied as written.
  const parsed = await parseInputs(root, files, { buildNamedKustomizations: false });
  const named = (file: string) => shown(resolve(root, file));
  const refused = parsed.problems.filter((p) => p.severity === 'error' && !APPLIED_AS_READ.has(p.rule));
  if (refused.length > 0) throw new ImportError(refused.map((p) => `${named(p.file)}:${p.line ?? 1}: ${p.message}`));
  for (const p of parsed.problems) {
    const line = `${named(p.file)}:${p.line ?? 1}: ${p.message}; imported as kubectl reads it`;
    // Said once when several envs share the file.
    if (APPLIED_AS_READ.has(p.rule) && !warnings.includes(line)) warnings.push(line);
  }
  const long = parsed.docs.flatMap((d) =>
    d.json === undefined ? [] : exactIntegers(parseExact(d.json)).map((e) => `${named(d.file)}:${d.lineOf(e.path)}: ${longInteger(d.manifest, e)}`),
  );
  if (long.length > 0) throw new ImportError(long);
  for (const d of parsed.docs) {
    if (d.manifest.kind === 'Kustomization' || d.manifest.kind === 'Component')
      throw new ImportError([`${named(d.file)}:${d.line}: a kustomization inside a folder of plain YAML; pass the folder that holds it instead`]);
  }
  return parsed.docs;
}

const sameObject = (a: Manifest, b: Manifest) =>
  a.apiVersion === b.apiVersion && a.kind === b.kind && a.metadata?.name === b.metadata?.name && a.metadata?.namespace === b.metadata?.namespace;

/**
 * Where the objects a Kustomize folder builds to are in its files: the folder read as `strata
 * validate` reads it (its kustomization built, each object placed at the document it came from).
 * Only asked for a message: the import itself needs no lines.
 */
function kustomizePlaces(
  root: string,
  dir: string,
): (m: Manifest, field?: readonly (string | number)[]) => Promise<{ file: string; line: number } | undefined> {
  let walked: Promise<ParsedInputs> | undefined;
  return async (m, field) => {
    walked ??= parseInputs(root, [dir]);
    const parsed = await walked;
    const built = parsed.docs.find((d) => parsed.placements?.has(d.id) && sameObject(d.manifest, m));
    const path = field?.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
    const place = built && parsed.placements!.get(built.id)!(path);
    if (!place || !field) return place;
    // A field the kustomization set (its namespace, say): at that field of it when it writes one.
    const kustomization = parsed.docs.find((d) => d.file === place.file && isKustomizationFile(basename(d.file)));
    const key = String(field.at(-1));
    return kustomization && kustomization.manifest[key as keyof Manifest] !== undefined
      ? { file: place.file, line: kustomization.lineOf([key]) }
      : place;
  };
}

/**
 * Reads every env's source: a Kustomize folder is built by the project's kustomize package (the same
 * folder built once for the envs that share it), plain YAML is parsed. Unsupported Kustomize
 * features are refused all at once, before anything is built. Messages name files as `named`
 * names them (`pathNamer`: as the person typed the paths).
 */
export async function readSources(
  root: string,
  paths: Record<Environment, string>,
  named: (path: string) => string = pathNamer(root),
): Promise<SourceSet> {
  const sources = {} as Record<Environment, EnvSource>;
  for (const env of ENVIRONMENTS) {
    const path = paths[env];
    if (!existsSync(path)) throw new UsageError(`--env ${env}=${named(path)}: no such file or folder`);
    const kustomize = statSync(path).isDirectory() && kustomizationIn(path) !== undefined;
    sources[env] = { env, path, kind: kustomize ? 'kustomize' : 'yaml' };
  }
  const walk: Walk = { refusals: [], warnings: [], generated: new Set(), seen: new Set() };
  for (const env of ENVIRONMENTS) {
    if (sources[env].kind !== 'kustomize') continue;
    for (const line of remoteRefusals(sources[env].path, named)) if (!walk.refusals.includes(line)) walk.refusals.push(line);
    walkKustomization(sources[env].path, named, walk);
  }
  if (walk.refusals.length > 0) throw new ImportError(walk.refusals);

  const dirs = [...new Set(ENVIRONMENTS.filter((e) => sources[e].kind === 'kustomize').map((e) => sources[e].path))];
  const built = new Map<string, Manifest[]>();
  if (dirs.length > 0) {
    const results = await buildOverlays(root, dirs, { concurrency: 1 });
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
      throw new ImportError(failed.map((r) => `${named(dirs[results.indexOf(r)]!)}: kustomize build failed: ${r.error}`));
    }
    results.forEach((r, i) => built.set(dirs[i]!, parseBuild(r.yaml, r.overlay)));
    const long = results.flatMap((r, i) => longIntegersIn(r.yaml).map((line) => `${named(dirs[i]!)}: ${line}`));
    if (long.length > 0) throw new ImportError(long);
  }
  const objects = {} as Record<Environment, Manifest[]>;
  const docs = new Map<Environment, SourceDoc[]>();
  for (const env of ENVIRONMENTS) {
    const s = sources[env];
    if (s.kind === 'yaml') docs.set(env, [...(await readYaml(s.path, root, named, walk.warnings))]);
    objects[env] = structuredClone(s.kind === 'kustomize' ? built.get(s.path)! : docs.get(env)!.map((d) => d.manifest));
    if (objects[env].length === 0) throw new ImportError([`${named(s.path)}: holds no Kubernetes objects for ${env}`]);
    // Kustomize builds any document with a kind and a name; an app holds Kubernetes objects only.
    const refusals = objects[env].flatMap((m, i) => {
      const line = incomplete(m);
      if (line === undefined) return [];
      const doc = docs.get(env)?.[i];
      // A YAML source's document is known; kustomize's output came from a file it does not say.
      const at = doc
        ? `${named(resolve(root, doc.file))}:${generateNameOnly(m) ? doc.lineOf(['metadata', 'generateName']) : doc.line}`
        : named(s.path);
      return [`${at}: ${line}`];
    });
    if (refusals.length > 0) throw new ImportError(refusals);
  }
  // A folder that several envs share is read once.
  const places = new Map(dirs.map((dir) => [dir, kustomizePlaces(root, dir)]));
  const where = async (env: Environment, index: number, field?: readonly (string | number)[]): Promise<string> => {
    const s = sources[env];
    const doc = docs.get(env)?.[index];
    const m = objects[env][index];
    const place = doc ? { file: doc.file, line: field ? doc.lineOf(field) : doc.line } : m && (await places.get(s.path)?.(m, field));
    return place ? `${named(resolve(root, place.file))}:${place.line}` : named(s.path);
  };
  const leaveOut = (env: Environment, index: number): void => {
    objects[env].splice(index, 1);
    docs.get(env)?.splice(index, 1);
  };
  return { sources, objects, generated: walk.generated, warnings: walk.warnings, where, leaveOut };
}

/** Whether an object has a generateName and no name: the server names it, anew each time it is created. */
const generateNameOnly = (m: Manifest) =>
  isPlainObject(m.metadata) && m.metadata.name === undefined && typeof m.metadata.generateName === 'string' && m.metadata.generateName !== '';

/**
 * Why a document of a source cannot be an object of an app, in one line starting with what it is;
 * undefined when it can. An app's objects are files named after them, and kustomize builds no
 * object without a metadata.name, so one named only by generateName (an Argo CD hook's usual form,
 * which Argo CD names itself) cannot be one.
 */
function incomplete(m: Manifest): string | undefined {
  const kind = typeof m.kind === 'string' ? m.kind : undefined;
  if (generateNameOnly(m)) {
    const hook = isArgoCdHook(m)
      ? ' (Argo CD creates a named hook anew on every sync when its hook-delete-policy holds BeforeHookCreation, the default)'
      : '';
    return (
      `${kind ?? 'a document'} ${objectName(m.metadata)}: has only a metadata.generateName; objects named only by generateName are not supported in apps ` +
      `(an app's objects are files named after them, and kustomize builds none without a name): give it a metadata.name in the source, then import${hook}`
    );
  }
  const missing = ['apiVersion', 'kind'].filter((f) => typeof (m as Record<string, unknown>)[f] !== 'string');
  if (!isPlainObject(m.metadata) || typeof m.metadata.name !== 'string') missing.push('metadata.name');
  if (missing.length === 0) return undefined;
  const name = isPlainObject(m.metadata) && typeof m.metadata.name === 'string' ? m.metadata.name : undefined;
  const what = [kind ?? 'a document', name].filter(Boolean).join(' ');
  return `${what}: has no ${missing.join(' or ')}; it is not a Kubernetes object: complete it in the source or remove it, then import`;
}

/**
 * An integer past 2^53 that fits in int64, which kubectl sends to the last digit: an app's typed
 * config holds numbers as JavaScript numbers, which round it, so the app would ship another value
 * (past int64, where kubectl rounds it to a float64 too, the number is imported as it is).
 */
function longInteger(
  m: { readonly apiVersion?: unknown; readonly kind?: unknown; readonly metadata?: { readonly name?: unknown } },
  e: { path: readonly (string | number)[]; text: string },
): string {
  const path = e.path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
  return (
    `${String(m.apiVersion)}/${String(m.kind)} ${String(m.metadata?.name ?? '')}: ${path}: ${e.text} is past 2^53, which an app's typed config holds ` +
    `as a JavaScript number, ${JSON.stringify(Number(e.text))}, and would ship so; give it a value of at most 9007199254740991 in the source, then import`
  );
}

/** `longInteger` for each such integer of kustomize's output. */
function longIntegersIn(yaml: string): string[] {
  if (!mayHoldLongInteger(yaml)) return [];
  return parseAllDocuments(yaml, { intAsBigInt: true }).flatMap((doc) => {
    const value = doc.toJS({ reviver: (_, v) => (typeof v === 'bigint' ? kubectlInteger(v.toString()) : v) }) as unknown;
    return isPlainObject(value) ? exactIntegers(value).map((e) => longInteger(value, e)) : [];
  });
}
