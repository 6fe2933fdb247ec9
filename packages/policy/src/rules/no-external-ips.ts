import { at, finding, list, ofKind } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-external-ips';

/**
 * A Service's externalIPs make every node route traffic for those addresses to it, whoever owns
 * them: one Service intercepts the cluster's traffic to any IP (CVE-2020-8554). The API server
 * takes them with a warning only, unless the DenyServiceExternalIPs admission plugin runs.
 */
export const noExternalIps: Rule = {
  id,
  description:
    "No Service with spec.externalIPs: the nodes route the cluster's traffic for those addresses to it, whoever owns them (CVE-2020-8554).",
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const svc of ofKind(objects, 'Service')) {
      if (svc.manifest.apiVersion !== 'v1') continue;
      const ips = list(at(svc.manifest, 'spec', 'externalIPs')).map(String);
      if (ips.length === 0) continue;
      out.push(
        finding(
          id,
          svc,
          `The Service claims the external IPs ${ips.join(', ')}: every node then sends the cluster's traffic for them to this Service, whoever owns them (CVE-2020-8554); ` +
            'use a LoadBalancer Service or an Ingress, or add a policy exception that says why.',
          'spec.externalIPs',
        ),
      );
    }
    return out;
  },
};
