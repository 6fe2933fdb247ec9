import { at, finding, list, ofKind, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-public-binding';

/** Subjects that everyone is: whoever sends a request, with or without credentials. */
const EVERYONE: readonly { kind: string; name: string; who: string }[] = [
  { kind: 'Group', name: 'system:authenticated', who: 'every client with any credential, every ServiceAccount of the cluster included' },
  { kind: 'Group', name: 'system:unauthenticated', who: 'every client that sends no credential' },
  { kind: 'User', name: 'system:anonymous', who: 'every client that sends no credential' },
];

export const noPublicBinding: Rule = {
  id,
  description: 'No RoleBinding or ClusterRoleBinding binds any role to system:authenticated, system:unauthenticated or system:anonymous.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const binding of ofKind(objects, 'RoleBinding', 'ClusterRoleBinding')) {
      const ref = at(binding.manifest, 'roleRef');
      const role = `${str(at(ref, 'kind')) ?? 'role'} "${str(at(ref, 'name')) ?? '?'}"`;
      list(binding.manifest.subjects).forEach((s, i) => {
        const everyone = EVERYONE.find((e) => e.kind === at(s, 'kind') && e.name === at(s, 'name'));
        if (!everyone) return;
        out.push(
          finding(
            id,
            binding,
            `The binding gives ${role} to ${everyone.kind} "${everyone.name}", which is ${everyone.who}: bind it to the ServiceAccounts, users or groups that need it.`,
            `subjects[${i}].name`,
          ),
        );
      });
    }
    return out;
  },
};
