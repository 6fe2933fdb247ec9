import { describe, expect, it } from 'vitest';
import { noExternalIps } from '../../src/rules/no-external-ips.ts';
import { check, manifest, summary } from '../support.ts';

const svc = (spec: Record<string, unknown>) => manifest('v1', 'Service', 'mitm', { spec: { ports: [{ port: 443, targetPort: 8443 }], ...spec } });

describe('no-external-ips', () => {
  it('stays quiet for Services without external IPs', () => {
    expect(check(noExternalIps, [svc({}), svc({ type: 'LoadBalancer' }), svc({ externalIPs: [] })])).toStrictEqual([]);
  });

  it('reports a Service that claims external IPs, naming them (CVE-2020-8554)', () => {
    expect(summary(check(noExternalIps, [svc({ externalIPs: ['8.8.8.8', '1.1.1.1'] })]))).toStrictEqual([
      {
        name: 'mitm',
        path: 'spec.externalIPs',
        message:
          "The Service claims the external IPs 8.8.8.8, 1.1.1.1: every node then sends the cluster's traffic for them to this Service, whoever owns them (CVE-2020-8554); " +
          'use a LoadBalancer Service or an Ingress, or add a policy exception that says why.',
      },
    ]);
  });
});
