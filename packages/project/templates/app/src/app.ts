import { defineApp, IMAGE_SOURCE_KEYS } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';
import pins from '../images.json';

// images.json adds a tag or a digest per env to the image that the defaults name by repository alone.
// The key is the app's name as a string: an app's name may have hyphens.
export const app = defineApp({
  name: '__APP_NAME__',
  defaults,
  optional: { image: IMAGE_SOURCE_KEYS },
  images: { ['__APP_NAME__']: 'image' },
  pins,
  envs: { dev, staging, prod },
  render,
});
