import type { ImageSource } from '@strata/core';

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** A third-party image: always a tag, and a digest where the env pins it. */
export type PinnedImage = ImageSource & { readonly tag: string };

/**
 * How the inference Deployment scales. One mode per env: KEDA drives an HPA of its own, so a second
 * HPA on the same Deployment would fight it.
 */
export type Autoscaling =
  | { readonly mode: 'off' }
  /** autoscaling/v2 HPA on CPU 70% and memory 80%. */
  | { readonly mode: 'hpa'; readonly minReplicas: number; readonly maxReplicas: number }
  /** KEDA ScaledObject on p95 latency, queue depth and GPU utilisation from Prometheus. */
  | { readonly mode: 'keda'; readonly minReplicas: number; readonly maxReplicas: number };

export interface TensafeConfig {
  readonly version: string;
  /** Every namespaced object lands here; also the Vault key the env's credentials are read from. */
  readonly namespace: string;
  readonly image: ImageSource;
  readonly replicas: number;
  /** CPU and memory of the inference container; GPUs come from `gpus`. */
  readonly resources: Resources;
  /** NVIDIA GPUs per pod; 0 keeps the pods off GPU nodes (no nodeSelector, no toleration). */
  readonly gpus: number;
  readonly autoscaling: Autoscaling;
  readonly ingress: { readonly host: string; readonly tlsSecretName: string; readonly clusterIssuer: string };
  readonly postgres: {
    readonly image: PinnedImage;
    /** Size of each data volume (primary and read replicas alike). */
    readonly storage: string;
    /** Streaming-replication read replicas; 0 runs the primary alone. @default 0 */
    readonly readReplicas: number;
    readonly resources: Resources;
  };
  readonly redis: {
    readonly image: PinnedImage;
    readonly storage: string;
    /** Replicas following the primary; 0 runs Redis standalone. @default 0 */
    readonly replicas: number;
    readonly resources: Resources;
  };
  readonly vault: {
    /** Reached by the External Secrets controller and by the Vault agent. */
    readonly address: string;
    /** Namespace Vault runs in: the pods' egress to it is allowed there. */
    readonly namespace: string;
    /** Vault Kubernetes-auth role the `tensafe` ServiceAccount logs in as. */
    readonly role: string;
    /** Also annotate pods for the Vault agent injector (secrets as files under /vault/secrets). @default false */
    readonly agentInjector: boolean;
  };
  readonly jaeger: { readonly host: string; readonly port: number };
}

export const defaults: TensafeConfig = {
  version: '4.0.0',
  namespace: 'tensafe',
  image: { repository: 'docker.io/tensafe/tensafe' },
  replicas: 2,
  resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '4', memory: '16Gi' } },
  gpus: 1,
  autoscaling: { mode: 'hpa', minReplicas: 2, maxReplicas: 20 },
  ingress: { host: 'api.tensafe.example.com', tlsSecretName: 'tensafe-tls', clusterIssuer: 'letsencrypt-prod' },
  postgres: {
    image: { repository: 'docker.io/library/postgres', tag: '16.4' },
    storage: '100Gi',
    readReplicas: 0,
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } },
  },
  redis: {
    image: { repository: 'docker.io/library/redis', tag: '7.4.1' },
    storage: '8Gi',
    replicas: 0,
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
  },
  vault: { address: 'https://vault.vault.svc:8200', namespace: 'vault', role: 'tensafe', agentInjector: false },
  jaeger: { host: 'jaeger-agent.monitoring', port: 6831 },
};
