import type { EnvironmentDefinition } from '@strata/core';
import type { MlBackendConfig } from '../config.ts';

/** prod: three replicas on GPU nodes (the gpu component), twice staging's resources, pinned by digest. */
export const prod: EnvironmentDefinition<MlBackendConfig, 'gpu'> = {
  components: ['gpu'],
  config: {
    replicas: 3,
    resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
  },
};
