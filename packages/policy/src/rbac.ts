import { list, ofKind, rec, stringMap, type Rec } from './read.ts';
import { labelSelectorMatches } from './selectors.ts';
import type { PolicyObject } from './types.ts';

export interface RbacRule {
  readonly role: PolicyObject;
  readonly rule: Rec;
  readonly index: number;
  readonly verbs: readonly string[];
  readonly resources: readonly string[];
  readonly apiGroups: readonly string[];
}

/** The rules of every Role and ClusterRole in the set. */
export function rbacRules(objects: readonly PolicyObject[]): RbacRule[] {
  return ofKind(objects, 'Role', 'ClusterRole').flatMap((role) =>
    list(role.manifest.rules).flatMap((r, index) => {
      const rule = rec(r);
      if (!rule) return [];
      const strings = (v: unknown) => list(v).map(String);
      return [{ role, rule, index, verbs: strings(rule.verbs), resources: strings(rule.resources), apiGroups: strings(rule.apiGroups) }];
    }),
  );
}

/** The label Kubernetes puts on every ClusterRole it bootstraps (cluster-admin included). */
const BOOTSTRAPPING = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const aggregateLabel = (to: string) => ({ [`rbac.authorization.k8s.io/aggregate-to-${to}`]: 'true' });
const aggregateTo = (to: 'admin' | 'edit' | 'view') => ({ ...BOOTSTRAPPING, ...aggregateLabel(to) });

/** A ClusterRole every cluster has (Kubernetes' bootstrap policy, 1.36), by the labels it carries. */
export interface BuiltinClusterRole {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** What it lets its subjects do, after "which", when that is more than an app needs; undefined for a harmless one. */
  readonly gives?: string;
  /**
   * The matchLabels of its aggregationRule's selectors: the clusterrole-aggregation controller copies
   * into it the rules of every ClusterRole of the cluster that one of them matches. @default not aggregated
   */
  readonly aggregates?: readonly Readonly<Record<string, string>>[];
  /** The distribution that makes it, when Kubernetes' bootstrap policy does not. @default every cluster has it */
  readonly platform?: string;
}

/**
 * The built-in ClusterRoles that hold as much as cluster-admin in practice, or lead to it (the
 * escalation paths no-rbac-escalation names, wildcards no-rbac-wildcards names), and the read-only
 * ones that aggregate into them. Every other bootstrap role carries only BOOTSTRAPPING, which also
 * cluster-admin carries: a selector that matches them matches cluster-admin. admin, edit and view
 * gather the ClusterRoles labelled for them (view's own label puts it into edit, edit's into admin),
 * as does OpenShift's cluster-reader, which every OpenShift cluster has.
 */
export const BUILTIN_CLUSTER_ROLES: readonly BuiltinClusterRole[] = [
  { name: 'cluster-admin', labels: BOOTSTRAPPING, gives: 'grants every verb on every resource ("*")' },
  {
    name: 'admin',
    labels: BOOTSTRAPPING,
    gives: 'grants everything in a namespace: Secrets, pods/exec, Roles and RoleBindings',
    aggregates: [aggregateLabel('admin')],
  },
  {
    name: 'edit',
    labels: aggregateTo('admin'),
    gives: 'writes Secrets, execs into pods and runs pods as any ServiceAccount of a namespace',
    aggregates: [aggregateLabel('edit')],
  },
  { name: 'view', labels: aggregateTo('edit'), aggregates: [aggregateLabel('view')] },
  { name: 'cluster-reader', labels: {}, aggregates: [aggregateLabel('cluster-reader'), aggregateLabel('view')], platform: 'OpenShift' },
  { name: 'system:aggregate-to-admin', labels: aggregateTo('admin'), gives: 'writes Roles and RoleBindings, and so grants what its subjects hold' },
  {
    name: 'system:aggregate-to-edit',
    labels: aggregateTo('edit'),
    gives: 'writes Secrets, execs into pods and runs pods as any ServiceAccount of a namespace',
  },
  { name: 'system:aggregate-to-view', labels: aggregateTo('view') },
  {
    name: 'system:controller:clusterrole-aggregation-controller',
    labels: BOOTSTRAPPING,
    gives: 'escalates and updates every ClusterRole, and so grants any permission',
  },
  { name: 'system:controller:generic-garbage-collector', labels: BOOTSTRAPPING, gives: 'reads, updates and deletes every resource ("*")' },
  { name: 'system:controller:namespace-controller', labels: BOOTSTRAPPING, gives: 'reads and deletes every resource ("*")' },
  { name: 'system:controller:resourcequota-controller', labels: BOOTSTRAPPING, gives: 'reads every resource ("*"), Secrets included' },
  { name: 'system:controller:storage-version-migrator-controller', labels: BOOTSTRAPPING, gives: 'creates and patches every resource ("*")' },
  { name: 'system:kube-controller-manager', labels: BOOTSTRAPPING, gives: 'reads every resource ("*"), Secrets included' },
  { name: 'system:kubelet-api-admin', labels: BOOTSTRAPPING, gives: 'reaches the kubelet API, which runs commands in any pod on the node' },
];

/** One entry of a ClusterRole's `aggregationRule.clusterRoleSelectors` and the built-in ClusterRoles it gathers. */
export interface Aggregation {
  readonly role: PolicyObject;
  readonly index: number;
  /** The built-in roles the selector matches that give more than an app needs. */
  readonly gathers: readonly BuiltinClusterRole[];
}

/**
 * The selectors of every aggregated ClusterRole in the set that gather a built-in role: the
 * clusterrole-aggregation controller fills such a role with the rules of every ClusterRole of the
 * cluster that a selector matches (an empty selector matches them all), whatever `rules` says.
 */
export function aggregations(objects: readonly PolicyObject[]): Aggregation[] {
  return ofKind(objects, 'ClusterRole').flatMap((role) =>
    list(rec(role.manifest.aggregationRule)?.clusterRoleSelectors).flatMap((selector, index) => {
      const gathers = BUILTIN_CLUSTER_ROLES.filter((b) => b.gives !== undefined && labelSelectorMatches(selector, b.labels));
      return gathers.length > 0 ? [{ role, index, gathers }] : [];
    }),
  );
}

/** One step by which the cluster's aggregation copies a ClusterRole's rules into a role it grants. */
export interface Gathering {
  /** The built-in ClusterRoles that end up holding the rules: the ones the labels match, then the ones those feed (view into edit, edit into admin). */
  readonly builtins: readonly BuiltinClusterRole[];
  /** The labels (`key: "value"`) that match a built-in role's selector. */
  readonly labels: readonly string[];
  /** The ClusterRole of the set that carries them: the role itself, or one whose aggregationRule gathers it. */
  readonly carrier: PolicyObject;
}

/** Where the cluster's clusterrole-aggregation controller copies a ClusterRole's rules, as far as the set shows. */
export interface Reach {
  /** The ClusterRoles of the set whose aggregationRule gathers the role, directly or through one another. */
  readonly aggregators: readonly PolicyObject[];
  /** The labels of the role, or of an aggregator, that put its rules into built-in ClusterRoles; empty when none do. */
  readonly gatherings: readonly Gathering[];
}

const labelsOf = (role: PolicyObject) => stringMap(role.manifest.metadata.labels);

const selectorsOf = (role: PolicyObject) => list(rec(role.manifest.aggregationRule)?.clusterRoleSelectors);

/** The built-in roles that gather these labels, then the ones that gather those (view into edit, edit into admin). */
function builtinsGathering(labels: Readonly<Record<string, string>>): { builtins: BuiltinClusterRole[]; labels: string[] } {
  const matched = new Set<string>();
  const reached = new Set<BuiltinClusterRole>();
  for (const b of BUILTIN_CLUSTER_ROLES) {
    for (const selector of b.aggregates ?? []) {
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
      reached.add(b);
      for (const [k, v] of Object.entries(selector)) matched.add(`${k}: ${JSON.stringify(v)}`);
    }
  }
  for (const b of reached) {
    for (const next of BUILTIN_CLUSTER_ROLES)
      if (next.aggregates?.some((selector) => Object.entries(selector).every(([k, v]) => b.labels[k] === v))) reached.add(next);
  }
  return { builtins: [...reached], labels: [...matched] };
}

/**
 * Where a ClusterRole's rules end up besides the role itself: the clusterrole-aggregation controller
 * (part of kube-controller-manager) copies the rules of every ClusterRole that an aggregationRule's
 * selector matches into that aggregated role, so they are granted wherever the aggregated role is
 * bound. A label of the built-in chain (`rbac.authorization.k8s.io/aggregate-to-view`, `-edit`,
 * `-admin`, OpenShift's `-cluster-reader`) puts them into roles the cluster binds itself, in bindings
 * the set does not hold; a ClusterRole of the set with an aggregationRule puts them wherever its own
 * bindings do, and further on by its own labels.
 */
export function aggregatedInto(objects: readonly PolicyObject[], role: PolicyObject): Reach {
  if (role.manifest.kind !== 'ClusterRole') return { aggregators: [], gatherings: [] };
  const clusterRoles = ofKind(objects, 'ClusterRole');
  const aggregators: PolicyObject[] = [];
  const gatherings: Gathering[] = [];
  const seen = new Set<PolicyObject>([role]);
  const queue = [role];
  for (let carrier = queue.shift(); carrier; carrier = queue.shift()) {
    const labels = labelsOf(carrier);
    const gathered = builtinsGathering(labels);
    if (gathered.builtins.length > 0) gatherings.push({ ...gathered, carrier });
    for (const other of clusterRoles) {
      if (seen.has(other) || !selectorsOf(other).some((s) => labelSelectorMatches(s, labels))) continue;
      seen.add(other);
      aggregators.push(other);
      queue.push(other);
    }
  }
  return { aggregators, gatherings };
}
