import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { commitTransaction, lockTree, recoverLocked, writeFileAtomic } from '@strata/emit';
import { redrawTopology, topologyPictures } from '@strata/graph';
import { appTemplate, checkNewAppName, Layout, ToolError, withAppRegistered, type WarningOptions } from '@strata/project';
import { generate, type GenerateResult } from './generate.ts';

export interface NewAppResult {
  readonly dir: string;
  readonly files: string[];
  /** Undefined when installing was skipped: the app cannot load before its dependencies are linked. */
  readonly generated?: GenerateResult;
  /** The committed topology pictures redrawn with the app. */
  readonly redrawn: string[];
  /** When installing was skipped: the committed topology pictures that `npm run topology` must draw again once the app is generated. */
  readonly stale: string[];
}

/**
 * `strata new-app <name>`: writes apps/<name> from the secure template, registers it in the root
 * package.json, installs (unless told not to) and generates its tree, so build and test pass at once,
 * then redraws the committed topology pictures (docs/) with it.
 * A failed write leaves no part of the app behind.
 */
export async function newApp(root: string, name: string, options: { install?: boolean } & WarningOptions = {}): Promise<NewAppResult> {
  checkNewAppName(root, name);
  const dir = join(root, Layout.app(name));
  const files = appTemplate(name);
  const pkgPath = join(root, 'package.json');
  const registered = withAppRegistered(readFileSync(pkgPath, 'utf8'), name);
  try {
    for (const [rel, content] of files) writeFileAtomic(join(root, rel), content);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  writeFileAtomic(pkgPath, registered);
  const written = [...files.keys()];
  if (options.install === false) return { dir, files: written, redrawn: [], stale: topologyPictures(root) };
  const pnpm = join(root, 'node_modules', '.bin', 'pnpm');
  // Its output is kept, not passed through: a library prints nothing, and the error says what pnpm said.
  const r = spawnSync(existsSync(pnpm) ? pnpm : 'pnpm', ['install', '--reporter=silent'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new ToolError(
      `pnpm install failed after creating ${Layout.app(name)} (${(r.stderr ?? '').trim().split('\n')[0] || `exit ${r.status}`}); run \`npx pnpm install\` and then \`npx strata generate --app ${name}\``,
    );
  // A full generate: the env aggregates and the Argo CD files list every app.
  const generated = await generate(root, {}, { onWarning: options.onWarning });
  // The committed topology pictures, from the overlays just written: all of them or none.
  const pictures = await redrawTopology(root);
  if (pictures.size > 0) {
    const held = lockTree(root);
    try {
      recoverLocked(root);
      commitTransaction(root, [...pictures], []);
    } finally {
      held.release();
    }
  }
  return { dir, files: written, generated, redrawn: [...pictures.keys()], stale: [] };
}
