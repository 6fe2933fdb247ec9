import type { Manifest } from '@strata/core';
import type { loadApps, Problem, WarningOptions } from '@strata/project';
import type { Allocation, NodePortAsked } from '@strata/node-ports';
import type { IngressRoute } from '@strata/policy';
import type { ReadLimits } from './sources.ts';

/** One object as kubectl decodes it (a list's items each on their own), with where it came from. */
export interface SourceDoc {
  readonly file: string;
  /** The line the object starts on (a list item's own line). */
  readonly line: number;
  readonly manifest: Manifest;
  /** The input argument (file, folder or -) it came from: the policy checks references within it. */
  readonly input: string;
  /** Which object of the run it is, for counting: `<file>#<n>`. */
  readonly id: string;
  /** How the person named its file, when that differs from `file`: the name a message gives the file when it mentions it. */
  readonly shown?: string;
  /**
   * The line where a field (`['spec', 'replicas']`) is typed, or its nearest existing parent: the
   * key's line (`env:`), where a block value starts a line later, as `strata verify` places the
   * server's findings.
   */
  lineOf(path: readonly (string | number)[]): number;
  /** A scalar's text as written (`yes` where kubectl reads true), when it can be found. */
  sourceOf?(path: readonly (string | number)[]): string | undefined;
  /**
   * The fields of the object that kustomize (YAML 1.2) reads otherwise than kubectl: each field's
   * path in the object and kustomize's value (an unquoted `yes` is the text "yes" to it), or, where
   * kustomize has no such field (a key YAML 1.1 reads as another), none.
   */
  readonly yaml12?: readonly Yaml12Reading[];
  /**
   * The object as kubectl sends it, when JSON.stringify of `manifest` may not be: it may hold an
   * integer past 2^53 that `manifest` has rounded to a double. The checks run in other processes
   * (kubeconform, the server's field checks, verify) are given this text.
   */
  readonly json?: string;
}

/** A field that kustomize (YAML 1.2) reads otherwise than kubectl (`SourceDoc.yaml12`). */
export interface Yaml12Reading {
  readonly path: readonly (string | number)[];
  /** kubectl's value, or undefined where kubectl has no such field. */
  readonly kubectl?: unknown;
  /** kustomize's value, or undefined where kustomize has no such field. */
  readonly yaml12?: unknown;
  readonly absent?: 'kubectl' | 'yaml12';
}

/** One input file: its bytes, read once, and once decoded what they hold. */
export interface FileInput {
  readonly input: string;
  /** How the person named it, when that differs from its key in `ParsedInputs.files` (see `Source.shown`). */
  readonly shown?: string;
  readonly bytes: Buffer;
  docs: readonly SourceDoc[];
  problems: readonly Problem[];
  /** Objects in it, those that could not be read included. */
  resources: number;
  decoded: boolean;
  /** Its decoder answer when the decoding started as it was read (see `DecoderStream`); decoded with the rest otherwise. */
  decoding?: Promise<unknown>;
  /**
   * Once decoded, when the file holds nothing the reader reports and each of its documents is one
   * object (no list, no JSON): those objects, in order, as kubectl decodes them. The decoder then
   * also found that a YAML 1.2 reader (kustomize) reads every value the same, so they are the
   * document's values to either version.
   */
  documents?: readonly Record<string, unknown>[];
}

export interface ParsedInputs {
  readonly docs: SourceDoc[];
  readonly problems: Problem[];
  /** Per input file (as reported), what it holds. */
  readonly files: Map<string, FileInput>;
  /** What the reading did that a person should know (files read as patches), one line each. */
  readonly notes?: string[];
  /**
   * For the objects a folder walk built with kustomize, by id: where a problem at a field of one
   * (`Problem.path`, none for the object) is in the tree, its source file or its kustomization
   * (`placedInSources`).
   */
  placements?: Map<string, (path?: string) => Placed>;
  /** For the objects a folder walk built with kustomize, by id: the folder of the kustomization whose build made it, as the person named it. */
  builtBy?: Map<string, string>;
  /**
   * The inputs read (files, `-`, folders) and the kustomizations a walk built: they are applied as
   * written (`kubectl apply -f`), a named file and stdin whole, a walked folder's files that no
   * kustomization of the walk lists (all of them where it met none), and each build as `kubectl apply
   * -k` applies it, so the policy judges them with `PolicyContext.applyNamespace`: an object left
   * without a namespace is in the default one. Built output (`dist/<env>/<app>.yaml`) is not, whatever
   * input read it.
   */
  appliedAsWritten?: Set<string>;
  /**
   * The ids of built objects that a kustomization's generator made: the values of a generated Secret
   * are judged at its generator (literals, files of the tree), not again in the Secret.
   */
  generated?: Set<string>;
}

/** Where a problem of a built object is in the tree (`ParsedInputs.placements`). */
export interface Placed {
  readonly file: string;
  readonly line: number;
  /** The object as that file writes it there, when the line is in one (the source of the object, a patch of it). */
  readonly written?: { readonly name?: string; readonly namespace?: string };
  /**
   * Why the object as built holds at the field what the line does not read as to kubectl: words
   * that the problem's message ends with (kustomize read a value there as YAML 1.2 does).
   */
  readonly why?: string;
}

/** The documents and problems of one file. */
export interface FileRead {
  readonly docs: SourceDoc[];
  readonly problems: Problem[];
}

export interface ValidateResult {
  readonly problems: Problem[];
  /** Objects judged, those that could not be read included. */
  readonly resources: number;
  /** The files read, relative to the root (`<stdin>` for -). */
  readonly files: string[];
  /** Resources per file. */
  readonly counts: Record<string, number>;
  /** Every object judged, in file order, those that could not be read included (for per-resource reports). */
  readonly objects?: readonly ResourceRef[];
  /** One line each about checks that did not run and how to make them run (the server field checks before their helper is built). */
  readonly notes?: readonly string[];
  /** The kinds (`<apiVersion> <kind>`) the server field checks left to a cluster, sorted: those one of the notes names. */
  readonly notChecked?: readonly string[];
  /**
   * The checks that did not run at all, by name (`server field checks`, whose helper is not built):
   * a run that found nothing has not shown that there is nothing they would find. A note says why.
   */
  readonly skipped?: readonly string[];
  /**
   * When every file read is built output (`dist/<env>/<app>.yaml`): how many apps and envs it covers,
   * and how many of their built files it read (fewer than apps x envs when one is missing).
   */
  readonly built?: { readonly apps: number; readonly envs: number; readonly files: number };
  /**
   * What the summary names as judged, with `built`: `2 apps x 3 envs` when every app's built file of
   * every env was read, else the files read, `5 built files of 2 apps in 3 envs`.
   */
  readonly scope?: string;
  /**
   * With the server's checks: the Services that ask for node ports by number and that the server
   * would create, in the order read, for a caller that judges them beside others (`nodePortProblems`).
   */
  readonly nodePortClaims?: readonly NodePortClaim[];
  /**
   * With the server's checks: the objects that ask for what their cluster holds one of (a Service's
   * cluster IPs, a PriorityClass's `globalDefault`) and that the server would create, in the order read, for a caller that judges them
   * beside others (`allocationProblems`).
   */
  readonly allocationClaims?: readonly AllocationClaim[];
  /** What each file read creates and needs of PriorityClasses and RuntimeClasses, for a caller that judges them beside others (`classProblems`). */
  readonly classClaims?: readonly ClassClaims[];
  /** What each built file read creates and needs of namespaces, for a caller that judges them beside others (`namespaceProblems`). */
  readonly namespaceClaims?: readonly NamespaceClaims[];
  /** The hosts and paths the Ingresses read route, in the order read, for a caller that judges them beside others (`ingressRouteProblems`). */
  readonly ingressClaims?: readonly IngressClaim[];
  /** The LimitRanges the files read create, one written without a namespace in the one it is applied into where that is known (but for what Argo CD never applies), for a caller that judges other apps' pods against them (`clusterLimitRanges` of ValidateOptions). */
  readonly limitRanges?: readonly ClusterLimitRange[];
  /** The PriorityClasses and RuntimeClasses the files read create (but for what Argo CD never applies), for a caller that judges other apps' pods against them (`clusterClasses` of ValidateOptions). */
  readonly clusterClasses?: readonly ClusterClass[];
  /** The NetworkPolicies the files read ship in a namespace known (written, or the one they are applied into; but for what Argo CD never applies), for a caller that judges other apps' pods beside them (`clusterNetworkPolicies` of ValidateOptions). */
  readonly networkPolicies?: readonly ClusterNetworkPolicy[];
}

/** One object of a run, as reports name it. */
export interface ResourceRef extends Pick<Problem, 'file' | 'line' | 'apiVersion' | 'kind' | 'namespace' | 'name'> {
  readonly id: string;
}

export interface ValidateOptions extends ReadLimits, WarningOptions {
  readonly kubernetesVersion?: string;
  /** Stands in for standard input (tests). */
  readonly stdin?: () => string | Buffer;
  /** The folder that relative inputs are named from. @default root */
  readonly cwd?: string;
  /** Run the policy rules too. @default true */
  readonly policy?: boolean;
  /** The env of inputs that are not `dist/<env>/<app>.yaml` (for env-specific rules and severities). */
  readonly env?: string;
  /**
   * Run the API server's field validation (packages/server-validation) when its helper is built, and
   * refuse node ports that an earlier Service of the same cluster holds. `unapplied`: only of the
   * objects that a dry run of the tree leaves out, for a caller that dry-run applies the rest to a
   * real server of the same release (those Argo CD never applies, where it alone applies the tree:
   * `kubectl apply -k` still does); the helper is built first when it is missing. @default true
   */
  readonly serverChecks?: boolean | 'unapplied';
  /** Progress lines of a build of the server checks' helper (`serverChecks: 'unapplied'`), minutes once per machine. */
  readonly onProgress?: (line: string) => void;
  /**
   * Refuse node ports that an earlier Service of the same cluster holds (with the server's checks).
   * Off for a caller that judges the Services' claims (`ValidateResult.nodePortClaims`) together with
   * those of objects it did not hand in (the pipeline, beside the apps it reuses). @default true
   */
  readonly nodePortClashes?: boolean;
  /**
   * Refuse what an earlier object of the same cluster holds (a cluster IP, the default PriorityClass), with the server's
   * checks. Off for a caller that judges the claims (`ValidateResult.allocationClaims`) together with
   * those of objects it did not hand in (the pipeline, beside the apps it reuses). @default true
   */
  readonly allocationClashes?: boolean;
  /**
   * Judge the PriorityClasses and RuntimeClasses that pods name against those of their cluster. Off
   * for a caller that judges the claims (`ValidateResult.classClaims`) together with those of objects
   * it did not hand in (the pipeline, beside the apps it reuses). @default true
   */
  readonly classChecks?: boolean;
  /**
   * Refuse a namespaced object of built output whose namespace nothing in its env creates. Off for a
   * caller that judges the claims (`ValidateResult.namespaceClaims`) together with those of objects
   * it did not hand in (the pipeline, beside the apps it reuses). @default true
   */
  readonly namespaceChecks?: boolean;
  /**
   * What the other built files of the envs read create of namespaces (`namespaceClaims`), for a caller
   * that holds them (the pipeline: those of the apps it reuses): the Pod Security labels of their
   * Namespaces judge the pods of the files read that live there (namespace-admits-pods).
   * @default read from the other files of dist/<env>/ as they are
   */
  readonly clusterNamespaces?: readonly NamespaceClaims[];
  /**
   * The LimitRanges of the other built files of the envs read (`ValidateResult.limitRanges`), for a
   * caller that holds them (the pipeline: those of the apps it reuses): they judge the pods and claims
   * of the files read in their namespace (within-limit-ranges).
   * @default read from the other files of dist/<env>/ as they are
   */
  readonly clusterLimitRanges?: readonly ClusterLimitRange[];
  /**
   * The PriorityClasses and RuntimeClasses of the other built files of the envs read
   * (`ValidateResult.clusterClasses`), for a caller that holds them (the pipeline: those of the apps it
   * reuses): they decide the priority, overhead and nodeSelector of the pods of the files read
   * (pod-fields-from-classes), the global default class whichever app of the env ships it.
   * @default read from the other files of dist/<env>/ as they are
   */
  readonly clusterClasses?: readonly ClusterClass[];
  /**
   * The NetworkPolicies of the other built files of the envs read (`ValidateResult.networkPolicies`),
   * for a caller that holds them (the pipeline: those of the apps it reuses): a default deny or a
   * policy selecting the pods of the files read in their namespace counts for them
   * (default-deny-network-policy, network-policy-selects-workload).
   * @default read from the other files of dist/<env>/ as they are
   */
  readonly clusterNetworkPolicies?: readonly ClusterNetworkPolicy[];
  /**
   * Refuse a host and path of an IngressClass that an earlier Ingress of the same cluster routes
   * already. Off for a caller that judges the claims (`ValidateResult.ingressClaims`) together with
   * those of objects it did not hand in (the pipeline, beside the apps it reuses). @default true
   */
  readonly ingressClashes?: boolean;
  /** Apps the caller has loaded already, by name: their policy settings are taken from these instead of loading them again. */
  readonly apps?: ReadonlyMap<string, App>;
  /**
   * Problems of the built files read (`dist/<env>/<app>.yaml`, by that name, however they were
   * typed) that only the caller can judge: whether each is still what its overlay builds (the
   * pipeline's record of its builds). Added to the run's and named as typed with them.
   */
  readonly builtFileProblems?: (files: readonly string[]) => readonly Problem[];
}

/** An app as loaded from its module. */
export type App = Awaited<ReturnType<typeof loadApps>>[number];

/** An object that claims something in its cluster (node ports, Ingress routes): where it is and which object it is. */
export interface ClaimingObject {
  readonly file: string;
  readonly line: number;
  /** Which object of the run it is (`<file>#<n>`), carried into its problems for counting. */
  readonly resource?: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * A Service that asks for node ports by number and that its cluster would create: where it is, and
 * each port with the line of its field. Plain data, so that the pipeline can keep an app's claims
 * in its cache and judge them again beside apps it renders anew.
 */
export interface NodePortClaim extends ClaimingObject {
  readonly ports: readonly (NodePortAsked & { readonly line: number })[];
}

/**
 * An object that asks its cluster for what the cluster holds one of (a Service's cluster IPs, the default PriorityClass) and
 * that its cluster would create: where it is, and each thing asked with the line of its field. Plain
 * data, so that the pipeline can keep an app's claims in its cache and judge them again beside apps
 * it renders anew.
 */
export interface AllocationClaim extends ClaimingObject {
  readonly asks: readonly (Allocation & { readonly line: number })[];
}

/**
 * What one file creates and needs of PriorityClasses and RuntimeClasses in its cluster
 * (`classClaims`): the classes it ships (`Kind/name`) and each class its pods name, at the line of
 * the field. Plain data, so that the pipeline can keep an app's claims in its cache and judge them
 * again beside apps it renders anew.
 */
export interface ClassClaims {
  readonly file: string;
  readonly creates: readonly string[];
  readonly uses: readonly (ClaimingObject & {
    readonly path: string;
    readonly class: 'PriorityClass' | 'RuntimeClass';
    readonly className: string;
    /** Whose pods the server refuses, for the message: `this Pod`, `every pod this Deployment makes`. */
    readonly pods: string;
  })[];
}

/**
 * An Ingress that its cluster would have and the hosts and paths it routes, each with the line of its
 * path. Plain data, so that the pipeline can keep an app's claims in its cache and judge them again
 * beside apps it renders anew.
 */
export interface IngressClaim extends ClaimingObject {
  readonly routes: readonly (IngressRoute & { readonly line: number })[];
}

/**
 * What one built file (`dist/<env>/<app>.yaml`) creates and needs of namespaces in its env's
 * cluster (`namespaceClaims`). Plain data, so that the pipeline can keep an app's claims in its
 * cache and judge them again beside apps it renders anew.
 */
/** A LimitRange of a built file, as plain data: its object (placed in the namespace it is applied into, when written without one) and the file that ships it. */
export interface ClusterLimitRange {
  readonly file: string;
  readonly manifest: Manifest;
}

/** A PriorityClass or RuntimeClass of a file, as plain data: its object and the file that ships it. */
export interface ClusterClass {
  readonly file: string;
  readonly manifest: Manifest;
}

/** A NetworkPolicy of a built file as other apps' pods are judged beside it: name, namespace, podSelector and, for a default deny, both policyTypes. */
export interface ClusterNetworkPolicy {
  readonly file: string;
  readonly manifest: Manifest;
}

export interface NamespaceClaims {
  readonly file: string;
  /** The names of the Namespace objects it ships. */
  readonly creates: readonly string[];
  /**
   * The Pod Security labels (pod-security.kubernetes.io/enforce and enforce-version) of each Namespace
   * it ships that sets one, by name: they judge the pods that other apps of the env run there.
   */
  readonly podSecurity?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Its Argo CD Application's destination namespace, which Argo CD creates when no Namespace object does; unset where Flux applies the tree. */
  readonly destination?: string;
  /**
   * Where Flux applies the tree: the app's destination and sync options as `syncPlan` of @strata/gitops
   * reads them from this file, from which `fluxNamespaces` plans the Namespaces of `gitops/flux/<env>/`
   * (the app's destination, unless an app of the env ships it). Unset where Argo CD alone applies it.
   */
  readonly flux?: { readonly namespace: string; readonly syncOptions: readonly string[] };
  /** Each namespaced object that names a namespace, at the line of its `metadata.namespace`. */
  readonly uses: readonly {
    readonly line: number;
    readonly resource?: string;
    readonly apiVersion: string;
    readonly kind: string;
    readonly namespace: string;
    readonly name?: string;
  }[];
}
