import { describe, expect, it } from 'vitest';
import { buildApp, find, kubeconformManifests, podSpec } from '@strata/testing';

describe.each(['dev', 'staging', 'prod'] as const)('__APP_NAME__ in %s', (env) => {
  it('runs the expected number of replicas', async () => {
    const deployment = find(await buildApp('__APP_NAME__', env), 'Deployment', '__APP_NAME__');
    expect(deployment.spec.replicas).toBe({ dev: 1, staging: 2, prod: 3 }[env]);
  });
  it('runs restricted: non-root, read-only root with /tmp writable, no service account token', async () => {
    const pod = podSpec(find(await buildApp('__APP_NAME__', env), 'Deployment', '__APP_NAME__'));
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0]?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.volumes).toStrictEqual([{ name: 'tmp', emptyDir: {} }]);
  });
  it('is valid under the strict offline schemas', async () => {
    const results = await kubeconformManifests(await buildApp('__APP_NAME__', env));
    expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
  });
});
