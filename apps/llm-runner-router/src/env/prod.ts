import type { EnvironmentDefinition } from '@strata/core';
import type { RouterConfig } from '../config.ts';

/** prod: five to twenty large replicas, pinned by digest, warn logs, bigger volumes, a higher rate limit. */
export const prod: EnvironmentDefinition<RouterConfig> = {
  config: {
    replicas: 5,
    resources: { requests: { cpu: '1000m', memory: '4Gi' }, limits: { cpu: '4000m', memory: '16Gi' } },
    settings: { logLevel: 'warn', maxMemory: 16384, maxConcurrentRequests: 500, wsMaxConnections: 5000 },
    storage: { modelCache: { size: '100Gi' }, logs: { size: '20Gi' }, sharedCache: { size: '50Gi' } },
    ingress: { tlsSecretName: 'llm-runner-router-prod-tls', rateLimitRps: 200, rateLimitConnections: 50 },
    autoscaling: { minReplicas: 5, maxReplicas: 20 },
  },
};
