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
});
