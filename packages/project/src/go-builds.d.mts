// Types of go-builds.mjs, which stays plain JavaScript so that scripts/install-servers.mjs runs it uncompiled.
export type GoBuildTarget = 'servers' | 'server-validation' | 'all';
export declare const GO_BUILD_TARGETS: readonly GoBuildTarget[];
export declare class GoBuildError extends Error {}
export interface GoBuildsReady {
  /** etcd and kube-apiserver, when `servers` (or `all`) was asked for. */
  readonly etcd?: string;
  readonly kubeApiserver?: string;
  /** The server validation helper, when `server-validation` (or `all`) was asked for. */
  readonly helper?: string;
  /** `ready server-validation <helper>` and `ready <etcd> <kube-apiserver>`, for those asked for. */
  readonly lines: readonly string[];
}
export declare function strataCheckout(): string;
export declare function serverCacheDir(): string;
export declare function helperBinary(): string;
export declare function checkGoBuilds(targets: readonly GoBuildTarget[]): { readonly ready: boolean; readonly lines: readonly string[] };
export declare function ensureGoBuilds(targets: readonly GoBuildTarget[], onProgress?: (line: string) => void): Promise<GoBuildsReady>;
