import { defineApp, IMAGE_SOURCE_KEYS } from '@strata/core';
import { defaults, type MlBackendConfig } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';
import pins from '../images.json';

/** RTMLib's whole-body pose estimation as a Label Studio ML backend, behind Traefik. */
export const app = defineApp<MlBackendConfig, 'gpu'>({
  // Image pins per env live in images.json, which `strata set image`, `strata promote` and release bots edit.
  images: { 'ml-backend': 'image' },
  pins,
  name: 'rtmlib-ml-backend',
  defaults,
  optional: { image: IMAGE_SOURCE_KEYS },
  policy: {
    exceptions: [
      {
        rule: 'resolve-references',
        kind: 'Deployment',
        reason: 'label-studio-config is created in the cluster by the release pipeline from its own secrets store; it is never committed',
      },
    ],
  },
  components: {
    gpu: {
      description: 'Run on an NVIDIA GPU node: CUDA device, performance models, one GPU per pod.',
      overrides: { settings: { device: 'cuda', mode: 'performance' }, gpus: 1 },
    },
  },
  envs: { dev, staging, prod },
  render,
});
