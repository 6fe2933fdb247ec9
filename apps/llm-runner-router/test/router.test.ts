import { beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig, type Environment, type Manifest } from '@strata/core';
import { buildApp, container, envOf, find, findGenerated, kubeconformManifests, podSpec } from '@strata/testing';
import { defaults } from '../src/config.ts';
import { render } from '../src/render.ts';

const APP = 'llm-runner-router';
const ENVS: Environment[] = ['dev', 'staging', 'prod'];

// The resource table of APPS.md, exactly.
const table = {
  dev: { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '500m', memory: '2Gi' }, replicas: 1 },
  staging: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1000m', memory: '4Gi' }, replicas: 2 },
  prod: { requests: { cpu: '1000m', memory: '4Gi' }, limits: { cpu: '4000m', memory: '16Gi' }, replicas: 5 },
} as const;
const logLevel = { dev: 'debug', staging: 'info', prod: 'warn' } as const;
const hpaRange = { dev: undefined, staging: [2, 4], prod: [5, 20] } as const;
const volumes = { dev: ['20Gi', '5Gi', '10Gi'], staging: ['50Gi', '10Gi', '20Gi'], prod: ['100Gi', '20Gi', '50Gi'] } as const;

const built = {} as Record<Environment, Manifest[]>;
beforeAll(async () => {
  for (const env of ENVS) built[env] = await buildApp(APP, env);
});

describe.each(ENVS)('llm-runner-router in %s (kustomize build output)', (env) => {
  const deployment = () => find(built[env], 'Deployment', APP) as any;
  const router = () => container(deployment(), 'router');

  it('holds the Namespace llm-systems, a ServiceAccount and a read-only Role bound to it', () => {
    expect(find(built[env], 'Namespace', 'llm-systems')).toBeDefined();
    expect(new Set(built[env].filter((m) => m.kind !== 'Namespace').map((m) => m.metadata.namespace))).toStrictEqual(new Set(['llm-systems']));
    expect(find(built[env], 'ServiceAccount', APP)).toBeDefined();
    const role = find(built[env], 'Role', `${APP}-reader`) as any;
    expect(role.rules).toStrictEqual([
      { apiGroups: [''], resources: ['configmaps', 'secrets', 'services', 'endpoints', 'pods', 'persistentvolumeclaims'], verbs: ['get', 'list', 'watch'] },
    ]);
    const binding = find(built[env], 'RoleBinding', `${APP}-reader`) as any;
    expect(binding.subjects).toStrictEqual([{ kind: 'ServiceAccount', name: APP, namespace: 'llm-systems' }]);
    expect(podSpec(deployment()).serviceAccountName).toBe(APP);
  });

  it('serves on 3006 as UID 1001 with liveness /api/health, readiness /api/ready, startup /api/health and surge 1 / unavailable 0', () => {
    expect(router().ports).toStrictEqual([{ name: 'http', containerPort: 3006, protocol: 'TCP' }]);
    expect(podSpec(deployment()).securityContext.runAsUser).toBe(1001);
    expect(router().livenessProbe.httpGet.path).toBe('/api/health');
    expect(router().readinessProbe.httpGet.path).toBe('/api/ready');
    expect(router().startupProbe.httpGet.path).toBe('/api/health');
    expect(deployment().spec.strategy.rollingUpdate).toStrictEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('has LoadBalancer, ClusterIP and headless Services', () => {
    expect((find(built[env], 'Service', APP) as any).spec.type).toBe('LoadBalancer');
    expect((find(built[env], 'Service', `${APP}-internal`) as any).spec.type).toBe('ClusterIP');
    expect((find(built[env], 'Service', `${APP}-headless`) as any).spec.clusterIP).toBe('None');
  });

  it('has an NGINX API ingress with TLS, rate limiting and CORS, and a WebSocket ingress with sticky sessions and long timeouts', () => {
    const api = find(built[env], 'Ingress', APP) as any;
    expect(api.spec.ingressClassName).toBe('nginx');
    expect(api.spec.tls[0].hosts).toStrictEqual([api.spec.rules[0].host]);
    expect(api.metadata.annotations['nginx.ingress.kubernetes.io/limit-rps']).toBe(env === 'prod' ? '200' : '50');
    expect(api.metadata.annotations['nginx.ingress.kubernetes.io/enable-cors']).toBe('true');
    const ws = find(built[env], 'Ingress', `${APP}-ws`) as any;
    expect(ws.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
  });

  it('has the canary ingress (10%) in staging only', () => {
    const canaries = built[env].filter((m) => m.kind === 'Ingress' && m.metadata.name === `${APP}-canary`) as any[];
    if (env !== 'staging') return expect(canaries).toStrictEqual([]);
    expect(canaries[0].metadata.annotations).toStrictEqual({ 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '10' });
  });

  it(`configures the router with LOG_LEVEL=${logLevel[env]} through a generated ConfigMap`, () => {
    const cm = findGenerated(built[env], `${APP}-config`);
    expect(Object.keys(cm.data as object).sort()).toStrictEqual(['CACHE_ENABLED', 'LOG_LEVEL', 'MAX_CONCURRENT_REQUESTS', 'MAX_MEMORY', 'ROUTING_STRATEGY', 'WS_MAX_CONNECTIONS']);
    expect((cm.data as Record<string, string>).LOG_LEVEL).toBe(logLevel[env]);
    expect(router().envFrom).toStrictEqual([{ configMapRef: { name: cm.metadata.name } }]);
  });

  it('takes llm-runner-secrets only by reference', () => {
    const vars = envOf(router());
    expect(vars.HUGGINGFACE_TOKEN).toStrictEqual({ secretKeyRef: { name: 'llm-runner-secrets', key: 'huggingface-token' } });
    expect(vars.API_KEY).toStrictEqual({ secretKeyRef: { name: 'llm-runner-secrets', key: 'api-key' } });
    expect(vars.JWT_SECRET).toStrictEqual({ secretKeyRef: { name: 'llm-runner-secrets', key: 'jwt-secret' } });
    expect(built[env].filter((m) => m.kind === 'Secret')).toStrictEqual([]);
  });

  it('claims model cache (RWX fast-ssd), logs and shared cache volumes at the env sizes', () => {
    const size = (n: string) => (find(built[env], 'PersistentVolumeClaim', `${APP}-${n}`) as any).spec;
    expect(size('model-cache')).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'fast-ssd' });
    expect(['model-cache', 'logs', 'shared-cache'].map((n) => size(n).resources.requests.storage)).toStrictEqual([...volumes[env]]);
  });

  it('autoscales on CPU 70 / memory 80 within the env range (none in dev), and never with KEDA at once', () => {
    const hpas = built[env].filter((m) => m.kind === 'HorizontalPodAutoscaler') as any[];
    expect(built[env].filter((m) => m.kind === 'ScaledObject')).toStrictEqual([]);
    const range = hpaRange[env];
    if (!range) return expect(hpas).toStrictEqual([]);
    expect([hpas[0].spec.minReplicas, hpas[0].spec.maxReplicas]).toStrictEqual([...range]);
    expect(hpas[0].spec.metrics.map((m: any) => m.resource.target.averageUtilization)).toStrictEqual([70, 80]);
  });

  it('allows ingress from NGINX and monitoring, egress to DNS and HTTPS, and denies the rest', () => {
    const np = find(built[env], 'NetworkPolicy', APP) as any;
    expect(np.spec.ingress[0].from.map((f: any) => f.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toStrictEqual(['ingress-nginx', 'monitoring']);
    expect(np.spec.egress.map((e: any) => e.ports.map((p: any) => p.port))).toStrictEqual([[53, 53], [443]]);
    expect((find(built[env], 'NetworkPolicy', 'default-deny') as any).spec.podSelector).toStrictEqual({});
  });

  it('matches the resource table: requests, limits and replicas', () => {
    expect(router().resources).toStrictEqual({ requests: table[env].requests, limits: table[env].limits });
    expect(deployment().spec.replicas).toBe(table[env].replicas);
  });

  it('is valid for Kubernetes 1.36 under strict offline schemas', async () => {
    const results = await kubeconformManifests(built[env]);
    expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
  });

  it('matches the snapshot of the whole build', () => {
    expect(built[env]).toMatchSnapshot();
  });
});

describe('the optional KEDA ScaledObject', () => {
  it('replaces the HPA when autoscaling.mode is keda, targeting the Deployment', () => {
    const objects = render(mergeConfig(defaults, { autoscaling: { mode: 'keda' } }));
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toStrictEqual([]);
    const so = objects.find((o) => o.kind === 'ScaledObject') as any;
    expect(so.spec.scaleTargetRef).toStrictEqual({ name: APP });
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toStrictEqual([2, 10]);
  });
});
