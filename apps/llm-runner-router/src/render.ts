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
  standardLabels,
  type KubeObject,
} from '@strata/core';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IDeploymentStrategy } from 'kubernetes-models/apps/v1/DeploymentStrategy';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IIngressRule } from 'kubernetes-models/networking.k8s.io/v1/IngressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { RouterConfig } from './config.ts';

const NAME = 'llm-runner-router';
const PORT = 3006;
const UID = 1001;
const CONFIG = 'llm-runner-config';
const READER = `${NAME}-reader`;
const CANARY = `${NAME}-canary`;
// Only the internal Service carries it, so Prometheus scrapes each pod once, not once per Service.
const SCRAPE_LABEL = 'llm-runner-router/scrape';

type Track = 'stable' | 'canary';

/** The claims every replica mounts: claim, pod volume, mount path and the storage entry that sizes it. */
const VOLUMES = [
  { claim: 'llm-model-cache', volume: 'model-cache', mountPath: '/app/models', key: 'modelCache' },
  { claim: 'llm-logs', volume: 'logs', mountPath: '/app/logs', key: 'logs' },
  { claim: 'llm-shared-cache', volume: 'shared-cache', mountPath: '/app/cache', key: 'sharedCache' },
] as const;

export function render(c: RouterConfig): KubeObject[] {
  const m = appMetadata({ app: NAME, component: 'router', namespace: c.namespace });
  // Both tracks share m.selector; `track` keeps the stable and canary controllers and Services apart.
  const tracked = (track: Track) => ({ ...m.selector, track });
  const meta = (name: string, labels: Record<string, string> = {}) => m.of(name, { labels });
  const s = c.settings;
  if (c.loadBalancer.sourceRanges.length === 0) {
    throw new Error(
      `${NAME}: loadBalancer.sourceRanges is empty, so the LoadBalancer Service would accept any client while the NetworkPolicy drops them all. ` +
        'List the client CIDRs that may bypass the ingress.',
    );
  }

  const namespace = new Namespace({
    metadata: {
      name: c.namespace,
      labels: {
        ...standardLabels(NAME),
        // Every pod here already meets the restricted profile; enforcing it keeps it that way.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  });
  // The router lists endpoints and pods and reads its ConfigMap, Secret and claims through the API,
  // so this identity carries a token; the Role below keeps it read-only.
  const serviceAccount = new ServiceAccount({ metadata: meta(NAME), automountServiceAccountToken: true });
  const role = new Role({
    metadata: meta(READER),
    rules: [
      {
        apiGroups: [''],
        resources: ['configmaps', 'secrets', 'services', 'endpoints', 'pods', 'persistentvolumeclaims'],
        verbs: ['get', 'list', 'watch'],
      },
    ],
  });
  const roleBinding = new RoleBinding({
    metadata: meta(READER),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: READER },
    subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: c.namespace }],
  });

  // Generated per overlay: a settings change gets a new name and so rolls the pods.
  const config = new ConfigMap({
    metadata: m.of(CONFIG, { annotations: { [GENERATED_ANNOTATION]: 'configmap' } }),
    data: {
      ROUTING_STRATEGY: s.routingStrategy,
      MAX_MEMORY: String(s.maxMemory),
      CACHE_ENABLED: String(s.cacheEnabled),
      LOG_LEVEL: s.logLevel,
      MAX_CONCURRENT_REQUESTS: String(s.maxConcurrentRequests),
      WS_MAX_CONNECTIONS: String(s.wsMaxConnections),
    },
  });

  const claims = VOLUMES.map(
    (v) =>
      new PersistentVolumeClaim({
        metadata: meta(v.claim),
        spec: {
          accessModes: ['ReadWriteMany'],
          storageClassName: c.storage[v.key].storageClass,
          resources: { requests: { storage: c.storage[v.key].size } },
        },
      }),
  );

  const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: c.secretName, key } } });
  const router = (image: string) =>
    hardenedContainer(
      {
        name: NAME,
        image,
        ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
        envFrom: [{ configMapRef: { name: CONFIG } }],
        env: [
          { name: 'PORT', value: String(PORT) },
          secretEnv('HUGGINGFACE_TOKEN', 'huggingface-token'),
          secretEnv('API_KEY', 'api-key'),
          secretEnv('JWT_SECRET', 'jwt-secret'),
        ],
        resources: c.resources,
        // Loading models can take minutes; liveness only starts once the startup probe passes.
        startupProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 10, failureThreshold: 30 },
        livenessProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
        readinessProbe: { httpGet: { path: '/api/ready', port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        // Endpoints drop the pod while it still serves, so no new request lands on a closing socket.
        lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 15'] } } },
      },
      { user: UID, group: UID, writable: [...VOLUMES.map((v) => ({ path: v.mountPath, name: v.volume, claim: v.claim })), '/tmp'] },
    );
  const template = (track: Track, image: string): IPodTemplateSpec => ({
    metadata: { labels: { ...m.labels, track } },
    spec: hardenedPodSpec({
      runAs: { user: UID },
      serviceAccountName: NAME,
      // Needed: the router talks to the API with the read-only Role (see the ServiceAccount).
      automountServiceAccountToken: true,
      // Long enough for in-flight generations to finish and WebSocket clients to reconnect elsewhere.
      terminationGracePeriodSeconds: 60,
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: tracked(track) } },
      ],
      containers: [router(image)],
    }),
  });
  const rolling: IDeploymentStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  const deployment = new Deployment({
    metadata: meta(NAME),
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: tracked('stable') },
      strategy: rolling,
      template: template('stable', imageRef(c.image, c.version)),
    },
  });
  const budget = new PodDisruptionBudget({ metadata: meta(NAME), spec: { maxUnavailable: 1, selector: { matchLabels: tracked('stable') } } });

  const port = [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' as const }];
  const services = [
    new Service({
      metadata: meta(NAME),
      spec: {
        type: 'LoadBalancer',
        // Keeps the client address, which both the source ranges and the NetworkPolicy match on.
        externalTrafficPolicy: 'Local',
        loadBalancerSourceRanges: [...c.loadBalancer.sourceRanges],
        selector: tracked('stable'),
        ports: port,
      },
    }),
    new Service({
      metadata: meta(`${NAME}-internal`, { [SCRAPE_LABEL]: 'true' }),
      spec: { type: 'ClusterIP', selector: tracked('stable'), ports: port },
    }),
    // One DNS record per pod, for clients that pin a WebSocket session to a replica.
    new Service({ metadata: meta(`${NAME}-headless`), spec: { clusterIP: 'None', selector: tracked('stable'), ports: port } }),
  ];

  const i = c.ingress;
  const rule = (host: string, path: string, service: string): IIngressRule => ({
    host,
    http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: service, port: { name: 'http' } } } }] },
  });
  const apiIngress = new Ingress({
    metadata: {
      ...meta(NAME),
      annotations: {
        'cert-manager.io/cluster-issuer': i.clusterIssuer,
        'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
        'nginx.ingress.kubernetes.io/limit-rps': String(i.rateLimitRps),
        'nginx.ingress.kubernetes.io/limit-connections': String(i.rateLimitConnections),
        'nginx.ingress.kubernetes.io/enable-cors': 'true',
        'nginx.ingress.kubernetes.io/cors-allow-origin': i.corsAllowOrigin,
        'nginx.ingress.kubernetes.io/cors-allow-methods': 'GET, POST, OPTIONS',
        'nginx.ingress.kubernetes.io/cors-allow-headers': 'Authorization, Content-Type',
        'nginx.ingress.kubernetes.io/cors-allow-credentials': 'true',
        'nginx.ingress.kubernetes.io/proxy-body-size': '10m',
        // Completions stream for minutes on large models.
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '300',
      },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [i.apiHost], secretName: i.tlsSecretName }],
      rules: [rule(i.apiHost, '/', `${NAME}-internal`)],
    },
  });
  const wsTimeout = String(i.wsTimeoutSeconds);
  const wsIngress = new Ingress({
    metadata: {
      ...meta(`${NAME}-ws`),
      annotations: {
        'cert-manager.io/cluster-issuer': i.clusterIssuer,
        'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
        // Sticky sessions keep a WebSocket client on the replica that holds its state across reconnects.
        'nginx.ingress.kubernetes.io/affinity': 'cookie',
        'nginx.ingress.kubernetes.io/affinity-mode': 'persistent',
        'nginx.ingress.kubernetes.io/session-cookie-name': 'llm-router-ws',
        'nginx.ingress.kubernetes.io/session-cookie-max-age': '86400',
        'nginx.ingress.kubernetes.io/session-cookie-secure': 'true',
        // The controller forwards Upgrade and Connection on every location (its $connection_upgrade
        // map) and does not buffer responses by default; an HTTP/1.1 upstream and long timeouts are
        // what a WebSocket still needs. A configuration-snippet could set the headers too, but
        // snippets are disabled by default (allow-snippet-annotations) for security reasons.
        'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': wsTimeout,
        'nginx.ingress.kubernetes.io/proxy-send-timeout': wsTimeout,
      },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [i.wsHost], secretName: `${i.tlsSecretName}-ws` }],
      rules: [rule(i.wsHost, '/', `${NAME}-internal`)],
    },
  });

  const canary: KubeObject[] = c.canary.enabled
    ? [
        new Deployment({
          metadata: meta(CANARY),
          spec: {
            replicas: c.canary.replicas,
            selector: { matchLabels: tracked('canary') },
            strategy: rolling,
            template: template('canary', imageRef(c.canary.image ?? c.image, c.version)),
          },
        }),
        // Scraped too, so the canary's error rate and latency can be compared with the stable track's.
        new Service({ metadata: meta(CANARY, { [SCRAPE_LABEL]: 'true' }), spec: { type: 'ClusterIP', selector: tracked('canary'), ports: port } }),
        // Same host and path as the API ingress: NGINX then splits that host's traffic by weight.
        new Ingress({
          metadata: {
            ...meta(CANARY),
            annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': String(c.canary.weight) },
          },
          spec: { ingressClassName: 'nginx', rules: [rule(i.apiHost, '/', CANARY)] },
        }),
      ]
    : [];

  const a = c.autoscaling;
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME };
  // KEDA owns an HPA of its own for its target, so the two modes exclude each other by construction.
  const scaling: KubeObject[] =
    a.mode === 'hpa'
      ? [
          new HorizontalPodAutoscaler({
            metadata: meta(`${NAME}-hpa`),
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
                scaleTargetRef: target,
                minReplicaCount: a.minReplicas,
                maxReplicaCount: a.maxReplicas,
                triggers: [
                  { type: 'cpu', metricType: 'Utilization', metadata: { value: String(a.cpuUtilization) } },
                  { type: 'memory', metricType: 'Utilization', metadata: { value: String(a.memoryUtilization) } },
                  {
                    type: 'prometheus',
                    metadata: {
                      serverAddress: a.keda.prometheusAddress,
                      query: `sum(rate(http_requests_total{namespace="${c.namespace}",service="${NAME}-internal"}[2m]))`,
                      threshold: String(a.keda.requestsPerReplica),
                    },
                  },
                ],
              },
            }),
          ]
        : [];

  const monitor = serviceMonitor(m.of(NAME), { selector: { 'app.kubernetes.io/name': NAME, [SCRAPE_LABEL]: 'true' }, port: 'http' });

  const np = c.networkPolicy;
  const http: INetworkPolicyPort[] = [{ protocol: 'TCP', port: 'http' }];
  const ingressRules: INetworkPolicyIngressRule[] = [
    { from: [namespacePeer(np.ingressNginx.namespace, np.ingressNginx.podLabels)], ports: http },
    // Prometheus scrapes /metrics on the serving port.
    { from: [namespacePeer(np.monitoring.namespace, np.monitoring.podLabels)], ports: http },
    // Direct clients of the LoadBalancer Service, the same ranges it admits.
    { from: c.loadBalancer.sourceRanges.map((cidr) => ({ ipBlock: { cidr } })), ports: http },
  ];
  // Everything else in the namespace is denied too, so a new workload starts closed.
  const defaultDeny = defaultDenyPolicy(m.of('default-deny'));
  const allow = allowTraffic(m.of(`${NAME}-netpol`), {
    // Both tracks: the canary must reach the same things as the stable pods.
    pods: m.selector,
    ingress: ingressRules,
    egress: [
      kubeDnsEgress(),
      // Model hubs and provider APIs (Hugging Face and others), and the API server of managed
      // control planes, all over HTTPS.
      { ports: [{ protocol: 'TCP', port: 443 }] },
      ...np.extraEgress.map((r) => ({ to: [{ ipBlock: { cidr: r.cidr } }], ports: [{ protocol: r.protocol ?? 'TCP', port: r.port }] })),
    ],
  });

  return [
    namespace,
    serviceAccount,
    role,
    roleBinding,
    config,
    ...claims,
    deployment,
    budget,
    ...services,
    apiIngress,
    wsIngress,
    ...canary,
    ...scaling,
    monitor,
    defaultDeny,
    allow,
  ];
}
