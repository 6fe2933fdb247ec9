import { at, finding, list, ofKind, rec, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-admission-webhook';

const ADMISSION = 'admissionregistration.k8s.io';

/**
 * An admission webhook configuration is cluster-wide: the API server sends it the objects of every
 * namespace its rules match, and a mutating one rewrites them after every offline check (a
 * privileged container, a hostNetwork pod). Named by `url:`, it sends them outside the cluster too.
 */
export const noAdmissionWebhook: Rule = {
  id,
  description:
    'No MutatingWebhookConfiguration or ValidatingWebhookConfiguration: it is cluster-wide, sees (and a mutating one rewrites) the objects of every namespace, and with clientConfig.url sends them outside the cluster.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const config of ofKind(objects, 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration')) {
      if (!config.manifest.apiVersion.startsWith(`${ADMISSION}/`)) continue;
      const mutating = config.manifest.kind === 'MutatingWebhookConfiguration';
      const does = mutating ? 'rewrites' : 'decides whether the API server admits';
      list(at(config.manifest, 'webhooks')).forEach((w, i) => {
        const webhook = rec(w);
        if (!webhook) return;
        const name = str(webhook.name) ?? String(i);
        const url = str(at(webhook, 'clientConfig', 'url'));
        out.push(
          url !== undefined
            ? finding(
                id,
                config,
                `Webhook "${name}" sends every object it matches, in any namespace, to ${url}, outside the cluster, and ${does} it: ` +
                  'serve it from a Service in the cluster, shipped with the platform rather than an app, or add a policy exception that says why.',
                `webhooks[${i}].clientConfig.url`,
              )
            : finding(
                id,
                config,
                `Webhook "${name}" ${does} the objects it matches in every namespace of the cluster: ship it with the platform rather than an app, or add a policy exception that says why.`,
                `webhooks[${i}]`,
              ),
        );
      });
    }
    return out;
  },
};
