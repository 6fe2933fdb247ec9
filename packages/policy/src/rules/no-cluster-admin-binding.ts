import { BUILTIN_CLUSTER_ROLES } from '../rbac.ts';
import { at, finding, list, ofKind, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-cluster-admin-binding';

export const noClusterAdminBinding: Rule = {
  id,
  description:
    'No RoleBinding or ClusterRoleBinding grants the cluster-admin ClusterRole, or a built-in one that holds as much in practice or leads to it (admin, edit, their aggregated parts, controllers\' roles with "*").',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const binding of ofKind(objects, 'RoleBinding', 'ClusterRoleBinding')) {
      const ref = at(binding.manifest, 'roleRef');
      if (at(ref, 'kind') !== 'ClusterRole') continue;
      const role = BUILTIN_CLUSTER_ROLES.find((b) => b.gives !== undefined && b.name === at(ref, 'name'));
      if (!role) continue;
      const subjects = list(binding.manifest.subjects).map((s) => `${str(at(s, 'kind')) ?? '?'} "${str(at(s, 'name')) ?? '?'}"`);
      const to = subjects.join(', ') || 'its subjects';
      const what = role.name === 'cluster-admin' ? 'cluster-admin' : `the built-in ClusterRole "${role.name}", which ${role.gives},`;
      out.push(finding(id, binding, `The binding gives ${what} to ${to}: bind a Role that grants only what the workload needs.`, 'roleRef.name'));
    }
    return out;
  },
};
