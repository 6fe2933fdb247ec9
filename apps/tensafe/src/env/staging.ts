import type { EnvironmentDefinition } from '@strata/core';
import type { TensafeConfig } from '../config.ts';

/** staging: the defaults (one GPU per pod, an HPA on CPU and memory, 2-20) in its own namespace and host. */
export const staging: EnvironmentDefinition<TensafeConfig> = {
  config: {
    namespace: 'tensafe-staging',
    ingress: { host: 'api.staging.tensafe.example.com', tlsSecretName: 'tensafe-staging-tls' },
  },
};
