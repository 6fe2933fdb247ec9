import { aggregatedInto, aggregations, rbacRules, type Gathering, type RbacRule, type Reach } from '../rbac.ts';
import { at, finding, list, nameOf, ofKind } from '../read.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

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
  /**
   * The objects the escalation lies in: a rule counts when its resourceNames are empty (every object) or
   * name one of these; `[]` means only a rule without resourceNames counts. @default any rule, names or not
   */
  readonly names?: readonly string[];
  /**
   * Only a ClusterRole that a ClusterRoleBinding of the set binds counts: within one namespace the
   * permission is what an app needs, across every namespace it is the cluster's. @default any role
   */
  readonly clusterWide?: boolean;
  /** How to fix it, after the colon. @default remove it, or keep it in a role bound only to whoever needs it, with an exception */
  readonly fix?: string;
}

const ADMISSION = 'admissionregistration.k8s.io';
const WEBHOOKS = ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'];
const MUTATING_POLICIES = ['mutatingadmissionpolicies', 'mutatingadmissionpolicybindings'];
const VALIDATING_POLICIES = ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'];

/**
 * The signers whose certificates the API server accepts as a client's identity: approving a request
 * for one lets its requester name any user and group (system:masters included) or any node.
 * `kubernetes.io/*` is how a rule names every signer of the domain (the approval is checked against
 * the signer's name and against `<domain>/*`).
 */
const CLIENT_SIGNERS = ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/*'];

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
    groups: [ADMISSION],
    resources: WEBHOOKS,
    verbs: ['create', 'update', 'patch'],
    gives: 'decides what the API server admits, and can rewrite any object written to it',
  },
  {
    groups: [ADMISSION],
    resources: MUTATING_POLICIES,
    verbs: ['create', 'update', 'patch'],
    gives: 'rewrites any object written to the API server, in every namespace, after every other check',
  },
  // A new validating policy only refuses more; changing one can let through what it refused.
  {
    groups: [ADMISSION],
    resources: VALIDATING_POLICIES,
    verbs: ['update', 'patch'],
    gives: 'changes what the API server refuses, and can let through what a policy the cluster relies on refuses',
  },
  {
    groups: [ADMISSION],
    resources: [...WEBHOOKS, ...VALIDATING_POLICIES, ...MUTATING_POLICIES],
    verbs: ['delete', 'deletecollection'],
    gives: 'switches off the admission checks the cluster relies on (image signatures, policy engines, what Pod Security does not cover)',
  },
  {
    groups: [''],
    resources: ['secrets'],
    verbs: ['get', 'list', 'watch'],
    names: [],
    clusterWide: true,
    gives: "reads every Secret of the cluster (ServiceAccount tokens, TLS keys, Argo CD's repository and cluster credentials)",
    fix: 'bind it with a RoleBinding in each namespace whose Secrets it needs, or name them in resourceNames; a controller that reads them all needs a policy exception that says why',
  },
  // Approving also takes update on certificatesigningrequests/approval, which alone approves nothing.
  {
    groups: ['certificates.k8s.io'],
    resources: ['signers'],
    verbs: ['approve'],
    names: CLIENT_SIGNERS,
    gives: 'approves certificate signing requests for client certificates the API server trusts, for any user or group, system:masters included',
    fix: "name only the set's own signers in resourceNames, or leave approval to the cluster's administrators",
  },
  // Labels are what Pod Security admission and NetworkPolicy namespaceSelectors read; a RoleBinding in
  // a namespace grants it for that Namespace object.
  {
    groups: [''],
    resources: ['namespaces'],
    verbs: ['update', 'patch'],
    gives:
      "can remove a namespace's pod-security.kubernetes.io/enforce label, and with it Pod Security admission, or give it the labels that NetworkPolicies let in",
  },
];

/** Whether a rule's resourceNames reach the objects the escalation lies in. */
const namesMatch = (r: RbacRule, e: Escalation) => {
  const names = list(r.rule.resourceNames).map(String);
  return e.names === undefined || names.length === 0 || names.some((n) => e.names?.includes(n));
};

/**
 * The ClusterRoleBindings of the set that bind this ClusterRole, or a ClusterRole of the set that
 * gathers it by its aggregationRule, and so grant its rules in every namespace; each shown by name,
 * with the aggregating role it binds.
 */
const clusterBindings = (objects: readonly PolicyObject[], role: PolicyObject, reach: Reach) =>
  [role, ...reach.aggregators].flatMap((bound) =>
    ofKind(objects, 'ClusterRoleBinding')
      .filter((b) => at(b.manifest, 'roleRef', 'kind') === 'ClusterRole' && at(b.manifest, 'roleRef', 'name') === nameOf(bound))
      .map(
        (b) => `"${nameOf(b) ?? '?'}"${bound === role ? '' : ` of ClusterRole "${nameOf(bound) ?? '?'}", whose aggregationRule gathers this role`}`,
      ),
  );

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

/** How a label of the built-in chain grants the rule, in parentheses after "in every namespace". */
const gatheredBy = (g: Gathering, role: PolicyObject) => {
  const own = g.builtins.filter((b) => b.platform === undefined).map((b) => b.name);
  const platform = g.builtins.filter((b) => b.platform !== undefined).map((b) => `${b.platform}'s "${b.name}"`);
  const carrier =
    g.carrier === role ? 'its label' : `the label of ClusterRole "${nameOf(g.carrier) ?? '?'}", whose aggregationRule gathers this role,`;
  return (
    `${carrier}${g.labels.length > 1 ? 's' : ''} ${g.labels.join(', ')} ha${g.labels.length > 1 ? 've' : 's'} the clusterrole-aggregation controller copy it into the built-in ClusterRole${g.builtins.length > 1 ? 's' : ''} ` +
    `${[...(own.length > 0 ? [quoted(own)] : []), ...platform].join(' and ')}, roles the cluster grants through bindings outside this set`
  );
};

const groupMatches = (r: RbacRule, group: string) =>
  // An empty list is read as the core group, as no-secret-write reads it.
  r.apiGroups.includes('*') || r.apiGroups.includes(group) || (group === '' && r.apiGroups.length === 0);

/** A `*` alone is for no-rbac-wildcards to report; a `*` before a subresource (`*` + `/exec`) names it on every resource. */
const resourceMatches = (granted: string, resource: string) =>
  granted === resource || (granted.startsWith('*/') && resource.endsWith(granted.slice(1)) && resource.includes('/'));

export const noRbacEscalation: Rule = {
  id,
  description:
    "No Role or ClusterRole grants a permission that leads to others: exec or attach into pods, ephemeral containers, nodes/proxy, ServiceAccount tokens, PersistentVolumes, escalate, bind, impersonate, writing or deleting admission webhooks and policies, reading Secrets in every namespace, approving client certificates, relabelling namespaces, or an aggregationRule that gathers such a built-in role (edit, admin). A ClusterRole labelled into the built-in chain (rbac.authorization.k8s.io/aggregate-to-view, -edit, -admin, OpenShift's -cluster-reader) is judged as granted in every namespace: the clusterrole-aggregation controller copies its rules into view, edit and admin, which the cluster binds beyond the set.",
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    const reaches = new Map<PolicyObject, Reach>();
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
        if (resources.length === 0 || verbs.length === 0 || !namesMatch(r, e)) continue;
        const reach = reaches.get(r.role) ?? aggregatedInto(objects, r.role);
        reaches.set(r.role, reach);
        const bindings = e.clusterWide ? clusterBindings(objects, r.role, reach) : [];
        if (e.clusterWide && bindings.length === 0 && reach.gatherings.length === 0) continue;
        const how = [
          ...(bindings.length > 0 ? [`ClusterRoleBinding ${bindings.join(', ')}`] : []),
          ...reach.gatherings.map((g) => gatheredBy(g, r.role)),
        ];
        const where = how.length > 0 ? ` in every namespace (${how.join('; ')})` : '';
        const labels = reach.gatherings.map(
          (g) =>
            `${g.labels.map((l) => l.slice(0, l.indexOf(':'))).join(', ')}${g.carrier === r.role ? '' : ` of ClusterRole "${nameOf(g.carrier) ?? '?'}"`}`,
        );
        const fix =
          (labels.length > 0 ? `take off the label ${labels.join(' and ')}, then ` : '') +
          (e.fix ?? 'remove it, or keep it in a role bound only to the people or controllers that need it and add a policy exception that says why');
        out.push(
          finding(
            id,
            r.role,
            `Rule ${r.index} lets its subjects ${verbs.join(', ')} ${resources.join(', ')}${where}, which ${e.gives}: ${fix}.`,
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
