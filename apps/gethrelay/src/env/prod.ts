import type { EnvironmentDefinition } from '@strata/core';
import type { GethrelayConfig } from '../config.ts';

/** prod: the full fleet of ten relays, both images pinned by digest. */
export const prod: EnvironmentDefinition<GethrelayConfig> = {
  config: {
    image: { digest: 'sha256:3b8f2d6a9c1e4f7b0d5a8c2e6f9b1d4a7c0e3f6b9d2a5c8e1f4b7d0a3c6e9f2b' },
    tor: { image: { digest: 'sha256:a91c5e3f7b2d8e4a6c0f9b1d3e5a7c9f2b4d6e8a0c1f3b5d7e9a2c4f6b8d0e1a' } },
  },
};
