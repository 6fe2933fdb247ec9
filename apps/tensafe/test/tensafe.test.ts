import { beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Manifest } from '@strata/core';
import { buildApp, container, envOf, find, kubeconformManifests, podSpec } from '@strata/testing';

const APP = 'tensafe';
const ENVS: Environment[] = ['dev', 'staging', 'prod'];

const expected = {
  dev: { ns: 'tensafe-dev', replicas: 1, requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' }, gpus: undefined, scaling: 'off', pgStorage: '10Gi' },
  staging: { ns: 'tensafe-staging', replicas: 2, requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '4', memory: '16Gi' }, gpus: '1', scaling: 'hpa', pgStorage: '100Gi' },
  prod: { ns: 'tensafe-prod', replicas: 3, requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '8', memory: '32Gi' }, gpus: '2', scaling: 'keda', pgStorage: '500Gi' },
} as const;

const built = {} as Record<Environment, Manifest[]>;
beforeAll(async () => {
  for (const env of ENVS) built[env] = await buildApp(APP, env);
});

describe.each(ENVS)('tensafe in %s (kustomize build output)', (env) => {
  const want = expected[env];
  const deployment = () => find(built[env], 'Deployment', APP) as any;
  const main = () => container(deployment(), APP);

  it(`runs in namespace ${want.ns} and serves 8000 with metrics on 9090`, () => {
    const namespaced = built[env].filter((m) => m.kind !== 'ClusterSecretStore');
    expect(new Set(namespaced.map((m) => m.metadata.namespace))).toStrictEqual(new Set([want.ns]));
    const svc = find(built[env], 'Service', APP) as any;
    expect(svc.spec.ports.map((p: any) => [p.name, p.port])).toStrictEqual([['http', 8000], ['metrics', 9090]]);
  });

  it('keeps the ClusterSecretStore cluster-scoped (no namespace) while everything else moves', () => {
    const store = find(built[env], 'ClusterSecretStore', 'vault-backend') as any;
    expect(store.metadata.namespace).toBeUndefined();
    expect(store.spec.provider.vault.auth.kubernetes.serviceAccountRef).toStrictEqual({ name: APP, namespace: want.ns });
  });

  it('requests GPUs, selects GPU nodes and tolerates the GPU taint only where the env has GPUs', () => {
    const pod = podSpec(deployment());
    expect(main().resources.limits['nvidia.com/gpu']).toBe(want.gpus);
    expect(main().resources.requests['nvidia.com/gpu']).toBe(want.gpus);
    if (want.gpus) {
      expect(pod.nodeSelector).toStrictEqual({ 'nvidia.com/gpu.present': 'true' });
      expect(pod.tolerations).toStrictEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    } else {
      expect(pod.nodeSelector).toBeUndefined();
      expect(pod.tolerations).toBeUndefined();
    }
  });

  it(`runs ${want.replicas} replicas with the env's CPU and memory`, () => {
    expect(deployment().spec.replicas).toBe(want.replicas);
    expect(main().resources.requests).toMatchObject(want.requests);
    expect(main().resources.limits).toMatchObject(want.limits);
  });

  it(`scales with ${want.scaling}: an HPA (CPU 70, memory 80) or a KEDA ScaledObject, never both`, () => {
    const hpas = built[env].filter((m) => m.kind === 'HorizontalPodAutoscaler') as any[];
    const scaled = built[env].filter((m) => m.kind === 'ScaledObject') as any[];
    expect(hpas.length + scaled.length).toBe(want.scaling === 'off' ? 0 : 1);
    if (want.scaling === 'hpa') {
      expect([hpas[0].spec.minReplicas, hpas[0].spec.maxReplicas]).toStrictEqual([2, 20]);
      expect(hpas[0].spec.scaleTargetRef.name).toBe(deployment().metadata.name);
      expect(hpas[0].spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toStrictEqual([['cpu', 70], ['memory', 80]]);
    }
    if (want.scaling === 'keda') {
      const so = scaled[0].spec;
      expect(so.scaleTargetRef.name).toBe(deployment().metadata.name);
      expect([so.minReplicaCount, so.maxReplicaCount, so.pollingInterval, so.cooldownPeriod]).toStrictEqual([3, 50, 30, 300]);
      expect(so.triggers.map((t: any) => t.name)).toStrictEqual(['p95-latency', 'queue-depth', 'gpu-utilization']);
      expect(so.triggers.every((t: any) => t.type === 'prometheus')).toBe(true);
    }
  });

  it('runs PostgreSQL and Redis as typed StatefulSets with Services and claims (prod: replicas)', () => {
    const pg = find(built[env], 'StatefulSet', 'tensafe-postgresql') as any;
    expect(pg.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(want.pgStorage);
    expect(find(built[env], 'Service', 'tensafe-postgresql')).toBeDefined();
    expect(find(built[env], 'StatefulSet', 'tensafe-redis')).toBeDefined();
    const reads = built[env].filter((m) => m.kind === 'StatefulSet' && m.metadata.name === 'tensafe-postgresql-read') as any[];
    const redisReplicas = built[env].filter((m) => m.kind === 'StatefulSet' && m.metadata.name === 'tensafe-redis-replica') as any[];
    if (env === 'prod') {
      expect(reads[0].spec.replicas).toBe(2);
      expect(redisReplicas[0].spec.replicas).toBe(3);
      expect(container(reads[0], 'basebackup').command.join(' ')).toContain('pg_basebackup -h tensafe-postgresql-0.tensafe-postgresql-hl');
      expect(container(redisReplicas[0], 'redis').command.join(' ')).toContain('--replicaof tensafe-redis-0.tensafe-redis-hl 6379');
    } else {
      expect(reads).toStrictEqual([]);
      expect(redisReplicas).toStrictEqual([]);
    }
  });

  it('takes every credential from ExternalSecrets against the Vault ClusterSecretStore, never from values in git', () => {
    const targets = built[env].filter((m) => m.kind === 'ExternalSecret').map((m: any) => [m.metadata.name, m.spec.secretStoreRef]);
    expect(targets).toStrictEqual([
      ['tensafe-db-secret', { name: 'vault-backend', kind: 'ClusterSecretStore' }],
      ['tensafe-redis-secret', { name: 'vault-backend', kind: 'ClusterSecretStore' }],
      ['tensafe-secrets', { name: 'vault-backend', kind: 'ClusterSecretStore' }],
    ]);
    expect(envOf(main()).TS_SECRET_KEY).toStrictEqual({ secretKeyRef: { name: 'tensafe-secrets', key: 'TS_SECRET_KEY' } });
    expect(built[env].filter((m) => m.kind === 'Secret')).toStrictEqual([]);
    const annotations = deployment().spec.template.metadata.annotations ?? {};
    expect(annotations['vault.hashicorp.com/agent-inject']).toBe(env === 'prod' ? 'true' : undefined);
  });

  it('routes through NGINX with the body-size and timeout annotations and cert-manager TLS', () => {
    const ing = find(built[env], 'Ingress', APP) as any;
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-body-size': '100m',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    expect(ing.metadata.annotations['cert-manager.io/cluster-issuer']).toMatch(/^letsencrypt-/);
    expect(ing.spec.tls[0].hosts).toStrictEqual([ing.spec.rules[0].host]);
  });

  it('allows ingress from ingress-nginx and prometheus, egress to postgres, redis, vault and DNS only', () => {
    const np = find(built[env], 'NetworkPolicy', APP) as any;
    expect(np.spec.ingress[0].from[0].namespaceSelector.matchLabels).toStrictEqual({ 'kubernetes.io/metadata.name': 'ingress-nginx' });
    expect(np.spec.ingress[0].from[1].podSelector.matchLabels).toStrictEqual({ 'app.kubernetes.io/name': 'prometheus' });
    expect(np.spec.egress.map((e: any) => e.ports.map((p: any) => p.port))).toStrictEqual([[5432], [6379], [8200], [6831], [53, 53]]);
    expect((find(built[env], 'NetworkPolicy', 'default-deny') as any).spec).toStrictEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('is scraped every 30s with a 10s timeout and traced through the Jaeger agent', () => {
    const sm = find(built[env], 'ServiceMonitor', APP) as any;
    expect(sm.spec.endpoints).toStrictEqual([{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(envOf(main()).JAEGER_AGENT_HOST).toBe('jaeger-agent.monitoring');
    expect(envOf(main()).JAEGER_AGENT_PORT).toBe('6831');
  });

  it('runs non-root as 1000 with fsGroup, RuntimeDefault seccomp, no capabilities and a read-only root', () => {
    expect(podSpec(deployment()).securityContext).toStrictEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(main().securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('is valid for Kubernetes 1.36 under strict offline schemas', async () => {
    const results = await kubeconformManifests(built[env]);
    expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
  });

  it('matches the snapshot of the whole build', () => {
    expect(built[env]).toMatchSnapshot();
  });
});
