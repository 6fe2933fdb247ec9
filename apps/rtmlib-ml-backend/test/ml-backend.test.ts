import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Manifest } from '@strata/core';
import { findRoot } from '@strata/project';
import { parseBuild } from '@strata/kustomize';
import { buildApp, buildYaml, container, envOf, expectAllValid, expectInventory, find, findGenerated, kubeconform, podSpec } from '@strata/testing';

const APP = 'rtmlib-ml-backend';
const ENVS: Environment[] = ['dev', 'staging', 'prod'];
const REPO = 'ghcr.io/fhswf/dgs-pg-gruppe-1/rtmlib-ml-backend';
const HOSTS = ['rtmlib.gawron.cloud', 'rtmlib.fh-swf.cloud'];
const SELECTOR = { 'app.kubernetes.io/name': APP, 'app.kubernetes.io/component': 'ml-backend' };

// What APPS.md and the seed ask of each env, as literals.
const expected = {
  dev: {
    image: `${REPO}:1.9.0-beta.1`,
    replicas: 1,
    requests: { cpu: '250m', memory: '512Mi' },
    limits: { cpu: '500m', memory: '1Gi' },
    settings: { DEVICE: 'cpu', BACKEND_TYPE: 'onnxruntime', MODE: 'lightweight', LOG_LEVEL: 'DEBUG', DEBUG: 'true', CONFIDENCE_THRESHOLD: '0.3' },
    hpa: [1, 2],
    gpu: false,
  },
  staging: {
    image: `${REPO}:1.8.0`,
    replicas: 1,
    requests: { cpu: '500m', memory: '1Gi' },
    limits: { cpu: '1', memory: '2Gi' },
    settings: { DEVICE: 'cpu', BACKEND_TYPE: 'onnxruntime', MODE: 'balanced', LOG_LEVEL: 'DEBUG', DEBUG: 'true', CONFIDENCE_THRESHOLD: '0.3' },
    hpa: [1, 10],
    gpu: false,
  },
  prod: {
    image: `${REPO}@sha256:9b2f6c1d4e8a0b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c`,
    replicas: 3,
    requests: { cpu: '1', memory: '2Gi' },
    limits: { cpu: '2', memory: '4Gi' },
    // The gpu component turns the seed's production literals into its GPU variant.
    settings: { DEVICE: 'cuda', BACKEND_TYPE: 'onnxruntime', MODE: 'performance', LOG_LEVEL: 'INFO', DEBUG: 'false', CONFIDENCE_THRESHOLD: '0.5' },
    hpa: [2, 10],
    gpu: true,
  },
} as const;

const built = {} as Record<Environment, Manifest[]>;
const yaml = {} as Record<Environment, string>;
beforeAll(async () => {
  for (const env of ENVS) {
    built[env] = await buildApp(APP, env);
    yaml[env] = await buildYaml(`overlays/${env}/${APP}`);
  }
});

const overlayKustomization = (env: Environment) =>
  parse(readFileSync(join(findRoot(), 'overlays', env, APP, 'kustomization.yaml'), 'utf8')) as Record<string, unknown>;

// How many objects of each kind a build holds, the same in every env: a new or vanished object fails here.
const INVENTORY: Record<string, number> = {
  ConfigMap: 1,
  Deployment: 1,
  HorizontalPodAutoscaler: 1,
  Ingress: 1,
  NetworkPolicy: 2,
  PodDisruptionBudget: 1,
  Service: 1,
  ServiceMonitor: 1,
};

describe.each(ENVS)('rtmlib-ml-backend in %s (kustomize build output)', (env) => {
  const want = expected[env];
  const deployment = () => find(built[env], 'Deployment', APP);
  const backend = () => container(deployment(), 'ml-backend');

  it('runs Deployment rtmlib-ml-backend (container ml-backend, rolling updates) and Service rtmlib-ml-backend-service (ClusterIP 9090) in namespace rtmlib', () => {
    expect(new Set(built[env].map((m) => m.metadata.namespace))).toStrictEqual(new Set(['rtmlib']));
    expect(deployment().spec.strategy).toStrictEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(podSpec(deployment()).containers.map((c: { name: string }) => c.name)).toStrictEqual(['ml-backend']);
    expect(backend().ports).toStrictEqual([{ name: 'http', containerPort: 9090, protocol: 'TCP' }]);
    expect(backend().image).toBe(want.image);
    const svc = find(built[env], 'Service', 'rtmlib-ml-backend-service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toStrictEqual([{ name: 'http', port: 9090, targetPort: 'http', protocol: 'TCP' }]);
    expect(svc.spec.selector).toStrictEqual(SELECTOR);
    expect(deployment().spec.selector.matchLabels).toStrictEqual(SELECTOR);
  });

  it('routes rtmlib.gawron.cloud and rtmlib.fh-swf.cloud over TLS through Traefik with the websecure, letsencrypt and default-cors annotations', () => {
    const ing = find(built[env], 'Ingress', APP);
    expect(ing.apiVersion).toBe('networking.k8s.io/v1');
    expect(ing.metadata.annotations).toStrictEqual({
      'traefik.frontend.passHostHeader': 'true',
      'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
      'traefik.ingress.kubernetes.io/router.tls.certresolver': 'letsencrypt',
      'traefik.ingress.kubernetes.io/router.middlewares': 'default-cors@kubernetescrd',
    });
    expect(ing.spec.ingressClassName).toBe('traefik');
    expect(ing.spec.rules.map((r: { host: string }) => r.host)).toStrictEqual(HOSTS);
    for (const rule of ing.spec.rules) {
      expect(rule.http.paths).toStrictEqual([
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'rtmlib-ml-backend-service', port: { name: 'http' } } } },
      ]);
    }
    expect(ing.spec.tls).toStrictEqual([{ hosts: HOSTS }]);
  });

  it(`generates rtmlib-ml-backend-config from the seed's literals (LOG_LEVEL=${want.settings.LOG_LEVEL}, MODE=${want.settings.MODE})`, () => {
    expect(findGenerated(built[env], 'rtmlib-ml-backend-config').data).toStrictEqual(want.settings);
    expect(built[env].filter((m) => m.kind === 'ConfigMap')).toHaveLength(1);
  });

  it('references the generated ConfigMap from the Deployment by its hashed name, which exists in the same build', () => {
    const names = built[env].filter((m) => m.kind === 'ConfigMap').map((m) => m.metadata.name);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^rtmlib-ml-backend-config-[a-z0-9]{10}$/);
    expect(backend().envFrom).toStrictEqual([{ configMapRef: { name: names[0] } }]);
    // The name is a content hash: each env's settings give a different one.
    const others = ENVS.filter((e) => e !== env).map((e) => findGenerated(built[e], 'rtmlib-ml-backend-config').metadata.name);
    expect(others).not.toContain(names[0]);
  });

  it(
    want.gpu
      ? 'includes the gpu component: DEVICE=cuda, MODE=performance, one GPU on a GPU node'
      : 'leaves the gpu component out: CPU only, any node',
    () => {
      const components = overlayKustomization(env).components;
      const pod = podSpec(deployment());
      if (want.gpu) {
        expect(components).toStrictEqual([`../../../base/${APP}/components/gpu`]);
        expect(findGenerated(built[env], 'rtmlib-ml-backend-config').data).toMatchObject({ DEVICE: 'cuda', MODE: 'performance' });
        expect(backend().resources.limits['nvidia.com/gpu']).toBe('1');
        expect(backend().resources.requests['nvidia.com/gpu']).toBe('1');
        expect(pod.nodeSelector).toStrictEqual({ 'nvidia.com/gpu.present': 'true' });
        expect(pod.tolerations).toStrictEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
      } else {
        expect(components).toBeUndefined();
        expect(findGenerated(built[env], 'rtmlib-ml-backend-config').data).toMatchObject({ DEVICE: 'cpu' });
        expect(Object.keys(backend().resources.limits).sort()).toStrictEqual(['cpu', 'memory']);
        expect(pod.nodeSelector).toBeUndefined();
        expect(pod.tolerations).toBeUndefined();
      }
    },
  );

  it('references LABEL_STUDIO_API_TOKEN and LABEL_STUDIO_URL from a Secret that is not committed', () => {
    const vars = envOf(backend());
    expect(vars.LABEL_STUDIO_API_TOKEN).toStrictEqual({ secretKeyRef: { name: 'label-studio-config', key: 'api-token' } });
    expect(vars.LABEL_STUDIO_URL).toStrictEqual({ secretKeyRef: { name: 'label-studio-config', key: 'url' } });
    expect(built[env].filter((m) => m.kind === 'Secret')).toStrictEqual([]);
    expect(yaml[env]).not.toMatch(/kind: Secret\b/);
  });

  it(`runs ${want.replicas} replica(s) with requests ${want.requests.memory}/${want.requests.cpu} CPU and limits ${want.limits.memory}/${want.limits.cpu} CPU`, () => {
    expect(deployment().spec.replicas).toBe(want.replicas);
    const { ['nvidia.com/gpu']: _r, ...requests } = backend().resources.requests;
    const { ['nvidia.com/gpu']: _l, ...limits } = backend().resources.limits;
    expect(requests).toStrictEqual(want.requests);
    expect(limits).toStrictEqual(want.limits);
  });

  it(`autoscales between ${want.hpa[0]} and ${want.hpa[1]} on CPU 70% and memory 80%, scaling down after 300 s of calm`, () => {
    const hpa = find(built[env], 'HorizontalPodAutoscaler', APP);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toStrictEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: APP });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toStrictEqual(want.hpa);
    expect(hpa.spec.metrics).toStrictEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
  });

  it('caches models on a 10Gi emptyDir, is scraped by a ServiceMonitor, runs as UID 1000 and probes /health', () => {
    const pod = podSpec(deployment());
    expect(pod.volumes).toContainEqual({ name: 'model-cache', emptyDir: { sizeLimit: '10Gi' } });
    expect(backend().volumeMounts).toContainEqual({ name: 'model-cache', mountPath: '/home/app/.cache' });
    const sm = find(built[env], 'ServiceMonitor', APP);
    expect(sm.spec.endpoints).toStrictEqual([{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(sm.spec.selector.matchLabels).toStrictEqual(SELECTOR);
    expect(sm.spec.namespaceSelector).toStrictEqual({ matchNames: ['rtmlib'] });
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(backend().securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(backend().readinessProbe.httpGet).toStrictEqual({ path: '/health', port: 'http' });
    expect(backend().livenessProbe.httpGet).toStrictEqual({ path: '/health', port: 'http' });
  });

  it('meets the workload security baseline: read-only root, no escalation, no capabilities, RuntimeDefault seccomp, no token', () => {
    const pod = podSpec(deployment());
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext.seccompProfile).toStrictEqual({ type: 'RuntimeDefault' });
    expect(backend().securityContext).toStrictEqual({
      runAsUser: 1000,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // Every mount is an emptyDir: the root filesystem stays read-only.
    const emptyDirs = pod.volumes.filter((v: { emptyDir?: unknown }) => v.emptyDir).map((v: { name: string }) => v.name);
    expect(
      backend()
        .volumeMounts.map((m: { name: string }) => m.name)
        .sort(),
    ).toStrictEqual([...emptyDirs].sort());
    expect(
      backend()
        .volumeMounts.map((m: { mountPath: string }) => m.mountPath)
        .sort(),
    ).toStrictEqual(['/app/models', '/home/app/.cache', '/tmp']);
  });

  it('denies all traffic by default and admits only Traefik and Prometheus in, DNS and HTTPS out', () => {
    const deny = find(built[env], 'NetworkPolicy', 'default-deny');
    expect(deny.spec).toStrictEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const allow = find(built[env], 'NetworkPolicy', APP);
    expect(allow.spec.podSelector.matchLabels).toStrictEqual(SELECTOR);
    const from = allow.spec.ingress[0]?.from.map((p) => p.namespaceSelector.matchLabels['kubernetes.io/metadata.name']);
    expect(from).toStrictEqual(['traefik-system', 'monitoring']);
    expect(allow.spec.egress.flatMap((r) => r.ports.map((p) => `${p.protocol}/${p.port}`))).toStrictEqual(['UDP/53', 'TCP/53', 'TCP/443']);
  });

  it('keeps at most one pod unavailable during voluntary disruptions', () => {
    const pdb = find(built[env], 'PodDisruptionBudget', APP);
    expect(pdb.spec).toStrictEqual({ maxUnavailable: 1, selector: { matchLabels: SELECTOR } });
  });

  it('is valid for Kubernetes 1.36 under strict kubeconform with offline schemas', async () => {
    const results = await kubeconform(yaml[env]);
    expectAllValid(results, built[env]);
  });

  it('holds exactly the objects of its kinds, each labelled as part of rtmlib-ml-backend and managed by strata', () => {
    expectInventory(built[env], APP, INVENTORY);
  });
});

describe('the gpu component', () => {
  const root = findRoot();
  const component = join(root, 'base', APP, 'components', 'gpu');

  it('is a Kustomize Component that says what it does', () => {
    const text = readFileSync(join(component, 'kustomization.yaml'), 'utf8');
    expect(parse(text).kind).toBe('Component');
    expect(text).toContain('# Run on an NVIDIA GPU node: CUDA device, performance models, one GPU per pod.');
  });

  it('switches any overlay that includes it to the GPU variant', async () => {
    // A fresh overlay of base plus the component, outside the generated tree.
    const dir = mkdtempSync(join(tmpdir(), 'rtmlib-gpu-'));
    try {
      // Kustomize takes only relative paths to other kustomizations.
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `resources:\n  - ${relative(dir, join(root, 'base', APP))}\ncomponents:\n  - ${relative(dir, component)}\n`,
      );
      const objects = parseBuild(await buildYaml(dir, root), dir);
      const cm = findGenerated(objects, 'rtmlib-ml-backend-config');
      expect(cm.data).toStrictEqual({
        DEVICE: 'cuda',
        BACKEND_TYPE: 'onnxruntime',
        MODE: 'performance',
        LOG_LEVEL: 'INFO',
        DEBUG: 'false',
        CONFIDENCE_THRESHOLD: '0.5',
      });
      const deployment = find(objects, 'Deployment', APP);
      expect(container(deployment, 'ml-backend').envFrom).toStrictEqual([{ configMapRef: { name: cm.metadata.name } }]);
      expect(container(deployment, 'ml-backend').resources.limits['nvidia.com/gpu']).toBe('1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
