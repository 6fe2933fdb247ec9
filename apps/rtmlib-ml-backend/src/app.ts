import { defineApp } from '@strata/core';
import { defaults, type MlBackendConfig } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';

/** RTMLib's pose-estimation backend for Label Studio, behind Traefik. */
export const app = defineApp<MlBackendConfig, 'gpu'>({
  name: 'rtmlib-ml-backend',
  defaults,
  components: {
    gpu: {
      description: 'Run on an NVIDIA GPU node: CUDA device, performance mode, one GPU per pod.',
      overrides: { settings: { device: 'cuda', mode: 'performance' }, gpus: 1 },
    },
  },
  envs: { dev, staging, prod },
  render,
});
