import { defineApp, IMAGE_SOURCE_KEYS } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';
import pins from '../images.json';

/** Ethereum P2P relays in three Tor modes, each a single-replica Deployment with a Tor sidecar. */
export const app = defineApp({
  // Image pins per env live in images.json, which `strata set image`, `strata promote` and release bots edit.
  images: { gethrelay: 'image', tor: 'tor.image' },
  pins,
  name: 'gethrelay',
  defaults,
  optional: { image: IMAGE_SOURCE_KEYS, tor: { image: IMAGE_SOURCE_KEYS } },
  envs: { dev, staging, prod },
  // A relay's node key is its identity: a second replica would be the same node twice.
  policy: { singleReplica: true },
  render,
});
