import { defineApp, IMAGE_SOURCE_KEYS, variants } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';
import pins from '../images.json';

/** The token.place relay: a stateless HTTP relay in front of a GPU host outside the cluster. */
export const app = defineApp({
  // Image pins per env live in images.json, which `strata set image`, `strata promote` and release bots edit.
  images: { relay: 'image' },
  pins,
  name: 'tokenplace-relay',
  defaults,
  optional: {
    image: IMAGE_SOURCE_KEYS,
    gpu: { upstreamUrl: true, indirection: variants('mode', { externalName: { host: true, cidr: true }, headless: { addresses: true } }) },
    networkPolicy: {
      extraIngress: [{ cidr: true, port: true, protocol: true }],
      extraEgress: [{ cidr: true, port: true, protocol: true }],
    },
  },
  envs: { dev, staging, prod },
  render,
});
