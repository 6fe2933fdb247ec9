import type { Command } from 'commander';
import { findRoot } from '@strata/project';
import { appOption, type Common, envOption, err, nounCount, onWarning, out, seconds, selection } from '../common.ts';

/** Adds `strata generate` to the program. */
export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('render every app and write base/<app>/, overlays/<env>/<app>/ and gitops/ (atomic, byte-stable)')
    .addOption(appOption())
    .addOption(envOption())
    .option('--dry-run', 'print the diff of what would change, without writing')
    .action(async (o: Common & { dryRun?: boolean }) => {
      if (o.dryRun) return generateDryRun(o);
      const { generate } = await import('@strata/pipeline');
      const r = await generate(findRoot(), selection(o), { onWarning });
      for (const f of r.written) out(`wrote ${f}`);
      for (const f of r.removed) out(`removed ${f} (stale)`);
      for (const f of r.foreign) err(`warning: ${f} has no generated header; left alone`);
      for (const line of r.strayRegistrations) err(`warning: ${line}`);
      out(
        `generate: ${nounCount(r.apps, 'app')} x ${nounCount(r.envs, 'env')}: ${r.written.length} written, ${r.removed.length} removed, ${r.unchanged} unchanged (${seconds()})`,
      );
    });
}

/** `generate --dry-run`: the same plan as generate, printed as one unified diff per file. */
async function generateDryRun(o: Common): Promise<void> {
  const { previewGenerate } = await import('@strata/pipeline');
  const r = await previewGenerate(findRoot(), selection(o), { onWarning });
  (await import('../colorize.ts')).printDiffs(r.diffs, out);
  for (const f of r.foreign) err(`warning: ${f} has no generated header; left alone`);
  const count = (s: string) => r.diffs.filter((d) => d.status === s).length;
  const what =
    r.diffs.length === 0
      ? `no changes, ${r.unchanged} files up to date`
      : `would add ${count('added')}, change ${count('changed')} and remove ${count('removed')} files; ${r.unchanged} unchanged; nothing written`;
  out(`generate --dry-run: ${nounCount(r.apps, 'app')} x ${nounCount(r.envs, 'env')}: ${what} (${seconds()})`);
}
