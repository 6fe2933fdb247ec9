export { verify, statusProblems, type VerifyOptions, type VerifyResult } from './verify.ts';
export { ensureServers, startServer, KUBERNETES_VERSION, ETCD_VERSION, type Server, type ServerBinaries } from './server.ts';
export type { Problem } from '@strata/core';
