import './scripts/node20-polyfills.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './scripts/vitest-order.ts';
import { SummaryReporter } from './scripts/vitest-summary.ts';

// One project per workspace package, each inheriting the settings below.
const projects = ['packages', 'apps'].flatMap((group) =>
  readdirSync(group, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(group, d.name, 'package.json')))
    .map((d) => ({
      extends: true as const,
      test: {
        name: (JSON.parse(readFileSync(join(group, d.name, 'package.json'), 'utf8')) as { name: string }).name,
        root: join(group, d.name),
      },
    })),
);

export default defineConfig({
  test: {
    projects,
    reporters: ['default', new SummaryReporter()],
    // Imports its JSON schema without an import attribute: let vite transform it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    // A test file mostly waits on the processes it starts (the real CLI, kustomize, kubeconform, the
    // API server), which do the work: one worker per core. Vitest's default keeps a core free for
    // itself, which on 2 cores runs the files one at a time.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: LongestFirstSequencer },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Type-level tests (`*.test-d.ts`): a wrong config key or type must not compile.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
