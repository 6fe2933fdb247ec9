import { defineApp, IMAGE_SOURCE_KEYS } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';
import pins from '../images.json';

/** The LLM runner router: an HTTP and WebSocket front for model backends, behind ingress-nginx. */
export const app = defineApp({
  // Image pins per env live in images.json, which `strata set image`, `strata promote` and release bots edit.
  images: { 'llm-runner-router': 'image' },
  pins,
  name: 'llm-runner-router',
  defaults,
  optional: {
    image: IMAGE_SOURCE_KEYS,
    canary: { image: IMAGE_SOURCE_KEYS },
    networkPolicy: { extraEgress: [{ cidr: true, port: true, protocol: true }] },
  },
  envs: { dev, staging, prod },
  policy: {
    exceptions: [
      {
        rule: 'resolve-references',
        kind: 'Deployment',
        reason: 'llm-runner-secrets holds tokens that never enter git; operators create it with kubectl create secret before the first sync',
      },
    ],
  },
  render,
});
