export {
  verify,
  verifyDocuments,
  statusProblems,
  DEFAULT_NAMESPACE,
  type ServerOptions,
  type VerifyOptions,
  type VerifyDocumentsOptions,
  type VerifyResult,
} from './verify.ts';
export { readBuilt, pathSegments, type VerifyDocument } from './documents.ts';
export {
  ensureServers,
  startServer,
  freePort,
  LATE_CHECKS,
  ETCD_SOCKET,
  KUBERNETES_VERSION,
  ETCD_VERSION,
  type Server,
  type ServerBinaries,
  type StartOptions,
} from './server.ts';
export { sweepStale } from './scratch.ts';
export type { Problem } from '@strata/project';
