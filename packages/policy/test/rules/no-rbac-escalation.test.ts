import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/index.ts';
import { noRbacEscalation as rule } from '../../src/rules/no-rbac-escalation.ts';
import { check, manifest, objects, summary } from '../support.ts';

const role = (rules: unknown[], kind = 'Role') =>
  manifest('rbac.authorization.k8s.io/v1', kind, 'ops', { rules }, kind === 'Role' ? 'shop' : undefined);
const RBAC = 'rbac.authorization.k8s.io';

describe('no-rbac-escalation', () => {
  it('stays quiet for reading pods, logs and roles, and for exec rights in another API group', () => {
    expect(
      check(rule, [
        role([
          { apiGroups: [''], resources: ['pods', 'pods/log', 'nodes'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['pods/exec'], verbs: ['get'] },
          { apiGroups: [RBAC], resources: ['roles', 'rolebindings'], verbs: ['get', 'list'] },
          { apiGroups: ['example.com'], resources: ['pods/exec', 'users'], verbs: ['create', 'impersonate'] },
          { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get'] },
        ]),
      ]),
    ).toStrictEqual([]);
  });

  it('reports create on pods/exec and pods/attach, with what it gives and how to fix it', () => {
    expect(
      summary(check(rule, [role([{ apiGroups: [''], resources: ['pods', 'pods/exec', 'pods/attach'], verbs: ['get', 'create'] }])])),
    ).toStrictEqual([
      {
        name: 'ops',
        path: 'rules[0].resources',
        message:
          "Rule 0 lets its subjects create pods/exec, pods/attach, which runs commands in the namespace's pods, with their ServiceAccount tokens and mounted Secrets: remove it, or keep it in a role bound only to the people or controllers that need it and add a policy exception that says why.",
      },
    ]);
  });

  it('reports nodes/proxy for any verb, get included', () => {
    const [f, ...rest] = check(rule, [role([{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }], 'ClusterRole')]);
    expect(rest).toStrictEqual([]);
    expect(f?.message).toContain('Rule 0 lets its subjects get nodes/proxy, which reaches the kubelet API');
  });

  it('reports token requests, PersistentVolumes, ephemeral containers and admission webhooks', () => {
    const found = check(rule, [
      role(
        [
          { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
          { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['create', 'delete'] },
          { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch'] },
          { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['update'] },
        ],
        'ClusterRole',
      ),
    ]);
    expect(found.map((f) => f.message.split(', which')[0])).toStrictEqual([
      'Rule 0 lets its subjects create serviceaccounts/token',
      'Rule 1 lets its subjects create persistentvolumes',
      'Rule 2 lets its subjects patch pods/ephemeralcontainers',
      'Rule 3 lets its subjects update mutatingwebhookconfigurations',
    ]);
  });

  it('reports escalate, bind and impersonate on the verbs', () => {
    const found = check(rule, [
      role(
        [
          { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['escalate'] },
          { apiGroups: [RBAC], resources: ['rolebindings', 'roles'], verbs: ['create', 'bind'] },
          { apiGroups: [''], resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] },
        ],
        'ClusterRole',
      ),
    ]);
    expect(summary(found).map((f) => [f.path, f.message.split(':')[0]])).toStrictEqual([
      ['rules[0].verbs', 'Rule 0 lets its subjects escalate clusterroles, which writes roles granting permissions its subjects do not hold'],
      ['rules[1].verbs', 'Rule 1 lets its subjects bind roles, which binds roles granting permissions its subjects do not hold'],
      [
        'rules[2].verbs',
        'Rule 2 lets its subjects impersonate users, groups, serviceaccounts, which acts as another user, group or ServiceAccount, with all of its permissions',
      ],
    ]);
  });

  it('counts the "*" verb, the "*" API group and a "*/exec" resource', () => {
    const found = check(rule, [
      role([
        { apiGroups: ['*'], resources: ['pods/exec'], verbs: ['*'] },
        { apiGroups: [''], resources: ['*/exec'], verbs: ['create'] },
      ]),
    ]);
    expect(found.map((f) => f.message.split(', which')[0])).toStrictEqual([
      'Rule 0 lets its subjects use every verb ("*") on pods/exec',
      'Rule 1 lets its subjects create pods/exec',
    ]);
  });

  const binding = (kind: 'ClusterRoleBinding' | 'RoleBinding', name = 'ops') =>
    manifest(
      `${RBAC}/v1`,
      kind,
      name,
      { roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'ops' }, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'shop' }] },
      kind === 'RoleBinding' ? 'shop' : undefined,
    );
  const readSecrets = { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] };

  it('reports reading Secrets in a ClusterRole that a ClusterRoleBinding binds, naming the binding', () => {
    expect(summary(check(rule, [role([readSecrets], 'ClusterRole'), binding('ClusterRoleBinding', 'ops-everywhere')]))).toStrictEqual([
      {
        name: 'ops',
        path: 'rules[0].resources',
        message:
          'Rule 0 lets its subjects get, list, watch secrets in every namespace (ClusterRoleBinding "ops-everywhere"), which reads every Secret of the cluster ' +
          "(ServiceAccount tokens, TLS keys, Argo CD's repository and cluster credentials): bind it with a RoleBinding in each namespace whose Secrets it needs, " +
          'or name them in resourceNames; a controller that reads them all needs a policy exception that says why.',
      },
    ]);
  });

  it('leaves reading Secrets in one namespace alone: a Role, a ClusterRole bound by a RoleBinding or by no binding of the set, named Secrets', () => {
    expect(check(rule, [role([readSecrets])])).toStrictEqual([]);
    expect(check(rule, [role([readSecrets], 'ClusterRole'), binding('RoleBinding')])).toStrictEqual([]);
    expect(check(rule, [role([readSecrets], 'ClusterRole')])).toStrictEqual([]);
    expect(check(rule, [role([{ ...readSecrets, resourceNames: ['shop-tls'] }], 'ClusterRole'), binding('ClusterRoleBinding')])).toStrictEqual([]);
    expect(check(rule, [role([{ ...readSecrets, resources: ['configmaps'] }], 'ClusterRole'), binding('ClusterRoleBinding')])).toStrictEqual([]);
  });

  /*
   * Kubernetes documents ClusterRole aggregation as the work of a controller of the control plane: the
   * clusterrole-aggregation controller of kube-controller-manager fills every ClusterRole that has an
   * aggregationRule with the rules of the ClusterRoles its selectors match ("If AggregationRule is set,
   * then the Rules are controller managed", the ClusterRole API reference). The built-in view, edit and
   * admin select rbac.authorization.k8s.io/aggregate-to-view, -edit and -admin, and view carries
   * aggregate-to-edit, edit aggregate-to-admin. kube-apiserver 1.36.3 alone (the server the project
   * builds, run with --authorization-mode=RBAC so that it writes the bootstrap roles) has exactly those
   * labels and selectors, and aggregates nothing: view, edit and admin keep no rules, and a ClusterRole
   * labelled aggregate-to-view stays out of view. With no controller manager to run it against, the
   * rule's reading of the chain is proved here.
   */
  const labelled = (labels: Record<string, string>, rules: unknown[], name = 'shop-secrets') => {
    const m = manifest(`${RBAC}/v1`, 'ClusterRole', name, { rules }, undefined);
    return { ...m, metadata: { ...m.metadata, labels } };
  };
  const toView = { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' };

  it('reports reading Secrets in a ClusterRole labelled into the built-in view, which no binding of the set binds, naming the label and where it goes', () => {
    expect(summary(check(rule, [labelled(toView, [readSecrets])]))).toStrictEqual([
      {
        name: 'shop-secrets',
        path: 'rules[0].resources',
        message:
          'Rule 0 lets its subjects get, list, watch secrets in every namespace (its label rbac.authorization.k8s.io/aggregate-to-view: "true" has the ' +
          'clusterrole-aggregation controller copy it into the built-in ClusterRoles "view", "edit", "admin" and OpenShift\'s "cluster-reader", roles the ' +
          "cluster grants through bindings outside this set), which reads every Secret of the cluster (ServiceAccount tokens, TLS keys, Argo CD's repository " +
          'and cluster credentials): take off the label rbac.authorization.k8s.io/aggregate-to-view, then bind it with a RoleBinding in each namespace whose ' +
          'Secrets it needs, or name them in resourceNames; a controller that reads them all needs a policy exception that says why.',
      },
    ]);
  });

  it("follows each label of the chain: edit feeds admin, admin feeds nothing further, cluster-reader is OpenShift's", () => {
    const into = (label: string) =>
      check(rule, [labelled({ [`rbac.authorization.k8s.io/aggregate-to-${label}`]: 'true' }, [readSecrets])]).map(
        (f) => /copy it into the built-in (ClusterRoles? [^,]*(?:, "[^"]+")*(?: and OpenShift's "[^"]+")?)/.exec(f.message)?.[1],
      );
    expect(into('edit')).toStrictEqual(['ClusterRoles "edit", "admin"']);
    expect(into('admin')).toStrictEqual(['ClusterRole "admin"']);
    expect(into('cluster-reader')).toStrictEqual(['ClusterRole OpenShift\'s "cluster-reader"']);
  });

  it('says where the label sends a rule reported without bindings too, and names every label and binding that grants it', () => {
    const exec = { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] };
    const [f, ...rest] = check(rule, [
      labelled({ 'rbac.authorization.k8s.io/aggregate-to-admin': 'true', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }, [exec], 'ops'),
    ]);
    expect(rest).toStrictEqual([]);
    expect(f?.message).toBe(
      'Rule 0 lets its subjects create pods/exec in every namespace (its labels rbac.authorization.k8s.io/aggregate-to-admin: "true", ' +
        'rbac.authorization.k8s.io/aggregate-to-edit: "true" have the clusterrole-aggregation controller copy it into the built-in ClusterRoles "admin", "edit", ' +
        "roles the cluster grants through bindings outside this set), which runs commands in the namespace's pods, with their ServiceAccount tokens and mounted " +
        'Secrets: take off the label rbac.authorization.k8s.io/aggregate-to-admin, rbac.authorization.k8s.io/aggregate-to-edit, then remove it, or keep it in a ' +
        'role bound only to the people or controllers that need it and add a policy exception that says why.',
    );
    const both = check(rule, [labelled(toView, [readSecrets], 'ops'), binding('ClusterRoleBinding', 'ops-everywhere')]);
    expect(both.map((x) => x.message.split(', which')[0]?.split(' has the')[0])).toStrictEqual([
      'Rule 0 lets its subjects get, list, watch secrets in every namespace (ClusterRoleBinding "ops-everywhere"; its label rbac.authorization.k8s.io/aggregate-to-view: "true"',
    ]);
  });

  const gathering = (name: string, selector: unknown, labels: Record<string, string> = {}) => {
    const m = manifest(`${RBAC}/v1`, 'ClusterRole', name, { aggregationRule: { clusterRoleSelectors: [selector] }, rules: [] }, undefined);
    return { ...m, metadata: { ...m.metadata, labels } };
  };
  const ownLabel = { 'shop.example.com/aggregate-to-reader': 'true' };

  it('reports reading Secrets in a ClusterRole that a ClusterRole of the set gathers, when a ClusterRoleBinding binds the gathering one or it is labelled into view', () => {
    const bound = check(rule, [
      labelled(ownLabel, [readSecrets]),
      gathering('ops', { matchLabels: ownLabel }),
      binding('ClusterRoleBinding', 'ops-everywhere'),
    ]);
    expect(bound.map((f) => [f.path, f.message.split(', which')[0]])).toStrictEqual([
      [
        'rules[0].resources',
        'Rule 0 lets its subjects get, list, watch secrets in every namespace (ClusterRoleBinding "ops-everywhere" of ClusterRole "ops", whose aggregationRule gathers this role)',
      ],
    ]);
    const [chained] = check(rule, [labelled(ownLabel, [readSecrets]), gathering('reader', { matchLabels: ownLabel }, toView)]);
    expect(chained?.message).toContain(
      'in every namespace (the label of ClusterRole "reader", whose aggregationRule gathers this role, rbac.authorization.k8s.io/aggregate-to-view: "true" has the clusterrole-aggregation controller copy it into',
    );
    expect(chained?.message).toContain('take off the label rbac.authorization.k8s.io/aggregate-to-view of ClusterRole "reader", then bind it');
  });

  it('leaves a label of the chain alone where it does not aggregate, or the rule is not an escalation', () => {
    // Of these roles only the first grants reading every Secret.
    expect(
      summary(
        check(rule, [
          labelled(toView, [readSecrets], 'reads'),
          labelled({ 'rbac.authorization.k8s.io/aggregate-to-view': 'false' }, [readSecrets], 'a'),
          labelled({ 'example.com/aggregate-to-view': 'true' }, [readSecrets], 'b'),
          labelled(toView, [{ ...readSecrets, resourceNames: ['shop-tls'] }], 'c'),
          labelled(toView, [{ ...readSecrets, resources: ['configmaps'] }], 'd'),
          labelled(ownLabel, [readSecrets], 'e'),
          gathering('f', { matchLabels: ownLabel }),
        ]),
      ).map((f) => f.name),
    ).toStrictEqual(['reads']);
    // Only ClusterRoles are aggregated: a Role with the label reads its own namespace's Secrets.
    const m = role([readSecrets]);
    expect(
      summary(check(rule, [{ ...m, metadata: { ...m.metadata, labels: toView } }, labelled(toView, [readSecrets])])).map((f) => f.name),
    ).toStrictEqual(['shop-secrets']);
  });

  const signers = (resourceNames?: string[]) => ({
    apiGroups: ['certificates.k8s.io'],
    resources: ['signers'],
    verbs: ['approve'],
    ...(resourceNames && { resourceNames }),
  });
  const csr = {
    apiGroups: ['certificates.k8s.io'],
    resources: ['certificatesigningrequests', 'certificatesigningrequests/approval'],
    verbs: ['create', 'get', 'update'],
  };

  it('reports approving the signers of client certificates the API server trusts, by name, by domain or all of them', () => {
    const found = check(rule, [
      role(
        [
          csr,
          signers(['kubernetes.io/kube-apiserver-client']),
          signers(['kubernetes.io/*']),
          signers(),
          signers(['kubernetes.io/kube-apiserver-client-kubelet']),
        ],
        'ClusterRole',
      ),
    ]);
    expect(summary(found).map((f) => [f.path, f.message.split(':')[0]])).toStrictEqual(
      [1, 2, 3, 4].map((i) => [
        `rules[${i}].resources`,
        `Rule ${i} lets its subjects approve signers, which approves certificate signing requests for client certificates the API server trusts, for any user or group, system`,
      ]),
    );
    expect(found[0]?.message).toContain("name only the set's own signers in resourceNames");
  });

  it("leaves approval for the set's own signer alone, and signing for a trusted one", () => {
    expect(
      check(rule, [
        role([csr, signers(['example.com/shop-issuer']), { ...signers(['kubernetes.io/kube-apiserver-client']), verbs: ['sign'] }], 'ClusterRole'),
      ]),
    ).toStrictEqual([]);
  });

  it('reports update and patch on namespaces, which removes their Pod Security labels, even in a Role', () => {
    const found = check(rule, [role([{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch', 'update'] }])]);
    expect(found.map((f) => f.message.split(':')[0])).toStrictEqual([
      "Rule 0 lets its subjects update, patch namespaces, which can remove a namespace's pod-security.kubernetes.io/enforce label, and with it Pod Security admission, or give it the labels that NetworkPolicies let in",
    ]);
    expect(check(rule, [role([{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create'] }])])).toStrictEqual([]);
  });

  it('reports deleting admission webhooks and policies, and writing admission policies, but not creating a validating policy', () => {
    const found = check(rule, [
      role(
        [
          {
            apiGroups: ['admissionregistration.k8s.io'],
            resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies'],
            verbs: ['delete', 'patch', 'update'],
          },
          { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingadmissionpolicybindings'], verbs: ['deletecollection'] },
          { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingadmissionpolicies'], verbs: ['create'] },
          {
            apiGroups: ['admissionregistration.k8s.io'],
            resources: ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
            verbs: ['create', 'get'],
          },
        ],
        'ClusterRole',
      ),
    ]);
    expect(found.map((f) => f.message.split(', which')[0])).toStrictEqual([
      'Rule 0 lets its subjects update, patch mutatingwebhookconfigurations, validatingwebhookconfigurations',
      'Rule 0 lets its subjects update, patch validatingadmissionpolicies',
      'Rule 0 lets its subjects delete mutatingwebhookconfigurations, validatingwebhookconfigurations, validatingadmissionpolicies',
      'Rule 1 lets its subjects deletecollection validatingadmissionpolicybindings',
      'Rule 2 lets its subjects create mutatingadmissionpolicies',
    ]);
    expect(found[2]?.message).toContain('which switches off the admission checks the cluster relies on');
  });

  it('is waived by an exception for the role', () => {
    const set = objects(role([{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]));
    const [f] = runPolicy(set, { exceptions: [{ rule: 'no-rbac-escalation', kind: 'Role', name: 'ops', reason: 'on-call debugging role' }] }).filter(
      (x) => x.rule === 'no-rbac-escalation',
    );
    expect(f?.exception).toBe('on-call debugging role');
  });

  const aggregated = (...clusterRoleSelectors: unknown[]) =>
    manifest('rbac.authorization.k8s.io/v1', 'ClusterRole', 'shop-app-reader', { aggregationRule: { clusterRoleSelectors }, rules: [] }, undefined);

  it('reports an aggregationRule that gathers the built-in edit or admin parts, whose rules the cluster copies in', () => {
    const found = check(rule, [
      aggregated({ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }),
      aggregated(
        { matchLabels: { 'shop.example.com/reader': 'true' } },
        { matchExpressions: [{ key: 'rbac.authorization.k8s.io/aggregate-to-edit', operator: 'Exists' }] },
      ),
    ]);
    expect(summary(found).map((f) => [f.path, f.message])).toStrictEqual([
      [
        'aggregationRule.clusterRoleSelectors[0]',
        'Selector 0 of the aggregationRule matches the built-in ClusterRoles "edit", "system:aggregate-to-admin", whose rules the cluster copies into this role, which ' +
          "writes Secrets, execs into pods and runs pods as any ServiceAccount of a namespace: select only labels that the set's own ClusterRoles carry.",
      ],
      [
        'aggregationRule.clusterRoleSelectors[1]',
        'Selector 1 of the aggregationRule matches the built-in ClusterRole "system:aggregate-to-edit", whose rules the cluster copies into this role, which ' +
          "writes Secrets, execs into pods and runs pods as any ServiceAccount of a namespace: select only labels that the set's own ClusterRoles carry.",
      ],
    ]);
  });

  it('leaves an aggregationRule that gathers cluster-admin to no-rbac-wildcards, and one of read-only roles alone', () => {
    expect(check(rule, [aggregated({}), aggregated({ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } })])).toStrictEqual([]);
  });
});
