import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ENVIRONMENTS, type Manifest } from '@strata/core';
import { UsageError } from '@strata/project';
import { buildOverlaySync, resolveKustomize } from '@strata/kustomize';
import { applyTree, HEADER } from '@strata/emit';
import { validateWithKubeconform } from '@strata/kubeconform-wrapper';
import { ANNOTATIONS_SIZE_LIMIT } from '@strata/policy';
import {
  GITOPS_DIR,
  IN_CLUSTER_SERVER,
  loadSettings,
  parseSettings,
  planGitops,
  projectDestination,
  templateDestination,
  writeGitops,
  type GitopsSettings,
} from '../src/index.ts';
import { tempWorkspace } from '@strata/testing/workspace';
import { appSetOf, generatedPaths, overlaysThatExist, readObjects, renderApplication, type AppSet, type Obj } from './argocd.ts';
import { autoscaler, deployment, writeRepo, yamlFile } from './repo.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const settings: GitopsSettings = { repoURL: 'https://git.example.test/team/fixture.git', targetRevision: 'release-7' };

/** A tiny repository: `web` (no Namespace object, an HPA) and `platform` (owns its Namespace, one large ConfigMap). */
function writeFixture(dir: string) {
  const labels = { app: 'web' };
  writeRepo(dir, {
    platform: {
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'platform' } },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'big', namespace: 'platform' },
          data: { blob: 'x'.repeat(ANNOTATIONS_SIZE_LIMIT + 1) },
        },
      ],
    },
    web: {
      objects: [
        deployment('web'),
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80 }] } },
        autoscaler('web', 2, 4),
      ],
      namespace: (env) => `web-${env}`,
    },
  });
}

let fixture: string;
let files: Map<string, string>;

beforeAll(() => {
  fixture = mkdtempSync(join(tmpdir(), 'strata-gitops-'));
  writeFixture(fixture);
  files = planGitops(fixture, settings, ['web', 'platform']);
  applyTree(fixture, files, { dirs: [GITOPS_DIR] });
});
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

describe('planGitops', () => {
  it("plans one AppProject, one ApplicationSet and a kustomization per env, all generated, and no root kustomization: each env's own Argo CD deploys in-cluster", () => {
    expect([...files.keys()].sort()).toStrictEqual(
      ENVIRONMENTS.flatMap((e) => [
        `gitops/${e}/applicationset.strata-${e}.yaml`,
        `gitops/${e}/appproject.strata-${e}.yaml`,
        `gitops/${e}/kustomization.yaml`,
      ]).sort(),
    );
    for (const content of files.values()) expect(content.startsWith(HEADER)).toBe(true);
  });

  it('with a server per env, one Argo CD syncs every env: each env deploys to its own server, and gitops/kustomization.yaml bootstraps them all', () => {
    const servers = { dev: 'https://dev.k8s.example.test', staging: 'https://staging.k8s.example.test', prod: 'https://prod.k8s.example.test' };
    const hub = planGitops(fixture, { ...settings, server: servers }, ['web', 'platform']);
    expect(parse(hub.get('gitops/kustomization.yaml')!)).toStrictEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['dev', 'staging', 'prod'],
    });
    for (const env of ENVIRONMENTS) {
      const set = parse(hub.get(`gitops/${env}/applicationset.strata-${env}.yaml`)!) as AppSet;
      expect(set.spec.template.spec.destination).toStrictEqual({ server: servers[env], namespace: '{{.path.basename}}' });
      const project = parse(hub.get(`gitops/${env}/appproject.strata-${env}.yaml`)!) as { spec: { destinations: { server: string }[] } };
      expect(new Set(project.spec.destinations.map((d) => d.server))).toStrictEqual(new Set([servers[env]]));
    }
  });

  it('refuses envs that deploy to one cluster and would both deploy an object, one line per object and pair of envs, naming both Applications and the fix', () => {
    // dev and staging on one cluster, prod on its own: web is in web-<env> in each env, platform in platform in all.
    const shared = {
      ...settings,
      server: { dev: 'https://k8s.example.test', staging: 'https://k8s.example.test', prod: 'https://prod.k8s.example.test' },
    };
    const fix = 'distinct clusters (gitops.server by env in strata.config.json)';
    expect(() => planGitops(fixture, shared, ['web', 'platform'])).toThrow(
      [
        `dist/staging/platform.yaml: ConfigMap platform/big: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging) to https://k8s.example.test, where each Application's sync overwrites the other's; give dev and staging distinct namespaces, or ${fix}`,
        `dist/staging/platform.yaml: Namespace platform: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging) to https://k8s.example.test, where each Application's sync overwrites the other's; give it a distinct name in dev and staging, or give the envs ${fix}`,
      ].join('\n'),
    );
    // One server for every env: prod collides too.
    let message = '';
    try {
      planGitops(fixture, { ...settings, server: 'https://k8s.example.test' }, ['web', 'platform']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n').map((l) => l.slice(0, l.indexOf(' to https')))).toStrictEqual([
      'dist/prod/platform.yaml: ConfigMap platform/big: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-prod (env prod)',
      'dist/prod/platform.yaml: ConfigMap platform/big: deployed by both platform-staging (env staging, dist/staging/platform.yaml) and platform-prod (env prod)',
      'dist/prod/platform.yaml: Namespace platform: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-prod (env prod)',
      'dist/prod/platform.yaml: Namespace platform: deployed by both platform-staging (env staging, dist/staging/platform.yaml) and platform-prod (env prod)',
      'dist/staging/platform.yaml: ConfigMap platform/big: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging)',
      'dist/staging/platform.yaml: Namespace platform: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging)',
    ]);
    // A node port is the cluster's: two envs' Services in their own namespaces still cannot both open it.
    const ports = mkdtempSync(join(tmpdir(), 'strata-gitops-ports-'));
    try {
      writeRepo(ports, {
        edge: {
          objects: [
            {
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: 'edge' },
              spec: { type: 'NodePort', selector: { app: 'edge' }, ports: [{ port: 80, nodePort: 30080 }] },
            },
          ],
          namespace: (env) => `edge-${env}`,
        },
      });
      expect(() => planGitops(ports, shared, ['edge'])).toThrow(
        new Error(
          `dist/staging/edge.yaml: node port 30080: opened by both edge-dev (env dev, dist/dev/edge.yaml) and edge-staging (env staging) on https://k8s.example.test, where the second Service is refused: provided port is already allocated; give one of them another nodePort, or give the envs ${fix}`,
        ),
      );
      // Each env on a cluster of its own (the default: each env's own Argo CD, in-cluster): nothing is shared.
      expect(planGitops(ports, settings, ['edge']).size).toBe(9);
    } finally {
      rmSync(ports, { recursive: true, force: true });
    }
    // An app in a namespace of its own per env shares nothing: web alone is fine on one cluster.
    expect(() => parseSettings({ ...settings, server: { qa: 'https://k8s.example.test' } })).toThrow(
      'gitops.server.qa: not an environment; name the server of some of "dev", "staging", "prod"',
    );
    expect(() => parseSettings({ ...settings, server: { prod: 'k8s.example.test' } })).toThrow(
      'gitops.server.prod: "k8s.example.test" is not an API server URL',
    );
    // Argo CD takes its own cluster only as https://kubernetes.default.svc exactly: with a slash the Application finds no cluster.
    for (const server of [`${IN_CLUSTER_SERVER}/`, { staging: `${IN_CLUSTER_SERVER}//` }]) {
      const at = typeof server === 'string' ? 'gitops.server' : 'gitops.server.staging';
      const written = typeof server === 'string' ? server : server.staging;
      expect(() => parseSettings({ ...settings, server })).toThrow(
        `${at}: "${written}" is not Argo CD's own cluster, which it matches as ${IN_CLUSTER_SERVER} exactly (with the slash, Argo CD before 3.4 finds no cluster and the Application never syncs); write "${IN_CLUSTER_SERVER}"`,
      );
    }
    expect(parseSettings({ ...settings, server: IN_CLUSTER_SERVER }).server).toBe(IN_CLUSTER_SERVER);
    expect(parseSettings({ ...settings, server: 'https://kubernetes.default.svc.cluster.local/' }).server).toBe(
      'https://kubernetes.default.svc.cluster.local/',
    );
    expect(planGitops(fixture, { ...settings, server: 'https://k8s.example.test' }, ['web']).has('gitops/kustomization.yaml')).toBe(true);
  });

  it('points each shared-cluster collision at the built file and line of the later env`s object and names the earlier env`s file and line', () => {
    const shared = {
      ...settings,
      server: { dev: 'https://k8s.example.test', staging: 'https://k8s.example.test', prod: 'https://prod.k8s.example.test' },
    };
    const fix = 'distinct clusters (gitops.server by env in strata.config.json)';
    const dir = mkdtempSync(join(tmpdir(), 'strata-gitops-places-'));
    try {
      writeRepo(dir, {
        edge: {
          objects: [
            { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { level: 'info' } },
            { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'edge-high' }, value: 1000 },
            {
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: 'edge' },
              spec: { type: 'NodePort', clusterIP: '10.96.0.50', selector: { app: 'edge' }, ports: [{ port: 80, nodePort: 30080 }] },
            },
          ],
          namespace: (env) => `edge-${env}`,
        },
      });
      // Built as `strata build` builds them; dev's file holds one more object first, so its lines differ from staging's.
      const command = resolveKustomize(dir);
      for (const env of ENVIRONMENTS) {
        const r = buildOverlaySync(dir, `overlays/${env}/edge`, { command });
        expect(r.ok, r.error).toBe(true);
        const extra = env === 'dev' ? 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  namespace: edge-dev\n---\n' : '';
        mkdirSync(join(dir, 'dist', env), { recursive: true });
        writeFileSync(join(dir, `dist/${env}/edge.yaml`), extra + r.yaml);
      }
      const lineOf = (env: string, pattern: RegExp) =>
        readFileSync(join(dir, `dist/${env}/edge.yaml`), 'utf8')
          .split('\n')
          .findIndex((l) => pattern.test(l)) + 1;
      const at = (env: string, pattern: RegExp) => `dist/${env}/edge.yaml:${lineOf(env, pattern)}`;
      expect(lineOf('dev', /nodePort: 30080/)).toBe(lineOf('staging', /nodePort: 30080/) + 6);
      const lines = () => {
        try {
          planGitops(dir, shared, ['edge']);
          return [];
        } catch (e) {
          return (e as Error).message.split('\n');
        }
      };
      expect(lines()).toStrictEqual([
        `${at('staging', /clusterIP: 10.96.0.50/)}: v1/Service edge-staging/edge: spec.clusterIP: asked for by both edge-dev (env dev, ${at('dev', /clusterIP: 10.96.0.50/)}) and edge-staging (env staging) on https://k8s.example.test, where the second Service is refused: failed to allocate IP 10.96.0.50: provided IP is already allocated; give one of them another clusterIP (or none, and the cluster chooses one), or give the envs ${fix}`,
        `${at('staging', /nodePort: 30080/)}: v1/Service edge-staging/edge: spec.ports[0].nodePort: node port 30080: opened by both edge-dev (env dev, ${at('dev', /nodePort: 30080/)}) and edge-staging (env staging) on https://k8s.example.test, where the second Service is refused: provided port is already allocated; give one of them another nodePort, or give the envs ${fix}`,
        `${at('staging', /^apiVersion: scheduling/)}: scheduling.k8s.io/v1/PriorityClass edge-high: deployed by both edge-dev (env dev, ${at('dev', /^apiVersion: scheduling/)}) and edge-staging (env staging) to https://k8s.example.test, where each Application's sync overwrites the other's; give it a distinct name in dev and staging, or give the envs ${fix}`,
      ]);
      // A built file that is missing, or built before the object was there, names the file alone.
      rmSync(join(dir, 'dist/dev'), { recursive: true });
      writeFileSync(join(dir, 'dist/staging/edge.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: edge-staging\n');
      expect(lines()[1]).toBe(
        `dist/staging/edge.yaml: node port 30080: opened by both edge-dev (env dev, dist/dev/edge.yaml) and edge-staging (env staging) on https://k8s.example.test, where the second Service is refused: provided port is already allocated; give one of them another nodePort, or give the envs ${fix}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a host and path of one IngressClass that Ingresses of two envs on one cluster both route, at the later one`s built file and line, and not across envs on clusters of their own', () => {
    const fix = 'distinct clusters (gitops.server by env in strata.config.json)';
    const ingress = (name: string, host: string, path: string, ingressClassName?: string) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name },
      spec: {
        ...(ingressClassName ? { ingressClassName } : {}),
        rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] } }],
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'strata-gitops-routes-'));
    try {
      writeRepo(dir, {
        // The same host and path in each env's own namespace: one route of the cluster where envs share it.
        shop: { objects: [ingress('shop', 'shop.example.com', '/', 'nginx')], namespace: (env) => `shop-${env}` },
        // Another class, or another path, than shop's: routes of their own, which clash only with admin's of the other env.
        admin: {
          objects: [ingress('admin', 'shop.example.com', '/', 'internal'), ingress('admin-api', 'shop.example.com', '/api', 'nginx')],
          namespace: (env) => `admin-${env}`,
        },
      });
      const command = resolveKustomize(dir);
      for (const env of ENVIRONMENTS) {
        const r = buildOverlaySync(dir, `overlays/${env}/shop`, { command });
        expect(r.ok, r.error).toBe(true);
        mkdirSync(join(dir, 'dist', env), { recursive: true });
        writeFileSync(join(dir, `dist/${env}/shop.yaml`), r.yaml);
      }
      const pathLine = (env: string) =>
        `dist/${env}/shop.yaml:${
          readFileSync(join(dir, `dist/${env}/shop.yaml`), 'utf8')
            .split('\n')
            .findIndex((l) => l.trim() === 'path: /') + 1
        }`;
      const refused = (server: GitopsSettings['server']) => {
        try {
          planGitops(dir, { ...settings, server }, ['shop', 'admin']);
          return [];
        } catch (e) {
          return (e as Error).message.split('\n');
        }
      };
      expect(refused({ dev: 'https://k8s.example.test', staging: 'https://k8s.example.test', prod: 'https://prod.k8s.example.test' })).toStrictEqual([
        // Not built: the file alone.
        `dist/staging/admin.yaml: host "shop.example.com" and path "/": routed by both admin-dev (env dev, dist/dev/admin.yaml) and admin-staging (env staging) in IngressClass "internal" on https://k8s.example.test, whose controller sends their traffic to one of the two only (ingress-nginx refuses the second at admission, others pick by age); give one of them another host or path, or give the envs ${fix}`,
        `dist/staging/admin.yaml: host "shop.example.com" and path "/api": routed by both admin-dev (env dev, dist/dev/admin.yaml) and admin-staging (env staging) in IngressClass "nginx" on https://k8s.example.test, whose controller sends their traffic to one of the two only (ingress-nginx refuses the second at admission, others pick by age); give one of them another host or path, or give the envs ${fix}`,
        `${pathLine('staging')}: networking.k8s.io/v1/Ingress shop-staging/shop: spec.rules[0].http.paths[0].path: host "shop.example.com" and path "/": routed by both shop-dev (env dev, ${pathLine('dev')}) and shop-staging (env staging) in IngressClass "nginx" on https://k8s.example.test, whose controller sends their traffic to one of the two only (ingress-nginx refuses the second at admission, others pick by age); give one of them another host or path, or give the envs ${fix}`,
      ]);
      // Each env on a cluster of its own: the same route in each is no clash.
      expect(refused(undefined)).toStrictEqual([]);
      expect(
        refused({ dev: 'https://dev.k8s.example.test', staging: 'https://staging.k8s.example.test', prod: 'https://prod.k8s.example.test' }),
      ).toStrictEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes servers for one cluster as Argo CD does: equal but for trailing slashes, and never by a lower-cased host or a dropped default port', () => {
    const collide = (dev: string, staging: string) => {
      try {
        planGitops(fixture, { ...settings, server: { dev, staging, prod: 'https://prod.k8s.example.test' } }, ['platform']);
        return [];
      } catch (e) {
        return (e as Error).message.split('\n');
      }
    };
    // Argo CD finds a cluster by strings.TrimRight(server, "/"): these Applications land on one cluster.
    for (const [dev, staging] of [
      ['https://k8s.example.test', 'https://k8s.example.test/'],
      ['https://k8s.example.test//', 'https://k8s.example.test'],
      ['https://k8s.example.test:6443/', 'https://k8s.example.test:6443'],
      ['https://k8s.example.test/proxy/', 'https://k8s.example.test/proxy'],
    ] as const) {
      expect(collide(dev, staging)).toStrictEqual([
        `dist/staging/platform.yaml: ConfigMap platform/big: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging) to ${dev.replace(/\/+$/, '')}, where each Application's sync overwrites the other's; give dev and staging distinct namespaces, or distinct clusters (gitops.server by env in strata.config.json)`,
        `dist/staging/platform.yaml: Namespace platform: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging) to ${dev.replace(/\/+$/, '')}, where each Application's sync overwrites the other's; give it a distinct name in dev and staging, or give the envs distinct clusters (gitops.server by env in strata.config.json)`,
      ]);
    }
    // In-cluster: Argo CD's own cluster is the exact URL, so `in-cluster` and the URL as written are one cluster ...
    const inCluster = (dev: string) => {
      try {
        planGitops(fixture, { ...settings, server: { dev, prod: 'https://prod.k8s.example.test' }, cluster: { staging: 'in-cluster' } }, [
          'platform',
        ]);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(inCluster(IN_CLUSTER_SERVER)).toContain(
      `deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging) to ${IN_CLUSTER_SERVER} (cluster in-cluster)`,
    );
    // ... while with a slash it is not that cluster (GetCluster compares it before trimming), nor refused here: parseSettings refuses it.
    expect(inCluster(`${IN_CLUSTER_SERVER}/`)).toBe('');
    // Argo CD compares the rest as written: another case, port, scheme or path is a cluster of its own.
    for (const [dev, staging] of [
      ['https://k8s.example.test', 'https://K8S.example.test'],
      ['https://k8s.example.test', 'https://k8s.example.test:443'],
      ['https://k8s.example.test', 'http://k8s.example.test'],
      ['https://k8s.example.test', 'https://k8s.example.test/proxy'],
    ] as const) {
      expect(collide(dev, staging)).toStrictEqual([]);
    }
  });

  it('is byte-stable', () => {
    expect(planGitops(fixture, settings, ['platform', 'web'])).toStrictEqual(files);
  });

  it('produces AppProjects, ApplicationSets and the Applications they render that pass strict kubeconform', async () => {
    const apps = mkdtempSync(join(tmpdir(), 'strata-gitops-apps-'));
    try {
      for (const env of ENVIRONMENTS) {
        const set = appSetOf(fixture, env);
        const rendered = generatedPaths(fixture, set).map((p) => renderApplication(set, p));
        writeFileSync(join(apps, `${env}.yaml`), yamlFile(rendered));
      }
      const paths = [...files.keys()].filter((p) => !p.endsWith('kustomization.yaml')).map((p) => join(fixture, p));
      const results = await validateWithKubeconform({ paths: [...paths, apps] }, { root: repo });
      expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
      expect(results.map((r) => r.kind).sort()).toStrictEqual(
        [...Array(6).fill('Application'), ...Array(3).fill('AppProject'), ...Array(3).fill('ApplicationSet')].sort(),
      );
    } finally {
      rmSync(apps, { recursive: true, force: true });
    }
  });

  it('takes the repo URL and target revision from the settings, everywhere', () => {
    for (const env of ENVIRONMENTS) {
      const set = appSetOf(fixture, env);
      expect(set.spec.generators).toStrictEqual([
        { git: { repoURL: settings.repoURL, revision: settings.targetRevision, directories: [{ path: `overlays/${env}/*` }] } },
      ]);
      expect(set.spec.template.spec.source).toStrictEqual({
        repoURL: settings.repoURL,
        targetRevision: settings.targetRevision,
        path: '{{.path.path}}',
      });
      const project = readObjects(fixture, `gitops/${env}/appproject.strata-${env}.yaml`)[0] as { spec: { sourceRepos: string[] } };
      expect(project.spec.sourceRepos).toStrictEqual([settings.repoURL]);
    }
    const text = [...files.values()].join('\n');
    expect(text).not.toContain('git.example.com');
  });

  it('syncs dev and staging automatically with prune and self-heal, and prod only by hand', () => {
    for (const env of ['dev', 'staging']) {
      expect(appSetOf(fixture, env).spec.template.spec.syncPolicy.automated).toStrictEqual({ prune: true, selfHeal: true });
    }
    const prod = files.get('gitops/prod/applicationset.strata-prod.yaml')!;
    expect(prod).not.toContain('automated');
    expect(appSetOf(fixture, 'prod').spec.template.spec.syncPolicy).not.toHaveProperty('automated');
  });

  it('limits each AppProject to the namespaces its apps use and allows only the cluster-scoped kinds they deploy', () => {
    const project = readObjects(fixture, 'gitops/staging/appproject.strata-staging.yaml')[0] as { metadata: Obj; spec: Obj };
    expect(project.metadata).toMatchObject({ name: 'strata-staging', namespace: 'argocd' });
    expect(project.spec.destinations).toStrictEqual([
      { namespace: 'platform', server: 'https://kubernetes.default.svc' },
      { namespace: 'web-staging', server: 'https://kubernetes.default.svc' },
    ]);
    expect(project.spec.clusterResourceWhitelist).toStrictEqual([{ group: '', kind: 'Namespace' }]);
  });

  it('gives each Application its namespace and the sync options its objects need', () => {
    const set = appSetOf(fixture, 'dev');
    const web = renderApplication(set, 'overlays/dev/web') as { metadata: Obj; spec: Obj & { syncPolicy: Obj; destination: Obj } };
    expect(web.metadata.name).toBe('web-dev');
    expect(web.spec.project).toBe('strata-dev');
    expect(web.spec.destination).toStrictEqual({ namespace: 'web-dev', server: 'https://kubernetes.default.svc' });
    // No Namespace object in the overlay; an HPA owns the replicas.
    expect(web.spec.syncPolicy.syncOptions).toStrictEqual(['CreateNamespace=true', 'RespectIgnoreDifferences=true']);
    expect(web.spec.ignoreDifferences).toStrictEqual([
      { group: 'apps', kind: 'Deployment', name: 'web', namespace: 'web-dev', jsonPointers: ['/spec/replicas'] },
    ]);
    const platform = renderApplication(set, 'overlays/dev/platform') as { spec: { syncPolicy: Obj; destination: Obj } };
    expect(platform.spec.destination.namespace).toBe('platform');
    // Owns its Namespace; one ConfigMap is larger than client-side apply can annotate.
    expect(platform.spec.syncPolicy.syncOptions).toStrictEqual(['ServerSideApply=true']);
  });
});

describe('clusters named as Argo CD knows them (gitops.cluster)', () => {
  const names = { dev: 'dev-eu', staging: 'default/api-staging:6443/kube:admin', prod: 'prod eu' };
  const applications = (planned: Map<string, string>) =>
    ENVIRONMENTS.map((env) => {
      const set = parse(planned.get(`gitops/${env}/applicationset.strata-${env}.yaml`)!) as AppSet;
      return renderApplication(set, `overlays/${env}/web`) as { spec: { destination: Obj } };
    });

  it('gives each Application destination.name and no server, the AppProject the same name, and writes gitops/kustomization.yaml for the one Argo CD', async () => {
    const hub = planGitops(fixture, { ...settings, cluster: names }, ['web', 'platform']);
    expect(parse(hub.get('gitops/kustomization.yaml')!)).toStrictEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['dev', 'staging', 'prod'],
    });
    const apps = applications(hub);
    ENVIRONMENTS.forEach((env, i) => {
      expect(apps[i]!.spec.destination).toStrictEqual({ name: names[env], namespace: `web-${env}` });
      const project = parse(hub.get(`gitops/${env}/appproject.strata-${env}.yaml`)!) as { spec: { destinations: Obj[] } };
      expect(project.spec.destinations).toStrictEqual([
        { name: names[env], namespace: 'platform' },
        { name: names[env], namespace: `web-${env}` },
      ]);
    });
    // The Applications, AppProjects and ApplicationSets pass the Argo CD CRDs' strict schemas.
    const out = mkdtempSync(join(tmpdir(), 'strata-gitops-names-'));
    try {
      writeFileSync(join(out, 'applications.yaml'), yamlFile(apps as unknown as Obj[]));
      for (const [path, content] of hub) if (!path.endsWith('kustomization.yaml')) writeFileSync(join(out, path.replaceAll('/', '_')), content);
      const results = await validateWithKubeconform({ paths: [out] }, { root: repo });
      expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
      expect(results.map((r) => r.kind).sort()).toStrictEqual(
        [...Array(3).fill('Application'), ...Array(3).fill('AppProject'), ...Array(3).fill('ApplicationSet')].sort(),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('names one cluster for every env, or mixes names and servers by env, each env with exactly one of the two', () => {
    const one = parseSettings({ ...settings, cluster: 'hub' });
    expect(applications(planGitops(fixture, one, ['web'])).map((a) => a.spec.destination)).toStrictEqual(
      ENVIRONMENTS.map((env) => ({ name: 'hub', namespace: `web-${env}` })),
    );
    const mixed = parseSettings({ ...settings, server: { dev: 'https://dev.k8s.example.test' }, cluster: { prod: 'prod-eu' } });
    expect(mixed).toMatchObject({ server: { dev: 'https://dev.k8s.example.test' }, cluster: { prod: 'prod-eu' } });
    const planned = planGitops(fixture, mixed, ['web']);
    expect(applications(planned).map((a) => a.spec.destination)).toStrictEqual([
      { server: 'https://dev.k8s.example.test', namespace: 'web-dev' },
      // Left out of both: Argo CD's own cluster.
      { server: 'https://kubernetes.default.svc', namespace: 'web-staging' },
      { name: 'prod-eu', namespace: 'web-prod' },
    ]);
    expect(planned.has('gitops/kustomization.yaml')).toBe(true);
    // In promotion order whatever the order written, so that the same settings plan the same files.
    expect(Object.keys(parseSettings({ ...settings, cluster: { prod: 'p', dev: 'd' } }).cluster as object)).toStrictEqual(['dev', 'prod']);
  });

  it.each([
    [
      { cluster: '' },
      'gitops.cluster: "" is not a cluster name; use the name Argo CD lists for the cluster (argocd cluster list), e.g. "prod-eu" or "in-cluster"',
    ],
    [{ cluster: { prod: '' } }, 'gitops.cluster.prod: "" is not a cluster name;'],
    [{ cluster: { prod: 7 } }, 'gitops.cluster.prod: 7 is not a cluster name;'],
    [{ cluster: ['prod-eu'] }, 'gitops.cluster: ["prod-eu"] is not a cluster name;'],
    [{ cluster: { qa: 'qa-eu' } }, 'gitops.cluster.qa: not an environment; name the cluster of some of "dev", "staging", "prod"'],
    [
      { server: { prod: 'https://prod.k8s.example.test' }, cluster: { prod: 'prod-eu' } },
      'gitops.cluster.prod: prod deploys to the cluster named "prod-eu" here and to https://prod.k8s.example.test by gitops.server.prod; an Argo CD Application names its cluster by server URL or by name, never both: remove gitops.server.prod or gitops.cluster.prod',
    ],
    [
      { server: 'https://k8s.example.test', cluster: { staging: 'staging-eu' } },
      'gitops.cluster.staging: staging deploys to the cluster named "staging-eu" here and to https://k8s.example.test by gitops.server; an Argo CD Application names its cluster by server URL or by name, never both: remove gitops.server or gitops.cluster.staging',
    ],
    [{ consumer: 'both', cluster: 'hub' }, 'gitops.cluster: Flux applies to the cluster it runs in; remove cluster, or set consumer to "argocd"'],
  ])('refuses %j in one line naming the key and the fix', (gitops, message) => {
    const root = mkdtempSync(join(tmpdir(), 'strata-settings-cluster-'));
    try {
      writeFileSync(join(root, 'strata.config.json'), JSON.stringify({ gitops: { ...settings, ...gitops } }));
      const thrown = (() => {
        try {
          loadSettings(root);
        } catch (e) {
          return e as Error;
        }
        throw new Error('loadSettings accepted it');
      })();
      expect(thrown).toBeInstanceOf(UsageError);
      expect(thrown.message.startsWith(`strata.config.json: ${message}`), thrown.message).toBe(true);
      expect(thrown.message).not.toContain('\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses envs that share one cluster name and would both deploy an object, naming the cluster and gitops.cluster as the fix', () => {
    const shared = { ...settings, cluster: { dev: 'shared', staging: 'shared', prod: 'prod-eu' } };
    const fix = 'distinct clusters (gitops.cluster by env in strata.config.json)';
    expect(() => planGitops(fixture, shared, ['web', 'platform'])).toThrow(
      new Error(
        [
          `dist/staging/platform.yaml: ConfigMap platform/big: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging) to cluster shared, where each Application's sync overwrites the other's; give dev and staging distinct namespaces, or ${fix}`,
          `dist/staging/platform.yaml: Namespace platform: deployed by both platform-dev (env dev, dist/dev/platform.yaml) and platform-staging (env staging) to cluster shared, where each Application's sync overwrites the other's; give it a distinct name in dev and staging, or give the envs ${fix}`,
        ].join('\n'),
      ),
    );
    // Distinct names are distinct clusters.
    expect(planGitops(fixture, { ...settings, cluster: names }, ['web', 'platform']).size).toBe(10);
    // A name and a server are one cluster only for Argo CD's own: in-cluster is https://kubernetes.default.svc.
    expect(() =>
      planGitops(fixture, { ...settings, server: { staging: 'https://k8s.example.test' }, cluster: { prod: 'in-cluster' } }, ['platform']),
    ).toThrow(
      /^dist\/prod\/platform\.yaml: ConfigMap platform\/big: deployed by both platform-dev \(env dev, dist\/dev\/platform\.yaml\) and platform-prod \(env prod\) to https:\/\/kubernetes\.default\.svc \(cluster in-cluster\), .*distinct clusters \(gitops\.server or gitops\.cluster by env in strata\.config\.json\)$/m,
    );
    // Any other name may stand for any server: only Argo CD knows, so the two are not compared.
    expect(
      planGitops(fixture, { ...settings, server: { dev: 'https://k8s.example.test' }, cluster: { staging: 'k8s', prod: 'prod-eu' } }, ['platform'])
        .size,
    ).toBe(10);
  });
});

describe('the destinations Strata writes', () => {
  it('are literal in the AppProject, where Argo CD reads a name or server as a glob pattern (gobwas/glob), a leading ! as a denial', () => {
    expect(projectDestination({ name: 'prod*' })).toStrictEqual({ name: 'prod\\*' });
    expect(projectDestination({ name: '!prod' })).toStrictEqual({ name: '\\!prod' });
    expect(projectDestination({ name: 'a{b,c}?[x]\\' })).toStrictEqual({ name: 'a\\{b,c\\}\\?\\[x\\]\\\\' });
    expect(projectDestination({ name: 'default/api-x:6443/kube:admin' })).toStrictEqual({ name: 'default/api-x:6443/kube:admin' });
    expect(projectDestination({ server: 'https://[fd00::1]:6443' })).toStrictEqual({ server: 'https://\\[fd00::1\\]:6443' });
    expect(projectDestination({ server: 'https://kubernetes.default.svc' })).toStrictEqual({ server: 'https://kubernetes.default.svc' });
  });

  it('are literal in the ApplicationSet template, which Argo CD reads as a Go template', () => {
    expect(templateDestination({ name: 'a{{b}}' })).toStrictEqual({ name: 'a{{"{{"}}b}}' });
    expect(templateDestination({ name: 'prod-eu' })).toStrictEqual({ name: 'prod-eu' });
    const planned = planGitops(fixture, { ...settings, cluster: { prod: 'x{{y' } }, ['web']);
    expect((parse(planned.get('gitops/prod/applicationset.strata-prod.yaml')!) as AppSet).spec.template.spec.destination).toStrictEqual({
      name: 'x{{"{{"}}y',
      namespace: '{{.path.basename}}',
    });
    const project = parse(planned.get('gitops/prod/appproject.strata-prod.yaml')!) as { spec: { destinations: Obj[] } };
    expect(project.spec.destinations[0]).toStrictEqual({ name: 'x\\{\\{y', namespace: 'web-prod' });
  });
});

describe('generator directories', () => {
  it('match exactly the overlays of the fixture, and every one has its own templatePatch branch', () => {
    for (const env of ENVIRONMENTS) {
      const set = appSetOf(fixture, env);
      expect(generatedPaths(fixture, set)).toStrictEqual(overlaysThatExist(fixture, env));
      expect(set.spec.templatePatch).toContain('{{- if eq .path.basename "platform" }}');
    }
  });

  it('of the committed gitops/ match exactly the committed overlays: no Application without an overlay, no overlay without an Application', () => {
    for (const env of ENVIRONMENTS) {
      const set = appSetOf(repo, env);
      const selected = generatedPaths(repo, set);
      expect(selected).toStrictEqual(overlaysThatExist(repo, env));
      for (const path of selected) {
        expect(existsSync(join(repo, path, 'kustomization.yaml')), path).toBe(true);
        const basename = path.slice(path.lastIndexOf('/') + 1);
        expect(set.spec.templatePatch, `${path} has no templatePatch branch: regenerate gitops/`).toContain(`eq .path.basename "${basename}" }}`);
      }
    }
  });

  it('of an env no longer include a removed overlay', () => {
    const copy = mkdtempSync(join(tmpdir(), 'strata-gitops-rm-'));
    try {
      writeFixture(copy);
      rmSync(join(copy, 'overlays/prod/web'), { recursive: true });
      const set = parse(planGitops(copy, settings, ['platform'], { built: () => [] }).get('gitops/prod/applicationset.strata-prod.yaml')!) as AppSet;
      expect(generatedPaths(copy, set)).toStrictEqual(['overlays/prod/platform']);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('the AppProject of an env', () => {
  const configMap = (name: string, namespace: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: 'b' } });
  /** The destinations of each env's AppProject, planned for `built` (an env's objects of each app) in a workspace with `config`. */
  const destinations = (built: (env: string, app: string) => Obj[], config?: Obj) => {
    const root = mkdtempSync(join(tmpdir(), 'strata-gitops-project-'));
    try {
      if (config) writeFileSync(join(root, 'strata.config.json'), JSON.stringify(config));
      const files = planGitops(root, settings, ['api', 'platform'], { built: (env, app) => built(env, app) as Manifest[] });
      return Object.fromEntries(
        ENVIRONMENTS.map((e) => {
          const project = parse(files.get(`gitops/${e}/appproject.strata-${e}.yaml`)!) as { spec: { destinations: { namespace: string }[] } };
          return [e, project.spec.destinations.map((d) => d.namespace)];
        }),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  it('allows only the namespaces that exist in the env, never one that nothing creates, such as a typo', () => {
    const built = (env: string, app: string) =>
      app === 'platform'
        ? // Ships the Namespace shared in dev only.
          [...(env === 'dev' ? [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shared' } }] : []), configMap('settings', 'platform')]
        : [
            // The destination, which Argo CD creates: the namespace most of the objects name.
            configMap('a', 'shop'),
            configMap('b', 'shop'),
            // A typo, which nothing creates.
            configMap('c', 'shpo'),
            // Another app's Namespace, where it ships one.
            configMap('d', 'shared'),
            // One every cluster has.
            configMap('e', 'kube-system'),
            // One the platform creates, as strata.config.json says.
            configMap('f', 'monitoring'),
          ];
    expect(destinations(built)).toStrictEqual({
      dev: ['kube-system', 'platform', 'shared', 'shop'],
      staging: ['kube-system', 'platform', 'shop'],
      prod: ['kube-system', 'platform', 'shop'],
    });
    expect(destinations(built, { kubernetes: { namespaces: ['monitoring'] } })).toStrictEqual({
      dev: ['kube-system', 'monitoring', 'platform', 'shared', 'shop'],
      staging: ['kube-system', 'monitoring', 'platform', 'shop'],
      prod: ['kube-system', 'monitoring', 'platform', 'shop'],
    });
  });
});

describe('loadSettings', () => {
  const withConfig = (content: string | undefined, fn: (root: string) => void) => {
    const root = mkdtempSync(join(tmpdir(), 'strata-settings-'));
    try {
      if (content !== undefined) writeFileSync(join(root, 'strata.config.json'), content);
      fn(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  it('reads the committed strata.config.json', () => {
    expect(loadSettings(repo)).toStrictEqual({ repoURL: 'https://git.example.com/platform/strata.git', targetRevision: 'main' });
  });

  it('takes the git URLs Argo CD clones: http(s) and ssh with a host and a path, and the scp-like user@host:path of any user', () => {
    for (const repoURL of [
      'https://git.example.com/platform/strata.git',
      'http://git.example.com:8080/platform/strata',
      'ssh://git@git.example.com:2222/platform/strata.git',
      'git@git.example.com:platform/strata.git',
      'org-1@ssh.dev.example.com:v3/org/project/strata',
      'git@git.example.com:/srv/git/strata.git',
    ]) {
      expect(parseSettings({ repoURL, targetRevision: 'main' }).repoURL).toBe(repoURL);
    }
  });

  // Argo CD matches the Application's repoURL against the AppProject's sourceRepos as a glob pattern
  // (argo-cd v3.5.8 AppProject.IsSourcePermitted is false for sourceRepos [ssh://git@[::1]/org/repo.git]
  // and that same repoURL, true for a DNS host), and "[::1]" is a character class there.
  it('refuses an IPv6 host when Argo CD consumes the repository, in one line saying why and to name the host by DNS; Flux alone takes it', () => {
    for (const repoURL of [
      'https://[fd00::1]:8443/platform/strata.git',
      'ssh://git@[fd00::1]/platform/strata.git',
      'ssh://git@[::1]:2222/platform/strata.git',
      'ssh://alice@[2001:db8::1]/org/repo.git',
      'https://[fe80::1%25en0]/platform/strata.git',
      'ssh://git@[fe80::1%eth0]/org/repo.git',
      'git@[::1]:org/repo.git',
      'git@[fe80::1%eth0]:org/repo.git',
    ]) {
      for (const consumer of [{}, { consumer: 'argocd' }, { consumer: 'both' }]) {
        expect(() => parseSettings({ repoURL, targetRevision: 'main', ...consumer }), `${repoURL} ${JSON.stringify(consumer)}`).toThrow(
          new UsageError(
            `gitops.repoURL: ${JSON.stringify(repoURL)} has an IPv6 host, which Argo CD cannot take: its AppProject matches sourceRepos as glob patterns, where "[...]" is a character class, so the project would refuse every Application; give the host a DNS name and write that`,
          ),
        );
      }
    }
    for (const repoURL of [
      'https://[fd00::1]:8443/platform/strata.git',
      'ssh://git@[fd00::1]/platform/strata.git',
      'ssh://git@[::1]:2222/platform/strata.git',
    ]) {
      expect(parseSettings({ repoURL, targetRevision: 'main', consumer: 'flux' }).repoURL, repoURL).toBe(repoURL);
    }
    // An IPv4 address is no glob syntax: Argo CD takes it.
    expect(parseSettings({ repoURL: 'https://192.0.2.1/platform/strata.git', targetRevision: 'main' }).repoURL).toBe(
      'https://192.0.2.1/platform/strata.git',
    );
  });

  it('refuses an IPv6 host in the scp-like form for Flux in one line naming the ssh:// URL to write, which Flux takes', () => {
    for (const [repoURL, write] of [
      ['git@[::1]:org/repo.git', 'ssh://git@[::1]/org/repo.git'],
      ['git@[fd00::1]:/srv/git/strata.git', 'ssh://git@[fd00::1]/srv/git/strata.git'],
      // The zone of a link-local address, written raw in the scp-like form, is percent-encoded in the URL.
      ['git@[fe80::1%eth0]:org/repo.git', 'ssh://git@[fe80::1%25eth0]/org/repo.git'],
    ]) {
      expect(() => parseSettings({ repoURL, targetRevision: 'main', consumer: 'flux' }), repoURL).toThrow(
        new UsageError(
          `gitops.repoURL: ${JSON.stringify(repoURL)} has an IPv6 host in the scp-like form, which Flux's GitRepository refuses (its url must start with http://, https:// or ssh://); write it as "${write}"`,
        ),
      );
      expect(parseSettings({ repoURL: write, targetRevision: 'main', consumer: 'flux' }).repoURL, repoURL).toBe(write);
    }
  });

  // Go's net/url, which Flux's git client parses the URL with, reads an IPv6 zone only
  // percent-encoded (RFC 6874: [fe80::1%25eth0]), as git does; WHATWG URLs take no zone at all.
  it('takes an IPv6 zone written %25 for Flux, and refuses a bare "%" in one line naming the URL to write, which Flux takes', () => {
    const consumer = 'flux';
    for (const repoURL of [
      'ssh://git@[fe80::1%25eth0]/org/repo.git',
      'ssh://git@[fe80::1%25eth0]:2222/org/repo.git',
      'https://[fe80::1%25en0]/platform/strata.git',
      // A zone may hold percent-encoded characters of its own (%65 is "e": the zone en0).
      'ssh://git@[fe80::1%25%65n0]/org/repo.git',
    ]) {
      expect(parseSettings({ repoURL, targetRevision: 'main', consumer }).repoURL, `${repoURL} ${consumer}`).toBe(repoURL);
    }
    for (const [repoURL, write] of [
      ['ssh://git@[fe80::1%eth0]/org/repo.git', 'ssh://git@[fe80::1%25eth0]/org/repo.git'],
      ['https://[fe80::1%en0]:8443/platform/strata.git', 'https://[fe80::1%25en0]:8443/platform/strata.git'],
    ]) {
      const where = `${repoURL} ${consumer}`;
      expect(() => parseSettings({ repoURL, targetRevision: 'main', consumer }), where).toThrow(
        new UsageError(
          `gitops.repoURL: ${JSON.stringify(repoURL)} has an IPv6 zone after a bare "%", which Go's URL parser (Flux's git client) refuses; write the "%" as "%25": "${write}"`,
        ),
      );
      expect(parseSettings({ repoURL: write, targetRevision: 'main', consumer }).repoURL, where).toBe(write);
    }
    // A zone does not excuse the rest of the host: an empty zone, or a port out of range.
    for (const repoURL of ['ssh://git@[fe80::1%25]/org/repo.git', 'ssh://git@[fe80::1%25eth0]:99999/org/repo.git']) {
      expect(() => parseSettings({ repoURL, targetRevision: 'main', consumer }), `${repoURL} ${consumer}`).toThrow(
        `gitops.repoURL: ${JSON.stringify(repoURL)} is not a git URL: its host or port is not valid`,
      );
    }
  });

  it.each([
    [undefined, 'strata.config.json: not found at the repository root; create it with'],
    ['{"gitops": ', 'strata.config.json: not valid JSON'],
    ['{}', 'strata.config.json: gitops: must be an object with repoURL and targetRevision'],
    ['{"gitops": {"targetRevision": "main"}}', 'strata.config.json: gitops.repoURL: must be a non-empty string'],
    ['{"gitops": {"repoURL": "git.example.com/x", "targetRevision": "main"}}', 'gitops.repoURL: "git.example.com/x" is not a git URL'],
    ['{"gitops": {"repoURL": "https://h/x.git", "targetRevision": ""}}', 'gitops.targetRevision: must be a non-empty string'],
    ['{"gitops": {"repoURL": "https://h/x.git", "targetRevision": "main", "branch": "x"}}', 'gitops.branch: unknown setting'],
    // git refuses a URL with whitespace ("URL using bad/illegal format"), even a trailing space; and a URL needs a host and a path.
    ...[
      [
        'https://git.example.com/platform/strata.git ',
        'it holds whitespace or a control character, which git refuses (URL using bad/illegal format)',
      ],
      [
        'https://git.example.com/plat form/strata.git',
        'it holds whitespace or a control character, which git refuses (URL using bad/illegal format)',
      ],
      ['https://git.example.com/x.git\n', 'it holds whitespace or a control character, which git refuses (URL using bad/illegal format)'],
      ['https://', 'it names no host'],
      ['https:///platform/strata.git', 'it names no host'],
      ['https://git.example.com', 'it names no repository path after the host'],
      ['https://git.example.com/', 'it names no repository path after the host'],
      ['https://git.example.com:99999/x.git', 'its host or port is not valid'],
      ['ssh://git@git.example.com:org/x.git', 'its host or port is not valid'],
      ['ssh://@git.example.com/x.git', 'it names no user before the "@"'],
      ['git@host:', 'it names no repository path after the host'],
      ['git@:org/x.git', 'it names no host before the ":"'],
    ].map(([url, why]): [string, string] => [
      JSON.stringify({ gitops: { repoURL: url, targetRevision: 'main' } }),
      `strata.config.json: gitops.repoURL: ${JSON.stringify(url)} is not a git URL: ${why}; use https://host/org/repo.git or git@host:org/repo.git`,
    ]),
    // Argo CD renders the ApplicationSet's template as a Go template: these would run per Application.
    [
      '{"gitops": {"repoURL": "https://h/{{.path.basename}}/x.git", "targetRevision": "main"}}',
      'strata.config.json: gitops.repoURL: "https://h/{{.path.basename}}/x.git" holds "{{", which Argo CD runs as Go template syntax in each Application of the ApplicationSet (goTemplate); write the URL git clones',
    ],
    [
      '{"gitops": {"repoURL": "https://h/platform/{{strata}}.git", "targetRevision": "main"}}',
      'gitops.repoURL: "https://h/platform/{{strata}}.git" holds "{{"',
    ],
    [
      '{"gitops": {"repoURL": "https://h/x.git", "targetRevision": "{{.path.basename}}"}}',
      'strata.config.json: gitops.targetRevision: "{{.path.basename}}" holds "{{", which Argo CD runs as Go template syntax in each Application of the ApplicationSet (goTemplate); name the branch, tag or commit itself, e.g. "main"',
    ],
  ])('fails with a message that says what to fix (%s)', (content, message) => {
    withConfig(content, (root) => {
      expect(() => loadSettings(root)).toThrow(UsageError);
      expect(() => loadSettings(root)).toThrow(message);
    });
  });
});

// kustomize runs in the kustomize package only; a planner that builds gets its verdicts from there.
// A crashed kustomize cannot be produced on demand, so stand-ins play it: the one fault injected.
describe('kustomize while planning gitops/', () => {
  let copy: string;
  let tools: string;
  const real = join(repo, '.tools', 'bin', 'kustomize');
  const tool = (name: string, body: string) => {
    const file = join(tools, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const withKustomize = <T>(command: string, fn: () => T): T => {
    const before = process.env.STRATA_KUSTOMIZE;
    process.env.STRATA_KUSTOMIZE = command;
    try {
      return fn();
    } finally {
      if (before === undefined) delete process.env.STRATA_KUSTOMIZE;
      else process.env.STRATA_KUSTOMIZE = before;
    }
  };
  const thrown = (fn: () => unknown): Error => {
    try {
      fn();
    } catch (e) {
      return e as Error;
    }
    throw new Error('did not throw');
  };
  let panics: string;
  let garbage: string;
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'strata-gitops-kustomize-'));
    tools = mkdtempSync(join(tmpdir(), 'strata-gitops-tools-'));
    writeFixture(copy);
    panics = tool('panics', 'echo "panic: runtime error: index out of range [3] with length 3" >&2; echo "goroutine 1 [running]:" >&2; exit 2');
    garbage = tool('garbage', 'echo "{not what was asked for"; exit 0');
  });
  afterAll(() => {
    rmSync(copy, { recursive: true, force: true });
    rmSync(tools, { recursive: true, force: true });
  });

  it('an overlay kustomize refuses is invalid input, not a tool error', () => {
    const kustomization = join(copy, 'overlays/dev/web/kustomization.yaml');
    const original = readFileSync(kustomization, 'utf8');
    writeFileSync(kustomization, stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['missing.yaml'] }));
    try {
      const e = withKustomize(real, () => thrown(() => planGitops(copy, settings, ['web', 'platform'])));
      expect(e.name).toBe('Error');
      expect(e.message).toMatch(/^overlays\/dev\/web: kustomize build failed: accumulating resources: .*missing\.yaml/);
    } finally {
      writeFileSync(kustomization, original);
    }
  });

  it.each([
    [
      'crashes',
      () => panics,
      (cmd: string) =>
        `overlays/dev/platform: kustomize build failed: ${cmd} crashed (exit code 2): panic: runtime error: index out of range [3] with length 3`,
    ],
    [
      'answers garbage',
      () => garbage,
      (cmd: string) => `overlays/dev/platform: kustomize build failed: ${cmd} exited 0 but its output is not YAML (`,
    ],
  ])('a kustomize that %s is a tool error', (_what, command, message) => {
    const e = withKustomize(command(), () => thrown(() => planGitops(copy, settings, ['web', 'platform'])));
    expect(e.name).toBe('ToolError');
    expect(e.message.startsWith(message(command()))).toBe(true);
    expect(e.message).not.toContain('\n');
  });

  it('writeGitops fails on a crashed kustomize instead of leaving apps out, and writes nothing', async () => {
    const before = process.env.STRATA_KUSTOMIZE;
    process.env.STRATA_KUSTOMIZE = panics;
    try {
      await expect(writeGitops(copy, settings, ['web', 'platform'])).rejects.toMatchObject({ name: 'ToolError' });
    } finally {
      if (before === undefined) delete process.env.STRATA_KUSTOMIZE;
      else process.env.STRATA_KUSTOMIZE = before;
    }
    expect(existsSync(join(copy, GITOPS_DIR))).toBe(false);
  });

  it('scripts/gitops.ts exits 2 with one line when kustomize crashes, 0 when it works', () => {
    const ws = tempWorkspace(['tokenplace-relay']);
    try {
      const run = (env: Record<string, string>) =>
        spawnSync(process.execPath, ['--import', 'tsx', join(ws.root, 'scripts/gitops.ts')], {
          cwd: ws.root,
          encoding: 'utf8',
          env: { ...process.env, ...env },
        });
      const crashed = run({ STRATA_KUSTOMIZE: panics });
      expect(crashed.stderr).toMatch(/^gitops: overlays\/dev\/tokenplace-relay: kustomize build failed: .* crashed \(exit code 2\): panic: /);
      expect(crashed.stderr.trim().split('\n')).toHaveLength(1);
      expect(crashed.status).toBe(2);
      const ok = run({});
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^gitops\/: 1 apps; wrote \d+ files/);
    } finally {
      ws.dispose();
    }
  }, 120_000);
});
