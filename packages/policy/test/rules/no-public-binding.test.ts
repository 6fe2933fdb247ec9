import { describe, expect, it } from 'vitest';
import { noPublicBinding as rule } from '../../src/rules/no-public-binding.ts';
import { check, manifest, summary } from '../support.ts';

const binding = (kind: string, subjects: unknown[], roleRef = { kind: 'ClusterRole', name: 'admin' }) =>
  manifest(
    'rbac.authorization.k8s.io/v1',
    kind,
    'everyone',
    { roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects },
    kind === 'RoleBinding' ? 'shop' : undefined,
  );

describe('no-public-binding', () => {
  it('stays quiet for bindings to ServiceAccounts, users and other groups', () => {
    expect(
      check(rule, [
        binding('ClusterRoleBinding', [
          { kind: 'ServiceAccount', name: 'web', namespace: 'shop' },
          { kind: 'Group', name: 'ops' },
          { kind: 'User', name: 'system:authenticated' },
          { kind: 'Group', name: 'system:anonymous' },
        ]),
      ]),
    ).toStrictEqual([]);
  });

  it('reports the ClusterRole admin bound to every authenticated client', () => {
    expect(
      summary(check(rule, [binding('ClusterRoleBinding', [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }])])),
    ).toStrictEqual([
      {
        name: 'everyone',
        path: 'subjects[0].name',
        message:
          'The binding gives ClusterRole "admin" to Group "system:authenticated", which is every client with any credential, every ServiceAccount of the cluster included: bind it to the ServiceAccounts, users or groups that need it.',
      },
    ]);
  });

  it('reports any role bound to unauthenticated or anonymous clients, one finding per subject', () => {
    const found = check(rule, [
      binding(
        'RoleBinding',
        [
          { kind: 'ServiceAccount', name: 'web' },
          { kind: 'Group', name: 'system:unauthenticated' },
          { kind: 'User', name: 'system:anonymous' },
        ],
        { kind: 'Role', name: 'read-config' },
      ),
    ]);
    expect(summary(found).map((f) => [f.path, f.message.split(',')[0]])).toStrictEqual([
      ['subjects[1].name', 'The binding gives Role "read-config" to Group "system:unauthenticated"'],
      ['subjects[2].name', 'The binding gives Role "read-config" to User "system:anonymous"'],
    ]);
  });
});
