import type { Manifest } from '@strata/core';

export type Severity = 'error' | 'warning';
export type Env = 'dev' | 'staging' | 'prod';
/** A Pod Security Standards level that refuses something (`privileged` refuses nothing). */
export type PodSecurityLevel = 'baseline' | 'restricted';

/** One object of the set under check, located where it was read from. */
export interface PolicyObject {
  readonly manifest: Manifest;
  readonly file: string;
  readonly line?: number;
  /**
   * The object's JSON text, when the caller has already made it (for kubeconform, say): a rule that
   * needs only a bound on the object's size reads its length instead of serializing it again.
   */
  readonly json?: string;
}

/**
 * A decision that a rule does not apply to some objects. Matching findings are still returned, with
 * the reason attached, so that every run shows what was waived and why.
 */
export interface PolicyException {
  readonly rule: string;
  /** Why the rule does not apply; required and non-empty. */
  readonly reason: string;
  /** Only objects of this kind. @default every kind */
  readonly kind?: string;
  /** Only objects with this name. @default every name */
  readonly name?: string;
  /** Only objects in this namespace. @default every namespace */
  readonly namespace?: string;
}

export interface PolicyContext {
  /** The environment the set was built for; rules limited to some envs (require-image-digest) need it. */
  readonly env?: Env;
  /** The Kubernetes version the env's clusters run (`1.35`), for the rules about served APIs. @default the target, 1.36 */
  readonly kubernetesVersion?: string;
  /** Waivers for findings the app has decided to live with, each with its reason. */
  readonly exceptions?: readonly PolicyException[];
  /** Per-rule severity overrides per env, e.g. `{ 'require-probes': { dev: 'warning' } }`; 'off' disables. */
  readonly severity?: Readonly<Record<string, Partial<Record<Env, Severity | 'off'>>>>;
  /** The app runs single-replica instances (gethrelay: a node key is an identity): enables single-replica. @default false */
  readonly singleReplica?: boolean;
  /**
   * The set is applied as its files are written (`kubectl apply -f`), or as a kustomization's build
   * (`kubectl apply -k`), not built again by a kustomization of it: a namespaced object without a
   * namespace lands in this one (the default namespace, unless kubectl is told another), and every
   * rule that matches namespaces (a NetworkPolicy and the pods it covers, a Service and its pods, a
   * reference and what it names) judges it there, never in every namespace of the set; what a
   * kustomization of the set generates exists only as that kustomization builds it (its name prefix,
   * suffix and hash, its namespace), for the objects it builds (resolve-references). A file, stdin, a
   * folder walk's files that no kustomization of the walk lists and each build of the walk are such
   * sets. @default unset: an object without a namespace is a Kustomize input, or built output that
   * whoever applies it places (Argo CD in its Application's destination), so it may be in any namespace
   */
  readonly applyNamespace?: string;
  /**
   * The Namespaces of the set's cluster that other sets create (the other apps of its env, each with
   * the file that ships it): a pod of the set in one of them is judged against its Pod Security labels,
   * as the cluster admits it whichever app creates the namespace. @default none
   */
  readonly namespaces?: readonly PolicyObject[];
  /**
   * The LimitRanges of the set's cluster that other sets create (the other apps of its env, each with
   * the file that ships it): a pod or claim of the set in their namespace is judged against them too,
   * as the LimitRanger admission plugin limits it whichever app creates them. @default none
   */
  readonly limitRanges?: readonly PolicyObject[];
  /**
   * The PriorityClasses and RuntimeClasses of the set's cluster, the set's own and those other sets
   * create (the other apps of its env), in the order the cluster creates them: a pod of the set is
   * judged against the class it names and the global default PriorityClass whichever app ships them,
   * as the Priority and RuntimeClass admission plugins read the cluster's. @default the set's own
   */
  readonly classes?: readonly PolicyObject[];
  /**
   * The NetworkPolicies that other sets of the set's cluster (the other apps of its env) ship in a
   * namespace, each with its file: a default deny or a policy selecting the set's pods there counts
   * as the cluster enforces it, whichever app ships it. Asked only for the namespaces where the set's
   * own policies do not settle it. @default none
   */
  readonly networkPolicies?: (namespace: string) => readonly PolicyObject[];
  /**
   * Reads a file that the kustomization read from `from` (its object's `file`) names by `path` (a
   * generator's env file); undefined when it cannot be read. Without it, what such files hold is
   * unknown. @default none
   */
  readonly readFile?: (from: string, path: string) => string | undefined;
}

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  /** One sentence: what is wrong and how to fix it. */
  readonly message: string;
  /** Dotted field path with indexes, e.g. `spec.template.spec.containers[0].image`. */
  readonly path?: string;
  readonly object: PolicyObject;
  /** The exception's reason, when one matched: the finding is reported but does not count. */
  readonly exception?: string;
  /**
   * For the Pod Security rules: the lowest Pod Security Standards level whose PodSecurity admission
   * refuses this (a namespace enforcing `restricted` refuses `baseline` findings too).
   */
  readonly podSecurity?: PodSecurityLevel;
}

/**
 * What a rule's check returns. A finding may say it is only ever a warning (a Secret that is expected
 * to exist in the cluster cannot be proven missing), whatever the rule's own severity.
 */
export type RuleFinding = Omit<Finding, 'severity' | 'exception'> & { readonly severity?: 'warning' };

export interface Rule {
  /** Stable kebab-case name saying what the rule demands. */
  readonly id: string;
  readonly description: string;
  readonly defaultSeverity: Severity;
  /** Severity in prod when it differs from the default. @default defaultSeverity */
  readonly prodSeverity?: Severity;
  /**
   * The Pod Security Standards control the rule implements, named as in the Kubernetes documentation
   * (`Host Ports`), when it implements one exactly as the PodSecurity admission plugin evaluates it.
   * Rules without it go beyond Pod Security.
   */
  readonly podSecurity?: string;
  /**
   * What the rule reports the API server refuses whatever the project decides (a pod its namespace's
   * Pod Security level refuses): ctx.severity cannot lower it, and a severity override that lowers it is a
   * settings mistake. An exception with a reason still waives a finding (a namespace the cluster
   * exempts from Pod Security, say). @default false
   */
  readonly fixedSeverity?: boolean;
  /** Envs the rule applies to unless ctx.severity turns it on elsewhere. @default every env, and sets without one */
  readonly envs?: readonly Env[];
  check(objects: readonly PolicyObject[], ctx: PolicyContext): RuleFinding[];
}
