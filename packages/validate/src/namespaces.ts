import { isPlainObject, type Manifest } from '@strata/core';
import { argoCdDestination, argoCdSkips } from '@strata/core/argocd';
import { fluxNamespaceFile, fluxNamespaces, syncPlan } from '@strata/gitops';
import { KUSTOMIZE_VERSION } from '@strata/kustomize';
import {
  appDirs,
  CLUSTER_NAMESPACES,
  crdsFolder,
  distOf,
  isSystemNamespace,
  Layout,
  loadApps,
  objectName,
  platformNamespaces,
  SYSTEM_NAMESPACE_REASON,
  siblingFiles,
  type Problem,
} from '@strata/project';
import { kustomizeSetsNamespace, scopeOf, namespacedIn as scopeNamespacedIn } from '@strata/schemas';
import type { PolicyObject } from '@strata/policy';
import { siblingObjects } from './siblings.ts';
import type { App, NamespaceClaims, SourceDoc } from './types.ts';

/** The rule of a namespaced object whose namespace nothing creates. */
export const NAMESPACE_RULE = 'namespace-exists';

/**
 * Whether an object of `manifests` lives in a namespace, as the API server scopes its kind by group
 * and kind: a built-in kind as kube-apiserver serves it, a custom kind as its CRD says (among
 * `manifests`, in the repository's crds/, or shipped). A kind none of them knows is taken for
 * namespaced, as kustomize takes it (see `namespacedIn` of @strata/schemas).
 */
export function namespacedIn(root: string, manifests: readonly Manifest[]): (m: Manifest) => boolean {
  return scopeNamespacedIn(manifests, [crdsFolder(root)]);
}

/** The rule of a cluster-scoped object written with a namespace. */
export const CLUSTER_NAMESPACE_RULE = 'no-namespace-on-cluster-scoped';

/**
 * The documents of built output (`dist/<env>/<app>.yaml`) that `keep` keeps, by file, and which of
 * their objects are namespaced (as namespacedIn judges them all together).
 */
export function builtByFile(
  root: string,
  docs: readonly SourceDoc[],
  keep: (d: SourceDoc) => boolean = () => true,
): { byFile: Map<string, SourceDoc[]>; namespaced: (m: Manifest) => boolean } {
  const byFile = new Map<string, SourceDoc[]>();
  for (const d of docs) {
    if (!distOf(d.file) || !keep(d)) continue;
    const group = byFile.get(d.file);
    if (group) group.push(d);
    else byFile.set(d.file, [d]);
  }
  if (byFile.size === 0) return { byFile, namespaced: () => false };
  return {
    byFile,
    namespaced: namespacedIn(
      root,
      [...byFile.values()].flat().map((d) => d.manifest),
    ),
  };
}

/**
 * Cluster-scoped objects written with metadata.namespace, at that field: kube-apiserver drops the
 * namespace without a word (a create, an update, a server-side apply alike), so the object is one for
 * the whole cluster whichever namespace each env's copy names, and the copies of envs that share a
 * cluster overwrite each other. A kustomization's `namespace:` writes it for every kind kustomize does
 * not know for cluster-scoped (custom kinds, built-in ones newer than its table), which is how it
 * mostly gets there. Scoped by group and kind as `namespacedIn` does; a kind whose scope nothing
 * knows is not judged here (it has no schema either, which validation reports).
 */
export function clusterNamespaceProblems(root: string, docs: readonly SourceDoc[]): Problem[] {
  const scope = scopeOf(
    docs.map((d) => d.manifest),
    [crdsFolder(root)],
  );
  return docs.flatMap((d) => {
    const m = d.manifest;
    const ns: unknown = m.metadata?.namespace;
    if (typeof ns !== 'string' || ns === '' || scope(m) !== 'Cluster') return [];
    const name = objectName(m.metadata);
    const kustomize = kustomizeSetsNamespace(m)
      ? `, and keep it out of a kustomization that sets namespace: (kustomize ${KUSTOMIZE_VERSION} gives it one, not knowing ${m.apiVersion} ${m.kind} for cluster-scoped)`
      : '';
    return [
      {
        file: d.file,
        line: d.lineOf(['metadata', 'namespace']),
        resource: d.id,
        apiVersion: m.apiVersion,
        kind: m.kind,
        namespace: ns,
        ...(name !== undefined ? { name } : {}),
        path: 'metadata.namespace',
        message: `${m.kind} is cluster-scoped: kube-apiserver drops the namespace "${ns}", so this is one object for the whole cluster whatever namespace each env gives it; remove metadata.namespace${kustomize}`,
        rule: CLUSTER_NAMESPACE_RULE,
        severity: 'error' as const,
      },
    ];
  });
}

/** The rule of an app's object in a namespace that is not free for an app: Kubernetes' own, or a platform component's. */
export const PLATFORM_NAMESPACE_RULE = 'no-platform-namespace';

/**
 * The objects of the apps' built output (`dist/<env>/<app>.yaml`) in a namespace that new-app and
 * import refuse for an app, with their words, at the object's namespace: Kubernetes' own (`default`,
 * every kube- name), where the GitOps controllers run (as strata.config.json names them now) or a
 * well-known platform component. An app's config or strata.config.json can put them there after the
 * app was created, and the app's default-deny NetworkPolicy and its AppProject would then reach what
 * runs there (CoreDNS, Argo CD itself). A Namespace of that name the app ships counts too. An app
 * whose policy says `allowSystemNamespace: true` (as `strata import --allow-system-namespace` writes
 * it) may be in Kubernetes' own namespaces; its settings are read from `apps`, else loaded, only for
 * an app with an object there. One that does not load says nothing, so its objects there are refused.
 */
export async function platformNamespaceProblems(
  root: string,
  docs: readonly SourceDoc[],
  options: { apps?: ReadonlyMap<string, Pick<App, 'name' | 'policy'>> } = {},
): Promise<Problem[]> {
  const built = docs.filter((d) => distOf(d.file) !== undefined);
  if (built.length === 0) return [];
  const platform = platformNamespaces(root);
  const namespaced = namespacedIn(
    root,
    built.map((d) => d.manifest),
  );
  const found = built.flatMap((d) => {
    const m = d.manifest;
    const isNamespace = m.kind === 'Namespace' && m.apiVersion === 'v1';
    const ns: unknown = isNamespace ? m.metadata?.name : m.metadata?.namespace;
    if (typeof ns !== 'string' || ns === '' || (!isNamespace && !namespaced(m))) return [];
    const system = isSystemNamespace(ns);
    const runs = platform.get(ns);
    if (!system && runs === undefined) return [];
    return [{ d, ns, isNamespace, system, runs, app: distOf(d.file)!.app }];
  });
  const inSystem = [...new Set(found.filter((f) => f.system).map((f) => f.app))];
  const allowed = new Set((await appSettings(root, inSystem, options)).filter((a) => a.policy?.allowSystemNamespace === true).map((a) => a.name));
  return found.flatMap(({ d, ns, isNamespace, system, runs, app }) => {
    if (system && allowed.has(app)) return [];
    const m = d.manifest;
    const why = system
      ? `${SYSTEM_NAMESPACE_REASON}: give its objects a namespace of their own, or, if the app belongs there, set policy: { allowSystemNamespace: true } in apps/${app}/src/app.ts (as strata import --allow-system-namespace does)`
      : `where ${runs}; an app does not deploy into a platform component's namespace (its policies and the AppProject would reach the component): give its objects a namespace of their own`;
    const field = isNamespace ? 'name' : 'namespace';
    const name = objectName(m.metadata);
    return [
      {
        file: d.file,
        line: d.lineOf(['metadata', field]),
        resource: d.id,
        apiVersion: m.apiVersion,
        kind: m.kind,
        ...(isNamespace ? {} : { namespace: ns }),
        ...(name !== undefined ? { name } : {}),
        path: `metadata.${field}`,
        message: `would be in the namespace "${ns}", ${why}`,
        rule: PLATFORM_NAMESPACE_RULE,
        severity: 'error' as const,
      },
    ];
  });
}

/** The policy settings of these apps: those given, the others loaded; an app that is gone or does not load is left out. */
async function appSettings(
  root: string,
  names: readonly string[],
  options: { apps?: ReadonlyMap<string, Pick<App, 'name' | 'policy'>> },
): Promise<Pick<App, 'name' | 'policy'>[]> {
  const given = options.apps ?? new Map();
  const known = new Set(appDirs(root));
  const wanted = names.filter((n) => !given.has(n) && known.has(n));
  const out = names.filter((n) => given.has(n)).map((n) => given.get(n)!);
  for (const name of wanted) {
    try {
      // Its warnings are said where its policy settings are read.
      out.push(...(await loadApps(root, [name])));
    } catch {
      // Its settings are unknown: nothing allows its objects there.
    }
  }
  return out;
}

/**
 * What each built file (`dist/<env>/<app>.yaml`) of `docs` creates and needs of namespaces, as its
 * env's cluster meets it: the Namespace objects it ships, the destination of its Argo CD Application
 * where Argo CD alone applies the tree (`argoCdOnly`: it creates that namespace, `CreateNamespace=true`,
 * when the app ships none of that name), else what Flux's folder `gitops/flux/<env>/` plans a
 * Namespace from (`fluxPlan`), and every namespaced object that names a namespace, with the line of
 * that field. Objects Argo CD never applies (`argoCdSkips`) neither
 * create nor need one there. Other files are left out: for manifests applied by hand (`kubectl apply
 * -f`, a chart), nothing says who creates their namespaces beforehand. Plain data, so that the
 * pipeline can keep an app's claims in its cache and judge them beside apps it renders anew.
 */
export function namespaceClaims(
  root: string,
  docs: readonly SourceDoc[],
  argoCdOnly: boolean,
  textOf: (file: string) => string | undefined = () => undefined,
): NamespaceClaims[] {
  const { byFile, namespaced } = builtByFile(root, docs, (d) => !(argoCdOnly && argoCdSkips(d.manifest)));
  if (byFile.size === 0) return [];
  // By file, whatever order the builds finished in: the pipeline keeps these in each app's cache
  // entry, whose seal must not change from one run of the same tree to the next.
  return [...byFile]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, group]): NamespaceClaims => {
      const manifests = group.map((d) => d.manifest);
      let lines: string[] | undefined;
      const namespaceLine = (d: SourceDoc, ns: string) => {
        lines ??= textOf(file)?.split('\n') ?? [];
        return writtenNamespaceLine(lines, d.line, ns) ?? d.lineOf(['metadata', 'namespace']);
      };
      const creates = [...new Set(createdBy(manifests))].sort();
      const uses = group.flatMap((d) => {
        const m = d.manifest;
        const ns = m.metadata.namespace;
        if (typeof ns !== 'string' || ns === '' || !namespaced(m)) return [];
        const name = objectName(m.metadata);
        return [
          {
            line: namespaceLine(d, ns),
            resource: d.id,
            apiVersion: m.apiVersion,
            kind: m.kind,
            namespace: ns,
            ...(name !== undefined ? { name } : {}),
          },
        ];
      });
      const podSecurity = podSecurityOf(manifests);
      return {
        file,
        creates,
        ...(podSecurity ? { podSecurity } : {}),
        ...(argoCdOnly
          ? { destination: argoCdDestination(distOf(file)!.app, manifests, namespaced) }
          : { flux: fluxPlan(distOf(file)!.app, manifests, namespaced) }),
        uses,
      };
    });
}

/**
 * What the Flux folder of an app's env plans its Namespaces from (`fluxNamespaces` of @strata/gitops),
 * read from the app's built objects as generate reads its rendered ones (`syncPlan`).
 */
function fluxPlan(app: string, manifests: readonly Manifest[], namespaced: (m: Manifest) => boolean): NonNullable<NamespaceClaims['flux']> {
  const plan = syncPlan(app, manifests, namespaced);
  return { namespace: plan.namespace, syncOptions: plan.syncOptions };
}

/**
 * The line of `namespace: <ns>` in the `metadata:` block of the object that starts on line `start` of
 * `lines`, as kustomize writes built output (`metadata:` at the object's own indentation, its keys
 * two spaces in); undefined when the text is not written so, and the caller's YAML parse decides.
 * Built output holds thousands of objects: parsing each document again for one line cost seconds.
 */
function writtenNamespaceLine(lines: readonly string[], start: number, ns: string): number | undefined {
  const written = new Set([`namespace: ${ns}`, `namespace: ${JSON.stringify(ns)}`, `namespace: '${ns}'`]);
  let metadata = false;
  for (let i = start - 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('---')) return undefined;
    if (!metadata) {
      metadata = line === 'metadata:';
      continue;
    }
    if (line !== '' && !line.startsWith(' ')) return undefined; // past the metadata block
    if (line.startsWith('  ') && !line.startsWith('   ') && written.has(line.slice(2).trimEnd())) return i + 1;
  }
  return undefined;
}

/** The names of the Namespace objects among `manifests`. */
function createdBy(manifests: readonly Manifest[]): string[] {
  return manifests.flatMap((m) => (m.apiVersion === 'v1' && m.kind === 'Namespace' && typeof m.metadata?.name === 'string' ? [m.metadata.name] : []));
}

const POD_SECURITY_LABELS = ['pod-security.kubernetes.io/enforce', 'pod-security.kubernetes.io/enforce-version'];

/** The Pod Security enforce labels of the Namespace objects among `manifests` that set one, by name; undefined when none does. */
function podSecurityOf(manifests: readonly Manifest[]): Record<string, Record<string, string>> | undefined {
  const out: Record<string, Record<string, string>> = {};
  for (const m of manifests) {
    if (m.apiVersion !== 'v1' || m.kind !== 'Namespace' || typeof m.metadata?.name !== 'string') continue;
    const labels = isPlainObject(m.metadata.labels) ? m.metadata.labels : {};
    const set = POD_SECURITY_LABELS.filter((l) => typeof labels[l] === 'string').map((l) => [l, labels[l] as string]);
    if (set.length > 0 && !(m.metadata.name in out)) out[m.metadata.name] = Object.fromEntries(set);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The Namespaces that the other built files of `file`'s env create (`claims` of any files), as the
 * policy reads them (PolicyContext.namespaces): each with its Pod Security labels and the file that
 * ships it. None for a file that is not built output.
 */
export function namespacesElsewhere(claims: readonly NamespaceClaims[], file: string): PolicyObject[] {
  const env = distOf(file)?.env;
  return env === undefined ? [] : (byEnv(claims).get(env)?.namespaces ?? []).filter((o) => o.file !== file);
}

/**
 * The Pod Security labels of the namespaces that the objects of `mine` (one app's built files) live
 * in and other files of their env create, as `claims` (every app's) have them: the verdict of
 * namespace-admits-pods on those objects holds while this stays the same.
 */
export function podSecurityBasis(mine: readonly NamespaceClaims[], claims: readonly NamespaceClaims[]): string {
  const basis: [string, string, Readonly<Record<string, string>> | null][] = [];
  const envs = byEnv(claims);
  for (const c of mine) {
    const env = distOf(c.file)?.env;
    const used = [...new Set(c.uses.map((u) => u.namespace))].filter((ns) => !c.creates.includes(ns)).sort();
    for (const ns of used) {
      const of = env === undefined ? undefined : envs.get(env);
      const creator = of?.claims.find((o) => o.file !== c.file && o.creates.includes(ns));
      const flux = creator ? undefined : of?.flux.find((m) => m.metadata.name === ns);
      basis.push([c.file, ns, creator ? (creator.podSecurity?.[ns] ?? {}) : flux ? (podSecurityOf([flux])?.[ns] ?? {}) : null]);
    }
  }
  return JSON.stringify(basis);
}

/**
 * The claims of built files and the Namespaces they create, env by env in their order, and, where Flux
 * applies the tree, the Namespaces its folder `gitops/flux/<env>/` holds for them (`fluxNamespaces`),
 * worked out once per list: every app of an env asks for its env's.
 */
interface EnvClaims {
  readonly claims: NamespaceClaims[];
  readonly namespaces: PolicyObject[];
  readonly flux: Manifest[];
}
const envIndex = new WeakMap<readonly NamespaceClaims[], Map<string, EnvClaims>>();
function byEnv(claims: readonly NamespaceClaims[]): Map<string, EnvClaims> {
  let index = envIndex.get(claims);
  if (!index) {
    index = new Map();
    for (const c of claims) {
      const env = distOf(c.file)?.env;
      if (env === undefined) continue;
      const of = index.get(env) ?? index.set(env, { claims: [], namespaces: [], flux: [] }).get(env)!;
      of.claims.push(c);
      for (const name of c.creates)
        of.namespaces.push({
          manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...(c.podSecurity?.[name] ?? {}) } } },
          file: c.file,
        });
    }
    for (const [env, of] of index) {
      const plans = of.claims.flatMap((c) => (c.flux ? [c.flux] : []));
      if (plans.length === 0) continue;
      of.flux.push(...fluxNamespaces(env, plans));
      for (const manifest of of.flux) of.namespaces.push({ manifest, file: fluxNamespaceFile(env, manifest.metadata.name) });
    }
    envIndex.set(claims, index);
  }
  return index;
}

/**
 * What the other built files of the envs of `files` create (their Namespace objects, their Argo CD
 * destinations where `argoCdOnly`), read from dist/ as they are: a run given one app's output judges
 * its namespaces against every app of its env, as the env's cluster holds them. A file that does not
 * read as YAML creates nothing here; validating it says why.
 */
export function siblingClaims(root: string, files: readonly string[], argoCdOnly: boolean): NamespaceClaims[] {
  const out: NamespaceClaims[] = [];
  for (const { file, app, text } of siblingFiles(root, files)) {
    const manifests = siblingObjects(text);
    if (!manifests) continue;
    const applied = argoCdOnly ? manifests.filter((m) => !argoCdSkips(m)) : manifests;
    const namespaced = namespacedIn(root, applied);
    const creates = [...new Set(createdBy(applied))].sort();
    const podSecurity = podSecurityOf(applied);
    out.push({
      file,
      creates,
      ...(podSecurity ? { podSecurity } : {}),
      ...(argoCdOnly ? { destination: argoCdDestination(app, applied, namespaced) } : { flux: fluxPlan(app, applied, namespaced) }),
      uses: [],
    });
  }
  return out;
}

/** The cluster a built file's objects are applied to: its env's, each env being a cluster of its own. */
const clusterOf = (file: string) => distOf(file)?.env ?? '';

/**
 * Each namespaced object whose namespace nothing creates in its cluster (no Namespace object of an
 * app of its env, not an Argo CD destination there, not a Namespace of the env's Flux folder where
 * Flux applies the tree, not one of `declared`, which the platform creates, nor one every cluster has), refused in the cluster's words, `namespaces "x" not found`,
 * at its `metadata.namespace` and saying how to fix it. Argo CD's sync of the app stops at that
 * object, and so does `kubectl apply -k` of its overlay; a server dry run that creates every
 * namespace first (strata verify) lets it through.
 */
export function namespaceProblems(claims: readonly NamespaceClaims[], declared: readonly string[] = []): Problem[] {
  const created = new Map<string, Set<string>>();
  for (const c of claims) {
    const key = clusterOf(c.file);
    const set = created.get(key) ?? created.set(key, new Set([...CLUSTER_NAMESPACES, ...declared])).get(key)!;
    for (const ns of c.creates) set.add(ns);
    if (c.destination !== undefined) set.add(c.destination);
  }
  for (const [env, of] of byEnv(claims)) for (const m of of.flux) created.get(env)?.add(m.metadata.name);
  const problems: Problem[] = [];
  for (const c of claims) {
    const built = distOf(c.file);
    if (!built) continue;
    const known = created.get(clusterOf(c.file))!;
    const argo = c.destination !== undefined;
    for (const u of c.uses) {
      if (known.has(u.namespace)) continue;
      const creators = argo
        ? `and it is not the destination of ${built.app}'s Argo CD Application, ${c.destination}`
        : `nor in ${Layout.fluxEnv(built.env)}, which holds one for each app's destination (${built.app}'s: ${c.flux?.namespace ?? built.app})`;
      problems.push({
        file: c.file,
        line: u.line,
        apiVersion: u.apiVersion,
        kind: u.kind,
        namespace: u.namespace,
        ...(u.name !== undefined ? { name: u.name } : {}),
        path: 'metadata.namespace',
        message:
          `namespaces ${JSON.stringify(u.namespace)} not found: nothing in ${built.env} creates it (no Namespace ${u.namespace} among the env's apps, ${creators}), ` +
          `so ${argo ? "Argo CD's sync" : "Flux's apply"} and kubectl apply -k ${Layout.overlay(built.env, built.app)} stop at this object; ` +
          `correct the namespace, add a Namespace ${u.namespace} to the app, or list it in kubernetes.namespaces of ${Layout.configFile} if the platform creates it`,
        rule: NAMESPACE_RULE,
        severity: 'error',
        ...(u.resource !== undefined ? { resource: u.resource } : {}),
      });
    }
  }
  return problems;
}
