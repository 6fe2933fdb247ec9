import { describe, expect, it } from 'vitest';
import { buildApp, find, kubeconformManifests } from '@strata/testing';

describe.each(['dev', 'staging', 'prod'] as const)('__APP_NAME__ in %s', (env) => {
  it('runs the expected number of replicas', async () => {
    const deployment = find(await buildApp('__APP_NAME__', env), 'Deployment', '__APP_NAME__') as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe({ dev: 1, staging: 2, prod: 3 }[env]);
  });
  it('is valid under the strict offline schemas', async () => {
    const results = await kubeconformManifests(await buildApp('__APP_NAME__', env));
    expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
  });
});
