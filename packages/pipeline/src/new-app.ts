import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockTree, openTransaction, recoverLocked, refuseFoldersInTheWay, stopOnInterrupt, type Transaction } from '@strata/emit';
import { redrawTopology, topologyPictures } from '@strata/graph';
import {
  appTemplate,
  checkNewAppName,
  checkNewAppNamespace,
  Layout,
  refuseStrayRegistrations,
  ToolError,
  withAppRegistered,
  type WarningOptions,
  untranslatedEnv,
} from '@strata/project';
import { generate, renderEveryApp, type GenerateResult } from './generate.ts';

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
 * included; what the install linked in the root's node_modules stays, as any install's would). A
 * failed install is such a failure: an app registered but not installed would fail every frozen
 * install (the lockfile does not list it) and every command that loads the apps.
 */
export async function newApp(root: string, name: string, options: { install?: boolean } & WarningOptions = {}): Promise<NewAppResult> {
  // Everything the app's files and its registration are made from (the apps there are, the root
  // package.json) is read under the tree's lock: read before it, a writer that committed meanwhile
  // (an import, another new-app) would lose its registration to a package.json written from the
  // file as it was before.
  const lock = lockTree(root, { label: 'strata new-app' });
  try {
    recoverLocked(root);
    checkNewAppName(root, name);
    if (options.install !== false) refuseStrayRegistrations(root, 'new-app');
    refuseFoldersInTheWay(root, name, 'new-app');
    await checkNewAppNamespace(root, name, options);
    const dir = join(root, Layout.app(name));
    const files = appTemplate(name);
    const registered = withAppRegistered(readFileSync(join(root, 'package.json'), 'utf8'), name);
    const written = [...files.keys()];
    // The other apps are rendered before anything is written, where a signal still ends a render
    // that never returns; the generate in the transaction renders the new app alone (see renderEveryApp).
    const renders = options.install === false ? undefined : await renderEveryApp(root, options);
    const created = openTransaction(root);
    try {
      created.apply([...files, ['package.json', registered]]);
      if (options.install === false) {
        created.commit();
        return { dir, files: written, redrawn: [], stale: topologyPictures(root) };
      }
      const failed = await installInTransaction(root, created, name);
      if (failed !== undefined) {
        throw new ToolError(
          `pnpm install failed, so ${Layout.app(name)} is not created and nothing changed: ${failed}; once \`npx pnpm install\` passes, run \`npx strata new-app ${name}\` again (or add --no-install to create the app without installing it)`,
        );
      }
      // A full generate: the env aggregates and the Argo CD files list every app.
      const generated = await generate(root, {}, { onWarning: options.onWarning, transaction: created, ...(renders ? { renders } : {}) });
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
 * `pnpm install` as a step of an open transaction that creates the app `app`: pnpm rewrites the
 * lockfile itself, so the transaction keeps the one before first, to put it back on an abort; and
 * what pnpm links in the app's folder goes with the app when the change is undone (an abort, or the
 * recovery after a killed run), so the folder goes too. pnpm's output is kept, not passed through
 * (a library prints nothing): when it fails, its error is returned in one line.
 */
export async function installInTransaction(root: string, txn: Transaction, app: string): Promise<string | undefined> {
  const lockfile = join(root, 'pnpm-lock.yaml');
  if (existsSync(lockfile)) txn.apply([['pnpm-lock.yaml', readFileSync(lockfile)]]);
  txn.discardOnUndo([`${Layout.app(app)}/node_modules`]);
  const pnpm = join(root, 'node_modules', '.bin', 'pnpm');
  // pnpm prints its errors among its other output, on stdout, and not at all when silent. The
  // lockfile is to take the new app: never frozen, which pnpm is by default where CI is set. Not
  // spawned synchronously: a SIGINT or SIGTERM stops it and undoes the change at once (see guardInterrupts).
  const child = spawn(existsSync(pnpm) ? pnpm : 'pnpm', ['install', '--no-frozen-lockfile', '--reporter=append-only', '--no-color'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: untranslatedEnv(),
  });
  stopOnInterrupt(child, root);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const r = await new Promise<{ error?: NodeJS.ErrnoException; status: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => resolve({ error, status: null, signal: null }));
    child.once('close', (status, signal) => resolve({ status, signal }));
  });
  if (r.error) return r.error.code === 'ENOENT' ? 'pnpm is not installed; `npm run setup` installs it' : r.error.message;
  if (r.status === 0) return undefined;
  if (r.signal === 'SIGINT' || r.signal === 'SIGTERM' || r.status === 130 || r.status === 143) {
    // A signal to the whole process group (Ctrl-C in a terminal) ends pnpm and reaches this process
    // too, whose handler undoes the change and ends the run in one line (see guardInterrupts). Which
    // of the two this thread hears first is chance: the handler is given a moment to come, so that
    // the run does not also report pnpm's end as a failed install. A signal to pnpm alone is one.
    // pnpm's own handler may end it with exit status 130 (SIGINT) or 143 (SIGTERM) rather than by
    // the signal: that is the same end.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return pnpmError(output) ?? `pnpm install exited with ${r.status ?? r.signal}`;
}

/** pnpm's error (`CODE message`, as `ERR_PNPM_NO_OFFLINE_META Failed to resolve ...`) in one line, or else the last line it printed. */
function pnpmError(output: string): string | undefined {
  // The code stands between spaces (thin ones without colours) at the start of its line.
  const coded = /^[^\S\n]*((?:ERR_PNPM_|E)[A-Z0-9_]+)[^\S\n]+(\S.*)$/m.exec(output);
  if (coded) return `${coded[1]} ${coded[2]!.trim()}`;
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1);
}
