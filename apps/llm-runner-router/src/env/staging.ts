import type { EnvironmentDefinition } from '@strata/core';
import type { RouterConfig } from '../config.ts';

/** staging: the defaults' two replicas and sizes, plus a 10% canary of the next release. */
export const staging: EnvironmentDefinition<RouterConfig> = {
  config: {
    ingress: {
      apiHost: 'api.staging.llm.example.com',
      wsHost: 'ws.staging.llm.example.com',
      tlsSecretName: 'llm-runner-router-staging-tls',
      corsAllowOrigin: 'https://app.staging.llm.example.com',
    },
    canary: { enabled: true, weight: 10, image: { repository: 'ghcr.io/llm-runner/llm-runner-router', tag: '1.3.0-rc.1' } },
  },
};
