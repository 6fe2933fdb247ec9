import { type Command, Option } from 'commander';
import { findRoot } from '@strata/project';
import { appOption, type Common, envOption, out, selection } from '../common.ts';

/** Adds `strata ls` to the program. */
export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('what runs where: per app and env, the images, replicas or autoscaling range, hosts and components, as the committed overlays build')
    .addOption(appOption())
    .addOption(envOption())
    .addOption(
      new Option('-o, --output <format>', 'output format: text cuts digests to 12 hex digits, wide prints them whole')
        .choices(['text', 'wide', 'json'])
        .default('text'),
    )
    .action(async (o: Common & { output: string }) => {
      const { formatRows, listRows } = await import('@strata/pipeline');
      const rows = await listRows(findRoot(), selection(o));
      if (o.output === 'json') out(JSON.stringify(rows, null, 2));
      else for (const line of formatRows(rows, { wide: o.output === 'wide' })) out(line);
    });
}
