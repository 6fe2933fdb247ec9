import { aggregations, rbacRules } from '../rbac.ts';
import { finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-rbac-wildcards';

export const noRbacWildcards: Rule = {
  id,
  description: 'Role and ClusterRole rules list their verbs and resources; no "*", and no aggregationRule that gathers cluster-admin.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const r of rbacRules(objects)) {
      // A wildcard also grants whatever verbs and resources later Kubernetes versions add.
      if (r.verbs.includes('*')) {
        out.push(
          finding(
            id,
            r.role,
            `Rule ${r.index} grants every verb ("*") on ${r.resources.join(', ') || 'its resources'}: list only the verbs it needs, such as get, list, watch.`,
            `rules[${r.index}].verbs`,
          ),
        );
      }
      if (r.resources.includes('*')) {
        out.push(
          finding(id, r.role, `Rule ${r.index} applies to every resource ("*"): list only the resources it needs.`, `rules[${r.index}].resources`),
        );
      }
    }
    // The aggregation controller copies cluster-admin's "*" rules into a role whose selector matches it.
    for (const a of aggregations(objects)) {
      if (!a.gathers.some((b) => b.name === 'cluster-admin')) continue;
      out.push(
        finding(
          id,
          a.role,
          `Selector ${a.index} of the aggregationRule matches the built-in ClusterRole cluster-admin, whose rules the cluster copies into this role ` +
            '(every verb on every resource, "*"): select only labels that the set\'s own ClusterRoles carry.',
          `aggregationRule.clusterRoleSelectors[${a.index}]`,
        ),
      );
    }
    return out;
  },
};
