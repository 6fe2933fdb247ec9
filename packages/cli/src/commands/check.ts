import type { Command } from 'commander';
import { findRoot } from '@strata/project';
import { settle } from '../exit.ts';
import { appOption, type Common, envOption, err, onWarning, out, seconds, selection } from '../common.ts';
import { buildFailureLine } from '@strata/pipeline/build-line';
import { comparisonLines } from '@strata/pipeline/report';
import { printDrift, printDriftHints } from '../reports.ts';

/** Adds `strata check` to the program. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('fail when the committed tree differs from the code (drift) or does not build back to it (round trip)')
    .addOption(appOption())
    .addOption(envOption())
    .option('--no-cache', 'compare every app afresh, reusing nothing of what the last pipeline compared')
    .action(async (o: Common & { cache: boolean }) => {
      const { check, checkSummary, checkVerdict, generateRefusal } = await import('@strata/pipeline');
      const root = findRoot();
      const r = await check(root, selection(o), { cache: o.cache, onWarning });
      // Drift is mended by generate, unless generate refuses the tree: then that is what to fix.
      const refused = r.drift.length > 0 ? (await generateRefusal(root, selection(o))).filter((l) => !r.envRootCollisions.includes(l)) : [];
      printDrift(r.drift);
      for (const f of r.buildFailures) err(buildFailureLine(f));
      for (const line of [...comparisonLines(r), ...refused]) out(line);
      out(`${checkSummary(r)} (${seconds()})`);
      await printDriftHints(r.drift, r.imageEdits, refused);
      settle(checkVerdict(r));
    });
}
