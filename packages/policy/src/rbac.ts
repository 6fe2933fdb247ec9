import { list, ofKind, rec, type Rec } from './read.ts';
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
const aggregateTo = (to: 'admin' | 'edit' | 'view') => ({ ...BOOTSTRAPPING, [`rbac.authorization.k8s.io/aggregate-to-${to}`]: 'true' });

/** A ClusterRole every cluster has (Kubernetes' bootstrap policy, 1.36), by the labels it carries. */
export interface BuiltinClusterRole {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** What it lets its subjects do, after "which", when that is more than an app needs; undefined for a harmless one. */
  readonly gives?: string;
}

/**
 * The built-in ClusterRoles that hold as much as cluster-admin in practice, or lead to it (the
 * escalation paths no-rbac-escalation names, wildcards no-rbac-wildcards names), and the read-only
 * ones that aggregate into them. Every other bootstrap role carries only BOOTSTRAPPING, which also
 * cluster-admin carries: a selector that matches them matches cluster-admin.
 */
export const BUILTIN_CLUSTER_ROLES: readonly BuiltinClusterRole[] = [
  { name: 'cluster-admin', labels: BOOTSTRAPPING, gives: 'grants every verb on every resource ("*")' },
  { name: 'admin', labels: BOOTSTRAPPING, gives: 'grants everything in a namespace: Secrets, pods/exec, Roles and RoleBindings' },
  { name: 'edit', labels: aggregateTo('admin'), gives: 'writes Secrets, execs into pods and runs pods as any ServiceAccount of a namespace' },
  { name: 'view', labels: aggregateTo('edit') },
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
