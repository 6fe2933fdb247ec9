import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/index.ts';
import { noAdmissionWebhook } from '../../src/rules/no-admission-webhook.ts';
import { check, manifest, objects, summary } from '../support.ts';

const webhooks = (kind: string, ...clientConfigs: Record<string, unknown>[]) =>
  manifest(
    'admissionregistration.k8s.io/v1',
    kind,
    'shop-inject',
    {
      webhooks: clientConfigs.map((clientConfig, i) => ({
        name: `hook${i}.shop.example.com`,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        clientConfig,
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: '*' }],
      })),
    },
    undefined,
  );

describe('no-admission-webhook', () => {
  it('stays quiet without webhook configurations', () => {
    expect(check(noAdmissionWebhook, [manifest('v1', 'ConfigMap', 'settings', { data: { a: '1' } })])).toStrictEqual([]);
  });

  it('reports a mutating webhook that sends objects to a URL outside the cluster, at its url', () => {
    expect(
      summary(check(noAdmissionWebhook, [webhooks('MutatingWebhookConfiguration', { url: 'https://attacker.example.com/mutate' })])),
    ).toStrictEqual([
      {
        name: 'shop-inject',
        path: 'webhooks[0].clientConfig.url',
        message:
          'Webhook "hook0.shop.example.com" sends every object it matches, in any namespace, to https://attacker.example.com/mutate, outside the cluster, and rewrites it: ' +
          'serve it from a Service in the cluster, shipped with the platform rather than an app, or add a policy exception that says why.',
      },
    ]);
  });

  it('reports every webhook of a validating configuration served in the cluster, as cluster-wide', () => {
    const found = check(noAdmissionWebhook, [
      webhooks('ValidatingWebhookConfiguration', { service: { name: 'guard', namespace: 'shop' } }, { url: 'https://guard.example.com/' }),
    ]);
    expect(summary(found).map((f) => [f.path, f.message.slice(0, f.message.indexOf(':'))])).toStrictEqual([
      [
        'webhooks[0]',
        'Webhook "hook0.shop.example.com" decides whether the API server admits the objects it matches in every namespace of the cluster',
      ],
      ['webhooks[1].clientConfig.url', 'Webhook "hook1.shop.example.com" sends every object it matches, in any namespace, to https'],
    ]);
  });

  it('is an error in every env, and an exception with a reason waives it for an app that serves one', () => {
    const set = objects(webhooks('ValidatingWebhookConfiguration', { service: { name: 'guard', namespace: 'shop' } }));
    for (const env of ['dev', 'staging', 'prod'] as const)
      expect(runPolicy(set, { env }).map((f) => [f.rule, f.severity])).toStrictEqual([['no-admission-webhook', 'error']]);
    const [waived] = runPolicy(set, {
      exceptions: [{ rule: 'no-admission-webhook', kind: 'ValidatingWebhookConfiguration', reason: 'the operator validates its own CRs' }],
    });
    expect(waived?.exception).toBe('the operator validates its own CRs');
  });
});
