import type { EnvironmentDefinition } from '@strata/core';
import type { MlBackendConfig } from '../config.ts';

/** dev: the smallest footprint, the main-branch build, verbose logs. */
export const dev: EnvironmentDefinition<MlBackendConfig, 'gpu'> = {
  config: {
    image: { repository: 'ghcr.io/gawron/rtmlib-ml-backend', tag: 'main' },
    replicas: 1,
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
    settings: { logLevel: 'DEBUG', debug: true, confidenceThreshold: 0.3 },
    ingress: { hosts: ['rtmlib-dev.gawron.cloud'], tlsSecretName: 'rtmlib-dev-tls' },
    autoscaling: { minReplicas: 1, maxReplicas: 2 },
  },
};
