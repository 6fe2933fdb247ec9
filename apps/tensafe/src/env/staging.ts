import type { EnvironmentDefinition } from '@strata/core';
import type { TensafeConfig } from '../config.ts';

/** staging: one GPU per pod, scaled by an HPA on CPU and memory (2-20). */
export const staging: EnvironmentDefinition<TensafeConfig> = {
  config: {
    namespace: 'tensafe-staging',
    image: { repository: 'docker.io/tensafe/tensafe', tag: '4.0.0' },
    ingress: { host: 'api.staging.tensafe.example.com', tlsSecretName: 'tensafe-staging-tls' },
  },
};
