/**
 * A throw-away kube-apiserver and etcd on loopback: the binaries built once per machine from the Go
 * mains in packages/verify/server, started in a scratch folder, and a client for them. What verify
 * judges with, and what the differential tests of the offline checks compare with.
 */
export {
  ensureServers,
  serversReady,
  startServer,
  freePort,
  LATE_CHECKS,
  ETCD_SOCKET,
  KUBERNETES_VERSION,
  ETCD_VERSION,
  DEFAULT_NODE_PORT_RANGE,
  type PortRange,
  type Server,
  type ServerBinaries,
  type StartOptions,
} from './server.ts';
export { Client, MAX_IN_FLIGHT, type Status } from './client.ts';
export { makeScratchDir, recordServers, sweepStale } from './scratch.ts';
