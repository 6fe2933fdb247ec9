import type { Command } from 'commander';
import { findRoot } from '@strata/project';
import { settle } from '../exit.ts';
import { appOption, type Common, envOption, err, nounCount, onWarning, out, seconds, selection } from '../common.ts';
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
      const { check, checkVerdict, generateRefusal } = await import('@strata/pipeline');
      const root = findRoot();
      const r = await check(root, selection(o), { cache: o.cache, onWarning });
      // Drift is mended by generate, unless generate refuses the tree: then that is what to fix.
      const refused = r.drift.length > 0 ? (await generateRefusal(root, selection(o))).filter((l) => !r.envRootCollisions.includes(l)) : [];
      printDrift(r.drift);
      for (const f of r.buildFailures) err(`${f.overlay}: kustomize build failed: ${f.error}`);
      for (const line of [...comparisonLines(r), ...refused]) out(line);
      const reused = r.reused > 0 ? ` (${r.reused} as the last pipeline compared them)` : '';
      const proven = r.envRoots - r.envRootsBuilt;
      out(
        `check: ${r.files} files, ${r.overlays} app overlays${reused} and ${r.envRoots} env roots (${proven} proven from their apps, ${r.envRootsBuilt} built): ` +
          `${r.drift.length} drifted, ${nounCount(r.roundTrip.length, 'round-trip mismatch', 'round-trip mismatches')}, ${nounCount(r.buildFailures.length, 'build failure')}` +
          `${r.strayFolders.length > 0 ? `, ${nounCount(r.strayFolders.length, 'folder of no app', 'folders of no app')}` : ''}` +
          `${r.strayRegistrations.length > 0 ? `, ${nounCount(r.strayRegistrations.length, 'registration of no app', 'registrations of no app')}` : ''}` +
          `${r.handWritten.length > 0 ? `, ${nounCount(r.handWritten.length, 'file nothing builds or checks', 'files nothing builds or checks')}` : ''} (${seconds()})`,
      );
      await printDriftHints(r.drift, r.imageEdits, refused);
      settle(checkVerdict(r));
    });
}
