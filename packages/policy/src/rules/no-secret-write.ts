import { rbacRules } from '../rbac.ts';
import { finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-secret-write';

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection', '*']);

export const noSecretWrite: Rule = {
  id,
  description: 'No Role or ClusterRole may create, update, patch or delete Secrets (directly or through "*").',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const r of rbacRules(objects)) {
      // Secrets live in the core group; a rule for another group's "secrets" is a different resource.
      const coreGroup = r.apiGroups.length === 0 || r.apiGroups.includes('') || r.apiGroups.includes('*');
      const secrets = r.resources.includes('secrets') || r.resources.includes('*');
      const writes = r.verbs.filter((v) => WRITE_VERBS.has(v));
      if (!coreGroup || !secrets || writes.length === 0) continue;
      out.push(
        finding(
          id,
          r.role,
          `Rule ${r.index} lets its subjects ${writes.join(', ')} Secrets: grant at most get, list and watch on secrets, and let an ExternalSecret write them.`,
          `rules[${r.index}].verbs`,
        ),
      );
    }
    return out;
  },
};
