import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockTree, openTransaction, recoverLocked, type Transaction } from '@strata/emit';
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
 * then redraws the committed topology pictures (docs/) with it. All of it is one transaction under
 * the tree's lock: a failure or a killed run leaves no part of the app behind (pnpm-lock.yaml
 * included; what the install linked in node_modules stays, as any install's would). When only the
 * install fails, the app is kept, with the commands that finish it.
 */
export async function newApp(root: string, name: string, options: { install?: boolean } & WarningOptions = {}): Promise<NewAppResult> {
  checkNewAppName(root, name);
  const dir = join(root, Layout.app(name));
  const files = appTemplate(name);
  const pkgPath = join(root, 'package.json');
  const registered = withAppRegistered(readFileSync(pkgPath, 'utf8'), name);
  const written = [...files.keys()];
  const lock = lockTree(root, { label: 'strata new-app' });
  try {
    recoverLocked(root);
    const created = openTransaction(root);
    try {
      created.apply([...files, ['package.json', registered]]);
      if (options.install === false) {
        created.commit();
        return { dir, files: written, redrawn: [], stale: topologyPictures(root) };
      }
      const failed = installInTransaction(root, created);
      if (failed !== undefined) {
        created.commit();
        throw new ToolError(
          `pnpm install failed after creating ${Layout.app(name)} (${failed}); run \`npx pnpm install\` and then \`npx strata generate --app ${name}\``,
        );
      }
      // A full generate: the env aggregates and the Argo CD files list every app.
      const generated = await generate(root, {}, { onWarning: options.onWarning, transaction: created });
      // The committed topology pictures, from the overlays just written: all of them or none.
      const pictures = await redrawTopology(root);
      created.apply([...pictures]);
      created.commit();
      return { dir, files: written, generated, redrawn: [...pictures.keys()], stale: [] };
    } catch (err) {
      created.abort();
      throw err;
    }
  } finally {
    lock.release();
  }
}

/**
 * `pnpm install` as a step of an open transaction: pnpm rewrites the lockfile itself, so the
 * transaction keeps the one before first, to put it back on an abort. pnpm's output is kept, not
 * passed through (a library prints nothing): its first line of complaint is returned when it fails.
 */
export function installInTransaction(root: string, txn: Transaction): string | undefined {
  const lockfile = join(root, 'pnpm-lock.yaml');
  if (existsSync(lockfile)) txn.apply([['pnpm-lock.yaml', readFileSync(lockfile)]]);
  const pnpm = join(root, 'node_modules', '.bin', 'pnpm');
  // The lockfile is to take the new app: never frozen, which pnpm is by default where CI is set.
  const r = spawnSync(existsSync(pnpm) ? pnpm : 'pnpm', ['install', '--no-frozen-lockfile', '--reporter=silent'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  return r.status === 0 ? undefined : (r.stderr ?? '').trim().split('\n')[0] || `exit ${r.status}`;
}
