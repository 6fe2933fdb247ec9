import type { Command } from 'commander';
import { findRoot } from '@strata/project';
import { settle } from '../exit.ts';
import { appOption, type Common, envOption, err, out, progress, seconds, selection } from '../common.ts';

/** Adds `strata build` to the program. */
export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('kustomize build every overlay in parallel into dist/<env>/<app>.yaml')
    .addOption(appOption())
    .addOption(envOption())
    .action(async (o: Common) => {
      const root = findRoot();
      const { build, buildFailureLine, buildVerdict, selectOverlays } = await import('@strata/pipeline');
      const step = progress('build', selectOverlays(root, selection(o)).length);
      const r = await build(root, selection(o), step && ((b) => step(b.overlay, b.ok, b.millis)));
      for (const b of r.results) {
        if (!b.ok) err(buildFailureLine(b));
      }
      for (const f of r.pruned ?? []) out(`removed ${f} (no such app or env)`);
      const docs = r.results.reduce((n, b) => n + (b.yaml.match(/^kind: /gm)?.length ?? 0), 0);
      out(`build: ${r.results.length - r.failed} of ${r.results.length} overlays built, ${docs} resources (${seconds()})`);
      settle(buildVerdict(r));
    });
}
