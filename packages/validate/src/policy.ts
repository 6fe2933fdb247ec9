import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ENVIRONMENTS, type Environment } from '@strata/core';
import {
  appDirs,
  appKeyLocation,
  distOf,
  Layout,
  loadApps,
  objectName,
  projectSeverity,
  UsageError,
  type Problem,
  type WarningOptions,
} from '@strata/project';
import {
  rules,
  runPolicy,
  staleExceptions,
  toProblem,
  unusedExceptions,
  type Finding,
  type PolicyContext,
  type PolicyObject,
  type Rule,
} from '@strata/policy';
import { envOf } from './env-of.ts';
import { isKustomizationFile } from '@strata/kustomize/files';
import { classesOfCluster } from './class-references.ts';
import { limitRangesElsewhere } from './limit-ranges.ts';
import { networkPoliciesElsewhere } from './network-policies.ts';
import { namespacesElsewhere } from './namespaces.ts';
import { appPolicyContext, checkSettings, policyKey } from './settings.ts';
import type { App, ClusterClass, ClusterLimitRange, ClusterNetworkPolicy, NamespaceClaims, SourceDoc } from './types.ts';

/**
 * The text of a file that the kustomization read from `from` names by `path`, as kustomize loads it:
 * only from the kustomization's own folder or below; undefined otherwise, or when it cannot be read
 * (a kustomization read from stdin names files relative to nothing).
 */
function kustomizationInput(root: string, from: string, path: string): string | undefined {
  const file = resolve(root, from);
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return undefined;
  const folder = dirname(file);
  const input = resolve(folder, path);
  const inside = relative(folder, input);
  if (isAbsolute(path) || inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return undefined;
  try {
    return readFileSync(input, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * `spec.containers[0].image` -> ['spec', 'containers', 0, 'image'];
 * `metadata.annotations[example.com/a.b]` -> ['metadata', 'annotations', 'example.com/a.b'], a map key
 * in brackets as Kubernetes writes a field path (dots and all).
 */
function segments(path: string): (string | number)[] {
  return [...path.matchAll(/\[([^\]]*)\]|[^.[\]]+/g)].map((m) => {
    const s = m[1] ?? m[0];
    return /^\d+$/.test(s) ? Number(s) : s;
  });
}

/**
 * The rules that run even with `--no-policy`: a Secret's values, a replaced object, one that
 * `kubectl apply` cannot apply, a pod its namespace's Pod Security level refuses and a request the
 * API server's admission refuses in every cluster are never a matter of taste.
 */
const ALWAYS_IDS: ReadonlySet<string> = new Set([
  'no-secret-values',
  'no-secret-in-last-applied',
  'duplicate-resource',
  'fit-client-side-apply',
  'namespace-admits-pods',
  'no-system-masters-csr',
  'pod-fields-from-classes',
  'mountable-secrets',
  'within-limit-ranges',
]);
const ALWAYS: readonly Rule[] = rules.filter((r) => ALWAYS_IDS.has(r.id));

/**
 * Runs the policy rules over each set of documents: one built overlay (`dist/<env>/<app>.yaml`, with
 * that app's settings and exceptions and that env's severities), or one input argument, judged as
 * the env and app of the overlays it holds (`envOf`) as their built output is. Without `all`, only
 * the rules that always run, with the defaults.
 */
export async function policyProblems(
  root: string,
  docs: readonly SourceDoc[],
  env?: Environment,
  options: {
    all?: boolean;
    kubernetesVersion?: (file: string) => string;
    apps?: ReadonlyMap<string, App>;
    /** Each object's JSON text as the other checks were given it, for the rules that need only its size. */
    jsonOf?: (d: SourceDoc) => string;
    /** The inputs whose files are applied as written, beside the kustomizations a walk built; not built output (`ParsedInputs.appliedAsWritten`). */
    appliedAsWritten?: ReadonlySet<string>;
    /** What the built files of the envs create of namespaces, these and others (`namespaceClaims`): a built file's pods are judged against its env's other Namespaces too. */
    clusterNamespaces?: readonly NamespaceClaims[];
    /** The LimitRanges of the envs' clusters, these and others (`clusterLimitRanges`): a pod or claim is judged against those of its namespace whichever app of its env ships them. */
    clusterLimitRanges?: readonly ClusterLimitRange[];
    /** The PriorityClasses and RuntimeClasses of the envs' clusters, these and others (`clusterClasses`): a pod's fields are judged against the classes of every app of its env. */
    clusterClasses?: readonly ClusterClass[];
    /** The NetworkPolicies of the envs' clusters, these and others (`clusterNetworkPolicies`): a default deny or a policy selecting a pod counts in its namespace whichever app of its env ships it. */
    clusterNetworkPolicies?: readonly ClusterNetworkPolicy[];
    /** Only these rules (of those the run would run), for a caller that judges one verdict again. @default all of them */
    only?: readonly string[];
  } & WarningOptions = {},
): Promise<Problem[]> {
  const all = options.all ?? true;
  const sets = new Map<string, SourceDoc[]>();
  for (const d of docs) {
    // A built overlay is one set; otherwise each input argument (a file or a folder) is one, apart
    // for each env and app whose overlays it holds, as if it were their built output.
    const of = envOf(d.file);
    const key = distOf(d.file) ? d.file : `input:${d.input}${of ? `\0${of.env}\0${of.app ?? ''}` : ''}`;
    const set = sets.get(key);
    if (set) set.push(d);
    else sets.set(key, [d]);
  }
  const project = all ? projectSeverity(root) : {};
  const apps = all
    ? await appsOfBuilds(
        root,
        [...sets.values()].map((set) => envOf(set[0]!.file)?.app).filter((a): a is string => a !== undefined),
        options,
        options.apps,
      )
    : new Map<string, App>();
  checkSettings(root, project, apps);
  const only = options.only;
  const ruleSet = (all ? rules : ALWAYS).filter((r) => only === undefined || only.includes(r.id));
  const problems: Problem[] = [];
  // Every env's objects and findings of each app with exceptions, to tell which exceptions waive nothing.
  const ofApp = new Map<string, { envs: Set<string>; objects: PolicyObject[]; findings: Finding[] }>();
  let done = 0;
  for (const [file, set] of sets) {
    // The checks beside this one (the server's field checks) are fed and read through this
    // thread's event loop: a second of rules without a pause starves their process of input.
    if (++done % 25 === 0) await new Promise(setImmediate);
    // Built output, or an env's overlays, is judged as that env (and app) whatever the run names.
    const of = envOf(set[0]!.file);
    const built = distOf(file);
    const setEnv = of?.env ?? env;
    const app = of?.app !== undefined ? apps.get(of.app) : undefined;
    const version = options.kubernetesVersion?.(set[0]!.file);
    // kubectl applies an object written without a namespace into the default one, unless told another.
    // Built output keeps it unknown: the overlays give every namespaced object of an app theirs, and one
    // without is placed by whoever applies the file (the context's namespace under kubectl apply, the
    // Application's destination under Argo CD), so it is matched as in any namespace.
    const asWritten = !built && options.appliedAsWritten?.has(set[0]!.input);
    const settings = appPolicyContext(project, app, setEnv);
    const ctx: PolicyContext = {
      ...(only === undefined ? settings : ofRules(settings, only)),
      ...(asWritten ? { applyNamespace: 'default' } : {}),
      ...(version ? { kubernetesVersion: version } : {}),
      readFile: (from, path) => kustomizationInput(root, from, path),
    };
    const byObject = new Map(set.map((d) => [d.manifest, d]));
    // A line is worked out only for an object with a finding.
    const jsonOf = options.jsonOf;
    const objects = set.map((d) => ({
      manifest: d.manifest,
      file: d.file,
      get line() {
        return d.line;
      },
      get json() {
        return jsonOf?.(d);
      },
    }));
    const elsewhere = built && options.clusterNamespaces ? namespacesElsewhere(options.clusterNamespaces, file) : [];
    const ranges = options.clusterLimitRanges
      ? limitRangesElsewhere(
          options.clusterLimitRanges,
          set[0]!.file,
          new Set(set.map((d) => d.file)),
          new Set(set.map((d) => d.manifest.metadata?.namespace || (ctx.applyNamespace ?? ''))),
        )
      : [];
    // The classes of its cluster in the order it creates them, when another file of the cluster ships one.
    const inSet = new Set(set.map((d) => d.file));
    const cluster = options.clusterClasses ? classesOfCluster(options.clusterClasses, set[0]!.file) : [];
    const classes = cluster.some((c) => !inSet.has(c.file)) ? cluster : [];
    const findings = runPolicy(
      objects,
      {
        ...ctx,
        ...(elsewhere.length > 0 ? { namespaces: elsewhere } : {}),
        ...(ranges.length > 0 ? { limitRanges: ranges } : {}),
        ...(classes.length > 0 ? { classes } : {}),
        ...(options.clusterNetworkPolicies
          ? { networkPolicies: networkPoliciesElsewhere(options.clusterNetworkPolicies, set[0]!.file, new Set(set.map((d) => d.file))) }
          : {}),
      },
      ruleSet,
    );
    // Whether an exception waives nothing is judged over whole builds of the app only: its built
    // output, or the build of its overlay folder (a file of that folder alone holds part of it).
    const whole = built !== undefined || (of?.app !== undefined && wholeOverlay(set[0]!.input, of.env, of.app));
    if (whole && of?.app !== undefined && app?.policy?.exceptions?.length) {
      const seen = ofApp.get(of.app) ?? { envs: new Set<string>(), objects: [], findings: [] };
      seen.envs.add(of.env);
      seen.objects.push(...objects);
      seen.findings.push(...findings);
      ofApp.set(of.app, seen);
    }
    for (const finding of findings) {
      const { message: _withReason, ...p } = toProblem(finding);
      const doc = byObject.get(finding.object.manifest);
      problems.push({
        ...p,
        name: p.name ?? objectName(finding.object.manifest.metadata) ?? '',
        message: finding.message,
        ...(finding.exception ? { excepted: finding.exception } : {}),
        ...(doc && p.path ? { line: doc.lineOf(segments(p.path)) } : {}),
        ...(doc ? { resource: doc.id } : {}),
      });
    }
  }
  // Some rules alone cannot tell an exception that waives nothing.
  if (only === undefined) checkExceptionsUsed(root, apps, ofApp);
  return problems;
}

/** The exceptions and severities of `ctx` for the rules `only` alone, which are all a run of them reads (and checks). */
function ofRules(ctx: PolicyContext, only: readonly string[]): PolicyContext {
  const { exceptions, severity, ...rest } = ctx;
  const mine = (rule: string) => only.includes(rule);
  return {
    ...rest,
    ...(exceptions ? { exceptions: exceptions.filter((e) => mine(e.rule)) } : {}),
    ...(severity ? { severity: Object.fromEntries(Object.entries(severity).filter(([rule]) => mine(rule))) } : {}),
  };
}

/** Whether objects read for `input` are the build of the app's overlay folder in `env` (a walk keys them by its kustomization file). */
const wholeOverlay = (input: string, env: string, app: string): boolean =>
  dirname(input) === Layout.overlay(env, app) && isKustomizationFile(basename(input));

/**
 * An app's exception that waives nothing is a usage error at its line, as a misspelt rule is: one
 * that matches none of its objects in any env, so that the findings it was written for fail or warn
 * as if it were not there, and one that matches objects on which its rule reports nothing (stale: it
 * would silently waive the next finding there). Decided only when every env of the app is checked:
 * an object or a finding may be in one env alone.
 */
function checkExceptionsUsed(
  root: string,
  apps: ReadonlyMap<string, App>,
  ofApp: ReadonlyMap<string, { envs: ReadonlySet<string>; objects: readonly PolicyObject[]; findings: readonly Finding[] }>,
): void {
  for (const [name, { envs, objects, findings }] of ofApp) {
    if (!ENVIRONMENTS.every((e) => envs.has(e))) continue;
    const exceptions = apps.get(name)?.policy?.exceptions;
    const [unused] = [...unusedExceptions(exceptions, objects), ...staleExceptions(exceptions, objects, findings)];
    if (!unused) continue;
    const value = unused.path.reduce<unknown>(
      (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      apps.get(name)?.policy,
    );
    throw new UsageError(`${appKeyLocation(root, name, ['policy', ...unused.path], value)}: ${policyKey(unused.path)}: ${unused.message}`);
  }
}

/**
 * The apps whose built output is being checked, for their policy settings, loaded together. Output
 * of an app that is gone, or that no longer loads, gets the project settings only.
 */
async function appsOfBuilds(
  root: string,
  names: readonly string[],
  options: WarningOptions,
  given: ReadonlyMap<string, App> = new Map(),
): Promise<Map<string, App>> {
  const known = new Set(appDirs(root));
  const wanted = [...new Set(names)].filter((n) => known.has(n) && !given.has(n));
  const ready = [...new Set(names)].filter((n) => given.has(n)).map((n) => [n, given.get(n)!] as const);
  if (wanted.length === 0) return new Map(ready);
  try {
    return new Map([...ready, ...(await loadApps(root, wanted, options)).map((a) => [a.name, a] as const)]);
  } catch (err) {
    // A definition with a misspelt key loads no better alone, and checking its output without its
    // settings would silently drop its guards: the author fixes it first.
    if (err instanceof UsageError) throw err;
    const apps = new Map<string, App>(ready);
    for (const name of wanted) {
      try {
        const [app] = await loadApps(root, [name]);
        if (app) apps.set(name, app);
      } catch {
        // this app's settings are unavailable; its output is still checked
      }
    }
    return apps;
  }
}
