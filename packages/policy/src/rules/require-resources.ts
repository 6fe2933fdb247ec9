import { containerLabel, podsOf, sentenceStart } from '../pods.ts';
import { parseQuantity } from '../quantity.ts';
import { finding, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'require-resources';

const RESOURCES = ['cpu', 'memory'] as const;

export const requireResources: Rule = {
  id,
  description: 'requests and limits for cpu and memory on every container, init containers and sidecars included; no request above its limit.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      for (const c of pod.containers) {
        // The API rejects resources on ephemeral containers: they borrow the pod's.
        if (c.group === 'ephemeralContainers') continue;
        const who = sentenceStart(containerLabel(c));
        const resources = rec(c.container.resources) ?? {};
        const requests = rec(resources.requests) ?? {};
        const limits = rec(resources.limits) ?? {};
        const missing = (['requests', 'limits'] as const).flatMap((side) =>
          RESOURCES.filter((r) => (side === 'requests' ? requests : limits)[r] == null).map((r) => `${side}.${r}`),
        );
        if (missing.length === 4) {
          out.push(
            finding(id, pod.object, `${who} has no resource requests or limits: set requests and limits for cpu and memory.`, `${c.path}.resources`),
          );
          continue;
        }
        for (const field of missing) {
          out.push(
            finding(id, pod.object, `${who} has no ${field}: set requests and limits for both cpu and memory.`, `${c.path}.resources.${field}`),
          );
        }
        for (const r of RESOURCES) {
          const request = parseQuantity(requests[r]);
          const limit = parseQuantity(limits[r]);
          if (request === undefined || limit === undefined || request <= limit) continue;
          out.push(
            finding(
              id,
              pod.object,
              `${who} requests more ${r} (${String(requests[r])}) than its limit (${String(limits[r])}): raise the limit or lower the request.`,
              `${c.path}.resources.requests.${r}`,
            ),
          );
        }
      }
    }
    return out;
  },
};
