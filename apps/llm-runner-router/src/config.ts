import type { ImageSource } from '@strata/core';

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface RouterConfig {
  readonly version: string;
  readonly namespace: string;
  readonly image: ImageSource;
  readonly replicas: number;
  readonly resources: Resources;
  /** The literals of the generated `llm-runner-router-config` ConfigMap. */
  readonly settings: {
    readonly routingStrategy: 'balanced' | 'cost' | 'latency' | 'quality';
    /** Megabytes per container. */
    readonly maxMemory: number;
    readonly cacheEnabled: boolean;
    readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
    readonly maxConcurrentRequests: number;
    readonly wsMaxConnections: number;
  };
  readonly storage: {
    readonly modelCache: { readonly size: string; readonly storageClass: string };
    readonly logs: { readonly size: string; readonly storageClass: string };
    readonly sharedCache: { readonly size: string; readonly storageClass: string };
  };
  readonly ingress: {
    readonly apiHost: string;
    readonly wsHost: string;
    readonly tlsSecretName: string;
    readonly clusterIssuer: string;
    /** Requests per second per client IP at the API ingress. */
    readonly rateLimitRps: number;
    readonly corsAllowOrigin: string;
  };
  /** A weighted NGINX canary ingress in front of the canary track's Service. @default disabled */
  readonly canary: { readonly enabled: boolean; readonly weight: number; readonly service: string };
  readonly autoscaling: {
    /** `hpa`, `keda` (ScaledObject on request rate) or `off`; never both on one Deployment. */
    readonly mode: 'hpa' | 'keda' | 'off';
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly cpuUtilization: number;
    readonly memoryUtilization: number;
  };
  /** The Secret with huggingface-token, api-key and jwt-secret; created outside git. */
  readonly secretName: string;
}

export const defaults: RouterConfig = {
  version: '2.3.0',
  namespace: 'llm-systems',
  image: { repository: 'ghcr.io/llm-runner/llm-runner-router' },
  replicas: 2,
  resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1000m', memory: '4Gi' } },
  settings: { routingStrategy: 'balanced', maxMemory: 4096, cacheEnabled: true, logLevel: 'info', maxConcurrentRequests: 100, wsMaxConnections: 1000 },
  storage: {
    modelCache: { size: '50Gi', storageClass: 'fast-ssd' },
    logs: { size: '10Gi', storageClass: 'standard-ssd' },
    sharedCache: { size: '20Gi', storageClass: 'fast-ssd' },
  },
  ingress: {
    apiHost: 'api.llm.example.com',
    wsHost: 'ws.llm.example.com',
    tlsSecretName: 'llm-runner-router-tls',
    clusterIssuer: 'letsencrypt-prod',
    rateLimitRps: 50,
    corsAllowOrigin: 'https://app.llm.example.com',
  },
  canary: { enabled: false, weight: 10, service: 'llm-runner-router-canary' },
  autoscaling: { mode: 'hpa', minReplicas: 2, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80 },
  secretName: 'llm-runner-secrets',
};
