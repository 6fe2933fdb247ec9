import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { SERVER_BUILD_TIMEOUT, startDifferentialServer, type DifferentialServer } from '../../policy/test/differential.ts';
import { clusterCollisions, syncPlan, type GitopsSettings } from '../src/index.ts';

/**
 * Envs that deploy to one cluster (`gitops.server` the same for each): every object of the corpus is
 * created for real on one kube-apiserver, env by env in their order and each env's apps by name, as
 * their Applications sync them; what the cluster refuses of the env synced later because an earlier
 * env holds it (a cluster IP, the place of the default PriorityClass) must be what `generate`
 * refuses (clusterCollisions), pair by pair, in the server's words, and nothing else.
 */

const service = (name: string, env: Environment, spec: Record<string, unknown>): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: `${name}-${env}` },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80 }], ...spec },
  }) as Manifest;
const priorityClass = (name: string, value: number, globalDefault?: boolean): Manifest =>
  ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    ...(globalDefault === undefined ? {} : { globalDefault }),
  }) as Manifest;
const v6 = (ip: string) => ({ clusterIP: ip, ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack' });

/** env -> app -> its built output. */
const CORPUS: Record<Environment, Record<string, readonly Manifest[]>> = {
  dev: {
    web: [service('web', 'dev', { clusterIP: '10.96.200.10' })],
    // clusterIPs with clusterIP, as the server wants both.
    api: [service('api', 'dev', { clusterIP: '10.96.200.11', clusterIPs: ['10.96.200.11'] })],
    six: [service('six', 'dev', v6('fd00:10:96::a'))],
    chosen: [service('chosen', 'dev', { clusterIP: '' })],
    headless: [service('headless', 'dev', { clusterIP: 'None' })],
    edge: [service('edge', 'dev', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    platform: [priorityClass('default-dev', 1000, true), priorityClass('batch', 10)],
  },
  staging: {
    // dev's IP in another namespace: the allocator is the cluster's.
    web: [service('web', 'staging', { clusterIP: '10.96.200.10' })],
    // The same IPv6 address, spelt otherwise.
    six: [service('six', 'staging', v6('fd00:10:96:0:0::a'))],
    // Left to the server, or none at all: never taken.
    chosen: [service('chosen', 'staging', {})],
    headless: [service('headless', 'staging', { clusterIP: 'None' })],
    // dev's node port: refused, so it holds none, and prod meets dev's alone.
    edge: [service('edge', 'staging', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    external: [service('external', 'staging', { type: 'ExternalName', externalName: 'a.example.com', ports: undefined })],
    // A second default, of another name, and a class that is no default.
    platform: [priorityClass('default-staging', 500, true), priorityClass('plain', 20, false)],
  },
  prod: {
    // dev's IP, as a NodePort Service, asked for by clusterIP alone.
    api: [service('api', 'prod', { clusterIP: '10.96.200.11', type: 'NodePort' })],
    web: [service('web', 'prod', { clusterIP: '10.96.200.12' })],
    edge: [service('edge', 'prod', { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    // dev's default class itself: the same object, applied again, takes nothing from itself.
    platform: [priorityClass('default-dev', 1000, true)],
  },
};

const SERVER = 'https://k8s.example.test';
const settings: GitopsSettings = { repoURL: 'https://git.example.test/team/fixture.git', targetRevision: 'main', server: SERVER };

/** [env, app, kind, name, the server's words] of each object the one cluster refuses. */
async function createAll(server: DifferentialServer): Promise<string[][]> {
  const refused: string[][] = [];
  const namespaces = new Set(['default']);
  for (const env of ENVIRONMENTS)
    for (const app of Object.keys(CORPUS[env]).sort())
      for (const m of CORPUS[env][app]!) {
        const ns = m.metadata.namespace ?? 'default';
        if (!namespaces.has(ns)) {
          await server.namespace(ns);
          namespaces.add(ns);
        }
        const r = await server.create(m, ns);
        if (r.status >= 300) refused.push([env, app, m.kind, m.metadata.name, r.message]);
        // The Priority plugin finds the default class through an informer.
        if (m.kind === 'PriorityClass') await new Promise((resolve) => setTimeout(resolve, 500));
      }
  return refused;
}

let server: DifferentialServer;
let real: string[][];

beforeAll(async () => {
  server = await startDifferentialServer([], { serviceClusterIpRanges: ['10.96.0.0/16', 'fd00:10:96::/112'] });
  await server.server.whenReady();
  real = await createAll(server);
}, SERVER_BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

const plans = () =>
  new Map(ENVIRONMENTS.map((env) => [env, Object.keys(CORPUS[env]).map((app) => syncPlan(app, CORPUS[env][app]!, undefined, env))]));

describe('envs on one cluster, offline and on a real cluster', () => {
  it('the cluster refuses the later env its earlier env`s node ports and cluster IPs and a second default PriorityClass, and nothing else', () => {
    expect(
      real.map(([env, app, kind, name, message]) => [env, app, kind, name, message!.replace(/^.* (is invalid|is forbidden): /, '')]),
    ).toStrictEqual([
      ['staging', 'edge', 'Service', 'edge', 'spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'],
      [
        'staging',
        'platform',
        'PriorityClass',
        'default-staging',
        'PriorityClass default-dev is already marked as default. Only one default can exist',
      ],
      [
        'staging',
        'six',
        'Service',
        'six',
        'spec.clusterIPs: Invalid value: ["fd00:10:96:0:0::a"]: failed to allocate IP fd00:10:96:0:0::a: provided IP is already allocated',
      ],
      [
        'staging',
        'web',
        'Service',
        'web',
        'spec.clusterIPs: Invalid value: ["10.96.200.10"]: failed to allocate IP 10.96.200.10: provided IP is already allocated',
      ],
      [
        'prod',
        'api',
        'Service',
        'api',
        'spec.clusterIPs: Invalid value: ["10.96.200.11"]: failed to allocate IP 10.96.200.11: provided IP is already allocated',
      ],
      ['prod', 'edge', 'Service', 'edge', 'spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'],
    ]);
  });

  it('generate refuses each of them in one line, at the later env`s built file, naming both Applications and the earlier one`s file, in the server`s words, and the fix', () => {
    const lines = clusterCollisions(settings, plans());
    // Lines of what the cluster holds once: the object collisions (dev's default class again in prod) are another matter.
    const held = lines.filter((l) => !l.includes('deployed by both'));
    const words = (message: string) =>
      /failed to allocate IP \S+: provided IP is already allocated|provided port is already allocated|PriorityClass \S+ is already marked as default\. Only one default can exist/.exec(
        message,
      )![0];
    expect(held.map((l) => [/ and (\S+)-(\S+) \(env/.exec(l)?.slice(1, 3).reverse().join('/'), words(l)]).sort()).toStrictEqual(
      real.map(([env, app, , , message]) => [`${env}/${app}`, words(message!)]).sort(),
    );
    expect(held).toContain(
      `dist/staging/web.yaml: cluster IP 10.96.200.10: asked for by both web-dev (env dev, dist/dev/web.yaml) and web-staging (env staging) on ${SERVER}, where the second Service is refused: failed to allocate IP 10.96.200.10: provided IP is already allocated; give one of them another clusterIP (or none, and the cluster chooses one), or give the envs distinct clusters (gitops.server by env in strata.config.json)`,
    );
    expect(held).toContain(
      `dist/staging/platform.yaml: PriorityClass default-staging: PriorityClass default-dev is already marked as default. Only one default can exist: platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging) both ship a globalDefault PriorityClass to ${SERVER}, where the second is refused; keep globalDefault on one PriorityClass of the cluster, or give the envs distinct clusters (gitops.server by env in strata.config.json)`,
    );
  });

  it('envs on clusters of their own hold nothing of each other', () => {
    expect(clusterCollisions({ ...settings, server: undefined }, plans())).toStrictEqual([]);
  });
});
