import { aggregations, rbacRules, type RbacRule } from '../rbac.ts';
import { finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-rbac-escalation';

const RBAC = 'rbac.authorization.k8s.io';

/**
 * A permission that lets its holder gain permissions the role does not grant: the privilege
 * escalation risks of the Kubernetes "RBAC good practices". `verbs` undefined means any verb.
 */
interface Escalation {
  readonly groups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs?: readonly string[];
  /** What holding it gives, after "which". */
  readonly gives: string;
}

const ESCALATIONS: readonly Escalation[] = [
  {
    groups: [''],
    resources: ['pods/exec', 'pods/attach'],
    verbs: ['create'],
    gives: "runs commands in the namespace's pods, with their ServiceAccount tokens and mounted Secrets",
  },
  {
    groups: [''],
    resources: ['pods/ephemeralcontainers'],
    verbs: ['update', 'patch'],
    gives: 'adds a container of any image and command to a running pod, with its ServiceAccount token and Secrets',
  },
  // The kubelet authorizes its whole API (exec included) on nodes/proxy; even get is enough.
  {
    groups: [''],
    resources: ['nodes/proxy'],
    gives: 'reaches the kubelet API, which runs commands in any pod on the node, past admission and audit',
  },
  {
    groups: [''],
    resources: ['serviceaccounts/token'],
    verbs: ['create'],
    gives: 'issues tokens for any ServiceAccount it covers, and with them its permissions',
  },
  {
    groups: [''],
    resources: ['persistentvolumes'],
    verbs: ['create'],
    gives: "can mount any path of a node's file system through a hostPath volume",
  },
  { groups: [RBAC], resources: ['roles', 'clusterroles'], verbs: ['escalate'], gives: 'writes roles granting permissions its subjects do not hold' },
  { groups: [RBAC], resources: ['roles', 'clusterroles'], verbs: ['bind'], gives: 'binds roles granting permissions its subjects do not hold' },
  {
    groups: ['', 'authentication.k8s.io'],
    resources: ['users', 'groups', 'serviceaccounts', 'uids', 'userextras'],
    verbs: ['impersonate'],
    gives: 'acts as another user, group or ServiceAccount, with all of its permissions',
  },
  {
    groups: ['admissionregistration.k8s.io'],
    resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
    verbs: ['create', 'update', 'patch'],
    gives: 'decides what the API server admits, and can rewrite any object written to it',
  },
];

const groupMatches = (r: RbacRule, group: string) =>
  // An empty list is read as the core group, as no-secret-write reads it.
  r.apiGroups.includes('*') || r.apiGroups.includes(group) || (group === '' && r.apiGroups.length === 0);

/** A `*` alone is for no-rbac-wildcards to report; a `*` before a subresource (`*` + `/exec`) names it on every resource. */
const resourceMatches = (granted: string, resource: string) =>
  granted === resource || (granted.startsWith('*/') && resource.endsWith(granted.slice(1)) && resource.includes('/'));

export const noRbacEscalation: Rule = {
  id,
  description:
    'No Role or ClusterRole grants a permission that leads to others: exec or attach into pods, ephemeral containers, nodes/proxy, ServiceAccount tokens, PersistentVolumes, escalate, bind, impersonate, admission webhooks, or an aggregationRule that gathers such a built-in role (edit, admin).',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const r of rbacRules(objects)) {
      for (const e of ESCALATIONS) {
        const groups = e.groups.filter((g) => groupMatches(r, g));
        if (groups.length === 0) continue;
        const resources = e.resources.filter((res) => r.resources.some((g) => resourceMatches(g, res)));
        const verbs = r.verbs.includes('*')
          ? ['use every verb ("*") on']
          : e.verbs === undefined
            ? r.verbs
            : e.verbs.filter((v) => r.verbs.includes(v));
        if (resources.length === 0 || verbs.length === 0) continue;
        out.push(
          finding(
            id,
            r.role,
            `Rule ${r.index} lets its subjects ${verbs.join(', ')} ${resources.join(', ')}, which ${e.gives}: remove it, or keep it in a role bound only to the people or controllers that need it and add a policy exception that says why.`,
            `rules[${r.index}].${e.verbs?.some((v) => v === 'escalate' || v === 'bind' || v === 'impersonate') ? 'verbs' : 'resources'}`,
          ),
        );
      }
    }
    // cluster-admin gathered is no-rbac-wildcards' to report.
    for (const a of aggregations(objects)) {
      if (a.gathers.some((b) => b.name === 'cluster-admin')) continue;
      const names = a.gathers.map((b) => `"${b.name}"`).join(', ');
      out.push(
        finding(
          id,
          a.role,
          `Selector ${a.index} of the aggregationRule matches the built-in ClusterRole${a.gathers.length > 1 ? 's' : ''} ${names}, whose rules the cluster copies into this role, which ${a.gathers[0]!.gives}: ` +
            "select only labels that the set's own ClusterRoles carry.",
          `aggregationRule.clusterRoleSelectors[${a.index}]`,
        ),
      );
    }
    return out;
  },
};
