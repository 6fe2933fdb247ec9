import type { EnvironmentDefinition } from '@strata/core';
import type { TensafeConfig } from '../config.ts';

/** dev: one CPU-only replica, no autoscaling, a small database. */
export const dev: EnvironmentDefinition<TensafeConfig> = {
  config: {
    namespace: 'tensafe-dev',
    replicas: 1,
    resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    gpus: 0,
    autoscaling: { mode: 'off' },
    ingress: { host: 'api.dev.tensafe.example.com', tlsSecretName: 'tensafe-dev-tls', clusterIssuer: 'letsencrypt-staging' },
    postgres: { storage: '10Gi' },
  },
};
