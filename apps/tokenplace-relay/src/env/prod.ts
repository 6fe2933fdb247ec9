import type { EnvironmentDefinition } from '@strata/core';
import type { RelayConfig } from '../config.ts';

/** prod: pinned by digest, two replicas, the GPU host through a headless Service with static IPs. */
export const prod: EnvironmentDefinition<RelayConfig> = {
  config: {
    replicas: 2,
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    ingress: { hosts: ['relay.token.place', 'www.relay.token.place'], tlsSecretName: 'relay-prod-tls' },
    gpu: { indirection: { mode: 'headless', addresses: ['10.40.0.11', '10.40.0.12'] } },
    serviceMonitor: { enabled: true },
  },
};
