import type { EnvironmentDefinition } from '@strata/core';
import type { RelayConfig } from '../config.ts';

/** prod: pinned by digest, two replicas, the GPU host through a headless Service with static IPs. */
export const prod: EnvironmentDefinition<RelayConfig> = {
  config: {
    image: {
      repository: 'ghcr.io/tokenplace/tokenplace-relay',
      digest: 'sha256:4f6d1c0e2b7a9d3c5e8f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d',
    },
    replicas: 2,
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    ingress: { hosts: ['relay.token.place', 'www.relay.token.place'], tlsSecretName: 'relay-prod-tls' },
    gpu: { indirection: { mode: 'headless', addresses: ['10.40.0.11', '10.40.0.12'] } },
    serviceMonitor: { enabled: true },
  },
};
