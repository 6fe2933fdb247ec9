import { GENERATED_ANNOTATION, imageRef, standardLabels, type KubeObject } from '@strata/core';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { MlBackendConfig } from './config.ts';

const NAME = 'rtmlib-ml-backend';
const CONFIG = `${NAME}-config`;
const PORT = 9090;

export function render(c: MlBackendConfig): KubeObject[] {
  const labels = standardLabels(NAME, 'ml-backend');
  const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'ml-backend' };
  const meta = (name: string) => ({ name, namespace: c.namespace, labels });
  const s = c.settings;
  const gpuResources: Record<string, string> = c.gpus > 0 ? { 'nvidia.com/gpu': String(c.gpus) } : {};

  // Kustomize generates this ConfigMap per overlay; its hash suffix rolls the pods on every change.
  const config = new ConfigMap({
    metadata: { ...meta(CONFIG), annotations: { [GENERATED_ANNOTATION]: 'configmap' } },
    data: {
      DEVICE: s.device,
      BACKEND_TYPE: s.backendType,
      MODE: s.mode,
      LOG_LEVEL: s.logLevel,
      DEBUG: String(s.debug),
      CONFIDENCE_THRESHOLD: String(s.confidenceThreshold),
    },
  });

  const secretEnv = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: c.labelStudioSecret, key: name } } });
  const deployment = new Deployment({
    metadata: meta(NAME),
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          ...(c.gpus > 0
            ? {
                nodeSelector: { 'nvidia.com/gpu.present': 'true' },
                tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
              }
            : {}),
          containers: [
            {
              name: 'ml-backend',
              image: imageRef(c.image, c.version),
              ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: CONFIG } }],
              env: [secretEnv('LABEL_STUDIO_API_TOKEN'), secretEnv('LABEL_STUDIO_URL')],
              resources: {
                requests: { ...c.resources.requests, ...gpuResources },
                limits: { ...c.resources.limits, ...gpuResources },
              },
              readinessProbe: { httpGet: { path: '/health', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10 },
              // Model loading takes a while on a cold cache: give liveness room before it can kill the pod.
              livenessProbe: { httpGet: { path: '/health', port: 'http' }, initialDelaySeconds: 60, periodSeconds: 30 },
              securityContext: {
                runAsUser: 1000,
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'model-cache', mountPath: '/app/models' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'model-cache', emptyDir: { sizeLimit: c.modelCacheSize } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  });

  const service = new Service({
    metadata: meta(`${NAME}-service`),
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }] },
  });

  const ingress = new Ingress({
    metadata: {
      ...meta(NAME),
      annotations: {
        'traefik.frontend.passHostHeader': 'true',
        'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
        'traefik.ingress.kubernetes.io/router.tls.certresolver': 'letsencrypt',
        'traefik.ingress.kubernetes.io/router.middlewares': 'default-cors@kubernetescrd',
      },
    },
    spec: {
      ingressClassName: 'traefik',
      tls: [{ hosts: [...c.ingress.hosts], secretName: c.ingress.tlsSecretName }],
      rules: c.ingress.hosts.map((host) => ({
        host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `${NAME}-service`, port: { name: 'http' } } } }] },
      })),
    },
  });

  const a = c.autoscaling;
  const hpa = new HorizontalPodAutoscaler({
    metadata: meta(NAME),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuUtilization } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: a.memoryUtilization } } },
      ],
      behavior: {
        scaleDown: { stabilizationWindowSeconds: a.scaleDownStabilizationSeconds, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
      },
    },
  });

  const monitor = new ServiceMonitor({
    metadata: { ...meta(NAME), labels: { ...labels, release: 'kube-prometheus-stack' } },
    spec: {
      selector: { matchLabels: selector },
      namespaceSelector: { matchNames: [c.namespace] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
    },
  });

  const byName = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
  const defaultDeny = new NetworkPolicy({ metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  const allow = new NetworkPolicy({
    metadata: meta(NAME),
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [byName('traefik-system'), byName('monitoring')], ports: [{ protocol: 'TCP', port: 'http' }] }],
      egress: [
        { to: [{ ...byName('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        // Label Studio and model downloads are reached over HTTPS.
        { ports: [{ protocol: 'TCP', port: 443 }] },
      ],
    },
  });

  return [config, deployment, service, ingress, hpa, monitor, defaultDeny, allow];
}
