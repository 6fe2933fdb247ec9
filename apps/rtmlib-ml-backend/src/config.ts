import type { ImageSource } from '@strata/core';

/** The literals of the generated `rtmlib-ml-backend-config` ConfigMap; the backend reads them at start. */
export interface Settings {
  /** Where ONNX inference runs (`DEVICE`); `cuda` needs a GPU, see the `gpu` component. */
  readonly device: 'cpu' | 'cuda';
  /** RTMLib's inference backend (`BACKEND_TYPE`). */
  readonly backendType: 'onnxruntime' | 'opencv' | 'openvino';
  /** RTMLib's model size (`MODE`): larger models are more accurate and need more memory. */
  readonly mode: 'lightweight' | 'balanced' | 'performance';
  /** Python log level (`LOG_LEVEL`). */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  /** Flask debug mode (`DEBUG`). */
  readonly debug: boolean;
  /** Keypoints scored below this are left out of the predictions (`CONFIDENCE_THRESHOLD`). */
  readonly confidenceThreshold: number;
}

export interface Quantities {
  readonly cpu: string;
  readonly memory: string;
}

export interface Resources {
  readonly requests: Quantities;
  readonly limits: Quantities;
}

export interface MlBackendConfig {
  /** Release of the backend; the image tag when `image` names neither tag nor digest. */
  readonly version: string;
  readonly namespace: string;
  readonly image: ImageSource;
  /** Replicas at rollout; the HPA moves them between its bounds afterwards. */
  readonly replicas: number;
  readonly resources: Resources;
  readonly settings: Settings;
  /** NVIDIA GPUs per pod; above 0 the pod also selects and tolerates GPU nodes. @default 0 */
  readonly gpus?: number;
  /** Public hosts, all served by one Traefik router with a Let's Encrypt certificate. */
  readonly hosts: readonly string[];
  readonly autoscaling: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** Target average CPU utilization in percent of requests. */
    readonly cpuUtilization: number;
    /** Target average memory utilization in percent of requests. */
    readonly memoryUtilization: number;
    /** Seconds the HPA waits for load to stay low before it removes pods. */
    readonly scaleDownStabilizationSeconds: number;
  };
  /** Size limit of the emptyDir that RTMLib downloads its ONNX models into. */
  readonly modelCacheSize: string;
  /**
   * The Secret that holds the Label Studio URL and API token. It is created in the cluster by the
   * release pipeline and never committed; only its name and keys live here.
   */
  readonly labelStudioSecret: { readonly name: string; readonly tokenKey: string; readonly urlKey: string };
  readonly network: {
    /** Namespace of the Traefik pods that forward requests to the backend. */
    readonly ingressNamespace: string;
    /** Namespace of the Prometheus that scrapes the backend. */
    readonly monitoringNamespace: string;
    /** TCP ports the backend may reach anywhere: Label Studio and the model downloads use HTTPS. */
    readonly egressPorts: readonly number[];
  };
}

export const defaults: MlBackendConfig = {
  version: '1.8.0',
  namespace: 'rtmlib',
  image: { repository: 'ghcr.io/fhswf/dgs-pg-gruppe-1/rtmlib-ml-backend' },
  replicas: 2,
  resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
  settings: {
    device: 'cpu',
    backendType: 'onnxruntime',
    mode: 'balanced',
    logLevel: 'INFO',
    debug: false,
    confidenceThreshold: 0.5,
  },
  hosts: ['rtmlib.gawron.cloud', 'rtmlib.fh-swf.cloud'],
  autoscaling: { minReplicas: 2, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80, scaleDownStabilizationSeconds: 300 },
  modelCacheSize: '10Gi',
  labelStudioSecret: { name: 'label-studio-config', tokenKey: 'api-token', urlKey: 'url' },
  network: { ingressNamespace: 'traefik-system', monitoringNamespace: 'monitoring', egressPorts: [443] },
};
