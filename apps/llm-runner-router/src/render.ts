import { GENERATED_ANNOTATION, imageRef, standardLabels, type KubeObject } from '@strata/core';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { RouterConfig } from './config.ts';

const NAME = 'llm-runner-router';
const PORT = 3006;

export function render(c: RouterConfig): KubeObject[] {
  const labels = standardLabels(NAME, 'router');
  const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'router' };
  const meta = (name: string) => ({ name, namespace: c.namespace, labels });
  const s = c.settings;

  const namespace = new Namespace({ metadata: { name: c.namespace, labels: { ...labels, 'kubernetes.io/metadata.name': c.namespace } } });
  const serviceAccount = new ServiceAccount({ metadata: meta(NAME) });
  const role = new Role({
    metadata: meta(`${NAME}-reader`),
    rules: [
      { apiGroups: [''], resources: ['configmaps', 'secrets', 'services', 'endpoints', 'pods', 'persistentvolumeclaims'], verbs: ['get', 'list', 'watch'] },
    ],
  });
  const roleBinding = new RoleBinding({
    metadata: meta(`${NAME}-reader`),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NAME}-reader` },
    subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: c.namespace }],
  });

  // Generated per overlay: a settings change gets a new name and so rolls the pods.
  const config = new ConfigMap({
    metadata: { ...meta(`${NAME}-config`), annotations: { [GENERATED_ANNOTATION]: 'configmap' } },
    data: {
      ROUTING_STRATEGY: s.routingStrategy,
      MAX_MEMORY: String(s.maxMemory),
      CACHE_ENABLED: String(s.cacheEnabled),
      LOG_LEVEL: s.logLevel,
      MAX_CONCURRENT_REQUESTS: String(s.maxConcurrentRequests),
      WS_MAX_CONNECTIONS: String(s.wsMaxConnections),
    },
  });

  const pvc = (name: string, v: { size: string; storageClass: string }) =>
    new PersistentVolumeClaim({
      metadata: meta(`${NAME}-${name}`),
      spec: { accessModes: ['ReadWriteMany'], storageClassName: v.storageClass, resources: { requests: { storage: v.size } } },
    });
  const claims = [pvc('model-cache', c.storage.modelCache), pvc('logs', c.storage.logs), pvc('shared-cache', c.storage.sharedCache)];

  const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: c.secretName, key } } });
  const deployment = new Deployment({
    metadata: meta(NAME),
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: NAME,
          // The router discovers endpoints and reads its config through the API (see the Role).
          automountServiceAccountToken: true,
          securityContext: { runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'router',
              image: imageRef(c.image, c.version),
              ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: `${NAME}-config` } }],
              env: [secretEnv('HUGGINGFACE_TOKEN', 'huggingface-token'), secretEnv('API_KEY', 'api-key'), secretEnv('JWT_SECRET', 'jwt-secret')],
              resources: c.resources,
              startupProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 10, failureThreshold: 30 },
              livenessProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 20, timeoutSeconds: 5 },
              readinessProbe: { httpGet: { path: '/api/ready', port: 'http' }, periodSeconds: 10, timeoutSeconds: 5 },
              securityContext: {
                runAsUser: 1001,
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'model-cache', mountPath: '/app/models' },
                { name: 'logs', mountPath: '/app/logs' },
                { name: 'shared-cache', mountPath: '/app/cache' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'model-cache', persistentVolumeClaim: { claimName: `${NAME}-model-cache` } },
            { name: 'logs', persistentVolumeClaim: { claimName: `${NAME}-logs` } },
            { name: 'shared-cache', persistentVolumeClaim: { claimName: `${NAME}-shared-cache` } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  });

  const ports = [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' as const }];
  const services = [
    new Service({ metadata: meta(NAME), spec: { type: 'LoadBalancer', selector, ports } }),
    new Service({ metadata: meta(`${NAME}-internal`), spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }] } }),
    // One DNS record per pod, for clients that pin a WebSocket session to a replica.
    new Service({ metadata: meta(`${NAME}-headless`), spec: { clusterIP: 'None', selector, ports: [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }] } }),
  ];

  const i = c.ingress;
  const tlsAnnotations = { 'cert-manager.io/cluster-issuer': i.clusterIssuer };
  const rule = (host: string, path: string, service: string) => ({
    host,
    http: { paths: [{ path, pathType: 'Prefix' as const, backend: { service: { name: service, port: { name: 'http' } } } }] },
  });
  const apiIngress = new Ingress({
    metadata: {
      ...meta(NAME),
      annotations: {
        ...tlsAnnotations,
        'nginx.ingress.kubernetes.io/limit-rps': String(i.rateLimitRps),
        'nginx.ingress.kubernetes.io/enable-cors': 'true',
        'nginx.ingress.kubernetes.io/cors-allow-origin': i.corsAllowOrigin,
        'nginx.ingress.kubernetes.io/cors-allow-methods': 'GET, POST, OPTIONS',
        'nginx.ingress.kubernetes.io/proxy-body-size': '10m',
      },
    },
    spec: { ingressClassName: 'nginx', tls: [{ hosts: [i.apiHost], secretName: i.tlsSecretName }], rules: [rule(i.apiHost, '/', `${NAME}-internal`)] },
  });
  const wsIngress = new Ingress({
    metadata: {
      ...meta(`${NAME}-ws`),
      annotations: {
        ...tlsAnnotations,
        // Sticky sessions keep a WebSocket client on the replica that holds its state.
        'nginx.ingress.kubernetes.io/affinity': 'cookie',
        'nginx.ingress.kubernetes.io/session-cookie-name': 'llm-router-ws',
        'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
        'nginx.ingress.kubernetes.io/upstream-hash-by': '$remote_addr',
      },
    },
    spec: { ingressClassName: 'nginx', tls: [{ hosts: [i.wsHost], secretName: `${i.tlsSecretName}-ws` }], rules: [rule(i.wsHost, '/ws', `${NAME}-internal`)] },
  });
  const canary = c.canary.enabled
    ? [
        new Ingress({
          metadata: {
            ...meta(`${NAME}-canary`),
            annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': String(c.canary.weight) },
          },
          spec: { ingressClassName: 'nginx', rules: [rule(i.apiHost, '/', c.canary.service)] },
        }),
        // The canary track: the same pods' selector plus track=canary, fed by a canary Deployment.
        new Service({
          metadata: meta(c.canary.service),
          spec: { type: 'ClusterIP', selector: { ...selector, track: 'canary' }, ports: [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }] },
        }),
      ]
    : [];

  const a = c.autoscaling;
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME };
  const scaling: KubeObject[] =
    a.mode === 'hpa'
      ? [
          new HorizontalPodAutoscaler({
            metadata: meta(NAME),
            spec: {
              scaleTargetRef: target,
              minReplicas: a.minReplicas,
              maxReplicas: a.maxReplicas,
              metrics: [
                { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuUtilization } } },
                { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: a.memoryUtilization } } },
              ],
            },
          }),
        ]
      : a.mode === 'keda'
        ? [
            new ScaledObject({
              metadata: meta(NAME),
              spec: {
                scaleTargetRef: { name: NAME },
                minReplicaCount: a.minReplicas,
                maxReplicaCount: a.maxReplicas,
                triggers: [
                  { type: 'cpu', metricType: 'Utilization', metadata: { value: String(a.cpuUtilization) } },
                  {
                    type: 'prometheus',
                    metadata: {
                      serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
                      query: `sum(rate(http_requests_total{namespace="${c.namespace}",service="${NAME}"}[2m]))`,
                      threshold: '100',
                    },
                  },
                ],
              },
            }),
          ]
        : [];

  const monitor = new ServiceMonitor({
    metadata: { ...meta(NAME), labels: { ...labels, release: 'kube-prometheus-stack' } },
    spec: { selector: { matchLabels: { ...selector } }, endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }] },
  });

  const byName = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
  const defaultDeny = new NetworkPolicy({ metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  const allow = new NetworkPolicy({
    metadata: meta(NAME),
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [byName('ingress-nginx'), byName('monitoring')], ports: [{ protocol: 'TCP', port: 'http' }] }],
      egress: [
        { to: [{ ...byName('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        // Model hubs and provider APIs (Hugging Face and others) over HTTPS.
        { ports: [{ protocol: 'TCP', port: 443 }] },
      ],
    },
  });

  return [namespace, serviceAccount, role, roleBinding, config, ...claims, deployment, ...services, apiIngress, wsIngress, ...canary, ...scaling, monitor, defaultDeny, allow];
}
