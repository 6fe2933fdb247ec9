import type { Command } from 'commander';
import { findRoot } from '@strata/project';
import { appOption, onWarning } from '../common.ts';
import { printRelease } from '../reports.ts';

/** Adds `strata promote` to the program. */
export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description('copy the image pins of apps (all by default) from one env to another, regenerate and print what moved')
    .requiredOption('--from <env>', 'the env whose pins move')
    .requiredOption('--to <env>', 'the env they move to')
    .addOption(appOption())
    .action(async (o: { from: string; to: string; app?: string[] }) => {
      const { promote } = await import('@strata/pipeline');
      const r = await promote(findRoot(), { from: o.from, to: o.to, ...(o.app ? { apps: o.app } : {}), onWarning });
      await printRelease(`promote ${o.from} -> ${o.to}`, r);
    });
}
