import type { EnvironmentDefinition } from '@strata/core';
import type { MlBackendConfig } from '../config.ts';

/** prod: three replicas on GPU nodes (the gpu component), twice staging's resources, pinned by digest. */
export const prod: EnvironmentDefinition<MlBackendConfig, 'gpu'> = {
  components: ['gpu'],
  config: {
    image: {
      repository: 'ghcr.io/fhswf/dgs-pg-gruppe-1/rtmlib-ml-backend',
      digest: 'sha256:9b2f6c1d4e8a0b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c',
    },
    replicas: 3,
    resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
  },
};
