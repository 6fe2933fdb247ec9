import { type Manifest } from '@strata/core';
import { argoCdSkips } from '@strata/core/argocd';
import { classesNamed, podsOf, unknownClass, type PodView } from '@strata/policy';
import { distOf, Layout, type Problem, siblingFiles } from '@strata/project';
import { claimants, segments } from './claims.ts';
import { siblingObjects } from './siblings.ts';
import { envOf } from './env-of.ts';
import type { ClassClaims, ClusterClass, SourceDoc } from './types.ts';

/** The rule of a pod that names a PriorityClass or RuntimeClass its cluster does not have. */
export const CLASS_RULE = 'pod-class-exists';

/** The class an object is, as `Kind/name`, when it is a PriorityClass or RuntimeClass. */
function classOf(m: Manifest): string | undefined {
  const name = m.metadata?.name;
  if (typeof name !== 'string' || name === '') return undefined;
  if (m.kind === 'PriorityClass' && m.apiVersion.startsWith('scheduling.k8s.io/')) return `PriorityClass/${name}`;
  if (m.kind === 'RuntimeClass' && m.apiVersion.startsWith('node.k8s.io/')) return `RuntimeClass/${name}`;
  return undefined;
}

/**
 * The PriorityClasses and RuntimeClasses each file of `docs` creates, and the classes its pods (every
 * pod-bearing kind) name in `priorityClassName` and `runtimeClassName`, each at the line of that
 * field, but for the objects the cluster never creates (`claimants`: refused by the schema or the
 * server's field checks, or never applied by Argo CD). Plain data, so that the pipeline can keep an
 * app's claims in its cache and judge them beside apps it renders anew.
 */
export function classClaims(docs: readonly SourceDoc[], problems: readonly Problem[], argoCdOnly = true): ClassClaims[] {
  const byFile = new Map<string, { creates: Set<string>; uses: ClassClaims['uses'][number][] }>();
  const of = (file: string) => byFile.get(file) ?? byFile.set(file, { creates: new Set(), uses: [] }).get(file)!;
  // What an object creates (its class) or whose pods name classes: read once an object.
  const wanted = (d: SourceDoc): readonly (string | PodView)[] => {
    const made = classOf(d.manifest);
    if (made) return [made];
    return podsOf([{ manifest: d.manifest, file: d.file }]).filter(
      (p) => typeof p.spec.priorityClassName === 'string' || typeof p.spec.runtimeClassName === 'string',
    );
  };
  for (const { doc, claimant, claimed } of claimants(docs, problems, argoCdOnly, wanted)) {
    for (const pod of claimed) {
      if (typeof pod === 'string') {
        of(doc.file).creates.add(pod);
        continue;
      }
      for (const use of classesNamed(pod)) of(doc.file).uses.push({ ...claimant, line: doc.lineOf(segments(use.path)), ...use });
    }
  }
  return [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([file, c]) => ({ file, creates: [...c.creates].sort(), uses: c.uses }));
}

/**
 * The classes the other built files of the envs of `files` create, read from dist/ as they are: a
 * run given one app's output judges its pods' classes against every app of its env.
 */
export function siblingClassClaims(root: string, files: readonly string[], argoCdOnly: boolean): ClassClaims[] {
  const out: ClassClaims[] = [];
  for (const { file, text } of siblingFiles(root, files)) {
    // Most built files hold no class: they are not parsed.
    if (!/^kind: (PriorityClass|RuntimeClass)\s*$/m.test(text)) continue;
    const creates = (siblingObjects(text) ?? []).filter((m) => !(argoCdOnly && argoCdSkips(m))).flatMap((m) => classOf(m) ?? []);
    if (creates.length > 0) out.push({ file, creates: [...new Set(creates)].sort(), uses: [] });
  }
  return out;
}

/** The classes every env's clusters have although no app creates them (`kubernetes.priorityClasses`, `kubernetes.runtimeClasses`); undefined where unknown. */
export interface DeclaredClasses {
  readonly priorityClasses?: readonly string[];
  readonly runtimeClasses?: readonly string[];
}

/**
 * Each pod that names a PriorityClass or RuntimeClass that nothing in its cluster creates (an env's
 * built output is a cluster, its apps together; other files are one cluster together), at the line
 * of the field, in the admission plugin's words: the API server admits a workload and then refuses
 * every pod it makes. Created are the classes of the cluster's files, `system-cluster-critical` and
 * `system-node-critical`, and those `declared` lists. Where strata.config.json declares the kind's
 * classes, it is an error; otherwise the cluster may hold it, and it is a warning that it must
 * exist there.
 */
export function classProblems(claims: readonly ClassClaims[], declared: DeclaredClasses = {}): Problem[] {
  const clusterOf = (file: string) => envOf(file)?.env ?? '';
  const created = new Map<string, Set<string>>();
  for (const c of claims) {
    const key = clusterOf(c.file);
    const set = created.get(key) ?? created.set(key, new Set()).get(key)!;
    for (const name of c.creates) set.add(name);
  }
  const problems: Problem[] = [];
  for (const c of claims) {
    const known = created.get(clusterOf(c.file))!;
    const where = distOf(c.file) ? `the apps of ${distOf(c.file)!.env}` : 'the files given';
    for (const u of c.uses) {
      const key = u.class === 'PriorityClass' ? 'priorityClasses' : 'runtimeClasses';
      const unknown = unknownClass(u, known, declared[key], where, `kubernetes.${key} of ${Layout.configFile}`);
      if (!unknown) continue;
      problems.push({
        file: c.file,
        line: u.line,
        apiVersion: u.apiVersion,
        kind: u.kind,
        ...(u.namespace ? { namespace: u.namespace } : {}),
        ...(u.name !== undefined ? { name: u.name } : {}),
        path: u.path,
        message: unknown.message,
        rule: CLASS_RULE,
        severity: unknown.severity,
        ...(u.resource ? { resource: u.resource } : {}),
      });
    }
  }
  return problems;
}

/**
 * The PriorityClasses and RuntimeClasses each cluster holds: those of the documents given, and those
 * of the other built files of their envs as they are in dist/ (a run given one app's output judges its
 * pods against the classes of every app of its env, the global default PriorityClass above all), but
 * for what Argo CD never applies; `others` stands for the other built files where the caller holds
 * their classes (the pipeline, those of the apps it reuses).
 */
export function clusterClasses(root: string, docs: readonly SourceDoc[], argoCdOnly: boolean, others?: readonly ClusterClass[]): ClusterClass[] {
  const applied = (m: Manifest) => classOf(m) !== undefined && !(argoCdOnly && argoCdSkips(m));
  const out: ClusterClass[] = docs.filter((d) => applied(d.manifest)).map((d) => ({ file: d.file, manifest: d.manifest }));
  if (others) return [...out, ...others];
  for (const { file, text } of siblingFiles(
    root,
    docs.map((d) => d.file),
  )) {
    // Most built files hold no class: they are not parsed.
    if (!/^kind: (PriorityClass|RuntimeClass)\s*$/m.test(text)) continue;
    for (const manifest of (siblingObjects(text) ?? []).filter(applied)) out.push({ file, manifest });
  }
  return out;
}

/**
 * The classes of the cluster of `file` (its env's; other files are one cluster together) in apply
 * order (an env's apps by name, each file's classes in order), but those of the files in `leave`.
 */
export function classesOfCluster(classes: readonly ClusterClass[], file: string, leave: ReadonlySet<string> = new Set()): ClusterClass[] {
  const cluster = envOf(file)?.env ?? '';
  const app = (c: ClusterClass) => envOf(c.file)?.app ?? '';
  return classes
    .filter((c) => !leave.has(c.file) && (envOf(c.file)?.env ?? '') === cluster)
    .sort((a, b) => (app(a) < app(b) ? -1 : app(a) > app(b) ? 1 : 0));
}

/**
 * The classes other files of their env create, for each of an app's built files (`files`), as its
 * pods were judged against them: when they change (another app's global default PriorityClass, say),
 * its pods are judged again (pod-fields-from-classes) though the app itself did not change.
 */
export function classBasis(files: readonly string[], classes: readonly ClusterClass[]): string {
  return JSON.stringify(files.map((file) => [file, classesOfCluster(classes, file, new Set([file])).map((c) => [c.file, c.manifest])]));
}
