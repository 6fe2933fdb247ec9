import type { EnvironmentDefinition } from '@strata/core';
import type { GethrelayConfig } from '../config.ts';

/** staging: the full fleet of ten relays on the release tags, exactly as base describes it. */
export const staging: EnvironmentDefinition<GethrelayConfig> = {};
