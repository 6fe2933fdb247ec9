import type { EnvironmentDefinition } from '@strata/core';
import type { RouterConfig } from '../config.ts';

/** staging: two replicas and a 10% canary in front of the next release. */
export const staging: EnvironmentDefinition<RouterConfig> = {
  config: {
    image: { repository: 'ghcr.io/llm-runner/llm-runner-router', tag: '2.3.0' },
    ingress: { apiHost: 'api.staging.llm.example.com', wsHost: 'ws.staging.llm.example.com', tlsSecretName: 'llm-runner-router-staging-tls' },
    canary: { enabled: true, weight: 10 },
    autoscaling: { minReplicas: 2, maxReplicas: 4 },
  },
};
