import { beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Manifest } from '@strata/core';
import { buildApp, container, envOf, expectAllValid, expectInventory, find, kubeconformManifests, podSpec } from '@strata/testing';

const APP = 'tokenplace-relay';
const ENVS: Environment[] = ['dev', 'staging', 'prod'];
const REPO = 'ghcr.io/tokenplace/tokenplace-relay';
const HOSTS: Record<Environment, string[]> = {
  dev: ['relay.dev.token.place'],
  staging: ['relay.staging.token.place'],
  prod: ['relay.token.place', 'www.relay.token.place'],
};

const built = {} as Record<Environment, Manifest[]>;
beforeAll(async () => {
  for (const env of ENVS) built[env] = await buildApp(APP, env);
});

// How many objects of each kind a build holds: a new or vanished object fails here.
const INVENTORY: Record<Environment, Record<string, number>> = {
  dev: { Deployment: 1, Ingress: 1, NetworkPolicy: 2, Service: 2 },
  staging: { Deployment: 1, Ingress: 1, NetworkPolicy: 2, Service: 2, ServiceMonitor: 1 },
  prod: { Deployment: 1, EndpointSlice: 1, Ingress: 1, NetworkPolicy: 2, Service: 2, ServiceMonitor: 1 },
};

describe.each(ENVS)('tokenplace-relay in %s (kustomize build output)', (env) => {
  const deployment = () => find(built[env], 'Deployment', APP);
  const relay = () => container(deployment(), 'relay');

  it('runs in namespace tokenplace, every object', () => {
    expect(new Set(built[env].map((m) => m.metadata.namespace))).toStrictEqual(new Set(['tokenplace']));
  });

  it('exposes container port 5010 named http', () => {
    expect(relay().ports).toStrictEqual([{ name: 'http', containerPort: 5010, protocol: 'TCP' }]);
  });

  it('references the image by digest in prod and by tag elsewhere', () => {
    const image = relay().image as string;
    if (env === 'prod') expect(image).toMatch(new RegExp(`^${REPO}@sha256:[0-9a-f]{64}$`));
    else expect(image).toBe(`${REPO}:${env === 'dev' ? 'sha-3f9c2e1' : '1.4.0'}`);
  });

  it('sets RELAY_HOST, RELAY_PORT and the upstream URL to gpu-server:5015', () => {
    const vars = envOf(relay());
    expect(vars.RELAY_HOST).toBe('0.0.0.0');
    expect(vars.RELAY_PORT).toBe('5010');
    expect(vars.TOKENPLACE_RELAY_UPSTREAM_URL).toBe('http://gpu-server:5015');
  });

  it('reaches the GPU host through ExternalName (dev, staging) or a headless Service with an EndpointSlice (prod), never the deprecated v1 Endpoints', () => {
    const gpu = find(built[env], 'Service', 'gpu-server');
    const vars = envOf(relay());
    if (env === 'prod') {
      expect(gpu.spec.clusterIP).toBe('None');
      expect(gpu.spec.selector).toBeUndefined();
      expect(gpu.spec.type).toBeUndefined();
      const slice = find(built[env], 'EndpointSlice', 'gpu-server');
      expect(slice.metadata?.labels?.['kubernetes.io/service-name']).toBe('gpu-server');
      expect(slice.addressType).toBe('IPv4');
      expect(slice.endpoints.map((e) => e.addresses)).toStrictEqual([['10.40.0.11'], ['10.40.0.12']]);
      expect(slice.ports?.[0]).toStrictEqual({ name: 'gpu', port: 5015, protocol: 'TCP' });
      expect(vars.TOKENPLACE_GPU_HOST).toBeUndefined();
      expect(vars.TOKENPLACE_GPU_PORT).toBeUndefined();
    } else {
      const host = env === 'dev' ? 'gpu-dev.token.place' : 'gpu-box.token.place';
      expect(gpu.spec.type).toBe('ExternalName');
      expect(gpu.spec.externalName).toBe(host);
      expect(built[env].some((m) => m.kind === 'EndpointSlice')).toBe(false);
      expect(vars.TOKENPLACE_GPU_HOST).toBe(host);
      expect(vars.TOKENPLACE_GPU_PORT).toBe('5015');
    }
  });

  it('probes /healthz (5s, every 10s) and /livez (20s, every 20s) on port http, drains on stop', () => {
    const c = relay();
    expect(c.readinessProbe).toStrictEqual({ httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5, periodSeconds: 10 });
    expect(c.livenessProbe).toStrictEqual({ httpGet: { path: '/livez', port: 'http' }, initialDelaySeconds: 20, periodSeconds: 20 });
    expect(podSpec(deployment()).terminationGracePeriodSeconds).toBe(30);
    expect(c.lifecycle.preStop.exec.command.join(' ')).toMatch(/sleep \d+/);
  });

  it('routes its hosts through Traefik with the letsencrypt-dns01 issuer and one TLS secret', () => {
    const ingress = find(built[env], 'Ingress', APP);
    expect(ingress.spec.ingressClassName).toBe('traefik');
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt-dns01');
    expect(ingress.spec.rules.map((r: { host: string }) => r.host)).toStrictEqual(HOSTS[env]);
    expect(ingress.spec.tls).toStrictEqual([{ hosts: HOSTS[env], secretName: `relay-${env}-tls` }]);
  });

  it('has a ServiceMonitor only where enabled (staging, prod): release label, 30s, /metrics on http', () => {
    const monitors = built[env].filter((m) => m.kind === 'ServiceMonitor');
    if (env === 'dev') return expect(monitors).toStrictEqual([]);
    const sm = find(built[env], 'ServiceMonitor', APP);
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(sm.spec.endpoints).toStrictEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    expect(sm.spec.namespaceSelector).toStrictEqual({ matchNames: ['tokenplace'] });
    const service = find(built[env], 'Service', APP);
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
  });

  it('denies by default and allows only Traefik in, DNS and the GPU host out, plus env extras', () => {
    const deny = find(built[env], 'NetworkPolicy', 'default-deny');
    expect(deny.spec).toStrictEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const np = find(built[env], 'NetworkPolicy', APP);
    expect(np.spec.ingress[0]?.from[0]?.namespaceSelector.matchLabels).toStrictEqual({ 'kubernetes.io/metadata.name': 'kube-system' });
    expect(np.spec.ingress[0]?.from[0]?.podSelector.matchLabels).toStrictEqual({ 'app.kubernetes.io/name': 'traefik' });
    expect(np.spec.egress[0]?.ports).toStrictEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    const gpuPeers = np.spec.egress[1]?.to.map((t: { ipBlock: { cidr: string } }) => t.ipBlock.cidr);
    expect(gpuPeers).toStrictEqual(env === 'prod' ? ['10.40.0.11/32', '10.40.0.12/32'] : [env === 'dev' ? '198.51.100.20/32' : '203.0.113.42/32']);
    expect(np.spec.ingress.length).toBe(env === 'staging' ? 2 : 1);
    if (env === 'staging') expect(np.spec.ingress[1]?.from).toStrictEqual([{ ipBlock: { cidr: '192.0.2.0/24' } }]);
  });

  it('runs as user 1000, non-root, no capabilities, read-only root with /tmp on an emptyDir, RuntimeDefault seccomp', () => {
    const pod = podSpec(deployment());
    const sc = relay().securityContext;
    expect(pod.securityContext.runAsUser).toBe(1000);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(sc).toMatchObject({
      runAsUser: 1000,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(relay().volumeMounts).toStrictEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toStrictEqual([{ name: 'tmp', emptyDir: {} }]);
  });

  it('runs 2 replicas in prod and 1 elsewhere', () => {
    expect(deployment().spec.replicas).toBe(env === 'prod' ? 2 : 1);
  });

  it('is valid for Kubernetes 1.36 under strict offline schemas', async () => {
    const results = await kubeconformManifests(built[env]);
    expectAllValid(results, built[env]);
  });

  it('holds exactly the objects of its kinds, each labelled as part of tokenplace-relay and managed by strata', () => {
    expectInventory(built[env], APP, INVENTORY[env]);
  });
});
