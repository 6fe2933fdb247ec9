import type { EnvironmentDefinition } from '@strata/core';
import type { MlBackendConfig } from '../config.ts';

/** staging: one replica with DEBUG logs and a lower confidence threshold for reviewing predictions. */
export const staging: EnvironmentDefinition<MlBackendConfig, 'gpu'> = {
  config: {
    replicas: 1,
    settings: { logLevel: 'DEBUG', debug: true, confidenceThreshold: 0.3 },
    autoscaling: { minReplicas: 1 },
  },
};
