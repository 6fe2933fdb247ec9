import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { findRoot, type Environment, type Manifest } from '@strata/core';
import { parseBuild } from '@strata/kustomize';
import { buildApp, buildYaml, container, envOf, find, findGenerated, kubeconformManifests, podSpec } from '@strata/testing';

const APP = 'rtmlib-ml-backend';
const ENVS: Environment[] = ['dev', 'staging', 'prod'];

// What APPS.md and the seed ask of each env.
const expected = {
  dev: { replicas: 1, requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '1Gi' }, logLevel: 'DEBUG', min: 1, max: 2, gpu: false },
  staging: { replicas: 1, requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' }, logLevel: 'DEBUG', min: 1, max: 10, gpu: false },
  prod: { replicas: 3, requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' }, logLevel: 'INFO', min: 2, max: 10, gpu: true },
} as const;

const built = {} as Record<Environment, Manifest[]>;
beforeAll(async () => {
  for (const env of ENVS) built[env] = await buildApp(APP, env);
});

describe.each(ENVS)('rtmlib-ml-backend in %s (kustomize build output)', (env) => {
  const want = expected[env];
  const deployment = () => find(built[env], 'Deployment', APP) as any;
  const backend = () => container(deployment(), 'ml-backend');

  it('deploys rtmlib-ml-backend (container ml-backend) in namespace rtmlib with rolling updates', () => {
    expect(new Set(built[env].map((m) => m.metadata.namespace))).toStrictEqual(new Set(['rtmlib']));
    expect(deployment().spec.strategy.type).toBe('RollingUpdate');
    expect(backend().name).toBe('ml-backend');
  });

  it('exposes Service rtmlib-ml-backend-service as ClusterIP on 9090', () => {
    const svc = find(built[env], 'Service', 'rtmlib-ml-backend-service') as any;
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toStrictEqual([{ name: 'http', port: 9090, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('routes through Traefik with the seed annotations and TLS', () => {
    const ing = find(built[env], 'Ingress', APP) as any;
    expect(ing.metadata.annotations).toMatchObject({
      'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
      'traefik.ingress.kubernetes.io/router.tls.certresolver': 'letsencrypt',
      'traefik.ingress.kubernetes.io/router.middlewares': 'default-cors@kubernetescrd',
    });
    const hosts = ing.spec.rules.map((r: { host: string }) => r.host);
    expect(ing.spec.tls[0].hosts).toStrictEqual(hosts);
    if (env === 'prod') expect(hosts).toStrictEqual(['rtmlib.gawron.cloud', 'rtmlib.fh-swf.cloud']);
  });

  it('reads its settings from a generated ConfigMap whose hashed name the Deployment references', () => {
    const cm = findGenerated(built[env], 'rtmlib-ml-backend-config');
    expect(cm.metadata.name).toMatch(/^rtmlib-ml-backend-config-[a-z0-9]{10}$/);
    expect(backend().envFrom).toStrictEqual([{ configMapRef: { name: cm.metadata.name } }]);
    expect(Object.keys(cm.data as object).sort()).toStrictEqual(['BACKEND_TYPE', 'CONFIDENCE_THRESHOLD', 'DEBUG', 'DEVICE', 'LOG_LEVEL', 'MODE']);
    expect((cm.data as Record<string, string>).LOG_LEVEL).toBe(want.logLevel);
  });

  it('includes the GPU component only in prod (DEVICE=cuda, MODE=performance, one GPU on a GPU node)', () => {
    const data = findGenerated(built[env], 'rtmlib-ml-backend-config').data as Record<string, string>;
    const pod = podSpec(deployment());
    if (want.gpu) {
      expect(data).toMatchObject({ DEVICE: 'cuda', MODE: 'performance' });
      expect(backend().resources.limits['nvidia.com/gpu']).toBe('1');
      expect(pod.nodeSelector).toStrictEqual({ 'nvidia.com/gpu.present': 'true' });
      expect(pod.tolerations).toStrictEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    } else {
      expect(data).toMatchObject({ DEVICE: 'cpu', MODE: 'balanced' });
      expect(backend().resources.limits['nvidia.com/gpu']).toBeUndefined();
      expect(pod.nodeSelector).toBeUndefined();
    }
  });

  it('references the Label Studio secret without committing it', () => {
    const vars = envOf(backend());
    for (const key of ['LABEL_STUDIO_API_TOKEN', 'LABEL_STUDIO_URL']) {
      expect(vars[key]).toStrictEqual({ secretKeyRef: { name: 'rtmlib-label-studio', key } });
    }
    expect(built[env].filter((m) => m.kind === 'Secret')).toStrictEqual([]);
  });

  it(`runs ${want.replicas} replicas with the env's requests and limits`, () => {
    expect(deployment().spec.replicas).toBe(want.replicas);
    expect(backend().resources.requests).toMatchObject(want.requests);
    expect(backend().resources.limits).toMatchObject(want.limits);
  });

  it('autoscales on CPU 70% and memory 80% with a 300 s scale-down stabilization', () => {
    const hpa = find(built[env], 'HorizontalPodAutoscaler', APP) as any;
    expect(hpa.spec.scaleTargetRef).toStrictEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: APP });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toStrictEqual([want.min, want.max]);
    expect(hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toStrictEqual([['cpu', 70], ['memory', 80]]);
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
  });

  it('caches models on a 10Gi emptyDir, runs as UID 1000 and probes /health', () => {
    expect(podSpec(deployment()).volumes).toContainEqual({ name: 'model-cache', emptyDir: { sizeLimit: '10Gi' } });
    expect(podSpec(deployment()).securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(backend().readinessProbe.httpGet).toStrictEqual({ path: '/health', port: 'http' });
    expect(backend().livenessProbe.httpGet).toStrictEqual({ path: '/health', port: 'http' });
    const sm = find(built[env], 'ServiceMonitor', APP) as any;
    const svc = find(built[env], 'Service', 'rtmlib-ml-backend-service') as any;
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svc.metadata.labels[k]).toBe(v);
  });

  it('is valid for Kubernetes 1.36 under strict offline schemas', async () => {
    const results = await kubeconformManifests(built[env]);
    expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
  });

  it('matches the snapshot of the whole build', () => {
    expect(built[env]).toMatchSnapshot();
  });
});

describe('the gpu component', () => {
  it('is a Kustomize Component that any overlay can include', async () => {
    const root = findRoot();
    const component = join(root, 'base', APP, 'components', 'gpu');
    expect(parse(readFileSync(join(component, 'kustomization.yaml'), 'utf8')).kind).toBe('Component');
    // A new overlay of base plus the component, outside the generated tree.
    const dir = mkdtempSync(join(tmpdir(), 'rtmlib-gpu-'));
    try {
      // Kustomize takes only relative paths to other kustomizations.
      writeFileSync(join(dir, 'kustomization.yaml'), `resources:\n  - ${relative(dir, join(root, 'base', APP))}\ncomponents:\n  - ${relative(dir, component)}\n`);
      const objects = parseBuild(await buildYaml(dir, root), dir);
      expect(findGenerated(objects, 'rtmlib-ml-backend-config').data).toMatchObject({ DEVICE: 'cuda', MODE: 'performance', LOG_LEVEL: 'INFO' });
      expect(container(find(objects, 'Deployment', APP), 'ml-backend').resources.limits['nvidia.com/gpu']).toBe('1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
