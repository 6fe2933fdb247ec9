import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig, toManifest, type Environment, type Manifest } from '@strata/core';
import { findRoot } from '@strata/project';
import {
  all,
  buildApp,
  buildYaml,
  container,
  envOf,
  expectAllValid,
  expectInventory,
  find,
  findGenerated,
  kubeconform,
  kubeconformManifests,
  podSpec,
} from '@strata/testing';
import { app } from '../src/app.ts';
import { render } from '../src/render.ts';

const APP = 'llm-runner-router';
const NS = 'llm-systems';
const REPO = 'ghcr.io/llm-runner/llm-runner-router';
const ENVS: Environment[] = ['dev', 'staging', 'prod'];

// What differs per environment, written out literally from APPS.md and the seed.
const EXPECTED = {
  dev: {
    image: `${REPO}:sha-7c41d9e`,
    logLevel: 'debug',
    hpa: { minReplicas: 1, maxReplicas: 2 },
    volumes: { 'llm-model-cache': '20Gi', 'llm-logs': '5Gi', 'llm-shared-cache': '10Gi' },
    apiHost: 'api.dev.llm.example.com',
    wsHost: 'ws.dev.llm.example.com',
    rateLimitRps: '50',
  },
  staging: {
    image: `${REPO}:1.2.2`,
    logLevel: 'info',
    hpa: { minReplicas: 2, maxReplicas: 10 },
    volumes: { 'llm-model-cache': '50Gi', 'llm-logs': '10Gi', 'llm-shared-cache': '20Gi' },
    apiHost: 'api.staging.llm.example.com',
    wsHost: 'ws.staging.llm.example.com',
    rateLimitRps: '50',
  },
  prod: {
    image: `${REPO}@sha256:3c1e5a7b9d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c`,
    logLevel: 'warn',
    hpa: { minReplicas: 5, maxReplicas: 20 },
    volumes: { 'llm-model-cache': '100Gi', 'llm-logs': '20Gi', 'llm-shared-cache': '50Gi' },
    apiHost: 'api.llm.example.com',
    wsHost: 'ws.llm.example.com',
    rateLimitRps: '200',
  },
} as const;

const STABLE = { 'app.kubernetes.io/name': APP, 'app.kubernetes.io/component': 'router', track: 'stable' };
const CANARY = { 'app.kubernetes.io/name': APP, 'app.kubernetes.io/component': 'router', track: 'canary' };

const built = {} as Record<Environment, Manifest[]>;
beforeAll(async () => {
  for (const env of ENVS) built[env] = await buildApp(APP, env);
});

const deployment = (env: Environment, name = APP) => find(built[env], 'Deployment', name);
const router = (env: Environment, name = APP) => container(deployment(env, name), APP);
const kinds = <K extends string>(env: Environment, kind: K) => all(built[env], kind);

// How many objects of each kind a build holds: a new or vanished object fails here. Staging adds
// the canary: its Deployment, its Service and its Ingress.
const ONE_TRACK: Record<string, number> = {
  ConfigMap: 1,
  Deployment: 1,
  HorizontalPodAutoscaler: 1,
  Ingress: 2,
  Namespace: 1,
  NetworkPolicy: 2,
  PersistentVolumeClaim: 3,
  PodDisruptionBudget: 1,
  Role: 1,
  RoleBinding: 1,
  Service: 3,
  ServiceAccount: 1,
  ServiceMonitor: 1,
};
const INVENTORY: Record<Environment, Record<string, number>> = {
  dev: ONE_TRACK,
  staging: { ...ONE_TRACK, Deployment: 2, Ingress: 3, Service: 4 },
  prod: ONE_TRACK,
};

describe.each(ENVS)('llm-runner-router in %s (kustomize build output)', (env) => {
  const e = EXPECTED[env];

  it('lives in namespace llm-systems with the Namespace object, a ServiceAccount and a read-only Role bound to it', () => {
    expect(find(built[env], 'Namespace', NS)).toBeDefined();
    expect(new Set(built[env].filter((m) => m.kind !== 'Namespace').map((m) => m.metadata.namespace))).toStrictEqual(new Set([NS]));
    expect(find(built[env], 'ServiceAccount', APP)).toBeDefined();
    expect(find(built[env], 'Role', `${APP}-reader`).rules).toStrictEqual([
      {
        apiGroups: [''],
        resources: ['configmaps', 'secrets', 'services', 'endpoints', 'pods', 'persistentvolumeclaims'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    const binding = find(built[env], 'RoleBinding', `${APP}-reader`);
    expect(binding.roleRef).toStrictEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${APP}-reader` });
    expect(binding.subjects).toStrictEqual([{ kind: 'ServiceAccount', name: APP, namespace: NS }]);
    expect(kinds(env, 'ClusterRole')).toStrictEqual([]);
    for (const d of kinds(env, 'Deployment')) {
      expect(podSpec(d).serviceAccountName).toBe(APP);
      expect(podSpec(d).automountServiceAccountToken).toBe(true);
    }
  });

  it('serves on port 3006 as UID 1001 with liveness /api/health, readiness /api/ready, startup /api/health and maxSurge 1 / maxUnavailable 0', () => {
    const c = router(env);
    expect(c.ports).toStrictEqual([{ name: 'http', containerPort: 3006, protocol: 'TCP' }]);
    expect(podSpec(deployment(env)).securityContext.runAsUser).toBe(1001);
    expect(c.securityContext.runAsUser).toBe(1001);
    expect(c.livenessProbe.httpGet).toStrictEqual({ path: '/api/health', port: 'http' });
    expect(c.readinessProbe.httpGet).toStrictEqual({ path: '/api/ready', port: 'http' });
    expect(c.startupProbe.httpGet).toStrictEqual({ path: '/api/health', port: 'http' });
    expect(deployment(env).spec.strategy).toStrictEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(c.image).toBe(e.image);
  });

  it('exposes a LoadBalancer (external), a ClusterIP (internal) and a headless Service, all on 3006 and the stable track', () => {
    const lb = find(built[env], 'Service', APP);
    expect(lb.spec.type).toBe('LoadBalancer');
    expect(lb.spec.externalTrafficPolicy).toBe('Local');
    expect(lb.spec.loadBalancerSourceRanges).toStrictEqual(['198.51.100.0/24']);
    expect(find(built[env], 'Service', `${APP}-internal`).spec.type).toBe('ClusterIP');
    const headless = find(built[env], 'Service', `${APP}-headless`);
    expect(headless.spec.clusterIP).toBe('None');
    for (const name of [APP, `${APP}-internal`, `${APP}-headless`]) {
      const svc = find(built[env], 'Service', name);
      expect(svc.spec.selector).toStrictEqual(STABLE);
      expect(svc.spec.ports).toStrictEqual([{ name: 'http', port: 3006, protocol: 'TCP', targetPort: 'http' }]);
    }
  });

  it('has an NGINX API ingress with TLS, rate limiting and CORS annotations', () => {
    const api = find(built[env], 'Ingress', APP);
    expect(api.spec.ingressClassName).toBe('nginx');
    expect(api.spec.rules.map((r) => r.host)).toStrictEqual([e.apiHost]);
    expect(api.spec.tls).toStrictEqual([{ hosts: [e.apiHost], secretName: `llm-runner-router-${env}-tls` }]);
    expect(api.spec.rules[0]?.http.paths[0]?.backend.service).toStrictEqual({ name: `${APP}-internal`, port: { name: 'http' } });
    expect(api.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/limit-rps': e.rateLimitRps,
      'nginx.ingress.kubernetes.io/enable-cors': 'true',
      'nginx.ingress.kubernetes.io/cors-allow-origin': env === 'prod' ? 'https://app.llm.example.com' : `https://app.${env}.llm.example.com`,
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
    });
  });

  it('has an NGINX WebSocket ingress with sticky cookie sessions, HTTP/1.1 upgrade proxying and one-hour timeouts', () => {
    const ws = find(built[env], 'Ingress', `${APP}-ws`);
    expect(ws.spec.ingressClassName).toBe('nginx');
    expect(ws.spec.tls).toStrictEqual([{ hosts: [e.wsHost], secretName: `llm-runner-router-${env}-tls-ws` }]);
    expect(ws.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/session-cookie-name': 'llm-router-ws',
      'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    // Hash-based balancing would override the cookie affinity.
    expect(ws.metadata.annotations['nginx.ingress.kubernetes.io/upstream-hash-by']).toBeUndefined();
  });

  it('has the optional canary ingress (canary "true", weight 10) with its own track in staging only', () => {
    const canaryObjects = built[env]
      .filter((m) => m.metadata.name === `${APP}-canary`)
      .map((m) => m.kind)
      .sort();
    if (env !== 'staging') return expect(canaryObjects).toStrictEqual([]);
    expect(canaryObjects).toStrictEqual(['Deployment', 'Ingress', 'Service']);
    const ingress = find(built[env], 'Ingress', `${APP}-canary`);
    expect(ingress.metadata.annotations).toStrictEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '10',
    });
    expect(ingress.spec.rules).toStrictEqual([
      {
        host: 'api.staging.llm.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `${APP}-canary`, port: { name: 'http' } } } }] },
      },
    ]);
    expect(find(built[env], 'Service', `${APP}-canary`).spec.selector).toStrictEqual(CANARY);
    const canary = deployment(env, `${APP}-canary`);
    expect(canary.spec.selector.matchLabels).toStrictEqual(CANARY);
    expect(canary.spec.replicas).toBe(1);
    expect(router(env, `${APP}-canary`).image).toBe(`${REPO}:1.3.0-rc.1`);
  });

  it(`configures ROUTING_STRATEGY, MAX_MEMORY, CACHE_ENABLED, LOG_LEVEL=${EXPECTED[env].logLevel}, MAX_CONCURRENT_REQUESTS and WS_MAX_CONNECTIONS through a ConfigMap`, () => {
    const cm = findGenerated(built[env], 'llm-runner-config');
    const data = {
      dev: { MAX_MEMORY: '2048', MAX_CONCURRENT_REQUESTS: '20', WS_MAX_CONNECTIONS: '100' },
      staging: { MAX_MEMORY: '4096', MAX_CONCURRENT_REQUESTS: '100', WS_MAX_CONNECTIONS: '1000' },
      prod: { MAX_MEMORY: '16384', MAX_CONCURRENT_REQUESTS: '500', WS_MAX_CONNECTIONS: '5000' },
    }[env];
    expect(cm.data).toStrictEqual({ ROUTING_STRATEGY: 'balanced', CACHE_ENABLED: 'true', LOG_LEVEL: e.logLevel, ...data });
    for (const d of kinds(env, 'Deployment')) expect(container(d, APP).envFrom).toStrictEqual([{ configMapRef: { name: cm.metadata.name } }]);
  });

  it('takes huggingface-token, api-key and jwt-secret from Secret llm-runner-secrets only by reference', () => {
    for (const d of kinds(env, 'Deployment')) {
      const vars = envOf(container(d, APP));
      expect(vars.HUGGINGFACE_TOKEN).toStrictEqual({ secretKeyRef: { name: 'llm-runner-secrets', key: 'huggingface-token' } });
      expect(vars.API_KEY).toStrictEqual({ secretKeyRef: { name: 'llm-runner-secrets', key: 'api-key' } });
      expect(vars.JWT_SECRET).toStrictEqual({ secretKeyRef: { name: 'llm-runner-secrets', key: 'jwt-secret' } });
    }
    expect(kinds(env, 'Secret')).toStrictEqual([]);
  });

  it('claims the model cache (RWX, fast-ssd), logs and shared cache at the env sizes and mounts them', () => {
    const spec = (name: string) => find(built[env], 'PersistentVolumeClaim', name).spec;
    expect(spec('llm-model-cache')).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'fast-ssd' });
    expect(spec('llm-logs')).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'standard-ssd' });
    expect(spec('llm-shared-cache')).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'fast-ssd' });
    const sizes = Object.fromEntries(kinds(env, 'PersistentVolumeClaim').map((p) => [p.metadata.name, p.spec.resources.requests.storage]));
    expect(sizes).toStrictEqual(e.volumes);
    const claims = podSpec(deployment(env))
      .volumes.filter((v) => v.persistentVolumeClaim)
      .map((v) => v.persistentVolumeClaim.claimName);
    expect(claims).toStrictEqual(['llm-model-cache', 'llm-logs', 'llm-shared-cache']);
  });

  it(`autoscales with an HPA on CPU 70% and memory 80% from ${EXPECTED[env].hpa.minReplicas} to ${EXPECTED[env].hpa.maxReplicas}, and no KEDA ScaledObject beside it`, () => {
    const hpa = find(built[env], 'HorizontalPodAutoscaler', `${APP}-hpa`);
    expect(hpa.spec.scaleTargetRef).toStrictEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: APP });
    expect({ minReplicas: hpa.spec.minReplicas, maxReplicas: hpa.spec.maxReplicas }).toStrictEqual(e.hpa);
    expect(hpa.spec.metrics).toStrictEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    expect(kinds(env, 'ScaledObject')).toStrictEqual([]);
  });

  it('allows ingress only from the NGINX controllers, monitoring and the LoadBalancer ranges, egress only to DNS and HTTPS, and denies the rest by default', () => {
    const deny = find(built[env], 'NetworkPolicy', 'default-deny');
    expect(deny.spec).toStrictEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const np = find(built[env], 'NetworkPolicy', `${APP}-netpol`);
    expect(np.spec.policyTypes).toStrictEqual(['Ingress', 'Egress']);
    const http = [{ port: 'http', protocol: 'TCP' }];
    expect(np.spec.ingress).toStrictEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } },
          },
        ],
        ports: http,
      },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: http,
      },
      { from: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: http },
    ]);
    expect(np.spec.egress).toStrictEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
      { ports: [{ port: 443, protocol: 'TCP' }] },
    ]);
    // The allow policy must select every workload, the canary included.
    for (const d of kinds(env, 'Deployment')) expect(d.spec.template.metadata.labels).toMatchObject(np.spec.podSelector.matchLabels);
  });

  it('runs every container non-root with a read-only root, no privilege escalation, no capabilities and RuntimeDefault seccomp', () => {
    for (const d of kinds(env, 'Deployment')) {
      const pod = podSpec(d);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1001,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
      // Selectors hold only labels that never change for a Deployment.
      expect(Object.keys(d.spec.selector.matchLabels).sort()).toStrictEqual(['app.kubernetes.io/component', 'app.kubernetes.io/name', 'track']);
      expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    }
  });

  it('has Prometheus scrape each pod once: stable pods through the internal Service, canary pods through theirs', () => {
    const sm = find(built[env], 'ServiceMonitor', APP);
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
    const scraped = kinds(env, 'Service')
      .filter((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v))
      .map((s) => s.metadata.name)
      .sort();
    expect(scraped).toStrictEqual(env === 'staging' ? [`${APP}-canary`, `${APP}-internal`] : [`${APP}-internal`]);
  });

  it('is valid for Kubernetes 1.36 under strict offline schemas', async () => {
    // The YAML exactly as kustomize prints it, not a re-serialisation of the parsed objects.
    const results = await kubeconform(await buildYaml(`overlays/${env}/${APP}`));
    expectAllValid(results, built[env]);
  });

  it('holds exactly the objects of its kinds, each labelled as part of llm-runner-router and managed by strata', () => {
    expectInventory(built[env], APP, INVENTORY[env]);
  });
});

// The resource table of the seed, one environment at a time.
describe('the resource table (requests / limits, replicas)', () => {
  it('dev: 100m / 500m CPU, 512Mi / 2Gi memory, 1 replica', () => {
    expect(router('dev').resources).toStrictEqual({ requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '500m', memory: '2Gi' } });
    expect(deployment('dev').spec.replicas).toBe(1);
  });

  it('staging: 250m / 1000m CPU, 1Gi / 4Gi memory, 2 replicas', () => {
    expect(router('staging').resources).toStrictEqual({ requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1000m', memory: '4Gi' } });
    expect(deployment('staging').spec.replicas).toBe(2);
    // The canary track gets the same per-pod budget.
    expect(router('staging', `${APP}-canary`).resources).toStrictEqual({
      requests: { cpu: '250m', memory: '1Gi' },
      limits: { cpu: '1000m', memory: '4Gi' },
    });
  });

  it('prod: 1000m / 4000m CPU, 4Gi / 16Gi memory, 5 replicas', () => {
    expect(router('prod').resources).toStrictEqual({ requests: { cpu: '1000m', memory: '4Gi' }, limits: { cpu: '4000m', memory: '16Gi' } });
    expect(deployment('prod').spec.replicas).toBe(5);
  });
});

describe('the base and the overlays', () => {
  it('base holds the Namespace, the ServiceAccount, the Role and the RoleBinding', async () => {
    const docs = parseAllDocuments(await buildYaml(`base/${APP}`)).map((d) => d.toJS() as Manifest);
    const names = docs.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining([`Namespace/${NS}`, `ServiceAccount/${APP}`, `Role/${APP}-reader`, `RoleBinding/${APP}-reader`]));
  });

  it.each(ENVS)('the %s overlay keeps namespace llm-systems (no namespace transformer)', (env) => {
    const kustomization = readFileSync(join(findRoot(), 'overlays', env, APP, 'kustomization.yaml'), 'utf8');
    expect(kustomization).not.toMatch(/^namespace:/m);
  });
});

describe('the optional KEDA ScaledObject', () => {
  const manifests = (mode: 'hpa' | 'keda' | 'off') =>
    render(mergeConfig(app.configFor('prod'), { autoscaling: { mode } })).map((o) => toManifest(o, `${APP} prod (${mode})`));

  it('is off by default and in every environment', () => {
    expect(app.defaults.autoscaling.mode).toBe('hpa');
    for (const env of ENVS) expect(app.configFor(env).autoscaling.mode).toBe('hpa');
  });

  it('replaces the HPA when switched on: KEDA targets the Deployment and no HPA of ours remains', async () => {
    const objects = manifests('keda');
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toStrictEqual([]);
    const so = find(objects, 'ScaledObject', APP);
    expect(so.spec.scaleTargetRef).toStrictEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: APP });
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toStrictEqual([5, 20]);
    expect(so.spec.triggers.map((t) => [t.type, t.metadata.value ?? t.metadata.threshold])).toStrictEqual([
      ['cpu', '70'],
      ['memory', '80'],
      ['prometheus', '100'],
    ]);
    expectAllValid(await kubeconformManifests(objects), objects);
  });

  it('leaves neither autoscaler when autoscaling is off', () => {
    expect(manifests('off').filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject')).toStrictEqual([]);
  });
});

describe('configuration mistakes', () => {
  it('refuses an empty LoadBalancer source range list, saying how to fix it', () => {
    expect(() => render(mergeConfig(app.defaults, { loadBalancer: { sourceRanges: [] } }))).toThrow(
      /List the client CIDRs that may bypass the ingress/,
    );
  });
});
