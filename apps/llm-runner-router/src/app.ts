import { defineApp } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';

/** The LLM runner router: an HTTP and WebSocket front for model backends, behind ingress-nginx. */
export const app = defineApp({ name: 'llm-runner-router', defaults, envs: { dev, staging, prod }, render });
