import type { EnvironmentDefinition } from '@strata/core';
import type { RelayConfig } from '../config.ts';

/** dev: a moving tag, the GPU host by DNS name, no monitoring. */
export const dev: EnvironmentDefinition<RelayConfig> = {
  config: {
    ingress: { hosts: ['relay.dev.token.place'], tlsSecretName: 'relay-dev-tls' },
    gpu: { indirection: { mode: 'externalName', host: 'gpu-dev.token.place', cidr: '198.51.100.20/32' } },
  },
};
