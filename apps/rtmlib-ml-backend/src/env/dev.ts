import type { EnvironmentDefinition } from '@strata/core';
import type { MlBackendConfig } from '../config.ts';

/** dev: the prerelease channel on the smallest footprint, verbose logs. */
export const dev: EnvironmentDefinition<MlBackendConfig, 'gpu'> = {
  config: {
    replicas: 1,
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
    // The lightweight models fit the 1Gi limit.
    settings: { mode: 'lightweight', logLevel: 'DEBUG', debug: true, confidenceThreshold: 0.3 },
    autoscaling: { minReplicas: 1, maxReplicas: 2 },
  },
};
