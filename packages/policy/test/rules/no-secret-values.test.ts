import { describe, expect, it } from 'vitest';
import { noSecretValues } from '../../src/rules/no-secret-values.ts';
import { check, manifest, summary } from '../support.ts';

describe('no-secret-values', () => {
  it('stays quiet for a Secret without values and for other kinds with data', () => {
    const empty = manifest('v1', 'Secret', 'pull', { type: 'kubernetes.io/dockerconfigjson', data: {} });
    const config = manifest('v1', 'ConfigMap', 'settings', { data: { mode: 'fast' } });
    const foreign = manifest('example.com/v1', 'Secret', 'other', { data: { a: 'b' } });
    expect(check(noSecretValues, [empty, config, foreign])).toStrictEqual([]);
  });

  it('reports data and stringData of a v1 Secret, each at its field', () => {
    const s = manifest('v1', 'Secret', 'db', { data: { password: 'aHVudGVyMg==' }, stringData: { user: 'app' } });
    expect(summary(check(noSecretValues, [s]))).toStrictEqual([
      {
        name: 'db',
        path: 'data',
        message: 'a Secret with values must not be committed; reference it (secretKeyRef) or produce it with an ExternalSecret',
      },
      {
        name: 'db',
        path: 'stringData',
        message: 'a Secret with values must not be committed; reference it (secretKeyRef) or produce it with an ExternalSecret',
      },
    ]);
  });

  it('reports a secretGenerator with literals, and not one fed from an env file', () => {
    const k = manifest('kustomize.config.k8s.io/v1beta1', 'Kustomization', '', {
      secretGenerator: [
        { name: 'from-file', envs: ['secret.env'] },
        { name: 'token', literals: ['token=abc'] },
      ],
    });
    expect(summary(check(noSecretValues, [k]))).toStrictEqual([
      {
        name: '',
        path: 'secretGenerator[1].literals',
        message: 'secretGenerator token holds literal values; feed it from an untracked env file or use an ExternalSecret',
      },
    ]);
  });
});
