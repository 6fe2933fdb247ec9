import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ENVIRONMENTS, groupOf, type Environment, type Manifest } from '@strata/core';
import { argoCdApplicationName, argoCdDestination, type ArgoCdTrackingMethod } from '@strata/core/argocd';
import { CLUSTER_NAMESPACES, crdsFolder, declaredNamespaces, Layout, ToolError } from '@strata/project';
import { applyTree, dumpYaml, generatedFile, sortKeys } from '@strata/emit';
import { buildOverlays, buildOverlaySync, parseBuild, resolveKustomize, type BuildResult } from '@strata/kustomize';
import { allocationsAsked, canonicalIp } from '@strata/node-ports';
import { fitsClientSideApply, ingressRoutes } from '@strata/policy';
import { namespacedIn } from '@strata/schemas';
import { planFlux } from './flux.ts';
import { distFileOnly, distPlaces, type Claimed, type Locate, type Place } from './places.ts';
import { syncSteps } from './order.ts';
import type { AppSyncPlan } from './sync.ts';
import {
  destination,
  inRepository,
  oneArgoCD,
  sharedClusters,
  syncsByHand,
  wantsArgoCD,
  wantsFlux,
  type Destination,
  type GitopsSettings,
} from './settings.ts';

/** Folder of the generated Argo CD and Flux files, relative to the repository root. */
export const GITOPS_DIR = Layout.gitops;
export const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

export interface PlanGitopsOptions {
  /**
   * The built output of `overlays/<env>/<app>`. Callers that have built already pass it.
   * @default runs `kustomize build` on the overlay
   */
  readonly built?: (env: Environment, app: string) => Manifest[];
  /** What Argo CD needs of an app in an env, when the caller has it already (from a cache, say). */
  readonly plans?: (env: Environment, app: string) => AppSyncPlan | undefined;
}

/**
 * Builds one overlay synchronously, so planning stays a plain function like the other planners.
 * kustomize runs in the kustomize package, as everywhere: an overlay it refuses is an Error (invalid
 * input), a kustomize that crashed, was killed or answered garbage a ToolError (the input was never
 * judged).
 */
function buildSync(root: string): (env: Environment, app: string) => Manifest[] {
  const command = resolveKustomize(root);
  return (env, app) => {
    const dir = Layout.overlay(env, app);
    if (!existsSync(join(root, Layout.overlayKustomization(env, app)))) {
      throw new Error(`${dir}: no kustomization.yaml; run \`npx strata generate\` first`);
    }
    const r = buildOverlaySync(root, dir, { command });
    if (!r.ok) throw buildError(r);
    return parseBuild(r.yaml, dir);
  };
}

function buildError(r: BuildResult): Error {
  const message = `${r.overlay}: kustomize build failed: ${r.error ?? 'failed'}`;
  return r.toolFailed ? new ToolError(message) : new Error(message);
}

/** Argo CD applies the objects of a sync in waves, lowest first, each once the waves before it are healthy. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** An object's Argo CD sync wave: its annotation read as Argo CD reads it (an integer), 0 without one or when it is not one. */
export function syncWave(m: Manifest): number {
  const value = m.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  return typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number.parseInt(value, 10) : 0;
}

/**
 * What decides whether an object of an app in `root` lives in a namespace, as the cluster scopes its
 * group and kind: built-in kinds as kube-apiserver serves them, custom ones as their CRD says (in the
 * objects, the repository's crds/ or shipped).
 */
export const namespacedOf = (root: string, manifests: readonly Manifest[]): ((m: Manifest) => boolean) => namespacedIn(manifests, [crdsFolder(root)]);

/**
 * Reads what Argo CD needs to know about one app in one env from its built objects. `isNamespaced`
 * scopes each object (see `namespacedOf`): Argo CD admits a cluster-scoped object only when the
 * project's clusterResourceWhitelist names its group and kind.
 * @default `isNamespaced` knows the CRDs among the objects and the shipped ones, not a repository's crds/
 * `env`, the env whose Application syncs them, counts what Argo CD's tracking writes into each object
 * (`trackingMethod`, `gitops.resourceTrackingMethod`: the tracking id annotation, the instance label
 * or both; @default "annotation"; and with annotation tracking the `installationID`,
 * `gitops.installationID`, as its own annotation; @default none) in whether it fits client-side
 * apply; @default counted without it
 */
export function syncPlan(
  app: string,
  manifests: readonly Manifest[],
  isNamespaced: (m: Manifest) => boolean = namespacedIn(manifests),
  env?: Environment,
  trackingMethod?: ArgoCdTrackingMethod,
  installationID?: string,
): AppSyncPlan {
  const isClusterScoped = (m: Manifest) => !isNamespaced(m);
  const namespaced = manifests.filter(isNamespaced);
  const namespace = argoCdDestination(app, manifests, isNamespaced);
  const namespaces = new Set([namespace, ...namespaced.flatMap((m) => (m.metadata.namespace ? [m.metadata.namespace] : []))]);
  const creates = [...new Set(manifests.filter((m) => m.kind === 'Namespace' && m.apiVersion === 'v1').map((m) => m.metadata.name))].sort();
  const ownsNamespace = creates.includes(namespace);
  // Client-side apply keeps a copy of the whole object in an annotation, and the server refuses
  // annotations over 256 KiB in total: such an object syncs only server-side. Measured as the policy
  // rule measures it, so that the rule and this decision never disagree.
  // Argo CD writes its tracking id into each object before it applies it, so that counts too.
  const tracking = env
    ? {
        application: argoCdApplicationName(app, env),
        namespace,
        ...(trackingMethod ? { method: trackingMethod } : {}),
        ...(installationID ? { installationID } : {}),
      }
    : undefined;
  const large = manifests.some((m) => m.kind === 'CustomResourceDefinition' || !fitsClientSideApply(m, tracking));

  const autoscaled: AppSyncPlan['autoscaled'][number][] = [];
  for (const m of manifests) {
    const spec = m.spec as { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } } | undefined;
    const target = spec?.scaleTargetRef;
    const scaler =
      (m.kind === 'HorizontalPodAutoscaler' && m.apiVersion.startsWith('autoscaling/')) ||
      (m.kind === 'ScaledObject' && groupOf(m.apiVersion) === 'keda.sh');
    if (!scaler || !target?.name) continue;
    const kind = target.kind ?? 'Deployment';
    const group = target.apiVersion ? groupOf(target.apiVersion) : 'apps';
    const ns = m.metadata.namespace ?? namespace;
    if (!autoscaled.some((a) => a.kind === kind && a.name === target.name && a.namespace === ns))
      autoscaled.push({ group, kind, name: target.name, namespace: ns });
  }

  const syncOptions: string[] = [];
  if (!ownsNamespace) syncOptions.push('CreateNamespace=true');
  if (large) syncOptions.push('ServerSideApply=true');
  if (autoscaled.length > 0) syncOptions.push('RespectIgnoreDifferences=true');
  const gk = (m: Manifest) => `${groupOf(m.apiVersion)}/${m.kind}`;
  const clusterKinds = [...new Set(manifests.filter(isClusterScoped).map(gk))].sort();
  // Where Argo CD puts each object: a namespaced one that names no namespace goes to the destination.
  const objects = manifests.map((m) => {
    const group = groupOf(m.apiVersion);
    const ns = isClusterScoped(m) ? '' : `${m.metadata.namespace ?? namespace}/`;
    return `${group ? `${group}/` : ''}${m.kind} ${ns}${m.metadata.name}`;
  });
  const definitions = manifests.flatMap((m) => {
    const spec = m.spec as { group?: unknown; names?: { kind?: unknown } } | undefined;
    return m.kind === 'CustomResourceDefinition' && typeof spec?.group === 'string' && typeof spec.names?.kind === 'string'
      ? [{ crd: m, kind: `${spec.group}/${spec.names.kind}` }]
      : [];
  });
  const crds = definitions.map((d) => d.kind);
  const asked = manifests.flatMap(allocationsAsked);
  // Argo CD applies a CRD and its custom resources of one wave together, the resources right after
  // the CRD whether or not it is established yet: a CRD its own app uses goes a wave earlier.
  const crdWaves = definitions.flatMap(({ crd, kind }) => {
    const users = manifests.filter((m) => gk(m) === kind);
    if (users.length === 0) return [];
    const wave = Math.min(...users.map(syncWave)) - 1;
    return syncWave(crd) <= wave ? [] : [{ name: crd.metadata.name, wave }];
  });
  return {
    app,
    namespace,
    namespaces: [...namespaces].sort(),
    creates,
    syncOptions,
    autoscaled: autoscaled.sort((a, b) => `${a.kind}/${a.namespace}/${a.name}`.localeCompare(`${b.kind}/${b.namespace}/${b.name}`)),
    clusterKinds,
    kinds: [...new Set(manifests.map(gk))].sort(),
    crds: [...new Set(crds)].sort(),
    crdWaves: crdWaves.sort((a, b) => a.name.localeCompare(b.name)),
    objects: [...new Set(objects)].sort(),
    nodePorts: [
      ...new Set(
        manifests.flatMap((m) =>
          m.kind === 'Service' && m.apiVersion === 'v1'
            ? ((m.spec as { ports?: { nodePort?: unknown }[] } | undefined)?.ports ?? []).flatMap((p) =>
                typeof p.nodePort === 'number' ? [p.nodePort] : [],
              )
            : [],
        ),
      ),
    ].sort((a, b) => a - b),
    clusterIps: [...new Set(asked.flatMap((a) => (a.pool === 'cluster-ip' && a.ip !== undefined ? [a.ip] : [])))].sort(),
    defaultPriorityClasses: [
      ...new Set(manifests.filter((m) => allocationsAsked(m).some((a) => a.pool === 'default-priority-class')).map((m) => m.metadata.name)),
    ].sort(),
    ingressRoutes: manifests
      .flatMap((m) =>
        ingressRoutes(m).map((r) => [r.ingressClass, r.host, r.path, `${m.metadata.namespace ?? namespace}/${m.metadata.name}`] as const),
      )
      .sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : a.join('\0') > b.join('\0') ? 1 : 0)),
  };
}

/**
 * The objects that two envs deploying to one cluster would both deploy (same kind, namespace and
 * name; a cluster-scoped one by kind and name): one Application's sync overwrites what the other's
 * applied, and prune and self-heal make them fight. And what such a cluster holds once whichever
 * namespace asks, so that the env synced second is refused it: a node port, a cluster IP (in the
 * allocator's words) and the place of the one default PriorityClass (in the Priority admission
 * plugin's), and the host and path of an IngressClass, whose controller serves one Ingress of them.
 * One line each, at the built file and line of the later env's object as the other clash
 * findings are (`locate` finds them: `distPlaces` reads dist/; by default the file alone), naming both
 * Applications, the file of the earlier env's, and the fix.
 */
export function clusterCollisions(
  settings: GitopsSettings,
  plansByEnv: ReadonlyMap<Environment, readonly AppSyncPlan[]>,
  locate: Locate = distFileOnly,
): string[] {
  const lines: string[] = [];
  const where = (p: Place) => `${p.file}${p.line ? `:${p.line}` : ''}`;
  // `<file>:<line>: <object>: <field>: ` where the built file holds the object, else `<file>: <subject>: `.
  const at = (p: Place, subject: string, named: boolean) =>
    p.object === undefined ? `${where(p)}: ${subject}: ` : `${where(p)}: ${p.object}: ${p.path ? `${p.path}: ` : ''}${named ? `${subject}: ` : ''}`;
  for (const { cluster, setting, envs } of sharedClusters(settings)) {
    const clusters = `distinct clusters (${setting} by env in ${Layout.configFile})`;
    const owners = new Map<string, { env: Environment; app: string }[]>();
    for (const env of envs) {
      for (const plan of plansByEnv.get(env) ?? []) {
        for (const id of plan.objects) {
          const seen = owners.get(id) ?? [];
          owners.set(id, seen);
          for (const other of seen) {
            if (other.env === env) continue;
            // A cluster-scoped object is in no namespace: only its name, or another cluster, tells the envs' apart.
            const fix = id.split(' ')[1]!.includes('/')
              ? `give ${other.env} and ${env} distinct namespaces, or ${clusters}`
              : `give it a distinct name in ${other.env} and ${env}, or give the envs ${clusters}`;
            const first = locate(other.env, other.app, { object: id });
            lines.push(
              `${at(locate(env, plan.app, { object: id }), id, false)}deployed by both ${other.app}-${other.env} (env ${other.env}, ${where(first)}) and ${plan.app}-${env} (env ${env}) to ${cluster}, where each Application's sync overwrites the other's; ${fix}`,
            );
          }
          if (!seen.some((o) => o.env === env)) seen.push({ env, app: plan.app });
        }
      }
    }
    // A node port is the cluster's, whatever the namespace: the second Service that asks for it is refused.
    // So is a cluster IP, in the allocator's words, and the place of the one default PriorityClass, in
    // the Priority admission plugin's.
    const held = <K>(
      heldOf: (plan: AppSyncPlan) => readonly (readonly [K, string?])[],
      claimed: (key: K, what: string | undefined) => Claimed,
      subject: (key: K, second: Holder) => string,
      line: (key: K, first: string, second: string, firstWhat?: string, secondWhat?: string) => string | undefined,
      // Whether the subject says what the field and the server's words do not (a node port's number).
      subjectAtField = false,
    ) => {
      const holders = new Map<K, Holder[]>();
      for (const env of envs) {
        for (const plan of plansByEnv.get(env) ?? []) {
          for (const [key, what] of heldOf(plan)) {
            const seen = holders.get(key) ?? [];
            holders.set(key, seen);
            const place = () => locate(env, plan.app, claimed(key, what));
            const holder: Holder = { env, app: plan.app, place, ...(what !== undefined ? { what } : {}) };
            // Refused, it holds nothing: the next env meets the first holder alone.
            const said = seen.flatMap((other) => {
              if (other.env === env) return [];
              const first = `${other.app}-${other.env} (env ${other.env}, ${where(other.place())})`;
              const text = line(key, first, `${plan.app}-${env} (env ${env})`, other.what, what);
              return text === undefined ? [] : [`${at(place(), subject(key, holder), subjectAtField)}${text}`];
            });
            lines.push(...said);
            if (said.length === 0 && !seen.some((o) => o.env === env)) seen.push(holder);
          }
        }
      }
    };
    held(
      (plan) => plan.nodePorts.map((port) => [port]),
      (port) => ({ nodePort: port }),
      (port) => `node port ${port}`,
      (_, first, second) =>
        `opened by both ${first} and ${second} on ${cluster}, where the second Service is refused: provided port is already allocated; give one of them another nodePort, or give the envs ${clusters}`,
      true,
    );
    held(
      (plan) => plan.clusterIps.map((ip) => [canonicalIp(ip), ip]),
      (ip) => ({ clusterIp: ip }),
      (ip) => `cluster IP ${ip}`,
      (_, first, second, _firstIp, ip) =>
        `asked for by both ${first} and ${second} on ${cluster}, where the second Service is refused: failed to allocate IP ${ip}: provided IP is already allocated; give one of them another clusterIP (or none, and the cluster chooses one), or give the envs ${clusters}`,
    );
    // The first default class of an env holds the cluster's one place; one of the same name in two envs is one object, said above.
    held(
      (plan) => plan.defaultPriorityClasses.slice(0, 1).map((name) => ['', name]),
      (_, name) => ({ defaultPriorityClass: name! }),
      (_, second) => `PriorityClass ${second.what}`,
      (_, first, second, firstName, name) =>
        firstName === name
          ? undefined
          : `PriorityClass ${firstName} is already marked as default. Only one default can exist: ${first} and ${second} both ship a globalDefault PriorityClass to ${cluster}, where the second is refused; keep globalDefault on one PriorityClass of the cluster, or give the envs ${clusters}`,
    );
    // A host and path of an IngressClass is the cluster's: its controller serves every namespace and
    // sends their traffic to one of the Ingresses only. One Ingress in both envs is one object, said above.
    held(
      (plan) => plan.ingressRoutes.map(([ingressClass, host, path, ingress]) => [JSON.stringify([ingressClass, host, path]), ingress]),
      (key) => ({ route: JSON.parse(key) as [string, string, string] }),
      (key) => {
        const [, host, path] = JSON.parse(key) as string[];
        return `${host ? `host "${host}"` : 'every host (no host)'} and path "${path}"`;
      },
      (key, first, second, firstIngress, ingress) => {
        if (firstIngress === ingress) return undefined;
        const [ingressClass] = JSON.parse(key) as string[];
        const of = ingressClass ? `IngressClass "${ingressClass}"` : "the cluster's default IngressClass";
        return `routed by both ${first} and ${second} in ${of} on ${cluster}, whose controller sends their traffic to one of the two only (ingress-nginx refuses the second at admission, others pick by age); give one of them another host or path, or give the envs ${clusters}`;
      },
      true,
    );
  }
  // By file, then line by number, then text.
  const key = (l: string) => /^([^:]*)(?::(\d+))?/.exec(l)!;
  return lines.sort((a, b) => {
    const [, fa, la] = key(a);
    const [, fb, lb] = key(b);
    return fa! < fb! ? -1 : fa! > fb! ? 1 : Number(la ?? 0) - Number(lb ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
  });
}

/** An env's Application that holds or asks for something of a shared cluster, as a collision names it. */
interface Holder {
  readonly env: Environment;
  readonly app: string;
  /** Where its object is (looked up only for a line that names it). */
  readonly place: () => Place;
  /** What it holds, where the key alone does not say: the name of a default PriorityClass. */
  readonly what?: string;
}

/** The path glob of an env's git directory generator: every folder directly under the env's overlays. */
export const overlayGlob = (env: Environment, settings: Pick<GitopsSettings, 'path'> = {}) => `${inRepository(settings, Layout.envRoot(env))}/*`;
export const projectName = (env: Environment) => `strata-${env}`;

/**
 * The namespaces that exist in an env's cluster once its apps are synced, as the namespace-exists
 * rule of validation counts them: those of every cluster, those the platform creates
 * (`kubernetes.namespaces`), the Namespace objects of the env's apps and their Applications'
 * destinations, which Argo CD creates.
 */
function existingNamespaces(declared: readonly string[], plans: readonly AppSyncPlan[]): Set<string> {
  return new Set([...CLUSTER_NAMESPACES, ...declared, ...plans.flatMap((p) => [p.namespace, ...p.creates])]);
}

/**
 * An AppProject destination that allows exactly the Application's cluster. Argo CD reads a project's
 * server and name as glob patterns (a leading `!` denies), so the characters its glob library
 * (gobwas/glob) reads as pattern syntax are escaped: a cluster named `prod*` is allowed alone, not
 * every cluster whose name starts with prod, and an IPv6 server URL (`https://[fd00::1]:6443`) is
 * allowed as written instead of as a character class.
 */
export function projectDestination(d: Destination): Destination {
  const literal = (s: string) => s.replace(/[*?\\[\]{}]/g, '\\$&').replace(/^!/, '\\!');
  return d.name === undefined ? { server: literal(d.server) } : { name: literal(d.name) };
}

/**
 * The destination as the ApplicationSet's template writes it. With goTemplate every string of the
 * template is a Go template, so a `{{` in a cluster's name or URL is written as the action that
 * prints it, and the Application gets the name as given.
 */
export function templateDestination(d: Destination): Destination {
  const literal = (s: string) => s.replaceAll('{{', '{{"{{"}}');
  return d.name === undefined ? { server: literal(d.server) } : { name: literal(d.name) };
}

/**
 * An env's AppProject: its apps may deploy into the namespaces they use that exist in the env, and
 * nowhere else. A namespace that nothing creates (a typo in one object's namespace, say) is left
 * out: validation refuses the object (namespace-exists), and the project never allows it.
 */
function appProject(env: Environment, settings: GitopsSettings, plans: readonly AppSyncPlan[], declared: readonly string[]): Record<string, unknown> {
  const cluster = projectDestination(destination(settings, env));
  const exists = existingNamespaces(declared, plans);
  const namespaces = [...new Set(plans.flatMap((p) => p.namespaces))].filter((ns) => exists.has(ns)).sort();
  const clusterKinds = new Set(plans.flatMap((p) => p.clusterKinds));
  // Argo CD creates the namespace itself for CreateNamespace=true; the project has to allow that kind.
  if (plans.some((p) => p.syncOptions.includes('CreateNamespace=true'))) clusterKinds.add('/Namespace');
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: projectName(env), namespace: settings.argocdNamespace ?? DEFAULT_ARGOCD_NAMESPACE, labels: { 'strata.dev/env': env } },
    spec: {
      description: `Strata applications of the ${env} environment: only this repository, only their namespaces.`,
      sourceRepos: [settings.repoURL],
      destinations: namespaces.map((namespace) => ({ ...cluster, namespace })),
      clusterResourceWhitelist: [...clusterKinds].sort().map((gk) => {
        const slash = gk.indexOf('/');
        return { group: gk.slice(0, slash), kind: gk.slice(slash + 1) };
      }),
    },
  };
}

/** The label that puts each generated Application in its RollingSync step (see `syncSteps`). */
export const SYNC_STEP_LABEL = 'strata.dev/sync-step';

/**
 * Argo CD builds the overlay with these patches added to its kustomization (the Application's
 * `source.kustomize.patches`): each CRD that the app's own custom resources use gets a sync wave
 * before theirs. The overlays stay plain Kustomize, as `kubectl apply -k` and Flux (which applies
 * CRDs first by itself) read them.
 */
function crdWavePatches(plan: AppSyncPlan): Record<string, unknown>[] {
  return plan.crdWaves.map((c) => ({
    target: { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', name: c.name },
    patch: `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${c.name}\n  annotations:\n    ${SYNC_WAVE_ANNOTATION}: "${c.wave}"\n`,
  }));
}

/** The per-app part of the Application, applied by the ApplicationSet's templatePatch; `step` only when the env has steps. */
function appPatch(plan: AppSyncPlan, step: number | undefined): Record<string, unknown> {
  const patches = crdWavePatches(plan);
  return {
    ...(step ? { metadata: { labels: { [SYNC_STEP_LABEL]: String(step) } } } : {}),
    spec: {
      destination: { namespace: plan.namespace },
      ...(patches.length > 0 ? { source: { kustomize: { patches } } } : {}),
      ...(plan.autoscaled.length > 0
        ? {
            ignoreDifferences: plan.autoscaled.map((a) => ({
              group: a.group,
              kind: a.kind,
              name: a.name,
              namespace: a.namespace,
              jsonPointers: ['/spec/replicas'],
            })),
          }
        : {}),
      ...(plan.syncOptions.length > 0 ? { syncPolicy: { syncOptions: plan.syncOptions } } : {}),
    },
  };
}

/**
 * One Go-template branch per app, keyed on the overlay folder's name. The folder list itself comes
 * from the git directory generator, so an overlay that this patch does not know yet (added after the
 * last generate) still gets an Application, with the defaults of the template; `{}` keeps the patch
 * valid for it.
 */
function templatePatch(plans: readonly AppSyncPlan[], steps: ReadonlyMap<string, number> | undefined): string {
  const lines: string[] = [];
  plans.forEach((plan, i) => {
    lines.push(`{{- ${i === 0 ? 'if' : 'else if'} eq .path.basename ${JSON.stringify(plan.app)} }}`);
    lines.push(dumpYaml(sortKeys(appPatch(plan, steps?.get(plan.app)))).trimEnd());
  });
  if (plans.length === 0) return '{}\n';
  lines.push('{{- else }}', '{}', '{{- end }}');
  return `${lines.join('\n')}\n`;
}

/**
 * RollingSync steps, in order, for an env where some app uses another app's CRDs: Argo CD's
 * ApplicationSet controller syncs the Applications of one step, waits until they are healthy (their
 * CRDs established), then goes on to the next. Undefined when no app waits for another.
 */
function rollingSteps(steps: ReadonlyMap<string, number>): Record<string, unknown>[] | undefined {
  const last = Math.max(0, ...steps.values());
  if (last === 0) return undefined;
  return Array.from({ length: last + 1 }, (_, i) => ({ matchExpressions: [{ key: SYNC_STEP_LABEL, operator: 'In', values: [String(i)] }] }));
}

function applicationSet(env: Environment, settings: GitopsSettings, plans: readonly AppSyncPlan[]): Record<string, unknown> {
  // Promotion gate (prod unless the settings say otherwise): changes are merged, then synced by a
  // person; the other envs follow git.
  const manual = syncsByHand(settings, env);
  const automated = manual ? {} : { automated: { prune: true, selfHeal: true } };
  const steps = syncSteps(env, plans);
  const rolling = rollingSteps(steps);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: projectName(env), namespace: settings.argocdNamespace ?? DEFAULT_ARGOCD_NAMESPACE, labels: { 'strata.dev/env': env } },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ git: { repoURL: settings.repoURL, revision: settings.targetRevision, directories: [{ path: overlayGlob(env, settings) }] } }],
      // A person syncing by hand goes step by step (the label says which); elsewhere the controller does.
      ...(rolling && !manual ? { strategy: { type: 'RollingSync', rollingSync: { steps: rolling } } } : {}),
      template: {
        metadata: {
          // Names carry the env so that one Argo CD can hold every environment.
          name: argoCdApplicationName('{{.path.basename}}', env),
          labels: {
            'app.kubernetes.io/part-of': '{{.path.basename}}',
            'strata.dev/env': env,
            // An app the templatePatch does not know yet goes first, as one that waits for nobody.
            ...(rolling ? { [SYNC_STEP_LABEL]: '0' } : {}),
          },
        },
        spec: {
          project: projectName(env),
          source: { repoURL: settings.repoURL, targetRevision: settings.targetRevision, path: '{{.path.path}}' },
          destination: { ...templateDestination(destination(settings, env)), namespace: '{{.path.basename}}' },
          syncPolicy: { ...automated, retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } } },
        },
      },
      templatePatch: templatePatch(plans, rolling ? steps : undefined),
    },
  };
}

function kustomization(resources: string[]): Record<string, unknown> {
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources };
}

/**
 * Plans the committed `gitops/` folder for the consumers the settings name. Argo CD: per env an
 * AppProject and an ApplicationSet in `gitops/<env>/` and its kustomization (`kubectl apply -k
 * gitops/<env>` bootstraps the env's own Argo CD), and, when `gitops.server` or `gitops.cluster`
 * says where each env deploys, `gitops/kustomization.yaml` over all of them for one Argo CD of every env. Envs that
 * deploy to one cluster and would both deploy an object are an error naming each such object. Flux: `gitops/flux/<env>/` (see planFlux).
 * Returns file contents by path relative to `root`.
 */
export function planGitops(root: string, settings: GitopsSettings, appNames: string[], options: PlanGitopsOptions = {}): Map<string, string> {
  let built = options.built;
  const apps = [...new Set(appNames)].sort();
  const files = new Map<string, string>();
  const plansByEnv = new Map<Environment, AppSyncPlan[]>();
  for (const env of ENVIRONMENTS) {
    plansByEnv.set(
      env,
      apps.map((app) => {
        const known = options.plans?.(env, app);
        if (known) return known;
        const manifests = (built ??= buildSync(root))(env, app);
        return syncPlan(app, manifests, namespacedOf(root, manifests), env, settings.resourceTrackingMethod, settings.installationID);
      }),
    );
  }
  if (wantsArgoCD(settings)) {
    const collisions = clusterCollisions(settings, plansByEnv, distPlaces(root));
    if (collisions.length > 0) throw new Error(collisions.join('\n'));
    const declared = declaredNamespaces(root);
    for (const env of ENVIRONMENTS) {
      const plans = plansByEnv.get(env)!;
      const source = `${Layout.configFile} and ${Layout.envRoot(env)}`;
      const project = `appproject.${projectName(env)}.yaml`;
      const set = `applicationset.${projectName(env)}.yaml`;
      files.set(`${Layout.gitopsEnv(env)}/${project}`, generatedFile(appProject(env, settings, plans, declared), source));
      files.set(`${Layout.gitopsEnv(env)}/${set}`, generatedFile(applicationSet(env, settings, plans), source));
      files.set(`${Layout.gitopsEnv(env)}/kustomization.yaml`, generatedFile(kustomization([project, set]), source, false));
    }
    // Only for one Argo CD of every env: applied to one Argo CD, the in-cluster Applications of
    // every env would all deploy to its cluster.
    if (oneArgoCD(settings))
      files.set(`${Layout.gitops}/kustomization.yaml`, generatedFile(kustomization([...ENVIRONMENTS]), Layout.configFile, false));
  }
  if (wantsFlux(settings)) for (const [path, content] of planFlux(settings, plansByEnv)) files.set(path, content);
  return files;
}

export interface WriteGitopsResult {
  /** Apps whose overlays built and are in the plan. */
  readonly apps: string[];
  /** Apps left out because an overlay of theirs did not build, with kustomize's message. */
  readonly skipped: { readonly app: string; readonly error: string }[];
  readonly written: string[];
  readonly removed: string[];
}

/**
 * Builds every app's overlays (in parallel), plans `gitops/` from them and writes it atomically,
 * removing stale generated files. An app with an overlay that does not build is left out and reported.
 */
export async function writeGitops(
  root: string,
  settings: GitopsSettings,
  appNames: readonly string[],
  options: { dryRun?: boolean } = {},
): Promise<WriteGitopsResult> {
  const apps = [...new Set(appNames)].sort();
  const targets = apps.flatMap((app) => ENVIRONMENTS.map((env) => ({ env, app })));
  const results = await buildOverlays(
    root,
    targets.map((t) => Layout.overlay(t.env, t.app)),
  );
  const built = new Map<string, Manifest[]>();
  const skipped = new Map<string, string>();
  // A tool that failed judged nothing: no app is left out for it, the run fails.
  const failed = results.find((r) => r.toolFailed);
  if (failed) throw buildError(failed);
  results.forEach((r, i) => {
    const { env, app } = targets[i]!;
    if (r.ok) built.set(`${env}/${app}`, parseBuild(r.yaml, r.overlay));
    else if (!skipped.has(app)) skipped.set(app, `${r.overlay}: ${r.error ?? 'kustomize build failed'}`);
  });
  const kept = apps.filter((a) => !skipped.has(a));
  const files = planGitops(root, settings, kept, { built: (env, app) => built.get(`${env}/${app}`)! });
  const changes = applyTree(root, files, { dirs: [GITOPS_DIR], ...(options.dryRun ? { dryRun: true } : {}) });
  return { apps: kept, skipped: [...skipped].map(([app, error]) => ({ app, error })), written: changes.written, removed: changes.removed };
}
