import type { ImageSource } from '@strata/core';

/** The literals of the generated `rtmlib-ml-backend-config` ConfigMap. */
export interface Settings {
  readonly device: 'cpu' | 'cuda';
  readonly backendType: 'onnxruntime' | 'opencv' | 'openvino';
  readonly mode: 'lightweight' | 'balanced' | 'performance';
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  readonly debug: boolean;
  readonly confidenceThreshold: number;
}

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface MlBackendConfig {
  readonly version: string;
  readonly namespace: string;
  readonly image: ImageSource;
  readonly replicas: number;
  readonly resources: Resources;
  readonly settings: Settings;
  /** NVIDIA GPUs per pod; 0 schedules on any node. @default 0 */
  readonly gpus: number;
  readonly ingress: { readonly hosts: readonly string[]; readonly tlsSecretName: string };
  readonly autoscaling: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly cpuUtilization: number;
    readonly memoryUtilization: number;
    /** Seconds of calm before scaling down. @default 300 */
    readonly scaleDownStabilizationSeconds: number;
  };
  /** Size limit of the model cache emptyDir. @default 10Gi */
  readonly modelCacheSize: string;
  /** The Secret holding LABEL_STUDIO_API_TOKEN and LABEL_STUDIO_URL; created outside git. */
  readonly labelStudioSecret: string;
}

export const defaults: MlBackendConfig = {
  version: '1.8.0',
  namespace: 'rtmlib',
  image: { repository: 'ghcr.io/gawron/rtmlib-ml-backend' },
  replicas: 2,
  resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
  settings: { device: 'cpu', backendType: 'onnxruntime', mode: 'balanced', logLevel: 'INFO', debug: false, confidenceThreshold: 0.5 },
  gpus: 0,
  ingress: { hosts: ['rtmlib.gawron.cloud', 'rtmlib.fh-swf.cloud'], tlsSecretName: 'rtmlib-tls' },
  autoscaling: { minReplicas: 2, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80, scaleDownStabilizationSeconds: 300 },
  modelCacheSize: '10Gi',
  labelStudioSecret: 'rtmlib-label-studio',
};
