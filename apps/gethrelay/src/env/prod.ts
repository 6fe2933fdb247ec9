import type { EnvironmentDefinition } from '@strata/core';
import type { GethrelayConfig } from '../config.ts';

/** prod: the full fleet of ten relays, both images pinned by digest. */
export const prod: EnvironmentDefinition<GethrelayConfig> = {
  config: {},
};
