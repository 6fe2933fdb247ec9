import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** staging: the release candidate, two replicas. */
export const staging: EnvironmentDefinition<Config> = {
  config: { replicas: 2 },
};
