import type { EnvironmentDefinition } from '@strata/core';
import type { GethrelayConfig } from '../config.ts';

/** dev: one relay of each Tor mode, on the build of the current main commit. */
export const dev: EnvironmentDefinition<GethrelayConfig> = {
  config: {
    relays: { default: 1, 'prefer-tor': 1, 'only-onion': 1 },
  },
};
