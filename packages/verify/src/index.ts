export {
  verify,
  verifyDocuments,
  envClasses,
  verifyGroups,
  checkRef,
  startVerifyServer,
  statusProblems,
  DEFAULT_NAMESPACE,
  checkDefaultNamespace,
  type ServerOptions,
  type VerifyOptions,
  type VerifyDocumentsOptions,
  type VerifyGroupsOptions,
  type Group,
  type VerifyResult,
  type NotApplied,
} from './verify.ts';
export {
  argoCdDeletesBeforeCreation,
  argoCdGoneBeforeNextSync,
  argoCdHookDeletePolicies,
  argoCdReplaces,
  argoCdServerSideApply,
  argoCdSkips,
  argoCdSyncPhases,
  isArgoCdHook,
  ARGOCD_HOOK,
  ARGOCD_HOOK_DELETE_POLICY,
  ARGOCD_SYNC_OPTIONS,
  HELM_HOOK,
  HELM_HOOK_DELETE_POLICY,
  type ArgoCdSkip,
} from '@strata/core/argocd';
export {
  appliesServerSide,
  FLUX_FORCE,
  fluxForceRecreates,
  fluxForces,
  kubectlForceRecreates,
  recreation,
  type Recreation,
  type Refusal,
} from './recreates.ts';
export { builtDocuments, readBuilt, pathSegments, type VerifyDocument } from './documents.ts';
// The server verify starts, for callers that share one (tests, the gate) or build its binaries.
export * from '@strata/project/apiserver';
export type { Problem } from '@strata/project';
