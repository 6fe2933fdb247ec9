import type { Command } from 'commander';
import { findRoot } from '@strata/project';
import { onWarning, out, seconds } from '../common.ts';

/** Adds `strata new-app` to the program. */
export function registerNewApp(program: Command): void {
  program
    .command('new-app')
    .description('create apps/<name> from a secure template, register it, install and generate its tree')
    .argument('<name>', 'lower-case DNS label; also the folder and the namespace')
    .option('--no-install', 'skip pnpm install and generate (run them yourself afterwards)')
    .action(async (name: string, o: { install: boolean }) => {
      const { newApp } = await import('@strata/pipeline');
      const r = await newApp(findRoot(), name, { install: o.install, onWarning });
      for (const f of r.files) out(`created ${f}`);
      if (r.generated) out(`generated ${r.generated.written.length} files for ${name}`);
      for (const f of r.redrawn) out(`wrote ${f}`);
      out(
        `new-app: apps/${name} is ready${r.generated ? '' : `; next: npx pnpm install && npx strata generate --app ${name}${r.stale.length > 0 ? ' && npm run topology' : ''}`}. Pin your release's image in prod with \`npx strata set image --app ${name} --env prod <repo>:<tag>@sha256:<digest>\` (images.json's all-zero placeholder fails prod's policy); edit src/config.ts and src/env/*.ts, then \`npx strata generate\` (${seconds()})`,
      );
    });
}
