import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { mountableSecrets } from '../../src/rules/mountable-secrets.ts';
import { check, deployment, manifest, NS, pod } from '../support.ts';

const account = (name: string, extra: Record<string, unknown> = {}, enforce = 'true'): Manifest =>
  manifest('v1', 'ServiceAccount', name, {
    metadata: { name, namespace: NS, annotations: { 'kubernetes.io/enforce-mountable-secrets': enforce } },
    ...extra,
  });

describe('mountable-secrets', () => {
  it("refuses each Secret a pod of any kind uses that its enforcing ServiceAccount does not list, at its field, in the plugin's words", () => {
    const spec = {
      serviceAccountName: 'locked',
      volumes: [{ name: 'v', secret: { secretName: 'other' } }],
      containers: [
        {
          name: 'c',
          image: 'x',
          env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'allowed', key: 'k' } } }],
          envFrom: [{ secretRef: { name: 'env' } }],
        },
      ],
      imagePullSecrets: [{ name: 'pull' }],
    };
    const found = check(mountableSecrets, [account('locked', { secrets: [{ name: 'allowed' }] }), deployment('d', { pod: spec })]);
    expect(found.map((f) => `${f.path}: ${f.message.split(': the API server')[0]}`)).toStrictEqual([
      'spec.template.spec.volumes[0].secret.secretName: volume with secret.secretName="other" is not allowed because service account locked does not reference that secret',
      'spec.template.spec.containers[0].envFrom[0].secretRef.name: container c with envFrom referencing secret.secretName="env" is not allowed because service account locked does not reference that secret',
      'spec.template.spec.imagePullSecrets[0].name: imagePullSecrets[0].name="pull" is not allowed because service account locked does not reference that imagePullSecret',
    ]);
    expect(found[0]!.message).toContain('the API server refuses every pod this Deployment makes (ServiceAccount admission)');
  });

  it('leaves alone an account that does not enforce, one of the cluster, and one of another namespace', () => {
    const spec = { serviceAccountName: 'locked', volumes: [{ name: 'v', secret: { secretName: 'other' } }] };
    expect(check(mountableSecrets, [account('locked', {}, 'false'), pod('p', { pod: spec })])).toStrictEqual([]);
    expect(check(mountableSecrets, [pod('p', { pod: spec })])).toStrictEqual([]);
    const elsewhere = manifest('v1', 'ServiceAccount', 'locked', {
      metadata: { name: 'locked', namespace: 'other', annotations: { 'kubernetes.io/enforce-mountable-secrets': 'true' } },
    });
    expect(check(mountableSecrets, [elsewhere, pod('p', { pod: spec })])).toStrictEqual([]);
  });
});
