import type { EnvironmentDefinition } from '@strata/core';
import type { TensafeConfig } from '../config.ts';

/**
 * prod: two GPUs per pod, scaled by KEDA on latency, queue depth and GPU use (3-50), PostgreSQL with
 * two read replicas and Redis with three replicas, every image pinned by digest, Vault agent on.
 */
export const prod: EnvironmentDefinition<TensafeConfig> = {
  config: {
    namespace: 'tensafe-prod',
    image: { digest: 'sha256:7d4e1f0a3b6c9d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d4e' },
    replicas: 3,
    resources: { requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '8', memory: '32Gi' } },
    gpus: 2,
    autoscaling: { mode: 'keda', minReplicas: 3, maxReplicas: 50 },
    ingress: { tlsSecretName: 'tensafe-prod-tls' },
    postgres: {
      image: { digest: 'sha256:2a5c8e1b4d7f0a3c6e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a7c0e3b6d9f2a5c' },
      storage: '500Gi',
      readReplicas: 2,
    },
    redis: {
      image: { digest: 'sha256:5e8b1d4f7a0c3e6b9d2f5a8c1e4b7d0f3a6c9e2b5d8f1a4c7e0b3d6f9a2c5e8b' },
      replicas: 3,
    },
    vault: { agentInjector: true },
  },
};
