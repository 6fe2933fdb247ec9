import type { EnvironmentDefinition } from '@strata/core';
import type { TensafeConfig } from '../config.ts';

/**
 * prod: two GPUs per pod, scaled by KEDA on latency, queue depth and GPU use (3-50), PostgreSQL with
 * two read replicas and Redis with three replicas, every image pinned by digest, Vault agent on.
 */
export const prod: EnvironmentDefinition<TensafeConfig> = {
  config: {
    namespace: 'tensafe-prod',
    replicas: 3,
    resources: { requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '8', memory: '32Gi' } },
    gpus: 2,
    autoscaling: { mode: 'keda', minReplicas: 3, maxReplicas: 50 },
    ingress: { tlsSecretName: 'tensafe-prod-tls' },
    postgres: {
      storage: '500Gi',
      readReplicas: 2,
    },
    redis: {
      replicas: 3,
    },
    vault: { agentInjector: true },
  },
};
