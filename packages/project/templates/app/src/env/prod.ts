import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** prod: three replicas; its image is pinned by digest in images.json (`strata set image --env prod`). */
export const prod: EnvironmentDefinition<Config> = {
  config: { replicas: 3 },
};
