import { type Command, Option } from 'commander';
import { ENVIRONMENTS } from '@strata/core';
import { checkEnv, findRoot } from '@strata/project';
import { err, nounCount, seconds } from '../common.ts';

/** Adds `strata graph` to the program. */
export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('draw what talks to what in one env (Ingress -> Service -> workload, config, autoscalers, network policy) as SVG or Mermaid')
    .requiredOption('-e, --env <env>', `the environment (${ENVIRONMENTS.join(', ')})`)
    .option('-a, --app <name>', 'only this app')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['svg', 'mermaid']).default('svg'))
    .option('--out <file>', 'write to this file instead of standard output (- is standard output)')
    .action(async (o: { env: string; app?: string; output: 'svg' | 'mermaid'; out?: string }) => {
      const { recordDrawnPicture, refusePartial, renderEnvGraph, writePicture } = await import('@strata/graph');
      const root = findRoot();
      const g = await renderEnvGraph(root, checkEnv(o.env)!, o.app);
      refusePartial(g);
      const text = o.output === 'svg' ? g.svg : g.mermaid;
      // `-` is standard output, as validate and verify read `-` as standard input: no file named `-`.
      const file = o.out === '-' ? undefined : o.out;
      if (file) {
        writePicture(file, text);
        // A kept picture of the whole env (npm run topology): check then knows what it was drawn from.
        if (!o.app) recordDrawnPicture(root, checkEnv(o.env)!, file, text);
      } else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      err(
        `graph ${o.env}: ${nounCount(g.apps.length, 'app')}, ${nounCount(g.topology.nodes.length, 'node')}, ${nounCount(g.topology.edges.length, 'edge')}${file ? ` -> ${file}` : ''} (${seconds()})`,
      );
    });
}
