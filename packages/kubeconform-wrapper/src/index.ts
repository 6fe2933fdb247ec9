export type { KubeconformError, KubeconformResult, KubeconformStatus } from './parse.ts';
export { parseKubeconformJson } from './parse.ts';
export type { ResolveOptions } from './resolve.ts';
export { KUBECONFORM_VERSION, ToolMissingError, findRepoRoot, kubeconformVersion, resolveKubeconform } from './resolve.ts';
export type { KubeconformInput, KubeconformOptions } from './validate.ts';
export { KubeconformFailedError, kubeconformArgs, validateWithKubeconform } from './validate.ts';
