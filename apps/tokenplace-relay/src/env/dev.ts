import type { EnvironmentDefinition } from '@strata/core';
import type { RelayConfig } from '../config.ts';

/** dev: a moving tag, the GPU host by DNS name, no monitoring. */
export const dev: EnvironmentDefinition<RelayConfig> = {
  config: {
    image: { repository: 'ghcr.io/tokenplace/tokenplace-relay', tag: 'sha-3f9c2e1' },
    ingress: { hosts: ['relay.dev.token.place'], tlsSecretName: 'relay-dev-tls' },
    gpu: { indirection: { mode: 'externalName', host: 'gpu-dev.token.place', cidr: '198.51.100.20/32' } },
  },
};
