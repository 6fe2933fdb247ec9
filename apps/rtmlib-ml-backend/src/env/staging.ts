import type { EnvironmentDefinition } from '@strata/core';
import type { MlBackendConfig } from '../config.ts';

/** staging: one replica of the release candidate with DEBUG logs. */
export const staging: EnvironmentDefinition<MlBackendConfig, 'gpu'> = {
  config: {
    image: { repository: 'ghcr.io/gawron/rtmlib-ml-backend', tag: '1.8.0' },
    replicas: 1,
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
    settings: { logLevel: 'DEBUG', debug: true, confidenceThreshold: 0.3 },
    ingress: { hosts: ['rtmlib-staging.gawron.cloud', 'rtmlib-staging.fh-swf.cloud'], tlsSecretName: 'rtmlib-staging-tls' },
    autoscaling: { minReplicas: 1 },
  },
};
