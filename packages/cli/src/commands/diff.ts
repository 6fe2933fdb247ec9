import { type Command, Option } from 'commander';
import { findRoot } from '@strata/project';
import { EXIT } from '../exit.ts';
import { appOption, type Common, envOption, err, onWarning, out, seconds, selection } from '../common.ts';

/** Adds `strata diff` to the program. */
export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('rendered per-resource diff between two envs (--from/--to) or against a git ref (--against), no cluster needed')
    .addOption(appOption())
    .addOption(envOption().conflicts(['from', 'to']))
    .option('--from <env>', 'the env to compare from')
    .option('--to <env>', 'the env to compare to')
    .option('--against <ref>', 'compare a git ref with the working tree, each side rendered from its sources and built')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: Common & { from?: string; to?: string; against?: string; output: string }) => {
      const { diff } = await import('@strata/pipeline');
      const r = await diff(findRoot(), { ...selection(o), from: o.from, to: o.to, against: o.against, onWarning });
      for (const note of r.notes ?? []) err(`note: ${note}`);
      if (o.output === 'json') out(JSON.stringify(r, null, 2));
      else {
        (await import('../colorize.ts')).printDiffs(r.diffs, out);
        const counts = ['added', 'removed', 'changed'].map((s) => `${r.diffs.filter((d) => d.status === s).length} ${s}`).join(', ');
        out(`diff ${r.from} -> ${r.to}: ${r.diffs.length === 0 ? 'no differences' : counts} in ${r.resources} resources (${seconds()})`);
      }
      if (r.diffs.length > 0) process.exitCode = EXIT.invalid;
    });
}
