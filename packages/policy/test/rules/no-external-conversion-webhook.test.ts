import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/index.ts';
import { noExternalConversionWebhook } from '../../src/rules/no-external-conversion-webhook.ts';
import { check, manifest, objects, summary } from '../support.ts';

const crd = (conversion?: Record<string, unknown>, apiVersion = 'apiextensions.k8s.io/v1') =>
  manifest(
    apiVersion,
    'CustomResourceDefinition',
    'carts.shop.example.com',
    {
      spec: {
        group: 'shop.example.com',
        names: { kind: 'Cart', plural: 'carts' },
        scope: 'Namespaced',
        versions: [
          { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
          { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
        ],
        ...(conversion && { conversion }),
      },
    },
    undefined,
  );

const URL = 'https://convert.example.com/carts';
const outside = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: URL } } };

describe('no-external-conversion-webhook', () => {
  it('stays quiet for a CRD without conversion, with strategy None, or with a webhook served from a Service in the cluster', () => {
    const inCluster = {
      strategy: 'Webhook',
      webhook: { conversionReviewVersions: ['v1'], clientConfig: { service: { name: 'carts', namespace: 'shop' } } },
    };
    expect(check(noExternalConversionWebhook, [crd(), crd({ strategy: 'None' }), crd(inCluster)])).toStrictEqual([]);
  });

  it('reports a conversion webhook at a URL, at that url', () => {
    expect(summary(check(noExternalConversionWebhook, [crd(outside)]))).toStrictEqual([
      {
        name: 'carts.shop.example.com',
        path: 'spec.conversion.webhook.clientConfig.url',
        message:
          `CustomResourceDefinition "carts.shop.example.com" converts its objects with a webhook at ${URL}, outside the cluster: the API server sends it every object of the resource it converts between versions, in any namespace, and stores what it answers. ` +
          'Serve the webhook from a Service in the cluster (clientConfig.service), or add a policy exception that says why.',
      },
    ]);
  });

  it('reads the field where apiextensions.k8s.io/v1beta1 put it, and nothing of another group', () => {
    const v1beta1 = crd({ strategy: 'Webhook', webhookClientConfig: { url: URL } }, 'apiextensions.k8s.io/v1beta1');
    expect(summary(check(noExternalConversionWebhook, [v1beta1])).map((f) => f.path)).toStrictEqual(['spec.conversion.webhookClientConfig.url']);
    expect(check(noExternalConversionWebhook, [crd(outside, 'example.com/v1')])).toStrictEqual([]);
  });

  it('is an error in every env, and an exception with a reason waives it for an operator that converts its own resources', () => {
    const set = objects(crd(outside));
    for (const env of ['dev', 'staging', 'prod'] as const)
      expect(runPolicy(set, { env }).map((f) => [f.rule, f.severity])).toStrictEqual([['no-external-conversion-webhook', 'error']]);
    const [waived] = runPolicy(set, {
      exceptions: [
        {
          rule: 'no-external-conversion-webhook',
          kind: 'CustomResourceDefinition',
          name: 'carts.shop.example.com',
          reason: 'the vendor hosts the converter',
        },
      ],
    });
    expect(waived?.exception).toBe('the vendor hosts the converter');
  });
});
