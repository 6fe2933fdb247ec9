import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** dev: the latest build of main (its image is pinned in images.json). */
export const dev: EnvironmentDefinition<Config> = {
  config: {},
};
