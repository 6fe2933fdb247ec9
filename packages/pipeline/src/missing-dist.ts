import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Layout, listOverlays, type Problem } from '@strata/project';

/**
 * The built files (`dist/<env>/<app>.yaml`) of the overlays of the selected envs that are not there
 * (a partial `strata build --app`, a file removed or not restored from a cache), as errors: judging
 * the built output without them would pass an overlay that nothing judged.
 */
export function missingBuilds(root: string, selection: { readonly env?: string } = {}): Problem[] {
  return listOverlays(root, selection.env ? { envs: [selection.env] } : {})
    .filter(({ env, app }) => !existsSync(join(root, Layout.distOf(env, app))))
    .map(({ env, app }) => ({
      file: Layout.distOf(env, app),
      rule: 'missing-build',
      severity: 'error',
      message: `not found: validate judges the built output of ${Layout.overlay(env, app)}; run \`npm run build\` (or \`npx strata build --env ${env} --app ${app}\`) first`,
    }));
}
