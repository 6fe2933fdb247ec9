import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ToolMissingError } from './errors.ts';
import { onLines } from './lines.ts';

/**
 * The per-user cache every checkout of this machine shares for the Go programs built once per
 * machine (etcd, kube-apiserver, the server validation helper): $STRATA_SERVER_CACHE, else
 * $XDG_CACHE_HOME/strata/servers, else ~/.cache/strata/servers.
 */
export function serverCacheDir(): string {
  return process.env.STRATA_SERVER_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'strata', 'servers');
}

/** What scripts/install-servers.mjs builds: the API server pair, or the server validation helper. */
export type CachedBuildTarget = 'servers' | 'server-validation';

/** The script that builds them, relative to the checkout; users are told to run it. */
export const INSTALL_SERVERS_SCRIPT = 'scripts/install-servers.mjs';

/**
 * The cached build of `target`, built first when missing: by the checkout's install script, the one
 * place that builds a Go program once per machine into `serverCacheDir()` (named by the hash of its
 * sources, under a lock that a second caller waits on, with a progress line every few seconds).
 * Those lines go to `onProgress` as they come; nothing is printed here. Resolves to the paths the
 * script names in its `ready` line (etcd and kube-apiserver, or the helper).
 */
export async function ensureCachedBuild(
  root: string,
  target: CachedBuildTarget,
  what: string,
  hint: string,
  onProgress: (line: string) => void = () => undefined,
): Promise<string[]> {
  const script = join(root, INSTALL_SERVERS_SCRIPT);
  if (!existsSync(script)) throw new ToolMissingError(`${script} not found`, hint);
  // Streamed, not collected: the line saying what is built and how long it takes must show up front.
  const child = spawn(process.execPath, [script, target], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = target === 'servers' ? 'install-servers: ready ' : `install-servers: ready ${target} `;
  let ready: string[] | undefined;
  const stdout = onLines(child.stdout, (line) => {
    if (line.startsWith(prefix)) ready = line.slice(prefix.length).trim().split(/\s+/);
    else if (line.trim()) onProgress(line);
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      err += e.message;
      resolve(1);
    });
    child.on('close', (c) => resolve(c));
  });
  stdout.flush();
  if (code !== 0 || !ready) throw new ToolMissingError(`could not build ${what}`, err.trim() || hint);
  return ready;
}
