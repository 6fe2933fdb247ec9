import type { Command } from 'commander';
import { findRoot, Layout } from '@strata/project';
import { out, seconds } from '../common.ts';

/** Adds `strata remove-app` to the program. */
export function registerRemoveApp(program: Command): void {
  program
    .command('remove-app')
    .description(
      'remove an app and every trace of it (its folder, registration, base, overlays, env roots, gitops entries, topology pictures, dist files, cache) in one atomic step',
    )
    .argument('<name>', 'the app (folder name under apps/, or the name of one whose folder is gone)')
    .action(async (name: string) => {
      const { removeApp } = await import('@strata/pipeline');
      const r = await removeApp(findRoot(), name);
      for (const f of r.removed) out(`removed ${f}`);
      for (const f of r.written) out(`wrote ${f}`);
      const what = `${r.removed.length} files removed, ${r.written.length} rewritten; commit the result (${seconds()})`;
      if (r.leftovers) out(`remove-app: ${Layout.app(name)} was gone already; removed what was left of ${name} (${r.leftovers.join(', ')}): ${what}`);
      else out(`remove-app: ${name} removed: ${what}`);
    });
}
