import {
  allowTraffic,
  appMetadata,
  defaultDenyPolicy,
  GENERATED_ANNOTATION,
  hardenedContainer,
  hardenedPodSpec,
  imageRef,
  kubeDnsEgress,
  namespacePeer,
  serviceMonitor,
  type KubeObject,
} from '@strata/core';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import type { MlBackendConfig, Settings } from './config.ts';

const NAME = 'rtmlib-ml-backend';
const CONFIG = `${NAME}-config`;
const SERVICE = `${NAME}-service`;
const PORT = 9090;
const UID = 1000;
// The image's `app` user (UID 1000) keeps RTMLib's downloads under its home's .cache.
const MODEL_CACHE = '/home/app/.cache';
// label-studio-ml keeps its prediction cache (cache.db) in MODEL_DIR, which the image sets to /app/models.
const STATE_DIR = '/app/models';

/** The ConfigMap literals, named as the backend reads them from its environment. */
function settingsData(s: Settings): Record<string, string> {
  return {
    DEVICE: s.device,
    BACKEND_TYPE: s.backendType,
    MODE: s.mode,
    LOG_LEVEL: s.logLevel,
    DEBUG: String(s.debug),
    CONFIDENCE_THRESHOLD: String(s.confidenceThreshold),
  };
}

export function render(c: MlBackendConfig): KubeObject[] {
  const m = appMetadata({ app: NAME, component: 'ml-backend', namespace: c.namespace });
  const gpus = c.gpus ?? 0;
  const gpu: Record<string, string> = gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {};

  // Emitted as a configMapGenerator: the hash suffix in the Deployment's reference rolls the pods
  // whenever a setting changes, which a plain ConfigMap would not.
  const config = new ConfigMap({
    metadata: m.of(CONFIG, { annotations: { [GENERATED_ANNOTATION]: 'configmap' } }),
    data: settingsData(c.settings),
  });

  const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: c.labelStudioSecret.name, key } } });
  const health = { httpGet: { path: '/health', port: 'http' } };

  const backend = hardenedContainer(
    {
      name: 'ml-backend',
      image: imageRef(c.image, c.version),
      ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
      envFrom: [{ configMapRef: { name: CONFIG } }],
      env: [
        { name: 'LABEL_STUDIO_ML_BACKEND_V2', value: 'true' },
        // Pins the download location to the cache volume even if HOME resolves elsewhere.
        { name: 'XDG_CACHE_HOME', value: MODEL_CACHE },
        fromSecret('LABEL_STUDIO_API_TOKEN', c.labelStudioSecret.tokenKey),
        fromSecret('LABEL_STUDIO_URL', c.labelStudioSecret.urlKey),
      ],
      resources: {
        requests: { ...c.resources.requests, ...gpu },
        limits: { ...c.resources.limits, ...gpu },
      },
      readinessProbe: { ...health, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
      // The first start downloads the models: liveness waits longer so it cannot kill a pod mid-download.
      livenessProbe: { ...health, initialDelaySeconds: 60, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 3 },
    },
    {
      user: UID,
      // The pod's context carries the seccomp profile.
      standalone: false,
      writable: [
        { path: MODEL_CACHE, name: 'model-cache', sizeLimit: c.modelCacheSize },
        { path: STATE_DIR, name: 'state', sizeLimit: '1Gi' },
        { path: '/tmp', sizeLimit: '1Gi' },
      ],
    },
  );

  const deployment = new Deployment({
    metadata: m.of(NAME),
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: m.selector },
      // A new pod must load its models and pass readiness before an old one goes.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: m.labels },
        spec: hardenedPodSpec({
          runAs: { user: UID },
          ...(gpus > 0
            ? {
                nodeSelector: { 'nvidia.com/gpu.present': 'true' },
                tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
              }
            : {}),
          containers: [backend],
        }),
      },
    },
  });

  const service = new Service({
    metadata: m.of(SERVICE),
    spec: { type: 'ClusterIP', selector: m.selector, ports: [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }] },
  });

  const ingress = new Ingress({
    metadata: m.of(NAME, {
      annotations: {
        // Traefik 1.x spelling; 2.x passes the Host header by default and ignores it.
        'traefik.frontend.passHostHeader': 'true',
        'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
        'traefik.ingress.kubernetes.io/router.tls.certresolver': 'letsencrypt',
        'traefik.ingress.kubernetes.io/router.middlewares': 'default-cors@kubernetescrd',
      },
    }),
    spec: {
      ingressClassName: 'traefik',
      // No secretName: Traefik's letsencrypt resolver obtains and stores the certificate itself.
      tls: [{ hosts: [...c.hosts] }],
      rules: c.hosts.map((host) => ({
        host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: SERVICE, port: { name: 'http' } } } }] },
      })),
    },
  });

  const a = c.autoscaling;
  const utilization = (name: string, averageUtilization: number) => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization } },
  });
  const hpa = new HorizontalPodAutoscaler({
    metadata: m.of(NAME),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics: [utilization('cpu', a.cpuUtilization), utilization('memory', a.memoryUtilization)],
      behavior: {
        // Scale up fast (double, or two pods, per minute); scale down by halves once load stayed low.
        scaleUp: {
          stabilizationWindowSeconds: 60,
          selectPolicy: 'Max',
          policies: [
            { type: 'Percent', value: 100, periodSeconds: 60 },
            { type: 'Pods', value: 2, periodSeconds: 60 },
          ],
        },
        scaleDown: {
          stabilizationWindowSeconds: a.scaleDownStabilizationSeconds,
          policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }],
        },
      },
    },
  });

  // maxUnavailable rather than minAvailable: with one replica (dev, staging) a node drain still proceeds.
  const pdb = new PodDisruptionBudget({
    metadata: m.of(NAME),
    spec: { maxUnavailable: 1, selector: { matchLabels: m.selector } },
  });

  const monitor = serviceMonitor(m.of(NAME), { selector: m.selector, port: 'http', scrapeTimeout: '10s', release: false });

  const defaultDeny = defaultDenyPolicy(m.of('default-deny'));
  const allow = allowTraffic(m.of(NAME), {
    pods: m.selector,
    ingress: [
      {
        from: [namespacePeer(c.network.ingressNamespace), namespacePeer(c.network.monitoringNamespace)],
        ports: [{ protocol: 'TCP', port: 'http' }],
      },
    ],
    egress: [kubeDnsEgress(), { ports: c.network.egressPorts.map((port) => ({ protocol: 'TCP', port })) }],
  });

  return [config, deployment, service, ingress, hpa, pdb, monitor, defaultDeny, allow];
}
