import type { Command } from 'commander';
import { ENVIRONMENTS } from '@strata/core';
import { findRoot } from '@strata/project';
import { onWarning } from '../common.ts';
import { printRelease } from '../reports.ts';

/** Adds `strata set` to the program. */
export function registerSet(program: Command): void {
  const set = program.command('set').description('change what an app runs, in its source of truth');
  set
    .command('image')
    .description("pin a container's image in one env (apps/<app>/images.json), regenerate and print the diff")
    .argument('<ref>', 'repo:tag, repo@sha256:<digest>, :tag or @sha256:<digest> (the last two keep the repository)')
    .requiredOption('-a, --app <name>', 'the app')
    .requiredOption('-e, --env <env>', `the environment (${ENVIRONMENTS.join(', ')})`)
    .option('-c, --container <name>', "the container (default: the app's only one, or of several the one whose repository the reference names)")
    .action(async (ref: string, o: { app: string; env: string; container?: string }) => {
      const { setImage } = await import('@strata/pipeline');
      const r = await setImage(findRoot(), { app: o.app, env: o.env, ref, ...(o.container ? { container: o.container } : {}), onWarning });
      await printRelease('set image', r);
    });
}
