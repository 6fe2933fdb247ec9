import type { Command } from 'commander';
import { findRoot } from '@strata/project';
import { out, seconds } from '../common.ts';

/** Adds `strata remove-app` to the program. */
export function registerRemoveApp(program: Command): void {
  program
    .command('remove-app')
    .description(
      'remove an app and every trace of it (its folder, registration, base, overlays, env roots, gitops entries, topology pictures, dist files, cache) in one atomic step',
    )
    .argument('<name>', 'the app (folder name under apps/)')
    .action(async (name: string) => {
      const { removeApp } = await import('@strata/pipeline');
      const r = await removeApp(findRoot(), name);
      for (const f of r.removed) out(`removed ${f}`);
      for (const f of r.written) out(`wrote ${f}`);
      out(`remove-app: ${name} removed: ${r.removed.length} files removed, ${r.written.length} rewritten; commit the result (${seconds()})`);
    });
}
