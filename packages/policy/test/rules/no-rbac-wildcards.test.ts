import { describe, expect, it } from 'vitest';
import { noRbacWildcards } from '../../src/rules/no-rbac-wildcards.ts';
import { check, manifest, summary } from '../support.ts';

const role = (rules: unknown[], kind = 'Role') =>
  manifest('rbac.authorization.k8s.io/v1', kind, 'web', { rules }, kind === 'Role' ? 'shop' : undefined);

describe('no-rbac-wildcards', () => {
  it('stays quiet for a read-only role that lists verbs and resources', () => {
    expect(
      check(noRbacWildcards, [role([{ apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['get', 'list', 'watch'] }])]),
    ).toStrictEqual([]);
  });

  it('reports a "*" verb', () => {
    expect(
      summary(
        check(noRbacWildcards, [
          role([
            { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
            { apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] },
          ]),
        ]),
      ),
    ).toStrictEqual([
      {
        name: 'web',
        path: 'rules[1].verbs',
        message: 'Rule 1 grants every verb ("*") on deployments: list only the verbs it needs, such as get, list, watch.',
      },
    ]);
  });

  it('reports a "*" resource in a ClusterRole', () => {
    const [f] = check(noRbacWildcards, [role([{ apiGroups: [''], resources: ['*'], verbs: ['get'] }], 'ClusterRole')]);
    expect(f?.path).toBe('rules[0].resources');
    expect(f?.message).toContain('applies to every resource ("*")');
  });

  const aggregated = (...clusterRoleSelectors: unknown[]) =>
    manifest('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader', { aggregationRule: { clusterRoleSelectors }, rules: [] }, undefined);

  it("reports an aggregationRule whose selector matches cluster-admin's labels, or every role", () => {
    const found = check(noRbacWildcards, [
      aggregated({ matchLabels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }),
      aggregated({ matchLabels: { 'shop.example.com/aggregate-to-reader': 'true' } }, {}),
      aggregated({ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }),
    ]);
    expect(found.map((f) => f.path)).toStrictEqual([
      'aggregationRule.clusterRoleSelectors[0]',
      'aggregationRule.clusterRoleSelectors[1]',
      'aggregationRule.clusterRoleSelectors[0]',
    ]);
    expect(found[0]?.message).toBe(
      'Selector 0 of the aggregationRule matches the built-in ClusterRole cluster-admin, whose rules the cluster copies into this role (every verb on every resource, "*"): ' +
        "select only labels that the set's own ClusterRoles carry.",
    );
  });

  it("stays quiet for an aggregationRule that gathers the app's own labels or the read-only built-in roles", () => {
    expect(
      check(noRbacWildcards, [
        aggregated({ matchLabels: { 'shop.example.com/aggregate-to-reader': 'true' } }),
        aggregated({ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }),
        aggregated({ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }),
      ]),
    ).toStrictEqual([]);
  });
});
