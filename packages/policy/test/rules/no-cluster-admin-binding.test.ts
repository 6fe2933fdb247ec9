import { describe, expect, it } from 'vitest';
import { noClusterAdminBinding } from '../../src/rules/no-cluster-admin-binding.ts';
import { check, manifest, summary } from '../support.ts';

const binding = (kind: string, roleRef: Record<string, string>) =>
  manifest('rbac.authorization.k8s.io/v1', kind, 'web', {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
  });

describe('no-cluster-admin-binding', () => {
  it('stays quiet for bindings to narrow roles', () => {
    expect(
      check(noClusterAdminBinding, [
        binding('RoleBinding', { kind: 'Role', name: 'web-read' }),
        binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'view' }),
      ]),
    ).toStrictEqual([]);
  });

  it('reports cluster-admin granted through a ClusterRoleBinding or a RoleBinding', () => {
    const found = check(noClusterAdminBinding, [
      binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'cluster-admin' }),
      binding('RoleBinding', { kind: 'ClusterRole', name: 'cluster-admin' }),
    ]);
    expect(summary(found)[0]).toStrictEqual({
      name: 'web',
      path: 'roleRef.name',
      message: 'The binding gives cluster-admin to ServiceAccount "web": bind a Role that grants only what the workload needs.',
    });
    expect(found).toHaveLength(2);
  });

  it('reports the built-in roles that hold as much in practice, and leaves view and narrow system roles alone', () => {
    const found = check(noClusterAdminBinding, [
      binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'admin' }),
      binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }),
      binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'system:aggregate-to-edit' }),
      binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'system:controller:clusterrole-aggregation-controller' }),
      binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'system:aggregate-to-view' }),
      binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'system:auth-delegator' }),
      binding('RoleBinding', { kind: 'Role', name: 'admin' }),
    ]);
    expect(summary(found).map((f) => f.message)).toStrictEqual([
      'The binding gives the built-in ClusterRole "admin", which grants everything in a namespace: Secrets, pods/exec, Roles and RoleBindings, to ServiceAccount "web": bind a Role that grants only what the workload needs.',
      'The binding gives the built-in ClusterRole "edit", which writes Secrets, execs into pods and runs pods as any ServiceAccount of a namespace, to ServiceAccount "web": bind a Role that grants only what the workload needs.',
      'The binding gives the built-in ClusterRole "system:aggregate-to-edit", which writes Secrets, execs into pods and runs pods as any ServiceAccount of a namespace, to ServiceAccount "web": bind a Role that grants only what the workload needs.',
      'The binding gives the built-in ClusterRole "system:controller:clusterrole-aggregation-controller", which escalates and updates every ClusterRole, and so grants any permission, to ServiceAccount "web": bind a Role that grants only what the workload needs.',
    ]);
  });
});
