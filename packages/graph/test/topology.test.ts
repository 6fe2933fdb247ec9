import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Manifest } from '@strata/core';
import { HEADER } from '@strata/emit';
import { collapseSimilar, redrawTopology, renderEnvGraph, toDot, toMermaid, topology, toSvg, type GraphEdge, type Topology } from '../src/index.ts';

const ns = 'shop';
const meta = (name: string, labels?: Record<string, string>): Manifest['metadata'] => ({ name, namespace: ns, ...(labels ? { labels } : {}) });
const web = { 'app.kubernetes.io/name': 'web' };
const db = { 'app.kubernetes.io/name': 'db' };

/** A small shop as `kustomize build` prints it: the generated ConfigMap already carries its hash suffix. */
const fixture: Manifest[] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta('web'),
    spec: {
      rules: [
        {
          host: 'shop.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] },
        },
      ],
    },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: meta('web', web), spec: { selector: web, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('web', web),
    spec: {
      replicas: 2,
      selector: { matchLabels: web },
      template: {
        metadata: { labels: web },
        spec: {
          serviceAccountName: 'web',
          containers: [
            {
              name: 'web',
              image: 'shop/web:1.0.0',
              envFrom: [{ configMapRef: { name: 'web-config-8m5tk2h9cg' } }],
              env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }],
            },
          ],
          volumes: [
            { name: 'settings', configMap: { name: 'web-settings' } },
            { name: 'uploads', persistentVolumeClaim: { claimName: 'web-uploads' } },
          ],
        },
      },
    },
  },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('web-config-8m5tk2h9cg'), data: { MODE: 'shop' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('web-settings-h2d4fg7k9b'), data: { a: 'b' } },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta('web-uploads'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
  },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('web') },
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('web'),
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5 },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('db', db),
    spec: {
      serviceName: 'db',
      selector: { matchLabels: db },
      template: { metadata: { labels: db }, spec: { containers: [{ name: 'db', image: 'postgres:17' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } } }],
    },
  },
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: meta('web'),
    spec: { selector: { matchLabels: web }, endpoints: [{ port: 'http' }] },
  },
  {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: meta('db-credentials'),
    spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' }, target: { name: 'db-credentials' }, data: [] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('default-deny'),
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('web'),
    spec: {
      podSelector: { matchLabels: web },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
          ports: [{ port: 8080, protocol: 'TCP' }],
        },
      ],
      egress: [
        { to: [{ podSelector: { matchLabels: db } }], ports: [{ port: 5432, protocol: 'TCP' }] },
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
        { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443 }] },
      ],
    },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('db'),
    spec: {
      podSelector: { matchLabels: db },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: web } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
    },
  },
];

const edge = (g: Topology, from: string, to: string): GraphEdge | undefined => g.edges.find((e) => e.from === from && e.to === to);

describe('topology', () => {
  const g = topology(fixture);

  it('routes Ingress -> Service -> Deployment by backend and selector', () => {
    expect(edge(g, 'Ingress/shop/web', 'Service/shop/web')).toStrictEqual({
      from: 'Ingress/shop/web',
      to: 'Service/shop/web',
      kind: 'routes',
      label: 'http',
    });
    expect(edge(g, 'Service/shop/web', 'Deployment/shop/web')).toStrictEqual({
      from: 'Service/shop/web',
      to: 'Deployment/shop/web',
      kind: 'selects',
    });
    expect(edge(g, 'Service/shop/web', 'StatefulSet/shop/db')).toBeUndefined();
  });

  it('links a workload to its hash-suffixed ConfigMaps, whether the reference carries the hash or not', () => {
    expect(edge(g, 'Deployment/shop/web', 'ConfigMap/shop/web-config-8m5tk2h9cg')?.kind).toBe('env');
    expect(edge(g, 'Deployment/shop/web', 'ConfigMap/shop/web-settings-h2d4fg7k9b')?.kind).toBe('mounts');
    const node = g.nodes.find((n) => n.id === 'ConfigMap/shop/web-config-8m5tk2h9cg');
    expect(node?.lines[0]).toBe('web-config');
    expect(g.nodes.some((n) => n.id === 'ConfigMap/shop/web-settings')).toBe(false);
  });

  it('links a workload to its Secret, PVC, ServiceAccount and volumeClaimTemplates', () => {
    expect(edge(g, 'Deployment/shop/web', 'Secret/shop/db-credentials')?.kind).toBe('env');
    expect(edge(g, 'Deployment/shop/web', 'PersistentVolumeClaim/shop/web-uploads')?.kind).toBe('claims');
    expect(edge(g, 'Deployment/shop/web', 'ServiceAccount/shop/web')?.kind).toBe('runs-as');
    expect(edge(g, 'StatefulSet/shop/db', 'PersistentVolumeClaim/shop/data-db-*')?.kind).toBe('claims');
  });

  it('links HPA -> Deployment with its replica range, ServiceMonitor -> Service, ExternalSecret -> Secret', () => {
    expect(edge(g, 'HorizontalPodAutoscaler/shop/web', 'Deployment/shop/web')).toStrictEqual({
      from: 'HorizontalPodAutoscaler/shop/web',
      to: 'Deployment/shop/web',
      kind: 'scales',
      label: '2–5 replicas',
    });
    expect(edge(g, 'ServiceMonitor/shop/web', 'Service/shop/web')?.kind).toBe('monitors');
    expect(edge(g, 'ExternalSecret/shop/db-credentials', 'Secret/shop/db-credentials')?.kind).toBe('creates');
    expect(edge(g, 'ClusterSecretStore//vault', 'ExternalSecret/shop/db-credentials')?.kind).toBe('reads-from');
    // The Secret is made by the operator at run time: drawn, but marked as not in the manifests.
    expect(g.nodes.find((n) => n.id === 'Secret/shop/db-credentials')?.implied).toBe(true);
  });

  it('draws NetworkPolicy allowances with their ports, merging both sides of one allowance', () => {
    const allows = g.edges.filter((e) => e.kind === 'allows');
    expect(allows).toContainEqual({ from: 'peer/shop/shop/ns:ingress-nginx', to: 'Deployment/shop/web', kind: 'allows', label: 'TCP 8080' });
    // web's egress rule and db's ingress rule allow the same connection: one edge.
    expect(allows.filter((e) => e.from === 'Deployment/shop/web' && e.to === 'StatefulSet/shop/db')).toStrictEqual([
      { from: 'Deployment/shop/web', to: 'StatefulSet/shop/db', kind: 'allows', label: 'TCP 5432' },
    ]);
    expect(allows).toContainEqual({ from: 'Deployment/shop/web', to: 'peer/shop/shop/dns:kube-system', kind: 'allows', label: 'TCP+UDP 53' });
    expect(allows).toContainEqual({ from: 'Deployment/shop/web', to: 'peer/shop/shop/ip:203.0.113.0/24:', kind: 'allows', label: 'TCP 443' });
    expect(g.defaultDeny.get('shop')).toStrictEqual(['Egress', 'Ingress']);
  });

  it('groups nodes by the app the caller names', () => {
    const byOverlay = topology(fixture, { appOf: () => 'shop-app' });
    expect(new Set(byOverlay.nodes.filter((n) => n.category !== 'peer').map((n) => n.app))).toStrictEqual(new Set(['shop-app']));
    expect(new Set(g.nodes.map((n) => n.app))).toStrictEqual(new Set(['web', 'db', 'shop']));
  });
});

describe('collapseSimilar', () => {
  const relay = (i: number): Manifest[] => {
    const labels = { 'app.kubernetes.io/name': 'relay', 'relay/id': String(i) };
    return [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta(`relay-${i}`, labels),
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'r', image: 'r:1' }] } },
        },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: meta(`relay-${i}`), spec: { selector: labels, ports: [{ port: 30303 }] } },
    ];
  };
  const mesh: Manifest = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('relay'),
    spec: {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'relay' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'relay' } } }], ports: [{ port: 30303 }] }],
    },
  };

  it('draws look-alike workloads and their Services once, and their mesh as one loop', () => {
    const full = topology([...[1, 2, 3, 4].flatMap(relay), mesh], { appOf: () => 'relay' });
    expect(full.edges.filter((e) => e.kind === 'allows')).toHaveLength(12);
    const g = collapseSimilar(full);
    expect(g.nodes.map((n) => [n.kind, n.lines])).toStrictEqual([
      ['Deployment', ['relay-{1,2,3,4}', '×4 · 1 replica each']],
      ['Service', ['relay-{1,2,3,4}', '×4']],
    ]);
    expect(g.edges.map((e) => [e.kind, e.from === e.to, e.label])).toStrictEqual([
      ['allows', true, 'TCP 30303'],
      ['selects', false, undefined],
    ]);
  });

  it('keeps pairs apart', () => {
    const g = collapseSimilar(topology([...[1, 2].flatMap(relay)], { appOf: () => 'relay' }));
    expect(g.nodes).toHaveLength(4);
  });
});

/** Every opening tag has its closing tag, in order: the SVG is well-formed XML. */
function assertWellFormed(xml: string) {
  const body = xml
    .replace(/<\?xml[^>]*\?>/, '')
    .replace(/<!DOCTYPE[^>]*>/, '')
    .replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toStrictEqual([]);
  expect(body.replace(/<[^>]*>/g, '')).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
}

/** The text a reader sees in an SVG: every <text> element, entities decoded. */
const svgText = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)]
    .map((m) =>
      m[1]!
        .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
    )
    .join('\n');

describe('pictures', () => {
  const g = topology(fixture);

  it('writes Mermaid flowchart text with every edge, NetworkPolicy ones dotted with their ports', () => {
    const text = toMermaid(g);
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    const id = (nodeId: string) => `n${g.nodes.findIndex((n) => n.id === nodeId)}`;
    expect(text).toContain(`${id('Ingress/shop/web')}["Ingress<br/>web<br/>shop.example.com"]:::ingress`);
    expect(text).toContain(`${id('Ingress/shop/web')} -->|"http"| ${id('Service/shop/web')}`);
    expect(text).toContain(`${id('Service/shop/web')} --> ${id('Deployment/shop/web')}`);
    expect(text).toContain(`${id('Deployment/shop/web')} --> ${id('ConfigMap/shop/web-config-8m5tk2h9cg')}`);
    expect(text).toContain(`${id('HorizontalPodAutoscaler/shop/web')} -->|"2–5 replicas"| ${id('Deployment/shop/web')}`);
    expect(text).toContain(`${id('peer/shop/shop/ns:ingress-nginx')} -.->|"TCP 8080"| ${id('Deployment/shop/web')}`);
    expect(text).toContain('subgraph');
    expect(text.match(/-->|-\.->/g)).toHaveLength(g.edges.length);
  });

  it('renders well-formed SVG with the node labels, clusters per app and a legend', async () => {
    const svg = await toSvg(g, { title: 'shop' });
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    assertWellFormed(svg);
    const text = svgText(svg).split('\n');
    for (const label of [
      'Ingress',
      'web',
      'shop.example.com',
      'web-config',
      'HorizontalPodAutoscaler',
      'TCP 8080',
      'TCP 5432',
      'cluster DNS',
      'Legend',
      'namespace shop',
    ])
      expect(text).toContain(label);
    expect(text).not.toContain('web-config-8m5tk2h9cg');
    expect(toDot(g)).toContain('rankdir=LR');
  });
});

describe('renderEnvGraph', () => {
  it('builds each overlay of the env with kustomize, groups by app and skips the ones that do not build', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-graph-'));
    const put = (rel: string, value: unknown) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), typeof value === 'string' ? value : stringify(value));
    };
    try {
      put(
        'base/shop/objects.yaml',
        fixture
          .filter((m) => m.kind !== 'ConfigMap')
          .map((m) => stringify(m))
          .join('---\n'),
      );
      put('base/shop/kustomization.yaml', {
        resources: ['objects.yaml'],
        configMapGenerator: [
          { name: 'web-config', literals: ['MODE=shop'] },
          { name: 'web-settings', literals: ['a=b'] },
        ],
      });
      put('overlays/dev/shop/kustomization.yaml', { resources: ['../../../base/shop'], namespace: 'shop-dev' });
      put('overlays/dev/broken/kustomization.yaml', { resources: ['missing.yaml'] });
      const out = await renderEnvGraph(root, 'dev');
      expect(out.apps).toStrictEqual(['shop']);
      expect(out.skipped.map((s) => s.app)).toStrictEqual(['broken']);
      expect(new Set(out.topology.nodes.map((n) => n.app))).toStrictEqual(new Set(['shop']));
      const cm = out.topology.nodes.find((n) => n.kind === 'ConfigMap' && n.lines[0] === 'web-settings');
      expect(cm?.name).toMatch(/^web-settings-[a-z0-9]{10}$/);
      expect(out.topology.edges).toContainEqual({ from: 'Deployment/shop-dev/web', to: cm!.id, kind: 'mounts' });
      expect(svgText(out.svg)).toContain('namespace shop-dev');
      expect(out.mermaid).toContain('shop · namespace shop-dev');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('redrawTopology', () => {
  it('draws again only the committed pictures that exist, as graph --out writes them, and leaves out an app being removed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-graph-docs-'));
    // The tree files as generate writes them, with the header: only those are what a picture is drawn from.
    const put = (rel: string, value: unknown) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), typeof value === 'string' ? value : `${HEADER}\n${stringify(value)}`);
    };
    const settings = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-settings` }, data: { a: 'b' } });
    try {
      for (const app of ['shop', 'till']) {
        put(`base/${app}/objects.yaml`, settings(app));
        put(`base/${app}/kustomization.yaml`, { resources: ['objects.yaml'] });
        for (const env of ['dev', 'prod'])
          put(`overlays/${env}/${app}/kustomization.yaml`, { resources: [`../../../base/${app}`], namespace: `${app}-${env}` });
      }
      // dev keeps its Mermaid text only, prod both pictures, staging none.
      put('docs/topology-dev.mmd', 'old\n');
      put('docs/topology-prod.mmd', 'old\n');
      put('docs/topology-prod.svg', 'old\n');
      const all = await redrawTopology(root);
      // With them, what each was drawn from: the env's tree files hashed, and the picture.
      expect([...all.keys()].sort()).toStrictEqual([
        'docs/topology-dev.mmd',
        'docs/topology-prod.mmd',
        'docs/topology-prod.svg',
        'docs/topology.inputs',
      ]);
      const stamps = all
        .get('docs/topology.inputs')!
        .split('\n')
        .filter((l) => l.startsWith('docs/'));
      expect(stamps.map((l) => l.split(' ')[0])).toStrictEqual(['docs/topology-dev.mmd', 'docs/topology-prod.mmd', 'docs/topology-prod.svg']);
      expect(stamps[1]!.split(' ')[1]).toBe(stamps[2]!.split(' ')[1]);
      expect(stamps[0]!.split(' ')[1]).not.toBe(stamps[1]!.split(' ')[1]);
      const prod = await renderEnvGraph(root, 'prod');
      expect(all.get('docs/topology-prod.svg')).toBe(prod.svg);
      expect(all.get('docs/topology-prod.mmd')).toBe(prod.mermaid);
      expect(all.get('docs/topology-dev.mmd')).toContain('till · namespace till-dev');

      const without = await redrawTopology(root, { without: ['till'] });
      expect(without.get('docs/topology-dev.mmd')).toContain('shop · namespace shop-dev');
      expect(without.get('docs/topology-dev.mmd')).not.toContain('till');
      expect(svgText(without.get('docs/topology-prod.svg')!)).not.toContain('till');
      // Drawn as if till's files were gone already: its removal leaves the inputs recorded.
      expect(without.get('docs/topology.inputs')).not.toBe(all.get('docs/topology.inputs'));

      // Pictures already up to date are left out; an overlay that does not build is an error.
      for (const [path, content] of all) writeFileSync(join(root, path), content);
      expect((await redrawTopology(root)).size).toBe(0);
      // So are they beside a file without the header, which nothing builds.
      put('overlays/prod/shop/NOTES.md', 'kept by hand\n');
      put('base/till/README.md', 'kept by hand\n');
      expect((await redrawTopology(root)).size).toBe(0);
      put('overlays/dev/till/kustomization.yaml', { resources: ['missing.yaml'] });
      await expect(redrawTopology(root)).rejects.toThrow(
        /^overlays\/dev\/till: kustomize build failed, so docs\/topology-dev\.mmd cannot be drawn: /,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the repository's own topology pictures", () => {
  it('are what `npm run topology` draws from the committed overlays', async () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    const stale = await redrawTopology(root);
    // A hand edit, or overlays changed without drawing again, shows here by name.
    expect([...stale.keys()], 'stale pictures: run `npm run topology` and commit docs/').toStrictEqual([]);
  });
});
