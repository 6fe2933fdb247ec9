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
