import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { buildOverlays } from '@strata/kustomize';
import { ensureServers, startServer, type Server } from '@strata/project/apiserver';
import { importApp, leftOutSummary } from '../src/index.ts';
import { emptyWorkspace, envSources, filesUnder, fixtures } from './workspace.ts';

/** An API server and an empty workspace for the tests of one describe block: started before them, and stopped and removed after. */
function serverAndWorkspace(): { readonly server: Server; readonly ws: ReturnType<typeof emptyWorkspace> } {
  const made = {} as { server: Server; ws: ReturnType<typeof emptyWorkspace> };
  beforeAll(async () => {
    made.server = await startServer(await ensureServers());
    made.ws = emptyWorkspace();
  }, 120_000);
  afterAll(async () => {
    await made.server?.stop();
    made.ws?.dispose();
  });
  return made;
}

describe('strata import of objects exported from a cluster', () => {
  const cluster = serverAndWorkspace();

  /** Where the API server keeps an object of the two kinds the fixture holds. */
  const pathOf = (m: { kind: string; metadata: { name: string; namespace: string } }, named: boolean) =>
    `${m.kind === 'Deployment' ? '/apis/apps/v1' : '/api/v1'}/namespaces/${m.metadata.namespace}/${m.kind === 'Deployment' ? 'deployments' : 'configmaps'}${named ? `/${m.metadata.name}` : ''}`;

  it(
    'leaves out what the API server and its controllers set, so that the tree applies again and again without a Conflict',
    { timeout: 240_000 },
    async () => {
      const source = join(fixtures, 'exported', 'from-cluster.yaml');
      const r = await importApp(cluster.ws.root, { name: 'expapp', envs: envSources(source), install: false });
      expect(r.dropped).toStrictEqual({
        fields: [
          'annotation deployment.kubernetes.io/revision',
          'metadata.creationTimestamp',
          'metadata.generation',
          'metadata.managedFields',
          'metadata.resourceVersion',
          'metadata.selfLink',
          'metadata.uid',
          'status',
        ],
        objects: 2,
      });
      const written = Object.values({ ...filesUnder(cluster.ws.root, 'apps/expapp'), ...filesUnder(cluster.ws.root, 'base/expapp') }).join('\n');
      for (const kept of ['444455556666', 'resourceVersion', 'creationTimestamp', 'managedFields', 'selfLink', 'readyReplicas', 'revision'])
        expect(written).not.toContain(kept);
      // The app's own annotations stay.
      expect(written).toContain('team: web');

      const [dev] = await buildOverlays(cluster.ws.root, ['overlays/dev/expapp'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      // What kubectl apply does with the built objects, through the API: a create of each, then for
      // a change a merge patch of the object as the tree has it (kubectl's client-side apply sends
      // the tree's fields that differ from the live object, a resourceVersion in the tree among them).
      const objects = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } });
      expect(objects.map((o) => o.kind).sort()).toStrictEqual(['ConfigMap', 'Deployment']);
      expect(
        (await cluster.server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'expapp' } }))
          .status,
      ).toBe(201);
      for (const o of objects) expect((await cluster.server.client.request('POST', pathOf(o, false), o)).status, o.kind).toBe(201);
      // A change of the app, applied as kubectl apply -k and Argo CD apply it: a stale resourceVersion
      // in the tree would make every apply after the first a Conflict.
      const changed = dev!.yaml.replace(/^ {2}a: b$/m, '  a: c');
      expect(changed).not.toBe(dev!.yaml);
      const configMap = parseAllDocuments(changed)
        .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } })
        .find((o) => o.kind === 'ConfigMap')!;
      for (let i = 0; i < 2; i++) {
        const again = await cluster.server.client.request('PATCH', pathOf(configMap, true), configMap, 'application/merge-patch+json');
        expect(again.status, JSON.stringify(again.body)).toBe(200);
      }
      // The same patch with the exported resourceVersion kept, as the tree had it before: a Conflict.
      const stale = { ...configMap, metadata: { ...configMap.metadata, resourceVersion: '123456' } };
      expect((await cluster.server.client.request('PATCH', pathOf(stale, true), stale, 'application/merge-patch+json')).status).toBe(409);
      const live = (await cluster.server.client.request('GET', pathOf(configMap, true))).body as { data: { a: string } };
      expect(live.data.a).toBe('c');
    },
  );
});

describe('strata import of Services exported from a cluster', () => {
  // The old cluster is dual-stack with one Service range, the new one single-stack with another, as
  // two clusters' ranges mostly differ.
  let from: Server;
  let to: Server;
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(async () => {
    const servers = await ensureServers();
    [from, to] = await Promise.all([
      startServer(servers, { serviceClusterIpRanges: ['10.96.0.0/16', 'fd00:10:96::/112'] }),
      startServer(servers, { serviceClusterIpRanges: ['10.100.0.0/16'] }),
    ]);
    ws = emptyWorkspace();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([from?.stop(), to?.stop()]);
    ws?.dispose();
  });

  type Service = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };
  const services = '/api/v1/namespaces/svcapp/services';
  const service = (name: string, spec: Record<string, unknown>): Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'svcapp' },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec },
  });
  /** A create as `kubectl apply` sends it: its field manager, and the object as applied in its annotation. */
  const applied = (s: Service): Service => ({
    ...s,
    metadata: { ...s.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(s)}\n` } },
  });

  it(
    'leaves out the cluster IPs, IP families and node ports the old cluster allocated, keeps a headless Service headless and a node port asked for, and the tree applies to another cluster',
    { timeout: 240_000 },
    async () => {
      expect(
        (await from.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'svcapp' } })).status,
      ).toBe(201);
      const selector = { app: 'web' };
      const created = [
        applied(service('web', { selector })),
        applied(service('web-headless', { selector, clusterIP: 'None' })),
        // Without a selector, a headless Service is given both families and RequireDualStack.
        applied(service('gpu-server', { clusterIP: 'None' })),
        applied(service('web-lb', { selector, type: 'LoadBalancer', externalTrafficPolicy: 'Local' })),
        applied(service('web-node', { selector, type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] })),
      ];
      for (const s of created) {
        const r = await from.client.request('POST', `${services}?fieldManager=kubectl-client-side-apply`, s);
        expect(r.status, JSON.stringify(r.body)).toBe(201);
      }
      // One written by server-side apply, which records what it asked for in managedFields only.
      const dual = service('web-dual', { selector, ipFamilyPolicy: 'PreferDualStack' });
      const ssa = await from.client.request('PATCH', `${services}/web-dual?fieldManager=kubectl`, dual, 'application/apply-patch+yaml');
      expect(ssa.status, JSON.stringify(ssa.body)).toBe(201);

      // The export, as `kubectl get -o yaml` writes it (with managedFields, as --show-managed-fields does).
      const exported = new Map<string, Service>();
      for (const name of ['web', 'web-headless', 'gpu-server', 'web-lb', 'web-node', 'web-dual']) {
        const r = await from.client.request('GET', `${services}/${name}`);
        expect(r.status).toBe(200);
        exported.set(name, r.body as Service);
      }
      const lb = exported.get('web-lb')!.spec;
      expect(typeof lb.healthCheckNodePort).toBe('number');
      expect(exported.get('gpu-server')!.spec).toMatchObject({ clusterIP: 'None', ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
      expect(exported.get('web-dual')!.spec.clusterIPs).toHaveLength(2);
      const source = join(ws.root, 'exported.yaml');
      writeFileSync(source, [...exported.values()].map((s) => stringify(s)).join('---\n'));

      // Kept, the old cluster's allocation is refused by the new one.
      const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, managedFields: _mf, ...metadata } = exported.get('web')!.metadata;
      const namespace = await to.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'svcapp' } });
      expect(namespace.status).toBe(201);
      const kept = await to.client.request('POST', services, { ...exported.get('web'), metadata, status: undefined });
      expect(kept.status).toBe(422);
      expect(JSON.stringify(kept.body)).toMatch(/failed to allocate IP 10\.96\.\d+\.\d+: the provided network does not match the current range/);
      // So are the old cluster's two IP families, without its cluster IPs.
      const { clusterIP: _ip, clusterIPs: _ips, ...families } = exported.get('web-dual')!.spec;
      const dualKept = await to.client.request('POST', services, {
        ...exported.get('web-dual'),
        metadata: { name: 'web-dual', namespace: 'svcapp' },
        spec: families,
        status: undefined,
      });
      expect(dualKept.status).toBe(422);
      expect(JSON.stringify(dualKept.body)).toContain('spec.ipFamilies[1]: Invalid value: \\"IPv6\\": not configured on this cluster');

      const r = await importApp(ws.root, { name: 'svcapp', envs: envSources(source), install: false });
      expect(r.dropped.fields.filter((f) => f.startsWith('spec.'))).toStrictEqual([
        'spec.clusterIP',
        'spec.clusterIPs',
        'spec.healthCheckNodePort',
        'spec.ipFamilies',
        'spec.ipFamilyPolicy',
        'spec.ports[].nodePort',
      ]);
      const [dev] = await buildOverlays(ws.root, ['overlays/dev/svcapp'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      const objects = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as Service);
      expect(objects.map((o) => o.metadata.name).sort()).toStrictEqual(['gpu-server', 'web', 'web-dual', 'web-headless', 'web-lb', 'web-node']);
      const spec = (name: string) => objects.find((o) => o.metadata.name === name)!.spec;
      expect(spec('web')).toStrictEqual({
        internalTrafficPolicy: 'Cluster',
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
        selector,
        sessionAffinity: 'None',
        type: 'ClusterIP',
      });
      expect(spec('web-headless')).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
      expect(spec('gpu-server')).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
      expect(spec('gpu-server')).not.toHaveProperty('ipFamilyPolicy');
      expect(spec('web-lb')).not.toHaveProperty('healthCheckNodePort');
      expect((spec('web-lb').ports as Record<string, unknown>[])[0]).not.toHaveProperty('nodePort');
      // What a client asked for stays: the node port given, the family policy server-side apply sent.
      expect((spec('web-node').ports as Record<string, unknown>[])[0]!.nodePort).toBe(30080);
      expect(spec('web-dual')).toMatchObject({ ipFamilyPolicy: 'PreferDualStack' });
      expect(spec('web-dual')).not.toHaveProperty('ipFamilies');

      // Created in the new cluster, each Service is given its own allocation; headless ones stay headless.
      for (const o of objects) {
        const c = await to.client.request('POST', services, o);
        expect(c.status, JSON.stringify(c.body)).toBe(201);
      }
      const live = async (name: string) => ((await to.client.request('GET', `${services}/${name}`)).body as Service).spec;
      expect((await live('web')).clusterIP).toMatch(/^10\.100\./);
      expect((await live('web-dual')).clusterIPs).toHaveLength(1);
      expect(await live('web-headless')).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
      expect(await live('gpu-server')).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
      expect((await live('web-lb')).healthCheckNodePort).toEqual(expect.any(Number));
      expect(((await live('web-node')).ports as Record<string, unknown>[])[0]!.nodePort).toBe(30080);
    },
  );
});

describe('strata import of Jobs exported from a cluster', () => {
  const cluster = serverAndWorkspace();

  type Job = { apiVersion: string; kind: string; metadata: Record<string, unknown> & { uid?: string }; spec: Record<string, unknown> };
  const jobs = '/apis/batch/v1/namespaces/jobapp/jobs';
  const job = (name: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Job => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'jobapp', ...metadata },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'registry.example/migrate:1.0' }] } },
      ...spec,
    },
  });
  const withLabels = (j: Job, labels: Record<string, string>): Job => ({
    ...j,
    spec: { ...j.spec, template: { ...(j.spec.template as Record<string, unknown>), metadata: { labels } } },
  });
  const applied = (j: Job): Job => ({
    ...j,
    metadata: { ...j.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(j)}\n` } },
  });

  it(
    "leaves out the selector and the labels the API server generated from the old Job's uid, keeps a manual selector, and the new cluster takes the Jobs",
    { timeout: 240_000 },
    async () => {
      expect(
        (await cluster.server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jobapp' } }))
          .status,
      ).toBe(201);
      const created = [
        // Without labels of its own: the server gives the Job the template's, its generated ones among them.
        job('migrate'),
        withLabels(job('seed', {}, { labels: { team: 'data' } }), { app: 'seed' }),
        withLabels(job('manual', { manualSelector: true, selector: { matchLabels: { app: 'manual' } } }), { app: 'manual' }),
      ];
      for (const j of created) {
        const r = await cluster.server.client.request('POST', `${jobs}?fieldManager=kubectl-client-side-apply`, applied(j));
        expect(r.status, JSON.stringify(r.body)).toBe(201);
      }
      const exported = new Map<string, Job>();
      for (const { metadata } of created) {
        const r = await cluster.server.client.request('GET', `${jobs}/${String(metadata.name)}`);
        expect(r.status).toBe(200);
        exported.set(String(metadata.name), r.body as Job);
      }
      const migrate = exported.get('migrate')!;
      const uid = migrate.metadata.uid!;
      const generated = {
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': 'migrate',
        'controller-uid': uid,
        'job-name': 'migrate',
      };
      expect(migrate.metadata.labels).toStrictEqual(generated);
      expect(migrate.spec.selector).toStrictEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
      expect(exported.get('seed')!.metadata.labels).toStrictEqual({ team: 'data' });
      const source = join(cluster.ws.root, 'jobs.yaml');
      writeFileSync(source, [...exported.values()].map((j) => stringify(j)).join('---\n'));
      // The cluster is the new one: the old Jobs are gone (no finalizer keeps them without a garbage collector).
      for (const name of exported.keys()) {
        const d = await cluster.server.client.request('DELETE', `${jobs}/${name}`, {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: 'Background',
        });
        expect(d.status, JSON.stringify(d.body)).toBe(200);
      }

      // Kept, the old Job's generated selector and labels are refused.
      const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, managedFields: _mf, ...metadata } = migrate.metadata;
      const kept = await cluster.server.client.request('POST', jobs, { ...migrate, metadata, status: undefined });
      expect(kept.status).toBe(422);
      expect(JSON.stringify(kept.body)).toContain('`selector` not auto-generated');

      const r = await importApp(cluster.ws.root, { name: 'jobapp', envs: envSources(source), install: false });
      expect(r.dropped.fields.filter((f) => f.startsWith('spec.') || f.startsWith('label '))).toStrictEqual([
        'label batch.kubernetes.io/controller-uid',
        'label batch.kubernetes.io/job-name',
        'label controller-uid',
        'label job-name',
        'spec.selector',
      ]);
      const [dev] = await buildOverlays(cluster.ws.root, ['overlays/dev/jobapp'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      const objects = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as Job);
      expect(objects.map((o) => o.metadata.name).sort()).toStrictEqual(['manual', 'migrate', 'seed']);
      const built = (name: string) => objects.find((o) => o.metadata.name === name)!;
      expect(dev!.yaml).not.toContain(uid);
      expect(dev!.yaml).not.toContain(exported.get('seed')!.metadata.uid);
      expect(built('migrate').metadata).not.toHaveProperty('labels');
      expect(built('seed').metadata.labels).toStrictEqual({ team: 'data' });
      expect((built('seed').spec.template as { metadata: unknown }).metadata).toStrictEqual({ labels: { app: 'seed' } });
      expect(built('manual').spec).toMatchObject({ manualSelector: true, selector: { matchLabels: { app: 'manual' } } });

      for (const o of objects) {
        const c = await cluster.server.client.request('POST', jobs, o);
        expect(c.status, JSON.stringify(c.body)).toBe(201);
      }
      const live = (await cluster.server.client.request('GET', `${jobs}/migrate`)).body as Job as Job;
      expect(live.spec.selector).toStrictEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': live.metadata.uid } });
      expect(live.metadata.uid).not.toBe(uid);
    },
  );
});

describe('strata import of volumes, claims, accounts and load balancers exported from a cluster', () => {
  let from: Server;
  let to: Server;
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(async () => {
    const servers = await ensureServers();
    [from, to] = await Promise.all([startServer(servers), startServer(servers)]);
    ws = emptyWorkspace();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([from?.stop(), to?.stop()]);
    ws?.dispose();
  });

  type Obj = { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string; uid?: string }; [k: string]: unknown };
  const ns = '/api/v1/namespaces/volapp';
  const collection: Record<string, string> = {
    PersistentVolume: '/api/v1/persistentvolumes',
    PersistentVolumeClaim: `${ns}/persistentvolumeclaims`,
    ServiceAccount: `${ns}/serviceaccounts`,
    Service: `${ns}/services`,
  };
  const applied = (o: Obj): Obj => ({
    ...o,
    metadata: { ...o.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(o)}\n` } },
  });
  const claim = (name: string, spec: Record<string, unknown> = {}): Obj => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'volapp' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  });
  /** A write of a controller of the cluster, as its field manager makes it. */
  const controller = async (o: Obj, patch: Record<string, unknown>, manager = 'kube-controller-manager') => {
    const r = await from.client.request(
      'PATCH',
      `${collection[o.kind]}/${o.metadata.name}?fieldManager=${manager}`,
      patch,
      'application/merge-patch+json',
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  it(
    "leaves out the old cluster's binding of a claim, a volume's claim uid, the load balancer's finalizer and an account's token Secrets, and keeps what a person chose",
    { timeout: 240_000 },
    async () => {
      for (const s of [from, to])
        expect(
          (await s.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'volapp' } })).status,
        ).toBe(201);
      const volume: Obj = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'nfs-data' },
        spec: {
          capacity: { storage: '10Gi' },
          accessModes: ['ReadWriteMany'],
          persistentVolumeReclaimPolicy: 'Retain',
          nfs: { server: '10.0.0.5', path: '/exports/data' },
          claimRef: { kind: 'PersistentVolumeClaim', name: 'shared', namespace: 'volapp' },
        },
      };
      const created: Obj[] = [
        volume,
        claim('data'),
        // Bound by whoever wrote it to a volume of their choice, which the import keeps.
        claim('pinned', { volumeName: 'disk-7' }),
        claim('shared', { accessModes: ['ReadWriteMany'], storageClassName: '', volumeName: 'nfs-data' }),
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot', namespace: 'volapp' }, secrets: [{ name: 'bot-config' }] },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'lb', namespace: 'volapp' },
          spec: { type: 'LoadBalancer', selector: { app: 'db' }, ports: [{ port: 80, targetPort: 8080 }] },
        },
      ];
      for (const o of created) {
        const r = await from.client.request('POST', `${collection[o.kind]}?fieldManager=kubectl-client-side-apply`, applied(o));
        expect(r.status, JSON.stringify(r.body)).toBe(201);
      }
      const uidOf = async (o: Obj) => ((await from.client.request('GET', `${collection[o.kind]}/${o.metadata.name}`)).body as Obj).metadata.uid!;
      // What the old cluster's controllers wrote: the PersistentVolume controller's binding of each
      // claim (to a volume provisioned for one, pvc-<its uid>), the token controller's Secret, the
      // service controller's finalizer.
      const dataUid = await uidOf(created[1]!);
      const bind = { 'pv.kubernetes.io/bind-completed': 'yes' };
      await controller(created[1]!, {
        metadata: { annotations: { ...bind, 'pv.kubernetes.io/bound-by-controller': 'yes' } },
        spec: { volumeName: `pvc-${dataUid}` },
      });
      await controller(created[2]!, { metadata: { annotations: bind } });
      await controller(created[3]!, { metadata: { annotations: bind } });
      await controller(volume, { spec: { claimRef: { uid: await uidOf(created[3]!), resourceVersion: '4242' } } });
      await controller(created[4]!, { secrets: [{ name: 'bot-config' }, { name: 'bot-token-x7k2p' }] });
      await controller(created[5]!, { metadata: { finalizers: ['service.kubernetes.io/load-balancer-cleanup'] } }, 'cloud-controller-manager');

      const exported: Obj[] = [];
      for (const o of created) exported.push((await from.client.request('GET', `${collection[o.kind]}/${o.metadata.name}`)).body as Obj);
      expect(exported[1]!.spec).toMatchObject({ volumeName: `pvc-${dataUid}` });
      const source = join(ws.root, 'exported.yaml');
      // As kubectl writes YAML: a string yes quoted.
      writeFileSync(source, exported.map((o) => stringify(o, { version: '1.1' })).join('---\n'));

      const r = await importApp(ws.root, { name: 'volapp', envs: envSources(source), install: false });
      expect(r.dropped.fields.filter((f) => !f.startsWith('metadata.') && !f.startsWith('annotation ') && f !== 'status')).toStrictEqual([
        'finalizer service.kubernetes.io/load-balancer-cleanup',
        'secrets[] (token Secrets)',
        'spec.claimRef.resourceVersion',
        'spec.claimRef.uid',
        'spec.clusterIP',
        'spec.clusterIPs',
        'spec.ipFamilies',
        'spec.ipFamilyPolicy',
        'spec.ports[].nodePort',
        'spec.volumeName',
      ]);
      const [dev] = await buildOverlays(ws.root, ['overlays/dev/volapp'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      const objects = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as Obj);
      const built = (name: string) => objects.find((o) => o.metadata.name === name)!;
      expect(built('data').spec).not.toHaveProperty('volumeName');
      expect(built('pinned').spec).toMatchObject({ volumeName: 'disk-7' });
      // Imported with its volume, the claim keeps its binding, and the volume its claim, by name.
      expect(built('shared').spec).toMatchObject({ volumeName: 'nfs-data' });
      expect((built('nfs-data').spec as { claimRef: unknown }).claimRef).toStrictEqual({
        kind: 'PersistentVolumeClaim',
        name: 'shared',
        namespace: 'volapp',
      });
      expect(built('bot').secrets).toStrictEqual([{ name: 'bot-config' }]);
      expect(built('lb').metadata).not.toHaveProperty('finalizers');
      expect(dev!.yaml).not.toContain(dataUid);

      // The new cluster takes them all.
      for (const o of objects) {
        const c = await to.client.request('POST', collection[o.kind]!, o);
        expect(c.status, JSON.stringify(c.body)).toBe(201);
      }
    },
  );

  it(
    'leaves out the pull and token Secrets the old cluster made for an account, and keeps those a client asked for',
    { timeout: 240_000 },
    async () => {
      const accounts = '/api/v1/namespaces/pullapp/serviceaccounts';
      for (const s of [from, to])
        expect(
          (await s.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pullapp' } })).status,
        ).toBe(201);
      const account = (name: string, lists: Record<string, unknown> = {}): Obj => ({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace: 'pullapp' },
        ...lists,
      });
      const write = async (method: string, name: string, manager: string, body: unknown, type?: string) => {
        const path = method === 'POST' ? accounts : `${accounts}/${name}`;
        const r = await from.client.request(method, `${path}?fieldManager=${manager}`, body, type);
        expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
        return r.body as Obj;
      };
      /** What OpenShift's controller adds to every account: its pull secret, in both lists, and a token Secret. */
      const generate = (name: string, o: Obj) =>
        write(
          'PATCH',
          name,
          'openshift-controller-manager',
          {
            secrets: [...((o.secrets as unknown[]) ?? []), { name: `${name}-dockercfg-x7k2p` }, { name: `${name}-token-q9zfm` }],
            imagePullSecrets: [...((o.imagePullSecrets as unknown[]) ?? []), { name: `${name}-dockercfg-x7k2p` }],
          },
          'application/merge-patch+json',
        );

      // Applied with kubectl, then given the controller's Secrets.
      const builder = account('builder', { secrets: [{ name: 'builder-config' }], imagePullSecrets: [{ name: 'regcred' }] });
      await write('POST', 'builder', 'kubectl-client-side-apply', applied(builder));
      await generate('builder', builder);
      // Linked to a pull secret after the controller's (oc secrets link): the account is read and the
      // whole list written back, so that client owns the atomic list without asking for the controller's.
      const linker = account('linker', { automountServiceAccountToken: false });
      await write('POST', 'linker', 'kubectl-create', linker);
      await generate('linker', linker);
      const read = (await from.client.request('GET', `${accounts}/linker`)).body as Obj;
      await write('PUT', 'linker', 'oc', { ...read, imagePullSecrets: [...(read.imagePullSecrets as unknown[]), { name: 'regcred' }] });
      // A client that asked for another cluster's generated names: in its last applied
      // configuration, and by a server-side apply of both lists.
      const copied = account('copied', { secrets: [{ name: 'copied-token-b4c5d' }], imagePullSecrets: [{ name: 'copied-dockercfg-m4n5p' }] });
      await write('POST', 'copied', 'kubectl-client-side-apply', applied(copied));
      await generate('copied', copied);
      const pinned = account('pinned', { secrets: [{ name: 'pinned-token-h7j8k' }], imagePullSecrets: [{ name: 'pinned-dockercfg-z2w4q' }] });
      await write('PATCH', 'pinned', 'kubectl', pinned, 'application/apply-patch+yaml');

      const exported: Obj[] = [];
      for (const name of ['builder', 'linker', 'copied', 'pinned'])
        exported.push((await from.client.request('GET', `${accounts}/${name}`)).body as Obj);
      expect(exported[0]!.imagePullSecrets).toStrictEqual([{ name: 'regcred' }, { name: 'builder-dockercfg-x7k2p' }]);
      const owners = (o: Obj, field: string) =>
        (o.metadata.managedFields as { manager: string; fieldsV1: Record<string, unknown> }[])
          .filter((e) => Object.hasOwn(e.fieldsV1, field))
          .map((e) => e.manager);
      expect(owners(exported[0]!, 'f:imagePullSecrets')).toStrictEqual(['openshift-controller-manager']);
      expect(owners(exported[1]!, 'f:imagePullSecrets')).toStrictEqual(['oc']);
      const source = join(ws.root, 'accounts.yaml');
      writeFileSync(source, exported.map((o) => stringify(o)).join('---\n'));

      const r = await importApp(ws.root, { name: 'pullapp', envs: envSources(source), install: false });
      expect(r.dropped.fields.filter((f) => !f.startsWith('metadata.') && !f.startsWith('annotation '))).toStrictEqual([
        'imagePullSecrets[] (dockercfg Secrets)',
        'secrets[] (dockercfg Secrets)',
        'secrets[] (token Secrets)',
      ]);
      const [dev] = await buildOverlays(ws.root, ['overlays/dev/pullapp'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      const objects = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as Obj);
      const lists = Object.fromEntries(objects.map((o) => [o.metadata.name, { secrets: o.secrets, imagePullSecrets: o.imagePullSecrets }]));
      expect(lists).toStrictEqual({
        builder: { secrets: [{ name: 'builder-config' }], imagePullSecrets: [{ name: 'regcred' }] },
        linker: { secrets: undefined, imagePullSecrets: [{ name: 'regcred' }] },
        copied: { secrets: [{ name: 'copied-token-b4c5d' }], imagePullSecrets: [{ name: 'copied-dockercfg-m4n5p' }] },
        pinned: { secrets: [{ name: 'pinned-token-h7j8k' }], imagePullSecrets: [{ name: 'pinned-dockercfg-z2w4q' }] },
      });

      for (const o of objects) {
        const c = await to.client.request('POST', accounts, o);
        expect(c.status, JSON.stringify(c.body)).toBe(201);
      }
    },
  );

  it(
    "counts an object that carries only a controller's annotation or finalizer as exported, and leaves out what the old cluster allocated to it",
    { timeout: 240_000 },
    async () => {
      // As an export trimmed of its uid and the like still holds them.
      const source = join(ws.root, 'trimmed.yaml');
      writeFileSync(
        source,
        [
          'apiVersion: v1',
          'kind: Service',
          'metadata:',
          '  name: lb',
          '  namespace: trimmed',
          '  finalizers: [service.kubernetes.io/load-balancer-cleanup]',
          'spec:',
          '  type: LoadBalancer',
          '  clusterIP: 10.43.44.1',
          '  clusterIPs: [10.43.44.1]',
          '  ports: [{port: 80, targetPort: 8080, nodePort: 30111, protocol: TCP}]',
          '  selector: {app: db}',
          '---',
          'apiVersion: v1',
          'kind: PersistentVolumeClaim',
          'metadata:',
          '  name: data',
          '  namespace: trimmed',
          '  annotations: {pv.kubernetes.io/bind-completed: "yes", pv.kubernetes.io/bound-by-controller: "yes"}',
          'spec:',
          '  accessModes: [ReadWriteOnce]',
          '  resources: {requests: {storage: 1Gi}}',
          '  volumeName: pvc-3f1c2b9e-1111-2222-3333-444455556666',
          '',
        ].join('\n'),
      );
      const r = await importApp(ws.root, { name: 'trimmed', envs: envSources(source), install: false });
      expect(r.dropped.fields).toStrictEqual([
        'annotation pv.kubernetes.io/bind-completed',
        'annotation pv.kubernetes.io/bound-by-controller',
        'finalizer service.kubernetes.io/load-balancer-cleanup',
        'spec.clusterIP',
        'spec.clusterIPs',
        'spec.ports[].nodePort',
        'spec.volumeName',
      ]);
      const [dev] = await buildOverlays(ws.root, ['overlays/dev/trimmed'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      for (const gone of ['10.43.44.1', '30111', 'pvc-3f1c2b9e', 'finalizers']) expect(dev!.yaml).not.toContain(gone);
    },
  );
});

describe('strata import of a namespace dump', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(() => {
    ws = emptyWorkspace();
  });
  afterAll(() => ws?.dispose());

  it(
    "leaves out the CA ConfigMaps and the bare default ServiceAccount the cluster's controllers make in every namespace, names them, and keeps a default account a person configured",
    { timeout: 240_000 },
    async () => {
      const source = join(ws.root, 'dump.yaml');
      const exported = (name: string, ns: string) =>
        `{name: ${name}, namespace: ${ns}, uid: 1f0e2d3c-aaaa-bbbb-cccc-${name.length}00000000000, resourceVersion: "77"}`;
      writeFileSync(
        source,
        [
          'apiVersion: v1',
          'kind: List',
          'items:',
          '- {apiVersion: v1, kind: Namespace, metadata: {name: store}}',
          '- {apiVersion: v1, kind: Namespace, metadata: {name: store-jobs}}',
          `- {apiVersion: v1, kind: ConfigMap, metadata: ${exported('kube-root-ca.crt', 'store')}, data: {ca.crt: OLDCLUSTERCA}}`,
          `- {apiVersion: v1, kind: ConfigMap, metadata: ${exported('istio-ca-root-cert', 'store')}, data: {root-cert.pem: OLDMESHCA}}`,
          `- {apiVersion: v1, kind: ConfigMap, metadata: ${exported('settings', 'store')}, data: {mode: fast}}`,
          `- {apiVersion: v1, kind: ServiceAccount, metadata: ${exported('default', 'store')}, secrets: [{name: default-token-x7k2p}]}`,
          '- {apiVersion: v1, kind: ServiceAccount, metadata: {name: default, namespace: store-jobs}, imagePullSecrets: [{name: registry-pull}]}',
          '',
        ].join('\n'),
      );
      const r = await importApp(ws.root, { name: 'store', envs: envSources(source), install: false });
      expect(r.clusterMade).toStrictEqual([
        'ConfigMap store/istio-ca-root-cert (istiod)',
        "ConfigMap store/kube-root-ca.crt (kube-controller-manager's root CA publisher)",
        'ServiceAccount store/default (the serviceaccounts controller)',
      ]);
      expect(leftOutSummary(r)).toContain("; left out what the cluster's controllers make themselves: ConfigMap store/istio-ca-root-cert (istiod), ");
      expect(r.warnings.filter((w) => w.startsWith('ServiceAccount store-jobs/default:'))).toHaveLength(1);
      expect(r.warnings.find((w) => w.startsWith('ServiceAccount store-jobs/default:'))).toContain('(imagePullSecrets)');
      expect(r.objects.dev).toBe(4);
      const [dev] = await buildOverlays(ws.root, ['overlays/dev/store'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      const built = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
      expect(built.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toStrictEqual([
        'ConfigMap store/settings',
        'Namespace /store',
        'Namespace /store-jobs',
        'ServiceAccount store-jobs/default',
      ]);
      for (const gone of ['OLDCLUSTERCA', 'OLDMESHCA', 'default-token']) expect(dev!.yaml).not.toContain(gone);
      expect(dev!.yaml).toContain('registry-pull');
    },
  );
});

describe('strata import of the endpoints and events of a namespace dump', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(() => {
    ws = emptyWorkspace();
  });
  afterAll(() => ws?.dispose());

  it(
    "leaves out the endpoints controller's Endpoints of a Service with a selector, the old cluster's Events and a Lease a holder took, names them, and keeps the Endpoints of a Service without a selector and a Lease nobody holds",
    { timeout: 240_000 },
    async () => {
      const source = join(ws.root, 'dump.yaml');
      const state = 'uid: 31111111-2222-3333-4444-555555555555, resourceVersion: "102"';
      writeFileSync(
        source,
        [
          'apiVersion: v1',
          'kind: List',
          'items:',
          '- {apiVersion: v1, kind: Namespace, metadata: {name: shop}}',
          '- {apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}, spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}}',
          `- {apiVersion: v1, kind: Endpoints, metadata: {name: web, namespace: shop, ${state}}, subsets: [{addresses: [{ip: 10.42.0.15}], ports: [{port: 8080}]}]}`,
          '- {apiVersion: v1, kind: Service, metadata: {name: legacy-db, namespace: shop}, spec: {ports: [{port: 5432}]}}',
          '- {apiVersion: v1, kind: Endpoints, metadata: {name: legacy-db, namespace: shop}, subsets: [{addresses: [{ip: 192.168.10.5}], ports: [{port: 5432}]}]}',
          `- {apiVersion: v1, kind: Event, metadata: {name: web.17a2b3c4d5e6f7, namespace: shop, ${state}}, involvedObject: {kind: Service, name: web, namespace: shop}, reason: Created, message: created, type: Normal}`,
          `- {apiVersion: events.k8s.io/v1, kind: Event, metadata: {name: web.17a2b3c4d5e6f8, namespace: shop, ${state}}, eventTime: null, reason: Created, note: created, type: Normal, regarding: {kind: Service, name: web, namespace: shop}}`,
          `- {apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: web-leader, namespace: shop, ${state}}, spec: {holderIdentity: web-7d9f8b-abcde, leaseDurationSeconds: 15, renewTime: "2026-12-07T10:00:00.000000Z"}}`,
          '- {apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: web-slot, namespace: shop}, spec: {leaseDurationSeconds: 30}}',
          '',
        ].join('\n'),
      );
      const r = await importApp(ws.root, { name: 'shop', envs: envSources(source), install: false });
      expect(r.clusterMade).toStrictEqual([
        "Endpoints shop/web (the endpoints controller, from the pods of Service shop/web's selector)",
        "Event shop/web.17a2b3c4d5e6f7 (a record of the old cluster's, which the API server deletes after an hour)",
        "Event shop/web.17a2b3c4d5e6f8 (a record of the old cluster's, which the API server deletes after an hour)",
        "Lease shop/web-leader (a leader election's, held by web-7d9f8b-abcde in the old cluster; its holder renews it every few seconds)",
      ]);
      expect(leftOutSummary(r)).toContain("; left out what the cluster's controllers make themselves: Endpoints shop/web (");
      const [dev] = await buildOverlays(ws.root, ['overlays/dev/shop'], { concurrency: 1 });
      expect(dev!.error).toBeUndefined();
      const built = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
      expect(built.map((o) => `${o.kind} ${o.metadata.name}`).sort()).toStrictEqual([
        'Endpoints legacy-db',
        'Lease web-slot',
        'Namespace shop',
        'Service legacy-db',
        'Service web',
      ]);
      expect(dev!.yaml).not.toContain('10.42.0.15');
    },
  );
});

describe('strata import of cluster-scoped objects rendered with a namespace', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(() => {
    ws = emptyWorkspace();
  });
  afterAll(() => ws?.dispose());

  it('leaves out the namespace the API server drops, and names it on the summary line', { timeout: 240_000 }, async () => {
    const source = join(ws.root, 'chart.yaml');
    writeFileSync(
      source,
      [
        'apiVersion: v1',
        'kind: Namespace',
        'metadata: {name: reader}',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: ClusterRole',
        'metadata: {name: reader-view, namespace: reader}',
        'rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: reader-settings, namespace: reader}',
        'data: {level: info}',
        '',
      ].join('\n'),
    );
    const r = await importApp(ws.root, { name: 'reader', envs: envSources(source), install: false });
    expect(r.dropped.fields).toStrictEqual(['metadata.namespace (of cluster-scoped objects)']);
    expect(leftOutSummary(r)).toBe('; left out what the cluster or kubectl kept on 1 object: metadata.namespace (of cluster-scoped objects)');
    const [dev] = await buildOverlays(ws.root, ['overlays/dev/reader'], { concurrency: 1 });
    expect(dev!.error).toBeUndefined();
    const built = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    expect(built.find((o) => o.kind === 'ClusterRole')!.metadata.namespace).toBeUndefined();
    expect(built.find((o) => o.kind === 'ConfigMap')!.metadata.namespace).toBe('reader');
  });
});

describe('strata import of an exported ServiceAccount with a long name', () => {
  const cluster = serverAndWorkspace();

  it('leaves out the token and pull Secrets the controllers made for it under the shortened names they give them', { timeout: 240_000 }, async () => {
    // 66 characters: `<account>-token-` and `<account>-dockercfg-` are longer than generateName keeps.
    const account = 'payments-settlement-reconciliation-worker-eu-central-batch-nightly';
    expect(
      (await cluster.server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } }))
        .status,
    ).toBe(201);
    // Kubernetes' token controller asks for generateName `<account>-token-`: the API server names it.
    const created = await cluster.server.client.request('POST', '/api/v1/namespaces/payments/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { generateName: `${account}-token-`, annotations: { 'kubernetes.io/service-account.name': account } },
      type: 'kubernetes.io/service-account-token',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const token = (created.body as { metadata: { name: string } }).metadata.name;
    expect(token).toMatch(/^payments-settlement-reconciliation-worker-eu-central-batch[a-z0-9]{5}$/);
    expect(token).toHaveLength(63);
    // OpenShift's controllers shorten the account and add its name's FNV-1a hash (b3a0903b) before
    // generateName's 5 characters: their pull secret and the token Secret it is made from.
    const pull = 'payments-settlement-reconciliation-wor-b3a0903b-dockercfg-q8x2z';
    const openshiftToken = 'payments-settlement-reconciliation-worker--b3a0903b-token-m4k7p';
    const exported = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: account, namespace: 'payments', uid: '0b6c1a9e-5d4f-4e3a-8c2b-1f0e9d8c7b6a', resourceVersion: '9121' },
      secrets: [{ name: token }, { name: openshiftToken }, { name: pull }, { name: 'payments-signing-key' }],
      imagePullSecrets: [{ name: pull }, { name: 'regcred' }],
    };
    const source = join(cluster.ws.root, 'account.yaml');
    writeFileSync(source, stringify(exported));

    const r = await importApp(cluster.ws.root, { name: 'payments', envs: envSources(source), install: false });
    expect(r.dropped.fields.filter((f) => !f.startsWith('metadata.'))).toStrictEqual([
      'imagePullSecrets[] (dockercfg Secrets)',
      'secrets[] (dockercfg Secrets)',
      'secrets[] (token Secrets)',
    ]);
    const [dev] = await buildOverlays(cluster.ws.root, ['overlays/dev/payments'], { concurrency: 1 });
    expect(dev!.error).toBeUndefined();
    const built = parseAllDocuments(dev!.yaml).map((d) => d.toJS() as { kind: string; secrets?: unknown; imagePullSecrets?: unknown });
    const sa = built.find((o) => o.kind === 'ServiceAccount')!;
    expect(sa.secrets).toStrictEqual([{ name: 'payments-signing-key' }]);
    expect(sa.imagePullSecrets).toStrictEqual([{ name: 'regcred' }]);
  });
});
