import { beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Manifest } from '@strata/core';
import { all, buildApp, buildYaml, container, envOf, expectAllValid, expectInventory, find, kubeconform, podSpec } from '@strata/testing';

const APP = 'tensafe';
const ENVS: Environment[] = ['dev', 'staging', 'prod'];
const DIGEST = /@sha256:[0-9a-f]{64}$/;

// What each env must build to, written out from the seed rather than from the config.
const expected = {
  dev: {
    ns: 'tensafe-dev',
    image: 'docker.io/tensafe/tensafe:4.1.0-rc.2',
    replicas: 1,
    resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    gpus: undefined,
    hpa: undefined,
    keda: undefined,
    pgStorage: '10Gi',
    readReplicas: undefined,
    redisReplicas: undefined,
    host: 'api.dev.tensafe.example.com',
    issuer: 'letsencrypt-staging',
    tls: 'tensafe-dev-tls',
    agentInjector: false,
  },
  staging: {
    ns: 'tensafe-staging',
    image: 'docker.io/tensafe/tensafe:4.0.0',
    replicas: 2,
    resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '4', memory: '16Gi' } },
    gpus: '1',
    hpa: [2, 20],
    keda: undefined,
    pgStorage: '100Gi',
    readReplicas: undefined,
    redisReplicas: undefined,
    host: 'api.staging.tensafe.example.com',
    issuer: 'letsencrypt-prod',
    tls: 'tensafe-staging-tls',
    agentInjector: false,
  },
  prod: {
    ns: 'tensafe-prod',
    image: 'docker.io/tensafe/tensafe@sha256:7d4e1f0a3b6c9d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d4e',
    replicas: 3,
    resources: { requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '8', memory: '32Gi' } },
    gpus: '2',
    hpa: undefined,
    keda: [3, 50],
    pgStorage: '500Gi',
    readReplicas: 2,
    redisReplicas: 3,
    host: 'api.tensafe.example.com',
    issuer: 'letsencrypt-prod',
    tls: 'tensafe-prod-tls',
    agentInjector: true,
  },
} as const;

const built = {} as Record<Environment, Manifest[]>;
beforeAll(async () => {
  for (const env of ENVS) built[env] = await buildApp(APP, env);
});

const containersOf = (m: Manifest) => [...(podSpec(m).initContainers ?? []), ...podSpec(m).containers];
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

// How many objects of each kind a build holds: a new or vanished object fails here. Staging adds
// an HPA; prod scales with KEDA and adds the PostgreSQL read replicas and the Redis replicas, with their Services.
const DEV: Record<string, number> = {
  ClusterSecretStore: 1,
  ConfigMap: 1,
  Deployment: 1,
  ExternalSecret: 3,
  Ingress: 1,
  NetworkPolicy: 4,
  Service: 5,
  ServiceAccount: 1,
  ServiceMonitor: 1,
  StatefulSet: 2,
};
const INVENTORY: Record<Environment, Record<string, number>> = {
  dev: DEV,
  staging: { ...DEV, HorizontalPodAutoscaler: 1 },
  prod: { ...DEV, ScaledObject: 1, Service: 9, StatefulSet: 4 },
};

describe.each(ENVS)('tensafe in %s (kustomize build output)', (env) => {
  const want = expected[env];
  const objects = () => built[env];
  const workloads = () => [...all(objects(), 'Deployment'), ...all(objects(), 'StatefulSet')];
  const deployment = () => find(objects(), 'Deployment', APP);
  const main = () => container(deployment(), APP);

  it(`puts every namespaced object in ${want.ns} and serves 8000 with metrics on 9090`, () => {
    const namespaced = objects().filter((m) => m.kind !== 'ClusterSecretStore');
    expect(new Set(namespaced.map((m) => m.metadata.namespace))).toStrictEqual(new Set([want.ns]));
    expect(find(objects(), 'ClusterSecretStore', 'tensafe-vault').metadata.namespace).toBeUndefined();
    const svc = find(objects(), 'Service', APP);
    expect(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort])).toStrictEqual([
      ['http', 8000, 'http'],
      ['metrics', 9090, 'metrics'],
    ]);
    expect(main().ports.map((p) => [p.name, p.containerPort])).toStrictEqual([
      ['http', 8000],
      ['metrics', 9090],
    ]);
  });

  it(`runs ${want.replicas} replica(s) with the env's CPU and memory, GPUs and GPU scheduling only where the env has GPUs`, () => {
    const pod = podSpec(deployment());
    expect(deployment().spec.replicas).toBe(want.replicas);
    expect(main().resources).toStrictEqual({
      requests: { ...want.resources.requests, ...(want.gpus ? { 'nvidia.com/gpu': want.gpus } : {}) },
      limits: { ...want.resources.limits, ...(want.gpus ? { 'nvidia.com/gpu': want.gpus } : {}) },
    });
    if (want.gpus) {
      expect(pod.nodeSelector).toStrictEqual({ 'nvidia.com/gpu.present': 'true' });
      expect(pod.tolerations).toStrictEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    } else {
      expect(pod.nodeSelector).toBeUndefined();
      expect(pod.tolerations).toBeUndefined();
    }
  });

  it(`scales with an autoscaling/v2 HPA on CPU 70% and memory 80% ${want.hpa ? `(${want.hpa.join('-')})` : '(none in this env)'}`, () => {
    const hpas = all(objects(), 'HorizontalPodAutoscaler');
    if (!want.hpa) return expect(hpas).toStrictEqual([]);
    expect(hpas).toHaveLength(1);
    const hpa = find(objects(), 'HorizontalPodAutoscaler', APP);
    const spec = hpa.spec;
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(spec.scaleTargetRef).toStrictEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment().metadata.name });
    expect([spec.minReplicas, spec.maxReplicas]).toStrictEqual(want.hpa);
    expect(spec.metrics.map((m) => [m.resource.name, m.resource.target])).toStrictEqual([
      ['cpu', { type: 'Utilization', averageUtilization: 70 }],
      ['memory', { type: 'Utilization', averageUtilization: 80 }],
    ]);
  });

  it(`scales with a KEDA ScaledObject on p95 latency, queue depth and GPU use, polling 30s, cooldown 300s ${want.keda ? `(${want.keda.join('-')})` : '(none in this env)'}`, () => {
    const scaled = all(objects(), 'ScaledObject');
    if (!want.keda) return expect(scaled).toStrictEqual([]);
    expect(scaled).toHaveLength(1);
    const spec = find(objects(), 'ScaledObject', APP).spec;
    // The name must survive Kustomize: KEDA finds its target by it.
    expect(spec.scaleTargetRef.name).toBe(deployment().metadata.name);
    expect([spec.minReplicaCount, spec.maxReplicaCount, spec.pollingInterval, spec.cooldownPeriod]).toStrictEqual([...want.keda, 30, 300]);
    expect(spec.triggers.map((t) => [t.type, t.name, t.metadata.threshold])).toStrictEqual([
      ['prometheus', 'p95-latency', '100'],
      ['prometheus', 'queue-depth', '100'],
      ['prometheus', 'gpu-utilization', '30'],
    ]);
    expect(spec.triggers[0]?.metadata.query).toContain('histogram_quantile(0.95, sum(rate(tensafe_inference_latency_seconds_bucket[5m])) by (le))');
    expect(spec.triggers[1]?.metadata.query).toContain('tensafe_job_queue_depth');
    expect(spec.triggers[2]?.metadata.query).toBe('avg(nvidia_gpu_utilization)');
  });

  it('never targets the Deployment with both an HPA and KEDA', () => {
    const targets = [...all(objects(), 'HorizontalPodAutoscaler'), ...all(objects(), 'ScaledObject')].map((m) => m.spec.scaleTargetRef.name);
    expect(targets).toStrictEqual(want.hpa || want.keda ? [APP] : []);
  });

  it('runs PostgreSQL and Redis as StatefulSets with Services and volume claims (prod: read replicas and Redis replicas)', () => {
    const pg = find(objects(), 'StatefulSet', 'tensafe-postgresql');
    expect(pg.spec.replicas).toBe(1);
    expect(pg.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage).toBe(want.pgStorage);
    expect(find(objects(), 'Service', 'tensafe-postgresql').spec.selector).toStrictEqual({
      'app.kubernetes.io/name': 'tensafe-postgresql',
      'app.kubernetes.io/component': 'primary',
    });
    expect(find(objects(), 'Service', 'tensafe-postgresql-hl').spec.clusterIP).toBe('None');
    const redis = find(objects(), 'StatefulSet', 'tensafe-redis');
    expect(redis.spec.replicas).toBe(1);
    expect(redis.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage).toBe('8Gi');
    expect(find(objects(), 'Service', 'tensafe-redis').spec.ports[0]?.port).toBe(6379);
    // The primary always carries the replication role, so replicas can be added later.
    const init = find(objects(), 'ConfigMap', 'tensafe-postgresql-init');
    expect(init.data['10-replication.sh']).toContain('CREATE ROLE replicator WITH REPLICATION LOGIN');
    expect(init.data['10-replication.sh']).toContain('host replication replicator all scram-sha-256');

    const reads = all(objects(), 'StatefulSet').filter((m) => m.metadata.name === 'tensafe-postgresql-read');
    const redisReplicas = all(objects(), 'StatefulSet').filter((m) => m.metadata.name === 'tensafe-redis-replica');
    expect(reads.map((r) => r.spec.replicas)).toStrictEqual(want.readReplicas ? [want.readReplicas] : []);
    expect(redisReplicas.map((r) => r.spec.replicas)).toStrictEqual(want.redisReplicas ? [want.redisReplicas] : []);
    expect(envOf(main()).DATABASE_READ_HOST).toBe(want.readReplicas ? 'tensafe-postgresql-read' : 'tensafe-postgresql');
    if (want.readReplicas) {
      expect(container(find(objects(), 'StatefulSet', 'tensafe-postgresql-read'), 'basebackup').command.join(' ')).toContain(
        'pg_basebackup -h tensafe-postgresql-0.tensafe-postgresql-hl -U replicator',
      );
      expect(reads[0]?.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage).toBe(want.pgStorage);
      expect(find(objects(), 'Service', 'tensafe-postgresql-read').spec.selector).toStrictEqual({
        'app.kubernetes.io/name': 'tensafe-postgresql',
        'app.kubernetes.io/component': 'read-replica',
      });
      expect(container(find(objects(), 'StatefulSet', 'tensafe-redis-replica'), 'redis').command.join(' ')).toContain(
        '--replicaof tensafe-redis-0.tensafe-redis-hl 6379',
      );
    }
  });

  it('takes every credential from ExternalSecrets against the Vault ClusterSecretStore, with the agent-injector option', () => {
    const externalSecrets = all(objects(), 'ExternalSecret');
    expect(externalSecrets.map((e) => [e.apiVersion, e.metadata.name, e.spec.secretStoreRef])).toStrictEqual(
      ['tensafe-db-secret', 'tensafe-redis-secret', 'tensafe-secrets'].map((n) => [
        'external-secrets.io/v1',
        n,
        { name: 'tensafe-vault', kind: 'ClusterSecretStore' },
      ]),
    );
    // Each env reads its own Vault key.
    expect(new Set(externalSecrets.flatMap((e) => e.spec.data.map((d) => d.remoteRef.key)))).toStrictEqual(new Set([want.ns]));

    const store = find(objects(), 'ClusterSecretStore', 'tensafe-vault');
    expect(store.apiVersion).toBe('external-secrets.io/v1');
    expect(store.spec.provider.vault).toMatchObject({ server: 'https://vault.vault.svc:8200', path: 'secret', version: 'v2' });
    // Without a namespace, the store logs in as `tensafe` of each ExternalSecret's own namespace.
    expect(store.spec.provider.vault.auth).toStrictEqual({
      kubernetes: { mountPath: 'kubernetes', role: 'tensafe', serviceAccountRef: { name: 'tensafe' } },
    });
    const allowed = new RegExp(store.spec.conditions[0]?.namespaceRegexes[0] ?? '(none)');
    expect([allowed.test(want.ns), allowed.test('default'), allowed.test('other-tensafe')]).toStrictEqual([true, false, false]);

    const targets = new Set(externalSecrets.map((e) => e.spec.target.name));
    const refs = workloads().flatMap((w) =>
      containersOf(w).flatMap((c) => (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.valueFrom.secretKeyRef.name)),
    );
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((r: string) => !targets.has(r))).toStrictEqual([]);
    expect(all(objects(), 'Secret')).toStrictEqual([]);

    const annotations = deployment().spec.template.metadata.annotations;
    if (want.agentInjector) {
      expect(annotations).toStrictEqual({
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/service': 'https://vault.vault.svc:8200',
        'vault.hashicorp.com/role': 'tensafe',
        'vault.hashicorp.com/agent-inject-secret-config': `secret/data/${want.ns}`,
      });
      expect(podSpec(deployment()).automountServiceAccountToken).toBe(true);
    } else {
      expect(annotations).toBeUndefined();
      expect(podSpec(deployment()).automountServiceAccountToken).toBe(false);
    }
  });

  it('routes through ingress class nginx with the body-size and timeout annotations and cert-manager TLS', () => {
    const ing = find(objects(), 'Ingress', APP);
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.metadata.annotations).toStrictEqual({
      'cert-manager.io/cluster-issuer': want.issuer,
      'nginx.ingress.kubernetes.io/proxy-body-size': '100m',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    expect(ing.spec.rules.map((r) => r.host)).toStrictEqual([want.host]);
    expect(ing.spec.rules[0]?.http.paths[0]?.backend.service).toStrictEqual({ name: APP, port: { name: 'http' } });
    expect(ing.spec.tls).toStrictEqual([{ hosts: [want.host], secretName: want.tls }]);
  });

  it('denies by default and allows ingress from ingress-nginx and prometheus, egress to postgres, redis, vault and DNS', () => {
    const policies = all(objects(), 'NetworkPolicy');
    expect(find(objects(), 'NetworkPolicy', 'default-deny').spec).toStrictEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // Every pod of every workload is selected by an allow policy.
    for (const w of workloads()) {
      const labels = w.spec.template.metadata.labels;
      expect(
        policies.filter((p) => p.metadata.name !== 'default-deny' && matches(p.spec.podSelector.matchLabels ?? {}, labels)),
        `${w.kind}/${w.metadata.name}`,
      ).toHaveLength(1);
    }
    const np = find(objects(), 'NetworkPolicy', APP);
    expect(np.spec.ingress).toStrictEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: [
          { protocol: 'TCP', port: 8000 },
          { protocol: 'TCP', port: 9090 },
        ],
      },
    ]);
    expect(np.spec.egress.map((e) => [e.to[0], e.ports.map((p) => `${p.port}/${p.protocol}`)])).toStrictEqual([
      [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'tensafe-postgresql' } } }, ['5432/TCP']],
      [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'tensafe-redis' } } }, ['6379/TCP']],
      [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vault' } } }, ['8200/TCP']],
      [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }, ['6831/UDP']],
      [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
        ['53/UDP', '53/TCP'],
      ],
    ]);
    // The egress selectors reach every data pod, replicas included.
    for (const name of ['tensafe-postgresql', 'tensafe-postgresql-read', 'tensafe-redis', 'tensafe-redis-replica']) {
      const set = all(objects(), 'StatefulSet').find((m) => m.metadata.name === name);
      if (set)
        expect(
          np.spec.egress.some((e) => matches(e.to[0]?.podSelector?.matchLabels ?? { none: 'x' }, set.spec.template.metadata.labels)),
          name,
        ).toBe(true);
    }
  });

  it('is scraped every 30s with a 10s timeout through a ServiceMonitor that selects the Service, and traced through the Jaeger agent', () => {
    const sm = find(objects(), 'ServiceMonitor', APP);
    expect(sm.spec.endpoints).toStrictEqual([{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    const svc = find(objects(), 'Service', APP);
    expect(matches(sm.spec.selector.matchLabels, svc.metadata.labels)).toBe(true);
    expect(
      objects()
        .filter((m) => m.kind === 'Service' && matches(sm.spec.selector.matchLabels, m.metadata.labels))
        .map((m) => m.metadata.name),
    ).toStrictEqual([APP]);
    expect(svc.spec.ports.some((p) => p.name === 'metrics')).toBe(true);
    expect(envOf(main()).JAEGER_AGENT_HOST).toBe('jaeger-agent.monitoring');
    expect(envOf(main()).JAEGER_AGENT_PORT).toBe('6831');
  });

  it('runs non-root as 1000 with fsGroup, RuntimeDefault seccomp, no capabilities and a read-only root, and hardens every other container too', () => {
    expect(podSpec(deployment()).securityContext).toStrictEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const w of workloads()) {
      const pod = podSpec(w);
      expect(pod.securityContext, w.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser, w.metadata.name).toBeGreaterThan(0);
      for (const c of containersOf(w)) {
        const where = `${w.metadata.name}/${c.name}`;
        expect(c.securityContext, where).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(Object.keys(c.resources).sort(), where).toStrictEqual(['limits', 'requests']);
      }
      for (const c of pod.containers) {
        expect(c.readinessProbe, `${w.metadata.name}/${c.name}`).toBeDefined();
        expect(c.livenessProbe, `${w.metadata.name}/${c.name}`).toBeDefined();
      }
    }
  });

  it(env === 'prod' ? 'pins every image by digest' : 'uses tagged images, never latest', () => {
    expect(main().image).toBe(want.image);
    const images = workloads().flatMap((w) => containersOf(w).map((c) => c.image as string));
    if (env === 'prod') expect(images.filter((i) => !DIGEST.test(i))).toStrictEqual([]);
    else expect(images.filter((i) => !/:[\w.-]+$/.test(i) || i.endsWith(':latest'))).toStrictEqual([]);
  });

  it('is valid for Kubernetes 1.36 under strict offline schemas', async () => {
    // The raw build, not a re-serialisation: kubeconform reads YAML 1.1, where an unquoted `yes` is a boolean.
    const results = await kubeconform(await buildYaml(`overlays/${env}/${APP}`));
    expectAllValid(results, objects());
  });

  it('holds exactly the objects of its kinds, each labelled as part of tensafe and managed by strata', () => {
    expectInventory(objects(), APP, INVENTORY[env]);
  });
});
