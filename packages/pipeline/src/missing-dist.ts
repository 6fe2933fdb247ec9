import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ENVIRONMENTS } from '@strata/core';
import { Layout, type Problem } from '@strata/project';

/**
 * The built files (`dist/<env>/<app>.yaml`) of the overlays of the selected envs that are not there
 * (a partial `strata build --app`, a file removed or not restored from a cache), as errors: judging
 * the built output without them would pass an overlay that nothing judged.
 */
export function missingBuilds(root: string, selection: { readonly env?: string } = {}): Problem[] {
  const problems: Problem[] = [];
  for (const env of selection.env ? [selection.env] : ENVIRONMENTS) {
    const dir = join(root, Layout.envRoot(env));
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const app = d.name;
      if (!d.isDirectory() || !existsSync(join(root, Layout.overlayKustomization(env, app)))) continue;
      const dist = Layout.distOf(env, app);
      if (existsSync(join(root, dist))) continue;
      problems.push({
        file: dist,
        rule: 'missing-build',
        severity: 'error',
        message: `not found: validate judges the built output of ${Layout.overlay(env, app)}; run \`npm run build\` (or \`npx strata build --env ${env} --app ${app}\`) first`,
      });
    }
  }
  return problems;
}
