import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { declaredNamespaces, gitopsConsumers, Layout, type Problem } from '@strata/project';
import {
  checkParsed,
  decodeParsed,
  formatProblem,
  NAMESPACE_RULE,
  namespaceClaims,
  PLATFORM_NAMESPACE_RULE,
  readText,
  serverPathSegments,
  type NamespaceClaims,
  type ParsedInputs,
} from '@strata/validate';
import { ImportError } from './errors.ts';
import type { SourceSet } from './sources.ts';

/** What `strata pipeline` says when it refuses an object of the app, by rule, after the envs whose build has it. */
const REFUSED_BY: Readonly<Record<string, string>> = {
  // The API server's own field checks, run offline.
  'server-validation': 'the API server refuses it',
  // The project's strict kubeconform run.
  schema: 'kubeconform refuses it',
  // A keyed list (env by name, ports by port and protocol) with two items of one key.
  'duplicate-list-key': 'server-side apply refuses it',
};

/**
 * Refuses the import when `strata pipeline` would refuse an object of the generated app's build, as
 * it runs its checks over the same build, as `dist/<env>/<app>.yaml`: the API server's offline field
 * checks (a Deployment whose selector does not match its template's labels, a node port outside the
 * project's range), the strict kubeconform run (a field its kind does not have), a keyed list with two
 * items of one key (an env var given twice), and a namespace that nothing in the env creates, judged
 * over the imported app and `others` (every other app's build, by `<env>/<app>`), as the pipeline
 * judges it over every app of the env, and an app whose own namespace (or a Namespace it ships) is one
 * `kubernetes.namespaces` of strata.config.json says the platform makes. The checks are those of the pipeline (`checkParsed`, each env's
 * build judged against its Kubernetes version and the project's settings); each refusal is one line at
 * the object's place (the field's line) in the sources, with the envs whose build has it. Nothing is
 * written. When the server's checks cannot run (their helper is not built on this machine), the note
 * the pipeline gives is passed to `onWarning`. An object `judged` says no to is left to the caller (the
 * import keeps a kind it has no schema for with a warning that validation fails on it). Without
 * `others` (another app does not build), namespaces are not judged: what the env creates is unknown.
 */
export async function refusePipelineRefusals(
  root: string,
  name: string,
  built: Readonly<Record<Environment, string>>,
  expected: Readonly<Record<Environment, readonly Manifest[]>>,
  sources: SourceSet,
  onWarning: (message: string) => void,
  judged: (env: Environment, m: Manifest) => boolean = () => true,
  others?: ReadonlyMap<string, string>,
): Promise<void> {
  const parsed: ParsedInputs = { docs: [], problems: [], files: new Map() };
  const envOf = new Map<string, Environment>();
  for (const env of ENVIRONMENTS) {
    const file = Layout.distOf(env, name);
    envOf.set(file, env);
    parsed.files.set(file, readText(built[env], file, file).file);
  }
  const r = await checkParsed(root, parsed, {
    serverChecks: true,
    policy: false,
    // As the pipeline judges one app: what spans the apps of an env is judged there.
    nodePortClashes: false,
    allocationClashes: false,
    classChecks: false,
    ingressClashes: false,
    // Except the namespaces, judged beside the other apps as they build now (not dist/, maybe stale or absent).
    namespaceChecks: others !== undefined,
    ...(others === undefined ? {} : { clusterNamespaces: await claimsOf(root, others) }),
  });
  for (const note of new Set(r.notes ?? [])) onWarning(note);
  // A namespace kubernetes.namespaces says the platform makes is no app's own, nor a Namespace it ships.
  const declared = new Set(declaredNamespaces(root));
  // Flux applies the tree (consumer flux or both): what creates an app's own namespace is the Namespace of its Flux folder, as the pipeline says.
  const flux = gitopsConsumers(root).flux;
  const platforms = (p: Problem) => p.rule === PLATFORM_NAMESPACE_RULE && declared.has((p.kind === 'Namespace' ? p.name : p.namespace) ?? '');
  const refused = new Map<string, { line: string; rule: string; envs: Environment[] }>();
  for (const p of r.problems) {
    const env = envOf.get(p.file);
    const rule = p.rule ?? '';
    if (p.severity !== 'error' || env === undefined || (REFUSED_BY[rule] === undefined && rule !== NAMESPACE_RULE && !platforms(p))) continue;
    const index = expected[env].findIndex(
      (m) => m.apiVersion === p.apiVersion && m.kind === p.kind && m.metadata.name === p.name && (m.metadata.namespace ?? '') === (p.namespace ?? ''),
    );
    if (index >= 0 && !judged(env, expected[env][index]!)) continue;
    const at = await sources.where(env, index, p.path === undefined ? undefined : serverPathSegments(p.path));
    // A missing namespace is said once for the envs that miss it: the pipeline's message names each env.
    const line =
      rule === NAMESPACE_RULE
        ? formatProblem({ ...missingNamespace(p, flux), file: at, line: undefined })
        : formatProblem({ ...p, file: at, line: undefined });
    const seen = refused.get(line) ?? refused.set(line, { line, rule, envs: [] }).get(line)!;
    if (!seen.envs.includes(env)) seen.envs.push(env);
  }
  if (refused.size === 0) return;
  throw new ImportError(
    [...refused.values()].map(({ line, rule, envs }) => {
      const where = ENVIRONMENTS.filter((e) => envs.includes(e)).join(', ');
      return rule === NAMESPACE_RULE || rule === PLATFORM_NAMESPACE_RULE
        ? `${line}; strata pipeline refuses it (${where}); nothing was written`
        : `${line}; ${REFUSED_BY[rule]} (${where}), and so would strata pipeline: fix it in the source, then import; nothing was written`;
    }),
  );
}

/**
 * The pipeline's namespace-exists problem, as the import says it: the cluster's words
 * (`namespaces "x" not found`) and the two fixes, without the env and overlay the pipeline names
 * (the line lists the envs; the overlay is not written yet). What would have created it is named
 * as the pipeline names it: the app's Argo CD destination, or where Flux applies the tree (`flux`),
 * the Namespace each env's Flux folder holds for the app's destination.
 */
function missingNamespace(p: Problem, flux: boolean): Problem {
  const ns = p.namespace ?? '';
  const creator = flux ? "nor the Namespace of its destination that each env's Flux folder under gitops/flux/ holds" : 'nor its Argo CD destination';
  return {
    ...p,
    message:
      `namespaces ${JSON.stringify(ns)} not found: nothing in the env creates it (no Namespace ${ns} among its apps and the imported one, ${creator}), ` +
      `so ${flux ? "Flux's apply" : "the env's sync"} and kubectl apply -k stop at this object; add a Namespace ${ns} to the app's sources, or list ${ns} under kubernetes.namespaces of ${Layout.configFile} if the platform creates it, then import`,
  };
}

/** What the other apps' builds (YAML by `<env>/<app>`) create of namespaces, read as the pipeline reads their `dist/<env>/<app>.yaml`. */
async function claimsOf(root: string, others: ReadonlyMap<string, string>): Promise<NamespaceClaims[]> {
  if (others.size === 0) return [];
  const parsed: ParsedInputs = { docs: [], problems: [], files: new Map() };
  const texts = new Map<string, string>();
  for (const [key, yaml] of others) {
    const [env, app] = key.split('/') as [Environment, string];
    const file = Layout.distOf(env, app);
    texts.set(file, yaml);
    parsed.files.set(file, readText(yaml, file, file).file);
  }
  await decodeParsed(parsed, root);
  return namespaceClaims(root, parsed.docs, !gitopsConsumers(root).flux, (file) => texts.get(file));
}
