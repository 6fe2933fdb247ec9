import { checkGoBuilds, ensureGoBuilds, GoBuildError, helperBinary, serverCacheDir } from './go-builds.mjs';
import { ToolMissingError } from './errors.ts';

export { helperBinary, serverCacheDir };

/** What is built once per machine: the API server pair, or the server validation helper. */
export type CachedBuildTarget = 'servers' | 'server-validation';

/** Whether the cached build of `target` is there and up to date: `ensureCachedBuild` would then build nothing. */
export function cachedBuildReady(target: CachedBuildTarget): boolean {
  return checkGoBuilds([target]).ready;
}

/**
 * The cached build of `target`, built first when missing, in this process (go-builds.mjs: the one
 * place that builds a Go program once per machine into `serverCacheDir()`, named by the hash of its
 * sources, under a lock that a second caller waits on, with a progress line every few seconds).
 * Those lines go to `onProgress` as they come, as `node scripts/install-servers.mjs` prints them;
 * nothing is printed here. Resolves to the paths of the build: etcd and kube-apiserver, or the helper.
 */
export async function ensureCachedBuild(
  target: CachedBuildTarget,
  what: string,
  hint: string,
  onProgress: (line: string) => void = () => undefined,
): Promise<string[]> {
  let ready: Awaited<ReturnType<typeof ensureGoBuilds>>;
  try {
    ready = await ensureGoBuilds([target], (line) => onProgress(`install-servers: ${line}`));
  } catch (e) {
    if (e instanceof GoBuildError) throw new ToolMissingError(`could not build ${what}`, `install-servers: error: ${e.message}`);
    throw new ToolMissingError(`could not build ${what}`, (e as Error).message || hint);
  }
  return target === 'servers' ? [ready.etcd!, ready.kubeApiserver!] : [ready.helper!];
}
