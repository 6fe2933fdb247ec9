import { imageRef, standardLabels, type KubeObject } from '@strata/core';
import { ClusterSecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterSecretStore';
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { TensafeConfig } from './config.ts';
import { DB_SECRET, POSTGRES, postgres, REDIS, REDIS_SECRET, redis } from './data.ts';

const NAME = 'tensafe';
const APP_SECRET = 'tensafe-secrets';
const STORE = 'vault-backend';

export function render(c: TensafeConfig): KubeObject[] {
  const meta = (name: string, component: string) => ({ name, namespace: c.namespace, labels: { ...standardLabels(NAME, component), 'app.kubernetes.io/name': name } });
  const labels = meta(NAME, 'inference').labels;
  const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'inference' };
  const gpu: Record<string, string> = c.gpus > 0 ? { 'nvidia.com/gpu': String(c.gpus) } : {};
  const secret = (name: string, key: string) => ({ secretKeyRef: { name, key } });

  const vaultAnnotations = c.vault.agentInjector
    ? {
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/role': c.vault.role,
        'vault.hashicorp.com/agent-inject-secret-config': c.vault.secretPath,
      }
    : undefined;

  const deployment = new Deployment({
    metadata: meta(NAME, 'inference'),
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, ...(vaultAnnotations ? { annotations: vaultAnnotations } : {}) },
        spec: {
          serviceAccountName: NAME,
          // Only the Vault agent injector needs the token (Kubernetes auth against Vault).
          automountServiceAccountToken: c.vault.agentInjector,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          ...(c.gpus > 0
            ? {
                nodeSelector: { 'nvidia.com/gpu.present': 'true' },
                tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
              }
            : {}),
          containers: [
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
              securityContext: {
                runAsUser: 1000,
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  });

  const service = new Service({
    metadata: meta(NAME, 'inference'),
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [
        { name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
      ],
    },
  });

  const ingress = new Ingress({
    metadata: {
      ...meta(NAME, 'inference'),
      annotations: {
        'cert-manager.io/cluster-issuer': c.ingress.clusterIssuer,
        'nginx.ingress.kubernetes.io/proxy-body-size': '100m',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [c.ingress.host], secretName: c.ingress.tlsSecretName }],
      rules: [{ host: c.ingress.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { name: 'http' } } } }] } }],
    },
  });

  const a = c.autoscaling;
  const prometheus = 'http://prometheus-operated.monitoring.svc:9090';
  const scaling: KubeObject[] =
    a.mode === 'hpa'
      ? [
          new HorizontalPodAutoscaler({
            metadata: meta(NAME, 'inference'),
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
        ]
      : a.mode === 'keda'
        ? [
            new ScaledObject({
              metadata: meta(NAME, 'inference'),
              spec: {
                scaleTargetRef: { name: NAME },
                pollingInterval: 30,
                cooldownPeriod: 300,
                minReplicaCount: a.minReplicas,
                maxReplicaCount: a.maxReplicas,
                triggers: [
                  {
                    type: 'prometheus',
                    name: 'p95-latency',
                    metadata: { serverAddress: prometheus, threshold: '100', query: 'histogram_quantile(0.95, sum(rate(tensafe_inference_latency_seconds_bucket[5m])) by (le)) * 1000' },
                  },
                  { type: 'prometheus', name: 'queue-depth', metadata: { serverAddress: prometheus, threshold: '100', query: 'sum(tensafe_job_queue_depth)' } },
                  { type: 'prometheus', name: 'gpu-utilization', metadata: { serverAddress: prometheus, threshold: '30', query: 'avg(nvidia_gpu_utilization)' } },
                ],
              },
            }),
          ]
        : [];

  const storeRef = { name: STORE, kind: 'ClusterSecretStore' as const };
  const externalSecret = (name: string, data: [string, string][]) =>
    new ExternalSecret({
      metadata: meta(name, 'secrets'),
      spec: {
        refreshInterval: '1h',
        secretStoreRef: storeRef,
        target: { name, creationPolicy: 'Owner' },
        data: data.map(([secretKey, property]) => ({ secretKey, remoteRef: { key: 'tensafe', property } })),
      },
    });
  const store = new ClusterSecretStore({
    metadata: { name: STORE, labels },
    spec: {
      provider: {
        vault: {
          server: c.vault.address,
          path: 'secret',
          version: 'v2',
          auth: { kubernetes: { mountPath: 'kubernetes', role: c.vault.role, serviceAccountRef: { name: NAME, namespace: c.namespace } } },
        },
      },
    },
  });

  const monitor = new ServiceMonitor({
    metadata: { ...meta(NAME, 'inference'), labels: { ...labels, release: 'kube-prometheus-stack' } },
    spec: { selector: { matchLabels: selector }, endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }] },
  });

  const ns = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
  const pods = (name: string) => ({ podSelector: { matchLabels: { 'app.kubernetes.io/name': name } } });
  const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
  const dns = { to: [{ ...ns('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, ...tcp(53)] };
  const policy = (name: string, podSelector: object, ingress: unknown[], egress: unknown[]) =>
    new NetworkPolicy({ metadata: meta(name, 'network'), spec: { podSelector, policyTypes: ['Ingress', 'Egress'], ingress: ingress as never, egress: egress as never } });
  const postgresPods = [POSTGRES, ...(c.postgres.readReplicas > 0 ? [`${POSTGRES}-read`] : [])];
  const redisPods = [REDIS, ...(c.redis.replicas > 0 ? [`${REDIS}-replica`] : [])];
  const anyOf = (names: string[]) => ({ matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: names }] });
  const policies = [
    new NetworkPolicy({ metadata: meta('default-deny', 'network'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }),
    policy(
      NAME,
      { matchLabels: selector },
      [{ from: [ns('ingress-nginx'), { ...ns('monitoring'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: tcp(8000, 9090) }],
      [
        { to: [{ podSelector: anyOf(postgresPods) }], ports: tcp(5432) },
        { to: [{ podSelector: anyOf(redisPods) }], ports: tcp(6379) },
        { to: [ns('vault')], ports: tcp(8200) },
        { to: [ns('monitoring')], ports: [{ protocol: 'UDP', port: c.jaeger.port }] },
        dns,
      ],
    ),
    // Replication runs between the data pods themselves, so each set also talks to its own kind.
    policy(POSTGRES, anyOf(postgresPods), [{ from: [pods(NAME), { podSelector: anyOf(postgresPods) }], ports: tcp(5432) }], [{ to: [{ podSelector: anyOf(postgresPods) }], ports: tcp(5432) }, dns]),
    policy(REDIS, anyOf(redisPods), [{ from: [pods(NAME), { podSelector: anyOf(redisPods) }], ports: tcp(6379) }], [{ to: [{ podSelector: anyOf(redisPods) }], ports: tcp(6379) }, dns]),
  ];

  return [
    new ServiceAccount({ metadata: meta(NAME, 'inference'), automountServiceAccountToken: false }),
    deployment,
    service,
    ingress,
    ...scaling,
    monitor,
    store,
    externalSecret(APP_SECRET, [['TS_SECRET_KEY', 'secret_key'], ['TS_KEY_MASTER', 'key_master']]),
    externalSecret(DB_SECRET, [['username', 'db_username'], ['password', 'db_password'], ['replication-password', 'db_replication_password']]),
    externalSecret(REDIS_SECRET, [['password', 'redis_password']]),
    ...postgres(c, meta),
    ...redis(c, meta),
    ...policies,
  ];
}
