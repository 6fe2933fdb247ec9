import type { ImageSource } from '@strata/core';

/** How the relay reaches the GPU host that runs server.py. */
export type GpuIndirection =
  /** A `gpu-server` ExternalName Service; GPU host and port are injected into the relay. */
  | { readonly mode: 'externalName'; readonly host: string; readonly cidr: string }
  /** A selector-less headless `gpu-server` Service with a static EndpointSlice; nothing injected. */
  | { readonly mode: 'headless'; readonly addresses: readonly string[] };

export interface NetworkRule {
  readonly cidr: string;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
}

export interface RelayConfig {
  readonly version: string;
  readonly namespace: string;
  readonly image: ImageSource;
  readonly replicas: number;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  readonly gpu: {
    readonly indirection: GpuIndirection;
    /** TCP port where server.py listens. @default 5015 */
    readonly port: number;
    /** Overrides the upstream URL. @default http://gpu-server:<port> */
    readonly upstreamUrl?: string;
  };
  readonly ingress: {
    readonly hosts: readonly string[];
    readonly tlsSecretName: string;
    readonly clusterIssuer: string;
  };
  /** A Prometheus Operator ServiceMonitor for kube-prometheus-stack. */
  readonly serviceMonitor: { readonly enabled: boolean };
  readonly networkPolicy: {
    readonly traefik: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
    readonly extraIngress: readonly NetworkRule[];
    readonly extraEgress: readonly NetworkRule[];
  };
}

export const defaults: RelayConfig = {
  version: '1.4.0',
  namespace: 'tokenplace',
  image: { repository: 'ghcr.io/tokenplace/tokenplace-relay' },
  replicas: 1,
  resources: {
    requests: { cpu: '100m', memory: '128Mi' },
    limits: { cpu: '500m', memory: '256Mi' },
  },
  gpu: {
    indirection: { mode: 'externalName', host: 'gpu-box.example.com', cidr: '203.0.113.42/32' },
    port: 5015,
  },
  ingress: {
    hosts: ['relay.example.com'],
    tlsSecretName: 'relay-tls',
    clusterIssuer: 'letsencrypt-dns01',
  },
  serviceMonitor: { enabled: false },
  networkPolicy: {
    traefik: { namespace: 'kube-system', podLabels: { 'app.kubernetes.io/name': 'traefik' } },
    extraIngress: [],
    extraEgress: [],
  },
};
