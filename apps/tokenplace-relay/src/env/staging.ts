import type { EnvironmentDefinition } from '@strata/core';
import type { RelayConfig } from '../config.ts';

/** staging: a release tag, monitored, reachable from the office VPN for smoke tests. */
export const staging: EnvironmentDefinition<RelayConfig> = {
  config: {
    ingress: { hosts: ['relay.staging.token.place'], tlsSecretName: 'relay-staging-tls' },
    gpu: { indirection: { mode: 'externalName', host: 'gpu-box.token.place', cidr: '203.0.113.42/32' } },
    serviceMonitor: { enabled: true },
    networkPolicy: { extraIngress: [{ cidr: '192.0.2.0/24', port: 5010 }] },
  },
};
