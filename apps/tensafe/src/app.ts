import { defineApp, IMAGE_SOURCE_KEYS, variants } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';
import pins from '../images.json';

/** TenSafe: GPU inference with PostgreSQL, Redis and secrets from Vault. */
export const app = defineApp({
  // Image pins per env live in images.json, which `strata set image`, `strata promote` and release bots edit.
  images: { tensafe: 'image', postgresql: 'postgres.image', redis: 'redis.image' },
  pins,
  name: 'tensafe',
  defaults,
  optional: {
    image: IMAGE_SOURCE_KEYS,
    postgres: { image: IMAGE_SOURCE_KEYS },
    redis: { image: IMAGE_SOURCE_KEYS },
    autoscaling: variants('mode', { off: {}, hpa: { minReplicas: true, maxReplicas: true }, keda: { minReplicas: true, maxReplicas: true } }),
  },
  envs: { dev, staging, prod },
  render,
});
