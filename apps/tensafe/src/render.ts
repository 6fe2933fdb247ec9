import {
  allowTraffic,
  appMetadata,
  defaultDenyPolicy,
  hardenedContainer,
  hardenedPodSpec,
  imageRef,
  kubeDnsEgress,
  namespacePeer,
  serviceMonitor,
  type KubeObject,
} from '@strata/core';
import { ClusterSecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterSecretStore';
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { TensafeConfig } from './config.ts';
import { DB_SECRET, POSTGRES, postgres, REDIS, REDIS_SECRET, redis, type Meta } from './data.ts';

const NAME = 'tensafe';
const APP_SECRET = 'tensafe-secrets';
// Cluster-scoped and shared by every env's namespace, so it carries the app's name rather than the
// generic `vault-backend` a platform may already own.
const STORE = 'tensafe-vault';
const PROMETHEUS = 'http://prometheus-operated.monitoring.svc:9090';

export function render(c: TensafeConfig): KubeObject[] {
  const app = appMetadata({ app: NAME, namespace: c.namespace });
  // A data store keeps its own `app.kubernetes.io/name` (its family) and stays part of tensafe.
  const meta: Meta = (name, family, component) => app.component(component).of(name, { labels: { 'app.kubernetes.io/name': family } });
  const inference = app.component('inference');
  const gpu: Record<string, string> = c.gpus > 0 ? { 'nvidia.com/gpu': String(c.gpus) } : {};
  const secret = (name: string, key: string) => ({ secretKeyRef: { name, key } });

  const vaultAnnotations = c.vault.agentInjector
    ? {
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/service': c.vault.address,
        'vault.hashicorp.com/role': c.vault.role,
        'vault.hashicorp.com/agent-inject-secret-config': `secret/data/${c.namespace}`,
      }
    : undefined;

  const server = hardenedContainer(
    {
      name: NAME,
      image: imageRef(c.image, c.version),
      ports: [
        { name: 'http', containerPort: 8000, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
      ],
      env: [
        { name: 'TS_SECRET_KEY', valueFrom: secret(APP_SECRET, 'TS_SECRET_KEY') },
        { name: 'TS_KEY_MASTER', valueFrom: secret(APP_SECRET, 'TS_KEY_MASTER') },
        { name: 'DATABASE_HOST', value: POSTGRES },
        { name: 'DATABASE_READ_HOST', value: c.postgres.readReplicas > 0 ? `${POSTGRES}-read` : POSTGRES },
        { name: 'DATABASE_NAME', value: 'tensafe' },
        { name: 'DATABASE_USER', valueFrom: secret(DB_SECRET, 'username') },
        { name: 'DATABASE_PASSWORD', valueFrom: secret(DB_SECRET, 'password') },
        { name: 'REDIS_HOST', value: REDIS },
        { name: 'REDIS_PASSWORD', valueFrom: secret(REDIS_SECRET, 'password') },
        { name: 'JAEGER_AGENT_HOST', value: c.jaeger.host },
        { name: 'JAEGER_AGENT_PORT', value: String(c.jaeger.port) },
      ],
      resources: { requests: { ...c.resources.requests, ...gpu }, limits: { ...c.resources.limits, ...gpu } },
      readinessProbe: { httpGet: { path: '/readiness', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10 },
      livenessProbe: { httpGet: { path: '/health', port: 'http' }, initialDelaySeconds: 30, periodSeconds: 20 },
    },
    // The pod's context carries the seccomp profile.
    { user: 1000, standalone: false, writable: ['/tmp'] },
  );

  const deployment = new Deployment({
    metadata: inference.of(NAME),
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: inference.selector },
      template: {
        metadata: { labels: inference.labels, ...(vaultAnnotations ? { annotations: vaultAnnotations } : {}) },
        spec: hardenedPodSpec({
          serviceAccountName: NAME,
          // Only the Vault agent needs the token (Kubernetes auth against Vault).
          automountServiceAccountToken: c.vault.agentInjector,
          runAs: { user: 1000 },
          ...(c.gpus > 0
            ? {
                nodeSelector: { 'nvidia.com/gpu.present': 'true' },
                tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
              }
            : {}),
          containers: [server],
        }),
      },
    },
  });

  const service = new Service({
    metadata: inference.of(NAME),
    spec: {
      type: 'ClusterIP',
      selector: inference.selector,
      ports: [
        { name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
      ],
    },
  });

  const ingress = new Ingress({
    metadata: inference.of(NAME, {
      annotations: {
        'cert-manager.io/cluster-issuer': c.ingress.clusterIssuer,
        // Large model payloads and long-running inference requests.
        'nginx.ingress.kubernetes.io/proxy-body-size': '100m',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      },
    }),
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [c.ingress.host], secretName: c.ingress.tlsSecretName }],
      rules: [
        { host: c.ingress.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { name: 'http' } } } }] } },
      ],
    },
  });

  const a = c.autoscaling;
  const scaling: KubeObject[] = [];
  if (a.mode === 'hpa') {
    scaling.push(
      new HorizontalPodAutoscaler({
        metadata: inference.of(NAME),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
          minReplicas: a.minReplicas,
          maxReplicas: a.maxReplicas,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
          ],
        },
      }),
    );
  } else if (a.mode === 'keda') {
    const trigger = (name: string, query: string, threshold: string) => ({
      type: 'prometheus',
      name,
      metadata: { serverAddress: PROMETHEUS, query, threshold },
    });
    scaling.push(
      new ScaledObject({
        metadata: inference.of(NAME),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
          pollingInterval: 30,
          cooldownPeriod: 300,
          minReplicaCount: a.minReplicas,
          maxReplicaCount: a.maxReplicas,
          triggers: [
            // Milliseconds, so that the threshold reads as the 100 ms SLO.
            trigger('p95-latency', 'histogram_quantile(0.95, sum(rate(tensafe_inference_latency_seconds_bucket[5m])) by (le)) * 1000', '100'),
            trigger('queue-depth', 'sum(tensafe_job_queue_depth)', '100'),
            trigger('gpu-utilization', 'avg(nvidia_gpu_utilization)', '30'),
          ],
        },
      }),
    );
  }

  const externalSecret = (name: string, data: [secretKey: string, property: string][]) =>
    new ExternalSecret({
      metadata: meta(name, NAME, 'secrets'),
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' },
        target: { name, creationPolicy: 'Owner' },
        // One Vault key per namespace: a Vault policy templated on the service account's namespace
        // then keeps each env to its own credentials.
        data: data.map(([secretKey, property]) => ({ secretKey, remoteRef: { key: c.namespace, property } })),
      },
    });
  const store = new ClusterSecretStore({
    metadata: appMetadata({ app: NAME, component: 'secrets' }).of(STORE),
    spec: {
      // Identical in every env, so one store serves dev, staging and prod sharing a cluster.
      conditions: [{ namespaceRegexes: [`^${NAME}(-[a-z0-9-]+)?$`] }],
      provider: {
        vault: {
          server: c.vault.address,
          path: 'secret',
          version: 'v2',
          // No namespace on the ServiceAccount (referent authentication): External Secrets logs in as
          // `tensafe` of the namespace the ExternalSecret lives in.
          auth: { kubernetes: { mountPath: 'kubernetes', role: c.vault.role, serviceAccountRef: { name: NAME } } },
        },
      },
    },
  });

  const monitor = serviceMonitor(inference.of(NAME), {
    selector: inference.selector,
    port: 'metrics',
    scrapeTimeout: '10s',
    namespaceSelector: false,
  });

  const family = (name: string) => ({ matchLabels: { 'app.kubernetes.io/name': name } });
  const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP' as const, port }));
  const vaultPort = Number(new URL(c.vault.address).port || 443);
  const dns = kubeDnsEgress();
  const policy = (name: string, pods: Record<string, string>, ingress: INetworkPolicyIngressRule[], egress: INetworkPolicyEgressRule[]) =>
    allowTraffic(meta(name, NAME, 'network'), { pods, ingress, egress });
  // A data store takes connections from the app and, for replication, from its own pods.
  const dataStorePolicy = (name: string, port: number) =>
    policy(
      name,
      family(name).matchLabels,
      [{ from: [{ podSelector: family(NAME) }, { podSelector: family(name) }], ports: tcp(port) }],
      [{ to: [{ podSelector: family(name) }], ports: tcp(port) }, dns],
    );
  const policies = [
    defaultDenyPolicy(meta('default-deny', NAME, 'network')),
    policy(
      NAME,
      inference.selector,
      [{ from: [namespacePeer('ingress-nginx'), namespacePeer('monitoring', { 'app.kubernetes.io/name': 'prometheus' })], ports: tcp(8000, 9090) }],
      [
        { to: [{ podSelector: family(POSTGRES) }], ports: tcp(5432) },
        { to: [{ podSelector: family(REDIS) }], ports: tcp(6379) },
        { to: [namespacePeer(c.vault.namespace)], ports: tcp(vaultPort) },
        { to: [namespacePeer('monitoring')], ports: [{ protocol: 'UDP' as const, port: c.jaeger.port }] },
        dns,
      ],
    ),
    dataStorePolicy(POSTGRES, 5432),
    dataStorePolicy(REDIS, 6379),
  ];

  return [
    new ServiceAccount({ metadata: inference.of(NAME), automountServiceAccountToken: false }),
    deployment,
    service,
    ingress,
    ...scaling,
    monitor,
    store,
    externalSecret(APP_SECRET, [
      ['TS_SECRET_KEY', 'secret_key'],
      ['TS_KEY_MASTER', 'key_master'],
    ]),
    externalSecret(DB_SECRET, [
      ['username', 'db_username'],
      ['password', 'db_password'],
      ['replication-password', 'db_replication_password'],
    ]),
    externalSecret(REDIS_SECRET, [['password', 'redis_password']]),
    ...postgres(c, meta),
    ...redis(c, meta),
    ...policies,
  ];
}
