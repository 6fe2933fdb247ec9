import './scripts/node20-polyfills.ts';
import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './scripts/vitest-summary.ts';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    reporters: ['default', new SummaryReporter()],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
