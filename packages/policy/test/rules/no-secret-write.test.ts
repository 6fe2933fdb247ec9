import { describe, expect, it } from 'vitest';
import { noSecretWrite } from '../../src/rules/no-secret-write.ts';
import { check, manifest, summary } from '../support.ts';

const role = (rule: Record<string, unknown>) => manifest('rbac.authorization.k8s.io/v1', 'Role', 'web', { rules: [{ apiGroups: [''], ...rule }] });

describe('no-secret-write', () => {
  it('stays quiet for read access to secrets and writes to other resources', () => {
    expect(
      check(noSecretWrite, [
        role({ resources: ['secrets'], verbs: ['get', 'list', 'watch'] }),
        role({ resources: ['configmaps'], verbs: ['create', 'update'] }),
      ]),
    ).toStrictEqual([]);
  });

  it('reports write verbs on secrets', () => {
    expect(summary(check(noSecretWrite, [role({ resources: ['configmaps', 'secrets'], verbs: ['get', 'create', 'patch'] })]))).toStrictEqual([
      {
        name: 'web',
        path: 'rules[0].verbs',
        message:
          'Rule 0 lets its subjects create, patch Secrets: grant at most get, list and watch on secrets, and let an ExternalSecret write them.',
      },
    ]);
  });

  it('reports "*" verbs or resources that include secrets, but not another group\'s "secrets"', () => {
    const found = check(noSecretWrite, [
      role({ resources: ['secrets'], verbs: ['*'] }),
      role({ resources: ['*'], verbs: ['deletecollection'] }),
      role({ apiGroups: ['example.com'], resources: ['secrets'], verbs: ['create'] }),
    ]);
    expect(found).toHaveLength(2);
  });
});
