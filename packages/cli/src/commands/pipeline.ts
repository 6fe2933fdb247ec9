import type { Command } from 'commander';
import { findRoot } from '@strata/project';
import { settle } from '../exit.ts';
import { onWarning, progress } from '../common.ts';
import { printPipeline } from '../reports.ts';

/** Adds `strata pipeline` to the program. */
export function registerPipeline(program: Command): void {
  program
    .command('pipeline')
    .description('generate, build and validate every app in one process (what `npm run build` runs); apps unchanged since the last run are reused')
    .option('--no-cache', 'render, build and validate every app, reusing nothing (the cache is still written)')
    .option('--frozen', 'fail, changing nothing, when the committed tree is not what the code generates (the default when $CI is set)')
    .option('--no-frozen', 'bring the committed tree up to date, even in CI')
    .action(async (o: { cache: boolean; frozen?: boolean }) => {
      const root = findRoot();
      const { byContent, pipeline, pipelineSummary, pipelineVerdict, selectOverlays } = await import('@strata/pipeline');
      const step = progress('build', o.cache ? 0 : selectOverlays(root).length);
      const frozen = o.frozen ?? byContent();
      const r = await pipeline(root, { cache: o.cache, frozen, onWarning, ...(step ? { onBuild: (b) => step(b.overlay, b.ok, b.millis) } : {}) });
      printPipeline(r, pipelineSummary(r));
      settle(pipelineVerdict(r));
    });
}
