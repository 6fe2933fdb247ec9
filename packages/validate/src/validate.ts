import { checkEnv, declaredClasses, distOf, gitopsConsumers, UsageError, type Problem } from '@strata/project';
import { schemaLocations } from '@strata/schemas';
import { argoCdSkips } from '@strata/core/argocd';
import { ensureHelper, SERVER_CHECKS, serverFieldProblems, withoutSchemaDuplicates, type ServerFieldChecks } from '@strata/server-validation';
import { keptCrds } from './crds.ts';
import { envOf } from './env-of.ts';
import { kubernetesSettings, requireKubernetesSets } from './kubernetes.ts';
import { argoCdNames, jsonNamed, withArgoCdNames } from './hook-names.ts';
import { duplicateListKeys } from './list-maps.ts';
import { declaredNamespaceProblems } from './declared-namespaces.ts';
import { clusterNamespaceProblems, namespaceClaims, namespaceProblems, platformNamespaceProblems, siblingClaims } from './namespaces.ts';
import { nodePortClaims, nodePortProblems } from './node-ports.ts';
import { allocationClaims, allocationProblems } from './allocations.ts';
import { classClaims, classProblems, clusterClasses, siblingClassClaims, type DeclaredClasses } from './class-references.ts';
import { ingressClaims, ingressRouteProblems } from './ingress-routes.ts';
import { clusterLimitRanges } from './limit-ranges.ts';
import { clusterNetworkPolicies } from './network-policies.ts';
import { policyProblems } from './policy.ts';
import { canonicalApiVersion } from './group-version.ts';
import { placedInSources } from './kustomize-walk.ts';
import { parseInputs } from './inputs.ts';
import { decodeParsed, nameAsTyped, namesAsTyped, renamedAsTyped } from './read.ts';
import { schemaProblems } from './schema.ts';
import { skippedNote } from './sources.ts';
import type { ParsedInputs, ResourceRef, SourceDoc, ValidateOptions, ValidateResult } from './types.ts';

/**
 * `strata validate`: reads every input once, decodes it as kubectl does, then runs the structural
 * checks, one strict kubeconform run and the policy rules. Kustomization files are checked for
 * secret literals but have no schema of their own. Inputs holding no object at all are a problem
 * unless `allowEmpty`: a CI job pointed at the wrong folder must not pass.
 */
export async function validate(
  root: string,
  inputs: readonly string[],
  options: ValidateOptions & { allowEmpty?: boolean } = {},
): Promise<ValidateResult> {
  if (options.kubernetesVersion) checkKubernetesVersion(options.kubernetesVersion);
  // What the walk skipped and kubectl apply -R -f would apply is said, not passed over in silence.
  const skipped: string[] = [];
  const parsed = await parseInputs(root, inputs, { ...options, skipped });
  const names = namesAsTyped(parsed);
  const judged = await checkParsed(root, parsed, options, names);
  // The problems of objects built from a walked kustomization, at their sources in the tree.
  const checked = parsed.placements ? { ...judged, problems: placedInSources(judged.problems, parsed) } : judged;
  const built = checked.files.map((f) => distOf(f)).filter((m) => m !== undefined);
  const builtFiles = checked.files.filter((f) => distOf(f) !== undefined);
  const more = options.builtFileProblems && builtFiles.length > 0 ? options.builtFileProblems(builtFiles) : [];
  const withMore = more.length > 0 ? { ...checked, problems: [...more, ...checked.problems] } : checked;
  const covered =
    built.length === checked.files.length && built.length > 0
      ? { apps: new Set(built.map((m) => m.app)).size, envs: new Set(built.map((m) => m.env)).size, files: built.length }
      : undefined;
  const known = covered ? { ...withMore, built: covered, scope: builtScope(covered) } : withMore;
  const typed = withEmptied(asTyped(known, names), await emptiedOf(root, checked, names));
  const result = skipped.length > 0 ? { ...typed, notes: [...skippedNote(skipped), ...(typed.notes ?? [])] } : typed;
  if (result.resources > 0 || options.allowEmpty) return result;
  const where = inputs.map((i) => (i === '-' ? '<stdin>' : i)).join(', ');
  const files = parsed.files.size === 0 ? ' (no .yaml, .yml or .json file)' : '';
  const problem: Problem = {
    file: where,
    message: `no Kubernetes objects in ${where}${files}; point validate at the files that hold them, or pass --allow-empty where nothing is expected`,
    rule: 'no-objects',
    severity: 'error',
  };
  return { ...result, problems: [problem, ...result.problems] };
}

/**
 * The built files (`dist/<env>/<app>.yaml`) read that hold no object although their overlay builds
 * into some (emptied since the build), as problems: their app's objects would go unjudged.
 */
async function emptiedOf(root: string, r: ValidateResult, names: ReadonlyMap<string, string>): Promise<Problem[]> {
  const empty = r.files.filter((f) => r.counts[f] === 0 && distOf(f) !== undefined);
  if (empty.length === 0) return [];
  const { emptiedBuiltFiles } = await import('@strata/kustomize/emptied');
  return (await emptiedBuiltFiles(root, empty)).map((e) => ({
    file: nameAsTyped(e.file, names),
    message: e.message,
    rule: 'no-objects',
    severity: 'error',
  }));
}

const withEmptied = (r: ValidateResult, emptied: readonly Problem[]): ValidateResult =>
  emptied.length === 0 ? r : { ...r, problems: [...emptied, ...r.problems] };

/** `1 app`, `2 envs`: a count with its noun. */
const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** What a summary names as judged of built output: apps x envs when every app's file of every env was read, else the files read. */
function builtScope(b: { readonly apps: number; readonly envs: number; readonly files: number }): string {
  if (b.files === b.apps * b.envs) return `${counted(b.apps, 'app')} x ${counted(b.envs, 'env')}`;
  return `${counted(b.files, 'built file')} of ${counted(b.apps, 'app')} in ${counted(b.envs, 'env')}`;
}

/** A result whose files are named as the person typed them (`namesAsTyped`), once every check that knows files by their key has run. */
function asTyped(r: ValidateResult, names: ReadonlyMap<string, string>): ValidateResult {
  if (names.size === 0) return r;
  const name = (key: string) => nameAsTyped(key, names);
  return {
    ...r,
    problems: r.problems.map((p) => renamedAsTyped(p, names)),
    files: r.files.map(name),
    counts: Object.fromEntries(Object.entries(r.counts).map(([file, n]) => [name(file), n])),
    ...(r.objects ? { objects: r.objects.map((o) => ({ ...o, file: name(o.file), id: name(o.id) })) } : {}),
  };
}

/** A version that is malformed or has no schema set is a usage error, found before any work. */
function checkKubernetesVersion(version: string): void {
  try {
    schemaLocations(version);
  } catch (e) {
    throw new UsageError(`--kubernetes-version ${version}: ${(e as Error).message}`);
  }
}

/**
 * The checks of `validate` over documents already read (by `parseInputs` or `readText`); decodes what
 * is not decoded yet. `names` is `namesAsTyped(parsed)`, for a caller that has it already.
 */
export async function checkParsed(
  root: string,
  parsed: ParsedInputs,
  options: ValidateOptions = {},
  names: ReadonlyMap<string, string> = namesAsTyped(parsed),
): Promise<ValidateResult> {
  await decodeParsed(parsed, root);
  const resources = parsed.docs.filter((d) => !isKustomization(d));
  // kubeconform runs in its own process while the checks below run in this one: one run per
  // Kubernetes version, each env's built output against the version its clusters run.
  const versionOf = kubernetesVersionOf(root, options);
  const byVersion = new Map<string, SourceDoc[]>();
  for (const d of resources) {
    const v = versionOf(d.file);
    const group = byVersion.get(v);
    if (group) group.push(d);
    else byVersion.set(v, [d]);
  }
  // kubeconform and the server's helper read the same JSON text of each object, made once: the
  // decoder's own when JSON.stringify could round a number of it.
  const texts = new Map<SourceDoc, string>();
  // An apiVersion is judged as the server parses it (`/v1` is v1), the object otherwise as it is sent.
  const jsonOf = (d: SourceDoc) => texts.get(d) ?? texts.set(d, judgedJson(d)).get(d)!;
  const schema = Promise.all([...byVersion].map(([v, docs]) => schemaProblems(root, parsed, docs, v, jsonOf))).then((found) => found.flat());
  schema.catch(() => undefined); // awaited below; a failure of the checks in between must not leave it unhandled
  // So does the API server's own field validation, in its long-lived helper (when it is built). A
  // hook that has only a generateName is judged under the name Argo CD gives it, as verify sends it,
  // where Argo CD alone applies the tree (Flux applies no object without a name: the reader says so).
  const consumers = gitopsConsumers(root);
  const hooks: ReturnType<typeof argoCdNames> = consumers.flux ? new Map() : argoCdNames(resources);
  const serverJson = (d: SourceDoc) => {
    const hook = hooks.get(d.id);
    return hook ? jsonNamed(jsonOf(d), hook.name) : jsonOf(d);
  };
  // The objects the server's checks judge: all, or those a dry run leaves out (what Argo CD never
  // applies; Flux applies everything).
  const unappliedOnly = options.serverChecks === 'unapplied';
  const judgedHere = (d: SourceDoc) => !unappliedOnly || (!consumers.flux && argoCdSkips(d.manifest) !== undefined);
  const serverResources = options.serverChecks === false ? [] : resources.filter(judgedHere);
  // Custom resources are checked against their CRDs as the server checks them once those are
  // installed: the repository's (shipped, then the project's crds/), then those of the input, which
  // win. An input CRD the dry run applies is judged there: here it is only the schema of its kind.
  const crds =
    serverResources.length === 0
      ? []
      : [
          ...keptCrds(
            root,
            serverResources.filter((d) => !isCrd(d)).map((d) => d.manifest),
          ),
          ...resources.filter(isCrd).map((d) => (judgedHere(d) ? d : { manifest: d.manifest })),
        ];
  const server: Promise<ServerFieldChecks> =
    options.serverChecks === false || (unappliedOnly && serverResources.length === 0)
      ? Promise.resolve({ problems: [], checked: 0 })
      : (unappliedOnly ? ensureHelper(options.onProgress) : Promise.resolve(undefined))
          .then((helper) =>
            serverFieldProblems(serverResources, {
              json: (o) => serverJson(o as SourceDoc),
              ...nodePortsOf(root),
              crds,
              ...(helper ? { helper } : {}),
            }),
          )
          .then((r) => ({
            ...r,
            problems: withArgoCdNames(r.problems, hooks),
          }));
  server.catch(() => undefined);
  // What each built file creates and needs of namespaces, and what the rest of its env creates: a pod
  // is judged against its namespace's Pod Security labels whichever app of the env ships it, and an
  // object whose namespace nothing of the env creates is refused (below).
  const spaces = namespaceClaims(root, resources, !consumers.flux, (file) => parsed.files.get(file)?.bytes.toString('utf8'));
  const elsewhere =
    options.clusterNamespaces ??
    siblingClaims(
      root,
      spaces.map((c) => c.file),
      !consumers.flux,
    );
  // The LimitRanges of each env's cluster: a pod or claim is judged against those of every app of its env.
  const ranges = clusterLimitRanges(root, resources, !consumers.flux, options.clusterLimitRanges, parsed.appliedAsWritten);
  // And its classes: a pod's priority is the global default PriorityClass's whichever app of its env ships it.
  const podClasses = clusterClasses(root, resources, !consumers.flux, options.clusterClasses);
  const networkPolicies = clusterNetworkPolicies(root, resources, !consumers.flux, options.clusterNetworkPolicies, parsed.appliedAsWritten);
  const policy = await policyProblems(root, parsed.docs, checkEnv(options.env), {
    clusterNamespaces: [...spaces, ...elsewhere],
    clusterLimitRanges: ranges,
    clusterClasses: podClasses,
    clusterNetworkPolicies: networkPolicies,
    all: options.policy !== false,
    ...(options.apps ? { apps: options.apps } : {}),
    kubernetesVersion: versionOf,
    onWarning: options.onWarning,
    jsonOf,
    ...(parsed.appliedAsWritten ? { appliedAsWritten: parsed.appliedAsWritten } : {}),
  });
  const own = [
    ...parsed.problems,
    ...envTwiceOnce(listKeyProblems(resources, versionOf), policy),
    ...clusterNamespaceProblems(root, resources),
    ...(await platformNamespaceProblems(root, resources, options.apps ? { apps: options.apps } : {})),
    ...declaredNamespaceProblems(root, resources),
  ];
  const serverFound = await server;
  // A custom resource the server's own code checked against its CRD needs no schema file: that
  // kubeconform has none for it (its CRD is in the input, not kept with `strata crd add`, or the CRD
  // does not serve its version, which the server check reports in its own words) is no problem.
  const judged = new Set((serverFound.customResources ?? []).map((o) => o.id));
  const schemaFound = (await schema).filter(
    (p) => !(p.rule === 'schema' && p.path === undefined && judged.has(p.resource) && p.message.startsWith('no schema for ')),
  );
  // A node port that an earlier Service of the cluster holds is refused when the later one is
  // created, which no check of one object sees: judged over every Service the server would create.
  // Left, as the server's checks of the objects it applies, to a caller's dry run.
  const claims =
    options.serverChecks === false || unappliedOnly ? [] : nodePortClaims(resources, [...schemaFound, ...serverFound.problems], !consumers.flux);
  const taken = options.nodePortClashes === false ? [] : nodePortProblems(claims, (file) => nameAsTyped(file, names));
  // So is a cluster IP that an earlier Service of the cluster asks for.
  const allocations =
    options.serverChecks === false || unappliedOnly ? [] : allocationClaims(resources, [...schemaFound, ...serverFound.problems], !consumers.flux);
  const allocated = options.allocationClashes === false ? [] : allocationProblems(allocations, (file) => nameAsTyped(file, names));
  // Two Ingresses of one class that route the same host and path, in two apps of an env or two
  // inputs, are each fine alone: judged over every Ingress of the cluster, in apply order.
  const routes = ingressClaims(resources, [...schemaFound, ...serverFound.problems], !consumers.flux, (file) =>
    parsed.files.get(file)?.bytes.toString('utf8'),
  );
  const routed = options.ingressClashes === false ? [] : ingressRouteProblems(routes, (file) => nameAsTyped(file, names));
  // A namespaced object of built output whose namespace nothing in its env creates is refused when
  // the env's cluster gets it, which a dry run that creates every namespace first never sees: judged
  // over every app of the env, those given and the rest of dist/.
  const missing = options.namespaceChecks === false ? [] : namespaceProblems([...spaces, ...elsewhere], kubernetesSettings(root).namespaces);
  // A pod naming a PriorityClass or RuntimeClass is refused when its cluster has none of that name,
  // which a workload's dry run never meets: judged over every app of the env, those given and the
  // rest of dist/, and the classes strata.config.json says the platform creates.
  const classes = classClaims(resources, [...schemaFound, ...serverFound.problems], !consumers.flux);
  const unclassed =
    options.classChecks === false
      ? []
      : classProblems(
          [
            ...classes,
            ...siblingClassClaims(
              root,
              resources.map((d) => d.file),
              !consumers.flux,
            ),
          ],
          declaredClassesOf(root),
        );
  // What the reader or the schema already reported at a field is not said again by the server check.
  const serverKept = withoutSchemaDuplicates(once(serverFound.problems), [...parsed.problems, ...schemaFound]);
  const items = listItemsOnce(own, schemaFound);
  const problems = [...items.own, ...items.schema, ...serverKept, ...taken, ...allocated, ...routed, ...missing, ...unclassed];
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0));
  const counts: Record<string, number> = {};
  let count = 0;
  for (const [file, f] of parsed.files) {
    counts[file] = f.resources;
    count += f.resources;
  }
  const objects = judgedObjects(parsed);
  return {
    problems,
    resources: count,
    files: [...parsed.files.keys()],
    counts,
    objects,
    notes: [...(parsed.notes ?? []), ...('note' in serverFound && serverFound.note ? [serverFound.note] : [])],
    ...(serverFound.notChecked ? { notChecked: serverFound.notChecked } : {}),
    ...(serverFound.skipped ? { skipped: [SERVER_CHECKS] } : {}),
    ...(options.serverChecks === false || unappliedOnly ? {} : { nodePortClaims: claims, allocationClaims: allocations }),
    namespaceClaims: spaces,
    ingressClaims: routes,
    classClaims: classes,
    limitRanges: ranges.filter((r) => parsed.files.has(r.file)),
    clusterClasses: podClasses.filter((c) => parsed.files.has(c.file)),
    networkPolicies: networkPolicies.filter((p) => parsed.files.has(p.file)),
  };
}

/**
 * Each problem once: the server field checks can find one refusal twice at one field (a Job's name,
 * too long for either of the two labels its Pods carry it in), which verify reports once.
 */
function once(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = JSON.stringify([p.file, p.line, p.resource, p.path, p.message, p.rule]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * An item of another kind in a typed list is judged as the list's element kind (the reader, as kubectl
 * does) and as what it is (kubeconform). A field both refuse is one defect: the list's finding says it,
 * with the item's own reason added, and the item's is dropped.
 */
function listItemsOnce(own: readonly Problem[], schema: readonly Problem[]): { own: Problem[]; schema: Problem[] } {
  const itemField = (p: Problem) => (p.rule === 'schema' && p.path ? /^items\[\d+\]\.(.+)$/.exec(p.path)?.[1] : undefined);
  const lists = own.filter((p) => itemField(p) !== undefined);
  if (lists.length === 0) return { own: [...own], schema: [...schema] };
  const also = new Map<Problem, Problem>();
  const kept = schema.filter((p) => {
    const list =
      p.rule === 'schema' && p.path
        ? lists.find((l) => l.file === p.file && l.line === p.line && itemField(l) === p.path && !also.has(l))
        : undefined;
    if (list) also.set(list, p);
    return !list;
  });
  return {
    own: own.map((p) => {
      const item = also.get(p);
      if (!item) return p;
      const what = item.kind ? `as the ${item.kind} it is` : 'as what it is';
      return { ...p, message: `${p.message}; ${what}, it is refused too: ${item.message}` };
    }),
    schema: kept,
  };
}

const isCrd = (d: SourceDoc) => d.manifest.apiVersion === 'apiextensions.k8s.io/v1' && d.manifest.kind === 'CustomResourceDefinition';

/** A keyed list's repeated key as a problem, with what tells it apart from the policy's finding on it. */
interface ListKeyProblem {
  readonly problem: Problem;
  /** The names of the list's items, by index, for an env list (its key is the name); else undefined. */
  readonly names?: readonly unknown[];
  readonly key: string;
}

/**
 * One env variable set twice in one container is one defect that two checks see: the policy rule
 * no-duplicate-env, which names the container and both entries, and the keyed-list check, which says
 * that server-side apply refuses the list. The policy's error is the one reported. Where the policy
 * does not report it as an error (policy off, the rule off for that env, an exception, a warning),
 * the keyed list's error stands, and a policy warning of the same entry is not said again.
 */
function envTwiceOnce(listKeys: readonly ListKeyProblem[], policy: readonly Problem[]): Problem[] {
  const env = policy.filter((p) => p.rule === 'no-duplicate-env' && p.resource !== undefined && p.path !== undefined);
  // The policy findings on the items of a list with that key.
  const of = (k: ListKeyProblem) =>
    k.names === undefined
      ? []
      : env.filter((p) => {
          if (p.resource !== k.problem.resource || !p.path!.startsWith(`${k.problem.path}[`)) return false;
          const index = /^\[(\d+)\]\.name$/.exec(p.path!.slice(k.problem.path!.length))?.[1];
          return index !== undefined && `[name=${JSON.stringify(k.names![Number(index)])}]` === k.key;
        });
  const kept: Problem[] = [];
  const said = new Set<Problem>();
  for (const k of listKeys) {
    const found = of(k);
    if (found.some((p) => p.severity === 'error')) continue;
    kept.push(k.problem);
    for (const p of found) said.add(p);
  }
  return [...policy.filter((p) => !said.has(p)), ...kept];
}

/** Keyed lists with two items of one key, refused by server-side apply in its words (`duplicate entries for key [name="A"]`), at the list. */
function listKeyProblems(docs: readonly SourceDoc[], versionOf: (file: string) => string): ListKeyProblem[] {
  return docs.flatMap((d) =>
    duplicateListKeys(d.manifest, versionOf(d.file)).map((dup): ListKeyProblem => {
      const list = dup.path.reduce<unknown>(
        (v, s) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[s] : undefined),
        d.manifest,
      );
      const isEnv = dup.path[dup.path.length - 1] === 'env' && Array.isArray(list);
      return {
        key: dup.key,
        ...(isEnv
          ? {
              names: (list as unknown[]).map((item) =>
                item !== null && typeof item === 'object' ? (item as Record<string, unknown>).name : undefined,
              ),
            }
          : {}),
        problem: {
          file: d.file,
          line: d.lineOf(dup.path),
          resource: d.id,
          apiVersion: d.manifest.apiVersion,
          kind: d.manifest.kind,
          ...(typeof d.manifest.metadata.namespace === 'string' ? { namespace: d.manifest.metadata.namespace } : {}),
          ...(typeof d.manifest.metadata.name === 'string' ? { name: d.manifest.metadata.name } : {}),
          path: dup.path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), ''),
          message: `duplicate entries for key ${dup.key}: server-side apply (kubectl apply --server-side, Argo CD's ServerSideApply) refuses the list; keep one`,
          rule: 'duplicate-list-key',
          severity: 'error',
        },
      };
    }),
  );
}

/** The node ports the clusters give Services (strata.config.json), for the server's checks; nothing when unset. */
function nodePortsOf(root: string): { serviceNodePortRange?: { from: number; to: number } } {
  const range = kubernetesSettings(root).serviceNodePortRange;
  return range ? { serviceNodePortRange: range } : {};
}

/**
 * The Kubernetes version a file is checked against: the one asked for, else that of the env it is
 * for (`dist/<env>/<app>.yaml`, anything under `overlays/<env>/`: `envOf`) or named with `env`, else
 * the project's.
 */
export function kubernetesVersionOf(root: string, options: { kubernetesVersion?: string; env?: string } = {}): (file: string) => string {
  if (options.kubernetesVersion) {
    const fixed = options.kubernetesVersion;
    return () => fixed;
  }
  const settings = requireKubernetesSets(root);
  const envs = settings.envs as Readonly<Record<string, string>>;
  return (file) => envs[envOf(file)?.env ?? options.env ?? ''] ?? settings.version;
}

/** The JSON text of an object as the checks judge it: the decoder's own when it has one, with the apiVersion as the server parses it. */
function judgedJson(d: SourceDoc): string {
  const written = d.manifest.apiVersion;
  const canonical = canonicalApiVersion(written);
  if (canonical === written) return d.json ?? JSON.stringify(d.manifest);
  // The decoder's JSON has its keys sorted: apiVersion is the first.
  if (d.json !== undefined) return d.json.replace(`{"apiVersion":${JSON.stringify(written)}`, `{"apiVersion":${JSON.stringify(canonical)}`);
  return JSON.stringify({ ...d.manifest, apiVersion: canonical });
}

/** A kustomization file read in a folder walk: kustomize's input, judged by its own checks, never an object to apply. */
export function isKustomization(d: SourceDoc): boolean {
  return d.manifest.apiVersion.startsWith('kustomize.config.k8s.io/');
}

/**
 * The objects of the inputs a run judged, one entry each for a report (a JUnit test case per
 * resource): those read, then those the reader refused (each problem's object once). `skipped`
 * names the ids of objects read but never judged (those Argo CD never applies, for verify).
 */
export function judgedObjects(parsed: ParsedInputs, skipped: ReadonlySet<string | undefined> = new Set()): ResourceRef[] {
  const objects = parsed.docs
    .filter((d) => !skipped.has(d.id))
    .map(
      (d): ResourceRef => ({
        id: d.id,
        file: d.file,
        line: d.line,
        apiVersion: d.manifest.apiVersion,
        kind: d.manifest.kind,
        ...(typeof d.manifest.metadata.namespace === 'string' ? { namespace: d.manifest.metadata.namespace } : {}),
        ...(typeof d.manifest.metadata.name === 'string' ? { name: d.manifest.metadata.name } : {}),
      }),
    );
  const known = new Set(parsed.docs.map((d) => d.id));
  for (const p of parsed.problems) {
    if (!p.resource || known.has(p.resource)) continue;
    known.add(p.resource);
    objects.push({
      id: p.resource,
      file: p.file,
      ...(p.line ? { line: p.line } : {}),
      ...(p.kind ? { kind: p.kind } : {}),
      ...(p.name ? { name: p.name } : {}),
    });
  }
  return objects;
}

/** The classes strata.config.json says every env's clusters have (`kubernetes.priorityClasses`, `kubernetes.runtimeClasses`). */
export function declaredClassesOf(root: string): DeclaredClasses {
  const priorityClasses = declaredClasses(root, 'priorityClasses');
  const runtimeClasses = declaredClasses(root, 'runtimeClasses');
  return { ...(priorityClasses ? { priorityClasses } : {}), ...(runtimeClasses ? { runtimeClasses } : {}) };
}
