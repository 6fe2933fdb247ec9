import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { dequal as isDeepStrictEqual } from 'dequal/lite';
import { describe, ENVIRONMENTS, nameProblem, type App, type Environment, type Manifest } from '@strata/core';
import { crdsFolder, Layout } from '@strata/project';
import { misscopedByKustomize } from '@strata/schemas';
import { binaryPatchFor, deriveOverlay, generatorFor, isGeneratedConfigMap, type MergeKeyLookup, type Overlay } from './derive.ts';
import { generatedFile } from './yaml.ts';

/** Every file one application owns, by path relative to the workspace root. */
export interface AppPlan {
  readonly app: string;
  readonly files: Map<string, string>;
  /** Folders whose generated files belong to this app (stale ones in them are removed). */
  readonly dirs: string[];
  /** What `kustomize build overlays/<env>/<app>` must produce. */
  readonly desired: Record<Environment, Manifest[]>;
}

/**
 * A name as it can be part of a file name on every system a repository is checked out on: the
 * characters Windows refuses in file names (and control characters, and % itself) as %XX of their
 * UTF-8 bytes. Kubernetes allows them in some names (an RBAC role named system:aggregate-to-view);
 * a name holding / is left as it is, for the plan to refuse (no Kubernetes name holds one).
 *
 * And never the writers' temporary files: those are `.<file>.strata-tmp-<pid>-<n>`, which every
 * workspace has git ignore as `*.strata-tmp*`, so an object named `cache.strata-tmp` (or starting
 * with strata-tmp, after the kind's dot) would get a file no commit holds. The hyphen of a
 * `strata-tmp` that follows a dot, in any case (git ignores case where the file system does), is
 * written %2D: `configmap.cache.strata%2Dtmp.yaml`, still one file per name, as a name's own % is %25.
 */
const portable = (name: string) =>
  name
    .replace(/[<>:"\\|?*%\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
    .replace(/(^|\.)(strata)-(tmp)/gi, '$1$2%2D$3');

/** A portable name cut into what stays whole when it is cut short: its characters, each %XX whole. */
const portableUnits = (name: string) => portable(name).match(/%[0-9A-F]{2}|[\s\S]/gu) ?? [];

/** What most file systems allow in one file name: 255 bytes (ext4, XFS, Btrfs), 255 UTF-16 units (APFS, NTFS). */
const MAX_FILE_NAME = 255;

/**
 * A file name's length as the strictest of those systems counts it: UTF-8 bytes, of the name as
 * written and as macOS may decompose it (NFD), which is never fewer than its UTF-16 units.
 */
const nameLength = (name: string) =>
  /^[\x00-\x7f]*$/.test(name) ? name.length : Math.max(Buffer.byteLength(name), Buffer.byteLength(name.normalize('NFD')));

/**
 * Thrown when objects cannot become files that every checkout keeps apart (two objects would share
 * one file on macOS or Windows): a problem of the objects' names, never of the tree.
 */
export class FileNameError extends Error {
  override readonly name: string = 'FileNameError';
}

/**
 * The file of an object (`suffix` '.patch' for its patch): `<kind>.<name>.yaml`, the kind in lower
 * case and the name portable. A name too long for one file name (Kubernetes allows 253 characters,
 * and RBAC names have no limit; the kind and `.patch.yaml` come on top) is cut short at a whole
 * character and ends in `%~` and 16 hex digits of the SHA-256 of the whole name:
 * `<kind>.<start of name>%~<hash>.yaml`, 255 bytes at most. Stable, and distinct from every other
 * file name: two names cut short differ in their hash, and a name not cut short never holds `%~`
 * (its own % is written %25).
 */
export function fileName(m: Manifest, suffix = '', qualifier = ''): string {
  const kind = m.kind.toLowerCase() + qualifier;
  const name = portable(m.metadata.name);
  const whole = `${kind}.${name}${suffix}.yaml`;
  if (nameLength(whole) <= MAX_FILE_NAME) return whole;
  const tail = `%~${createHash('sha256').update(m.metadata.name).digest('hex').slice(0, 16)}${suffix}.yaml`;
  let start = `${kind}.`;
  if (nameLength(start + tail) > MAX_FILE_NAME) {
    throw new FileNameError(
      `${m.kind} ${m.metadata.name}: the kind is too long to be part of a file name (${MAX_FILE_NAME} bytes at most); shorten the kind`,
    );
  }
  // Whole characters (and whole %XX), as many as fit.
  for (const unit of portableUnits(m.metadata.name)) {
    const next = start + unit;
    if (nameLength(next + tail) > MAX_FILE_NAME) break;
    start = next;
  }
  return start + tail;
}

/** An object's API group: what its apiVersion says before the `/` (the core group is ''). */
const groupOf = (m: Manifest) => (m.apiVersion.includes('/') ? m.apiVersion.slice(0, m.apiVersion.indexOf('/')) : '');

/** What kubectl, kustomize and Argo CD tell objects apart by: group, kind, namespace and name. */
const idOf = (m: Manifest) => `${groupOf(m)}/${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/** How a file of one app is named: `fileName` with the qualifier that keeps objects of one kind and name apart. */
export type FileNamer = (m: Manifest, suffix?: string) => string;

/**
 * The file names of one app's objects (all of them, of every env and component, in `renders`):
 * `<kind>.<name>.yaml` (see fileName), unless the app holds objects of one kind and name that
 * differ in namespace or API group (the same RoleBinding in two namespaces, the Gateway of
 * networking.istio.io and of gateway.networking.k8s.io): those each get
 * `<kind>@<namespace>.<name>.yaml`, and when their groups differ too `<kind>@<namespace>@<group>.<name>.yaml`,
 * the group's dots written `_` and the core group `core` (a cluster-scoped object's namespace is
 * empty: `<kind>@@<group>.<name>.yaml`). Every other object keeps its name, in every folder, so a
 * second object of a kind and name renames only the files of that kind and name. A kind is one word
 * (letters, digits, `-`) and a namespace one DNS label, so the part before the first dot never holds
 * `@` in a file of the other form, and `@` never appears in a group or namespace: no two ids get one
 * name. Two objects of one render that kubectl would take for one (the same group, kind, namespace
 * and name) are refused, naming both and the app.
 */
export function fileNamer(app: string, renders: readonly (readonly Manifest[])[]): FileNamer {
  for (const objects of renders) {
    const seen = new Map<string, Manifest>();
    for (const m of objects) {
      const other = seen.get(idOf(m));
      if (other !== undefined && other !== m) {
        throw new FileNameError(
          `app ${app}: ${describe(other)} and ${describe(m)} are one object to kubectl, kustomize and Argo CD (the same API group, kind, namespace and name); keep one, or give them distinct names or namespaces`,
        );
      }
      seen.set(idOf(m), m);
    }
  }
  // The file names (each as the object would have it alone, as a case-insensitive checkout sees
  // it) that two objects of one render share. Only within a render: an env may move the app's
  // objects to another namespace, which makes them no second object.
  const keyOf = (m: Manifest) => foldedPath(fileName(m));
  const shared = new Set<string>();
  // Names that differ only in case keep their error (see addFile): a qualifier would not part them.
  const whereOf = (m: Manifest) => `${groupOf(m)}/${m.metadata.namespace ?? ''}`;
  for (const objects of renders) {
    const wheres = new Map<string, string>();
    for (const m of objects) {
      const where = wheres.get(keyOf(m));
      if (where !== undefined && where !== whereOf(m)) shared.add(keyOf(m));
      wheres.set(keyOf(m), whereOf(m));
    }
  }
  const qualifiers = new Map<string, string>();
  if (shared.size === 0) return (m, suffix = '') => fileName(m, suffix);
  const all = renders.flat().filter((m) => shared.has(keyOf(m)));
  for (const key of shared) {
    const objects = all.filter((m) => keyOf(m) === key);
    const groups = new Set(objects.map(groupOf));
    for (const m of objects) {
      const group = groupOf(m) === '' ? 'core' : groupOf(m).replaceAll('.', '_');
      qualifiers.set(idOf(m), `@${m.metadata.namespace ?? ''}${groups.size > 1 ? `@${group}` : ''}`);
    }
  }
  return (m, suffix = '') => fileName(m, suffix, qualifiers.get(idOf(m)) ?? '');
}

/** Each plan's paths by the name a checkout on macOS gives them: case and Unicode normalization folded. */
const checkedOut = new WeakMap<Map<string, string>, Map<string, string>>();

/**
 * A path as a case-insensitive file system sees it: Unicode case folding of its NFC form. APFS folds
 * with Unicode's CaseFolding.txt and NTFS upper-cases with its table, so `µ` (micro sign) and `μ`,
 * `ς` and `σ`, `ſ` and `s`, `K` (Kelvin sign) and `k`, `ẞ`, `ß` and `ss` are each one name, which
 * `toLowerCase` alone does not see (the first of each is lower case already, or maps to one that is).
 * Lower, then upper, then lower case again reaches the same form for every entry of CaseFolding.txt
 * (each code point and its full folding give the same key, Unicode 14 to 17); normalized again at
 * the end, as a case mapping may leave a sequence that NFC composes.
 */
const foldCase = (text: string) => text.toLowerCase().toUpperCase().toLowerCase();

function foldedPath(path: string): string {
  return foldCase(path.normalize('NFC')).normalize('NFC');
}

function addFile(files: Map<string, string>, path: string, content: string) {
  if (files.has(path)) throw new FileNameError(`${path}: two objects map to the same file; give them distinct kinds or names`);
  // macOS and Windows check files out case-insensitively, and macOS takes the composed and
  // decomposed forms of a character (NFC and NFD, é as one code point or as e and an accent) for
  // the same: one file would overwrite the other.
  let seen = checkedOut.get(files);
  if (seen === undefined) checkedOut.set(files, (seen = new Map()));
  const key = foldedPath(path);
  const other = seen.get(key);
  if (other !== undefined) {
    const caseOnly = foldCase(other) === foldCase(path);
    const how = caseOnly
      ? 'only in case'
      : other.normalize('NFC') === path.normalize('NFC')
        ? 'only in Unicode normalization (composed and decomposed forms of the same characters)'
        : 'only in case and Unicode normalization';
    throw new FileNameError(
      `${path}: two objects map to files whose names differ ${how} (${other}), which collide on ${caseOnly ? 'macOS and Windows' : 'macOS'}; rename one`,
    );
  }
  seen.set(key, path);
  files.set(path, content);
}

function kustomization(kind: 'Kustomization' | 'Component', fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    apiVersion: kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1',
    kind,
  };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  // kustomize refuses a Kustomization with no field besides these two ("kustomization.yaml is
  // empty"), and with it every overlay and env root above it: an app that renders nothing in any
  // env (switched off) gets a base that builds to nothing, as an env that renders nothing does.
  if (kind === 'Kustomization' && Object.keys(out).length === 2) out.resources = [];
  return out;
}

/** Writes an overlay's files into `dir` and returns its kustomization fields. */
function overlayFiles(overlay: Overlay, dir: string, source: string, files: Map<string, string>, fileName: FileNamer): Record<string, unknown> {
  const resources: string[] = [];
  for (const m of overlay.resources) {
    resources.push(fileName(m));
    addFile(files, `${dir}/${fileName(m)}`, generatedFile(m, source));
  }
  const patches: { path: string }[] = [];
  for (const p of overlay.patches) {
    patches.push({ path: fileName(p, '.patch') });
    addFile(files, `${dir}/${fileName(p, '.patch')}`, generatedFile(p, source));
  }
  return {
    resources: resources.sort(),
    namespace: overlay.namespace,
    labels: overlay.labels ? [{ pairs: overlay.labels, includeSelectors: false }] : undefined,
    images: overlay.images,
    replicas: overlay.replicas,
    configMapGenerator: overlay.generators,
    patches: patches.sort((a, b) => a.path.localeCompare(b.path)),
  };
}

export interface PlanOptions {
  /** Folders of CRDs that scope the app's custom kinds besides its own and the shipped ones. @default none */
  readonly crdDirs?: readonly string[];
}

/** How the apps of the repository at `root` are planned: their custom kinds scoped by its crds/ too. */
export const planOptionsOf = (root: string): PlanOptions => ({ crdDirs: [crdsFolder(root)] });

/** Writes a set of objects, one file each, and returns their file names for `resources`. */
function objectFiles(objects: readonly Manifest[], dir: string, source: string, files: Map<string, string>, fileName: FileNamer): string[] {
  return objects.map((m) => {
    addFile(files, `${dir}/${fileName(m)}`, generatedFile(m, source));
    return fileName(m);
  });
}

/**
 * Plans base/, its components and the three overlays of one application.
 *
 * Cluster-scoped objects that Kustomize's namespace transformer would give a namespace (a custom
 * kind such as a ClusterSecretStore or GatewayClass, or a built-in kind newer than kustomize's own
 * table such as a ValidatingAdmissionPolicy; see `misscopedByKustomize` of @strata/schemas) live
 * apart, in base/<app>/cluster and in each overlay's own kustomization, while the namespaced objects
 * move one folder down (overlays/<env>/<app>/namespaced): the transformer then never reaches them.
 * `options.crdDirs` are folders of the project's own CRDs (crds/), which scope its custom kinds.
 */
export function planApp<C, K extends string>(app: App<C, K>, mergeKey: MergeKeyLookup, options: PlanOptions = {}): AppPlan {
  // Names become paths: checked before any path is formed (defineApp checks them too, but a plan
  // may be made of any object shaped like an app).
  const invalid = nameProblem(app.name, 'dns-label');
  if (invalid) throw new Error(`app ${JSON.stringify(app.name)}: name: ${invalid}`);
  for (const name of Object.keys(app.components ?? {})) {
    const problem = nameProblem(name, 'dns-label');
    if (problem) throw new Error(`app ${app.name}: components[${JSON.stringify(name)}]: a component name ${problem.replace(/^"[^"]*" /, '')}`);
  }
  const files = new Map<string, string>();
  const source = Layout.app(app.name);
  const baseDir = Layout.baseOf(app.name);
  const dirs = [baseDir];
  const render = (what: string, fn: () => Manifest[]) => {
    try {
      return fn();
    } catch (err) {
      // The app's own errors already say where they are (file, field, app and env).
      if ((err as Error).name === 'RenderError') throw err;
      throw new Error(`app ${app.name}, ${what}: ${(err as Error).message}`, { cause: err });
    }
  };

  const base = render('defaults', () => app.manifests());
  const desired = {} as Record<Environment, Manifest[]>;
  for (const env of ENVIRONMENTS) desired[env] = render(`env ${env}`, () => app.manifests(env));
  // Each component's render, and the start of each env that includes components: rendered once,
  // as every file name depends on all of the app's objects.
  const variants = new Map<string, Manifest[]>();
  for (const name of Object.keys(app.components ?? {}).sort()) {
    variants.set(
      name,
      render(`component ${name}`, () => app.manifests(undefined, [name as K])),
    );
  }
  const starts = new Map<Environment, Manifest[]>();
  for (const env of ENVIRONMENTS) {
    const components = app.envs[env].components ?? [];
    if (components.length > 0)
      starts.set(
        env,
        render(`components ${components.join(', ')}`, () => app.manifests(undefined, components)),
      );
  }
  const fileName = fileNamer(app.name, [base, ...Object.values(desired), ...variants.values(), ...starts.values()]);
  const outsideNamespaces = misscopedByKustomize([base, ...Object.values(desired)].flat(), options.crdDirs);
  const split = [base, ...Object.values(desired)].some((ms) => ms.some(outsideNamespaces));
  const inside = (ms: Manifest[]) => (split ? ms.filter((m) => !outsideNamespaces(m)) : ms);
  const outside = (ms: Manifest[]) => ms.filter(outsideNamespaces);

  const baseObjects = inside(base).filter((m) => !isGeneratedConfigMap(m));
  const basePatches = base.filter(isGeneratedConfigMap).flatMap((m) => binaryPatchFor(m) ?? []);
  for (const p of basePatches) addFile(files, `${baseDir}/${fileName(p, '.patch')}`, generatedFile(p, source));
  addFile(
    files,
    `${baseDir}/kustomization.yaml`,
    generatedFile(
      kustomization('Kustomization', {
        resources: objectFiles(baseObjects, baseDir, source, files, fileName).sort(),
        configMapGenerator: base.filter(isGeneratedConfigMap).map((m) => generatorFor(m)),
        patches: basePatches.map((p) => ({ path: fileName(p, '.patch') })).sort((a, b) => a.path.localeCompare(b.path)),
      }),
      source,
      false,
    ),
  );
  if (split) {
    const dir = `${baseDir}/cluster`;
    const resources = objectFiles(outside(base), dir, source, files, fileName).sort();
    addFile(files, `${dir}/kustomization.yaml`, generatedFile(kustomization('Kustomization', { resources }), source, false));
  }

  for (const name of Object.keys(app.components ?? {}).sort()) {
    const dir = `${baseDir}/components/${name}`;
    dirs.push(dir);
    const variant = variants.get(name)!;
    if (split && !isDeepStrictEqual(outside(base), outside(variant))) {
      const before = outside(base);
      const after = outside(variant);
      const changed = [...before, ...after]
        .filter((m) => {
          const same = (o: Manifest) => o.apiVersion === m.apiVersion && o.kind === m.kind && o.metadata.name === m.metadata.name;
          const a = before.find(same);
          const b = after.find(same);
          return !a || !b || !isDeepStrictEqual(a, b);
        })
        .map((m) => `${m.kind} ${m.metadata.name}`);
      throw new Error(
        `app ${app.name} component ${name}: a component cannot change the cluster-scoped objects kept out of the overlay's namespace (${[...new Set(changed)].join(', ')}): kustomize would give them the namespace; change them per env instead`,
      );
    }
    const overlay = derive(inside(base), inside(variant), mergeKey, `${app.name} component ${name}`);
    const fields = overlayFiles(overlay, dir, source, files, fileName);
    if (Object.values(fields).every((v) => v === undefined || (Array.isArray(v) && v.length === 0))) {
      throw new Error(
        `app ${app.name} component ${name}: its overrides change nothing in the rendered objects; remove it or make it change something`,
      );
    }
    // The description tells a reader of the folder what including the component does.
    const description = app
      .components![name as K].description.trim()
      .split('\n')
      .map((line) => `# ${line}`.trimEnd())
      .join('\n');
    const content = generatedFile(kustomization('Component', fields), source, false);
    const body = content.indexOf('\napiVersion:') + 1;
    addFile(files, `${dir}/kustomization.yaml`, `${content.slice(0, body)}${description}\n${content.slice(body)}`);
  }

  for (const env of ENVIRONMENTS) {
    const dir = Layout.overlay(env, app.name);
    dirs.push(dir);
    const components = app.envs[env].components ?? [];
    const start = starts.get(env) ?? base;
    const nsDir = split ? `${dir}/namespaced` : dir;
    const up = split ? '../../../../' : '../../../';
    const generatorBase = components.length > 0 ? inside(base).filter(isGeneratedConfigMap) : undefined;
    const overlay = derive(inside(start), inside(desired[env]), mergeKey, `${app.name} env ${env}`, generatorBase);
    const { resources, ...fields } = overlayFiles(overlay, nsDir, source, files, fileName);
    const content = kustomization('Kustomization', {
      resources: [`${up}${baseDir}`, ...(resources as string[])],
      components: components.map((c) => `${up}${baseDir}/components/${c}`),
      ...fields,
    });
    addFile(files, `${nsDir}/kustomization.yaml`, generatedFile(content, source, false));
    if (split) {
      const cluster = derive(outside(start), outside(desired[env]), mergeKey, `${app.name} env ${env}`);
      const { resources: own, ...clusterFields } = overlayFiles(cluster, dir, source, files, fileName);
      const parent = kustomization('Kustomization', {
        resources: ['namespaced', `../../../${baseDir}/cluster`, ...(own as string[])],
        ...clusterFields,
      });
      addFile(files, `${dir}/kustomization.yaml`, generatedFile(parent, source, false));
    }
  }
  const stray = [...files.keys(), ...dirs].find((path) => !ownedBy(app.name, path));
  if (stray !== undefined) {
    throw new Error(
      `app ${app.name}: ${JSON.stringify(stray)} lies outside the app's own folders base/${app.name}/ and overlays/<env>/${app.name}/; nothing was written`,
    );
  }
  return { app: app.name, files, dirs, desired };
}

/**
 * Whether a planned path lies inside the app's own generated folders once resolved: a path that
 * resolves elsewhere would write into another app's folder or out of the repository, and a folder
 * elsewhere would have another app's files removed as stale.
 */
function ownedBy(app: string, path: string): boolean {
  if (path !== posix.normalize(path) || posix.isAbsolute(path) || path.split('/').includes('..')) return false;
  return [Layout.baseOf(app), ...ENVIRONMENTS.map((e) => Layout.overlay(e, app))].some((dir) => path === dir || path.startsWith(`${dir}/`));
}

function derive(from: Manifest[], to: Manifest[], mergeKey: MergeKeyLookup, what: string, generatorBase?: Manifest[]): Overlay {
  try {
    return deriveOverlay(from, to, mergeKey, { generatorBase });
  } catch (err) {
    throw new Error(`app ${what}: ${(err as Error).message}`);
  }
}

/**
 * `overlays/<env>/kustomization.yaml`: every app of the environment in one buildable tree. `apps`
 * names them, the same for every env or each env's own (see generatedApps).
 */
export function planEnvironments(apps: readonly string[] | ((env: Environment) => readonly string[])): Map<string, string> {
  const files = new Map<string, string>();
  for (const env of ENVIRONMENTS) {
    const names = typeof apps === 'function' ? apps(env) : apps;
    files.set(Layout.envKustomization(env), generatedFile(kustomization('Kustomization', { resources: [...names].sort() }), `apps/*`, false));
  }
  return files;
}

/**
 * Of the apps `names`, those an env root lists: each whose overlay in that env this run writes
 * (`planned`, by path) or that the tree holds already. An app scaffolded and not generated yet (one
 * added with --no-install) has no overlay for the root to name, and a root that named it would build
 * in no env. A run of some apps (generate --app, a release) lists every app generated, not the
 * entries of the root as committed: Argo CD makes an Application of every folder under
 * overlays/<env>/ whatever the root says, so a root that lists exactly the generated folders is what
 * `kubectl apply -k overlays/<env>` must apply to deploy what Argo CD deploys, and it is what a full
 * generate writes of the same tree, so check finds no drift in it; the committed entries could name
 * a folder gone since, or miss one generated since.
 */
export function generatedApps(root: string, names: readonly string[], planned: (path: string) => boolean): (env: Environment) => string[] {
  return (env) =>
    names.filter((app) => {
      const overlay = Layout.overlayKustomization(env, app);
      return planned(overlay) || existsSync(join(root, overlay));
    });
}
