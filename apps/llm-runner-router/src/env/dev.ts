import type { EnvironmentDefinition } from '@strata/core';
import type { RouterConfig } from '../config.ts';

/** dev: one small replica (autoscaling up to two), debug logs, smaller volumes, a build tag. */
export const dev: EnvironmentDefinition<RouterConfig> = {
  config: {
    replicas: 1,
    resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '500m', memory: '2Gi' } },
    settings: { logLevel: 'debug', maxMemory: 2048, maxConcurrentRequests: 20, wsMaxConnections: 100 },
    storage: { modelCache: { size: '20Gi' }, logs: { size: '5Gi' }, sharedCache: { size: '10Gi' } },
    ingress: {
      apiHost: 'api.dev.llm.example.com',
      wsHost: 'ws.dev.llm.example.com',
      tlsSecretName: 'llm-runner-router-dev-tls',
      clusterIssuer: 'letsencrypt-staging',
      corsAllowOrigin: 'https://app.dev.llm.example.com',
    },
    autoscaling: { minReplicas: 1, maxReplicas: 2 },
  },
};
