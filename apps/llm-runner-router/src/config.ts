import type { ImageSource } from '@strata/core';

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface Volume {
  readonly size: string;
  readonly storageClass: string;
}

/** Pods that may open connections to the router: a namespace plus the pods' labels in it. */
export interface PeerPods {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

export interface NetworkRule {
  readonly cidr: string;
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
}

export interface RouterConfig {
  readonly version: string;
  readonly namespace: string;
  readonly image: ImageSource;
  /** Replicas of the stable track; the autoscaler takes over from there. */
  readonly replicas: number;
  readonly resources: Resources;
  /** The literals of the generated `llm-runner-config` ConfigMap, read by the router as env vars. */
  readonly settings: {
    readonly routingStrategy: 'balanced' | 'cost' | 'latency' | 'quality';
    /** Megabytes per container; kept at the memory limit so the router sheds load before the OOM killer does. */
    readonly maxMemory: number;
    readonly cacheEnabled: boolean;
    readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
    readonly maxConcurrentRequests: number;
    readonly wsMaxConnections: number;
  };
  /** ReadWriteMany claims shared by every replica. */
  readonly storage: {
    /** Downloaded model weights. */
    readonly modelCache: Volume;
    readonly logs: Volume;
    /** Runtime cache shared between pods. */
    readonly sharedCache: Volume;
  };
  /** The LoadBalancer Service for clients that bypass the ingress. */
  readonly loadBalancer: {
    /**
     * Client CIDRs allowed through the load balancer; the same list opens the NetworkPolicy, which
     * sees the client address because the Service keeps it (externalTrafficPolicy Local). Must not
     * be empty, and should not cover the pod network, or it would open the router to every pod.
     */
    readonly sourceRanges: readonly string[];
  };
  readonly ingress: {
    readonly apiHost: string;
    readonly wsHost: string;
    /** TLS Secret of the API host; the WebSocket host uses `<name>-ws`. */
    readonly tlsSecretName: string;
    readonly clusterIssuer: string;
    /** Requests per second per client IP at the API ingress. */
    readonly rateLimitRps: number;
    /** Concurrent connections per client IP at the API ingress. */
    readonly rateLimitConnections: number;
    readonly corsAllowOrigin: string;
    /** Idle time before NGINX closes a WebSocket, in seconds. @default 3600 */
    readonly wsTimeoutSeconds: number;
  };
  /**
   * A canary track: its own Deployment and Service, and an NGINX canary ingress that sends
   * `weight` percent of the API host's requests to it. @default disabled
   */
  readonly canary: {
    readonly enabled: boolean;
    readonly weight: number;
    readonly replicas: number;
    /** The release under test. @default the stable image */
    readonly image?: ImageSource;
  };
  readonly autoscaling: {
    /** `hpa` (CPU and memory), `keda` (ScaledObject, adds request rate) or `off`: one of them, never both. @default 'hpa' */
    readonly mode: 'hpa' | 'keda' | 'off';
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** @default 70 */
    readonly cpuUtilization: number;
    /** @default 80 */
    readonly memoryUtilization: number;
    /** Only read in `keda` mode. */
    readonly keda: {
      readonly prometheusAddress: string;
      /** Requests per second one replica should take. */
      readonly requestsPerReplica: number;
    };
  };
  readonly networkPolicy: {
    readonly ingressNginx: PeerPods;
    readonly monitoring: PeerPods;
    /** Egress beyond DNS and HTTPS (a kube-apiserver on 6443, say). @default [] */
    readonly extraEgress: readonly NetworkRule[];
  };
  /** The Secret with huggingface-token, api-key and jwt-secret; created in the cluster, never in git. */
  readonly secretName: string;
}

export const defaults: RouterConfig = {
  version: '1.2.2',
  namespace: 'llm-systems',
  image: { repository: 'ghcr.io/llm-runner/llm-runner-router' },
  replicas: 2,
  resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1000m', memory: '4Gi' } },
  settings: {
    routingStrategy: 'balanced',
    maxMemory: 4096,
    cacheEnabled: true,
    logLevel: 'info',
    maxConcurrentRequests: 100,
    wsMaxConnections: 1000,
  },
  storage: {
    modelCache: { size: '50Gi', storageClass: 'fast-ssd' },
    logs: { size: '10Gi', storageClass: 'standard-ssd' },
    sharedCache: { size: '20Gi', storageClass: 'fast-ssd' },
  },
  loadBalancer: { sourceRanges: ['198.51.100.0/24'] },
  ingress: {
    apiHost: 'api.llm.example.com',
    wsHost: 'ws.llm.example.com',
    tlsSecretName: 'llm-runner-router-tls',
    clusterIssuer: 'letsencrypt-prod',
    rateLimitRps: 50,
    rateLimitConnections: 20,
    corsAllowOrigin: 'https://app.llm.example.com',
    wsTimeoutSeconds: 3600,
  },
  canary: { enabled: false, weight: 10, replicas: 1 },
  autoscaling: {
    mode: 'hpa',
    minReplicas: 2,
    maxReplicas: 10,
    cpuUtilization: 70,
    memoryUtilization: 80,
    keda: { prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090', requestsPerReplica: 100 },
  },
  networkPolicy: {
    ingressNginx: {
      namespace: 'ingress-nginx',
      podLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
    },
    monitoring: { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } },
    extraEgress: [],
  },
  secretName: 'llm-runner-secrets',
};
