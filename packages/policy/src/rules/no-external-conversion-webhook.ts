import { at, displayName, finding, ofKind, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-external-conversion-webhook';

/**
 * A CustomResourceDefinition's conversion webhook is called by the API server whenever an object of
 * the resource is read or written at a version other than the one stored: every object of every
 * namespace passes through it. Named by `url:`, the webhook sits outside the cluster, so those
 * objects leave it, and whoever serves that URL decides what the cluster stores.
 */
export const noExternalConversionWebhook: Rule = {
  id,
  description:
    'No CustomResourceDefinition whose conversion webhook is a URL (spec.conversion.webhook.clientConfig.url): the API server sends it the objects of the resource, in every namespace, on every conversion between versions, outside the cluster.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const crd of ofKind(objects, 'CustomResourceDefinition')) {
      const { apiVersion } = crd.manifest;
      if (!apiVersion.startsWith('apiextensions.k8s.io/')) continue;
      // v1beta1, which 1.22 stopped serving, named the same setting spec.conversion.webhookClientConfig.
      const path = apiVersion === 'apiextensions.k8s.io/v1beta1' ? ['conversion', 'webhookClientConfig'] : ['conversion', 'webhook', 'clientConfig'];
      const url = str(at(crd.manifest, 'spec', ...path, 'url'));
      if (url === undefined) continue;
      out.push(
        finding(
          id,
          crd,
          `CustomResourceDefinition "${displayName(crd)}" converts its objects with a webhook at ${url}, outside the cluster: the API server sends it every object of the resource it converts between versions, in any namespace, and stores what it answers. ` +
            'Serve the webhook from a Service in the cluster (clientConfig.service), or add a policy exception that says why.',
          `spec.${path.join('.')}.url`,
        ),
      );
    }
    return out;
  },
};
