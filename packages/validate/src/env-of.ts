import { ENVIRONMENTS, type Environment } from '@strata/core';
import { distOf } from '@strata/project';

/** `overlays/<env>/...`, with the app when the path goes on into `overlays/<env>/<app>/`. */
const OVERLAY = /^overlays\/([^/]+)\/(?:([^/]+)\/)?/;

/**
 * The env whose clusters a file's objects are judged for, and their app when it is one app's: built
 * output (`dist/<env>/<app>.yaml`), and anything under an env's overlays, the folders that
 * `kubectl apply -k` and Argo CD deploy (`overlays/<env>/<app>/...`, of that app, or the env's own
 * `overlays/<env>/kustomization.yaml`, of no one app). `file` is named from the workspace root, as
 * the reader keys the files it reads, however the person spelt it. Undefined for any other file:
 * it is judged as the env the run names, if any.
 */
export function envOf(file: string): { readonly env: Environment; readonly app?: string } | undefined {
  const built = distOf(file);
  if (built) return built;
  const m = OVERLAY.exec(file);
  if (!m || !(ENVIRONMENTS as readonly string[]).includes(m[1]!)) return undefined;
  return m[2] === undefined ? { env: m[1] as Environment } : { env: m[1] as Environment, app: m[2] };
}
