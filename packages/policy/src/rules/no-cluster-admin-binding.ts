import { at, finding, list, ofKind, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-cluster-admin-binding';

export const noClusterAdminBinding: Rule = {
  id,
  description: 'No RoleBinding or ClusterRoleBinding grants the cluster-admin ClusterRole.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const binding of ofKind(objects, 'RoleBinding', 'ClusterRoleBinding')) {
      const ref = at(binding.manifest, 'roleRef');
      if (at(ref, 'kind') !== 'ClusterRole' || at(ref, 'name') !== 'cluster-admin') continue;
      const subjects = list(binding.manifest.subjects).map((s) => `${str(at(s, 'kind')) ?? '?'} "${str(at(s, 'name')) ?? '?'}"`);
      out.push(
        finding(
          id,
          binding,
          `The binding gives cluster-admin to ${subjects.join(', ') || 'its subjects'}: bind a Role that grants only what the workload needs.`,
          'roleRef.name',
        ),
      );
    }
    return out;
  },
};
