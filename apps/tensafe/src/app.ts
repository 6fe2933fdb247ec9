import { defineApp, IMAGE_SOURCE_KEYS } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';

/** TenSafe: GPU inference with PostgreSQL, Redis and secrets from Vault. */
export const app = defineApp({
  name: 'tensafe',
  defaults,
  optional: { image: IMAGE_SOURCE_KEYS, postgres: { image: IMAGE_SOURCE_KEYS }, redis: { image: IMAGE_SOURCE_KEYS } },
  envs: { dev, staging, prod },
  render,
});
