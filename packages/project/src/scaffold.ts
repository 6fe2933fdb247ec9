import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENVIRONMENTS, isDns1035Label, isPlainObject, type Manifest } from '@strata/core';
import { parseAllDocuments } from 'yaml';
import { appDirs, loadApps, type WarningOptions } from './apps.ts';
import { declaredNamespaces, readConfig } from './config.ts';
import { UsageError } from './errors.ts';
import { ignoredPaths } from './ignored.ts';
import { Layout } from './layout.ts';

/** Where the new-app template lives: real files, type-checked with the workspace, the name a placeholder. */
const TEMPLATE = fileURLToPath(new URL('../templates/app', import.meta.url));
const PLACEHOLDER = /__APP_NAME__/g;
/** Template files whose name is not the one they get: a test named after the template would run as a test here. */
const RENAMED: Readonly<Record<string, (name: string) => string>> = { 'test/app.template.ts': (name) => `test/${name}.test.ts` };

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * The namespaces every cluster has from the start, Kubernetes' own: the one that takes objects
 * without a namespace, and those kube-apiserver makes for the system (any kube- name is reserved).
 */
export const CLUSTER_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Whether Kubernetes keeps the namespace for itself: `default`, and every kube- name. */
export const isSystemNamespace = (name: string): boolean => CLUSTER_NAMESPACES.includes(name) || name.startsWith('kube-');

/** Why an app's objects do not go into a namespace that `isSystemNamespace`, in the words every command gives. */
export const SYSTEM_NAMESPACE_REASON = 'which Kubernetes keeps for itself (default, and every kube- name)';

/**
 * Namespaces of the cluster's platform, by who runs there: the GitOps controllers' own (as the gitops
 * settings name them, and their defaults) and those of well-known components that their charts
 * install into by default. An app of the same name would get the template's default-deny policy
 * there, and the AppProject would let every app of the env deploy into it.
 */
export function platformNamespaces(root: string): Map<string, string> {
  const out = new Map<string, string>(PLATFORM_NAMESPACES);
  const gitops = readConfig(root)?.gitops;
  const setting = (key: string) => (isPlainObject(gitops) && typeof gitops[key] === 'string' ? (gitops[key] as string) : undefined);
  const argocd = setting('argocdNamespace');
  const flux = setting('fluxNamespace');
  if (argocd !== undefined) out.set(argocd, 'Argo CD runs (gitops.argocdNamespace)');
  if (flux !== undefined) out.set(flux, 'the Flux controllers run (gitops.fluxNamespace)');
  return out;
}

/** The well-known platform namespaces, each with who runs there by default. */
const PLATFORM_NAMESPACES: ReadonlyMap<string, string> = new Map([
  ['argocd', 'Argo CD runs (the default of gitops.argocdNamespace)'],
  ['flux-system', 'the Flux controllers run (the default of gitops.fluxNamespace)'],
  ['cert-manager', 'cert-manager runs'],
  ['external-secrets', 'the External Secrets Operator runs'],
  ['ingress-nginx', 'the NGINX ingress controller runs'],
  ['istio-system', 'Istio runs'],
  ['linkerd', 'Linkerd runs'],
  ['gatekeeper-system', 'OPA Gatekeeper runs'],
  ['kyverno', 'Kyverno runs'],
]);

/**
 * Why git would never commit an app named `name`, when it would not: a rule of an ignore file
 * matches one of the files it gets (its package, its base, an overlay) or a folder of them, while
 * the env roots, package.json and gitops/ that name it are committed. As git itself says
 * (`git check-ignore`); undefined too outside a git repository. A git that cannot run there throws
 * (see runGit).
 */
export function ignoredAppFile(root: string, name: string): string | undefined {
  const files = [
    `${Layout.app(name)}/package.json`,
    `${Layout.baseOf(name)}/kustomization.yaml`,
    ...ENVIRONMENTS.map((e) => `${Layout.overlay(e, name)}/kustomization.yaml`),
  ];
  // Tracked ones too: a file of that name that git tracks already (by a forced add) is still refused.
  const [ignored] = ignoredPaths(root, files);
  if (!ignored) return undefined;
  return `git ignores ${ignored.path} (${ignored.rule}), so the app's files would never be committed while the env roots, package.json and gitops/ that list it are`;
}

/**
 * Why an app may not be called `name` on Windows, when it may not: CON, PRN, AUX, NUL, COM1-COM9
 * and LPT1-LPT9 name devices there in any case, so git for Windows (core.protectNTFS) refuses to
 * check out apps/<name>, base/<name> and overlays/<env>/<name>, and no Windows clone of the
 * repository would work.
 */
export function windowsDeviceName(name: string): string | undefined {
  if (!/^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i.test(name)) return undefined;
  return `${name.toUpperCase()} is a device name on Windows (as are CON, PRN, AUX, NUL, COM1-COM9 and LPT1-LPT9), where git cannot check out ${Layout.app(name)}, ${Layout.baseOf(name)} or the overlays, so no Windows clone of the repository would work`;
}

/** Refuses a name that cannot be an app, an app that exists, or a namespace that is not free for it (exit 2). */
export function checkNewAppName(root: string, name: string): void {
  // Also the Service's name, which must start with a letter; the limit leaves room for suffixes.
  if (!isDns1035Label(name) || name.length > 50) {
    throw new UsageError(`app name "${name}" must be a lower-case DNS label starting with a letter (a-z, 0-9, "-"; at most 50 characters)`);
  }
  const device = windowsDeviceName(name);
  if (device) throw new UsageError(`app name "${name}": ${device}; pick another name`);
  // The template puts the app's objects in a namespace of its name (src/config.ts), default-deny policy included.
  if (isSystemNamespace(name)) {
    throw new UsageError(`app name "${name}" would put its objects in the namespace "${name}", ${SYSTEM_NAMESPACE_REASON}; pick another name`);
  }
  const platform = platformNamespaces(root).get(name);
  if (platform) throw new UsageError(`app name "${name}" would put its objects in the namespace "${name}", where ${platform}; pick another name`);
  if (declaredNamespaces(root).includes(name)) {
    throw new UsageError(
      `app name "${name}" would put its objects in the namespace "${name}", which kubernetes.namespaces of ${Layout.configFile} says the platform makes (an app does not own a platform namespace); pick another name`,
    );
  }
  if (existsSync(join(root, Layout.app(name)))) throw new UsageError(`${Layout.app(name)} already exists; pick another name or remove it first`);
  const ignored = ignoredAppFile(root, name);
  if (ignored) throw new UsageError(`app name "${name}": ${ignored}; pick another name`);
  const owner = namespaceOwner(root, name, name);
  if (owner) {
    throw new UsageError(
      `app name "${name}" would put its objects in the namespace "${name}", which the app ${owner.app} already uses (${owner.file}); pick another name`,
    );
  }
}

/**
 * Refuses a name whose namespace an app of apps/ that has no generated tree yet (base/<app>,
 * overlays/<env>/<app>) puts objects in, as `checkNewAppName` refuses one that a generated tree uses:
 * such an app is loaded and rendered for its base and every env. An app that does not load or
 * render cannot say where its objects go: that goes to `onWarning`, and the name is not refused.
 */
export async function checkNewAppNamespace(root: string, name: string, options: WarningOptions = {}): Promise<void> {
  const app = await ungeneratedUser(root, name, name, options);
  if (app) {
    throw new UsageError(
      `app name "${name}" would put its objects in the namespace "${name}", which the app ${app} already uses (${Layout.app(app)}, not generated yet); pick another name`,
    );
  }
}

/**
 * The first app other than `self` that puts objects in `namespace`, with where it says so: its
 * committed tree (the file), or, for an app not generated yet, its render (`apps/<app>`).
 */
export async function namespaceUser(
  root: string,
  namespace: string,
  self: string,
  options: WarningOptions = {},
): Promise<{ app: string; where: string } | undefined> {
  const owner = namespaceOwner(root, namespace, self);
  if (owner) return { app: owner.app, where: owner.file };
  const app = await ungeneratedUser(root, namespace, self, options);
  return app === undefined ? undefined : { app, where: `${Layout.app(app)}, not generated yet` };
}

/**
 * The first app of apps/ other than `self` with no generated tree yet whose render puts objects in
 * `namespace`. An app that does not load or render cannot say where its objects go: that goes to
 * `onWarning`, and it is not counted.
 */
async function ungeneratedUser(root: string, namespace: string, self: string, options: WarningOptions): Promise<string | undefined> {
  const generated = (app: string) =>
    existsSync(join(root, Layout.baseOf(app))) || ENVIRONMENTS.some((env) => existsSync(join(root, Layout.overlay(env, app))));
  for (const app of appDirs(root).filter((a) => a !== self && !generated(a))) {
    let manifests: Manifest[];
    try {
      const [loaded] = await loadApps(root, [app]);
      manifests = [undefined, ...ENVIRONMENTS].flatMap((env) => loaded!.manifests(env));
    } catch (e) {
      options.onWarning?.(
        `${Layout.app(app)} is not generated yet and could not be rendered, so the namespaces it uses are not known: ${String((e as Error).message ?? e).split('\n')[0]}`,
      );
      continue;
    }
    if (manifests.some((m) => m.metadata.namespace === namespace || (m.kind === 'Namespace' && m.metadata.name === namespace))) return app;
  }
  return undefined;
}

/**
 * The first app other than `self` whose committed tree (base/<app>, overlays/<env>/<app>) puts an
 * object in `namespace`, with the file that says so: read from the generated YAML, no app loaded.
 */
function namespaceOwner(root: string, namespace: string, self: string): { app: string; file: string } | undefined {
  const trees: { app: string; dir: string }[] = [];
  const folders = (dir: string) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort()
      : [];
  for (const app of folders(Layout.base)) trees.push({ app, dir: Layout.baseOf(app) });
  for (const env of folders(Layout.overlays)) for (const app of folders(Layout.envRoot(env))) trees.push({ app, dir: Layout.overlay(env, app) });
  for (const { app, dir } of trees) {
    if (app === self) continue;
    const files = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .map((f) => f.split(sep).join('/'))
      // The tree's own files first, then its components'.
      .sort((a, b) => Number(a.includes('/')) - Number(b.includes('/')) || a.localeCompare(b));
    for (const f of files) {
      const text = readFileSync(join(root, dir, f), 'utf8');
      // Most files do not name it at all: only those that do are parsed.
      if (!text.includes(namespace)) continue;
      if (namespacesOf(text).has(namespace)) return { app, file: `${dir}/${f}` };
    }
  }
  return undefined;
}

/** The namespaces a generated YAML file puts objects in: its objects' own, a Namespace's name, a Kustomization's namespace and its generators'. */
function namespacesOf(text: string): Set<string> {
  const found = new Set<string>();
  const add = (v: unknown) => typeof v === 'string' && found.add(v);
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as Record<string, unknown> | null;
    if (!o || typeof o !== 'object') continue;
    const metadata = o.metadata as Record<string, unknown> | undefined;
    add(metadata?.namespace);
    if (o.kind === 'Namespace') add(metadata?.name);
    if (o.kind === 'Kustomization') {
      add(o.namespace);
      for (const key of ['configMapGenerator', 'secretGenerator']) {
        const list = o[key];
        if (Array.isArray(list)) for (const g of list) add((g as Record<string, unknown> | null)?.namespace);
      }
    }
  }
  return found;
}

/**
 * The package.json and tsconfig.json of the app `name`, by path relative to its folder: its
 * scripts, @strata/core and kubernetes-models, and before them the other model packages `models`
 * its objects are written with (@kubernetes-models/external-secrets, say), each from the catalog.
 */
export function appPackageFiles(name: string, models: readonly string[] = []): Map<string, string> {
  const others = Object.fromEntries(models.filter((p) => p !== 'kubernetes-models').map((p) => [p, 'catalog:']));
  return new Map([
    [
      'package.json',
      json({
        name: `@strata-apps/${name}`,
        version: '0.1.0',
        private: true,
        type: 'module',
        exports: { '.': './src/app.ts' },
        scripts: { generate: `strata generate --app ${name}`, build: `strata build --app ${name}`, test: 'vitest run' },
        dependencies: { ...others, '@strata/core': 'workspace:*', 'kubernetes-models': 'catalog:' },
        devDependencies: { '@strata/cli': 'workspace:*', '@strata/testing': 'workspace:*', '@types/node': 'catalog:', vitest: 'catalog:' },
      }),
    ],
    ['tsconfig.json', json({ extends: '../../tsconfig.base.json', include: ['src', 'test'] })],
  ]);
}

/**
 * The files of a new app `name` from the secure template, by path relative to the workspace root
 * (`apps/<name>/...`), in a stable order.
 */
export function appTemplate(name: string): Map<string, string> {
  const files = new Map<string, string>();
  const dir = Layout.app(name);
  for (const [rel, content] of appPackageFiles(name)) files.set(`${dir}/${rel}`, content);
  const entries = readdirSync(TEMPLATE, { withFileTypes: true, recursive: true }).filter((e) => e.isFile());
  for (const rel of entries.map((e) => relative(TEMPLATE, join(e.parentPath, e.name)).split(sep).join('/')).sort()) {
    const target = RENAMED[rel]?.(name) ?? rel;
    files.set(`${dir}/${target}`, readFileSync(join(TEMPLATE, rel), 'utf8').replace(PLACEHOLDER, name));
  }
  return files;
}

/** The root package.json text with the new app added to its devDependencies (kept sorted), so pnpm links it. */
export function withAppRegistered(rootPackageJson: string, name: string): string {
  const pkg = JSON.parse(rootPackageJson) as { devDependencies?: Record<string, string> };
  pkg.devDependencies = Object.fromEntries(
    Object.entries({ ...pkg.devDependencies, [`@strata-apps/${name}`]: 'workspace:*' }).sort(([a], [b]) => a.localeCompare(b)),
  );
  return json(pkg);
}
