// Types of sets.mjs, which stays plain JavaScript so that the setup script can run it uncompiled.
export declare const KUBERNETES_VALIDATE_VERSION: string;
export declare const KUBERNETES_VALIDATE_SHA256: string;
export declare const FIRST_MINOR: number;
export declare const LAST_MINOR: number;
export declare const committedRoot: string;
export declare function schemaCacheRoot(env?: NodeJS.ProcessEnv): string;
export declare function kubernetesSetVersion(version: string): string;
export declare function kubernetesSetDir(version: string, cacheRoot?: string): string;
export declare const SET_REVISION: number;
export declare function withServerNulls(defs: Record<string, unknown>): Record<string, unknown>;
export declare function writeBuiltinSet(defs: Record<string, unknown>, outDir: string): number;
export declare function ensureWheel(cacheRoot?: string): string;
export declare function ensureKubernetesSet(version: string, options?: { cacheRoot?: string }): { dir: string; made: boolean };
