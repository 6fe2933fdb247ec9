import type { ImageSource } from '@strata/core';

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** A third-party image: always a tag, and a digest where the env pins it. */
export type PinnedImage = ImageSource & { readonly tag: string };

export interface TensafeConfig {
  readonly version: string;
  readonly namespace: string;
  readonly image: ImageSource;
  readonly replicas: number;
  readonly resources: Resources;
  /** NVIDIA GPUs per pod; 0 keeps the pods off GPU nodes. */
  readonly gpus: number;
  /** `hpa` (CPU and memory), `keda` (SLI triggers) or `off`: one of them, never both. */
  readonly autoscaling: {
    readonly mode: 'hpa' | 'keda' | 'off';
    readonly minReplicas: number;
    readonly maxReplicas: number;
  };
  readonly ingress: { readonly host: string; readonly tlsSecretName: string; readonly clusterIssuer: string };
  readonly postgres: {
    readonly image: PinnedImage;
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
    readonly address: string;
    readonly role: string;
    readonly secretPath: string;
    /** Also annotate pods for the Vault agent injector (secrets as files). @default false */
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
  vault: { address: 'https://vault.example.com', role: 'tensafe', secretPath: 'secret/data/tensafe', agentInjector: false },
  jaeger: { host: 'jaeger-agent.monitoring', port: 6831 },
};
