import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineApp, GENERATED_ANNOTATION, type Manifest } from '@strata/core';
import { findRoot } from '@strata/project';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { compareManifests, deriveOverlay, isGeneratedConfigMap, normalize, planApp, schemaMergeKeys } from '../src/index.ts';

/** One object of each kind of cluster scope that kustomize may or may not know; `v` tells two renders apart. */
const clusterScoped = (v: string): Manifest[] => [
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'edge' }, spec: { controllerName: `example.com/${v}` } },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'replicas' },
    spec: { validations: [{ expression: `object.spec.replicas < 5 || '${v}' == 'a'` }] },
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name: 'web' },
    spec: { matchingPrecedence: v === 'a' ? 500 : 600, priorityLevelConfiguration: { name: 'workload-low' } },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'web' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: [v === 'a' ? 'get' : 'list'] }],
  },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gizmos.acme.io' },
    spec: {
      group: 'acme.io',
      scope: 'Cluster',
      names: { kind: 'Gizmo', plural: 'gizmos' },
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
      ],
    },
  },
  { apiVersion: 'acme.io/v1', kind: 'Gizmo', metadata: { name: 'g' }, spec: { size: v } },
];

const deployment = (
  over: { image?: string; replicas?: number; env?: { name: string; value: string }[]; ns?: string; labels?: Record<string, string> } = {},
): Manifest => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: over.ns ?? 'shop', labels: { app: 'web', ...over.labels } },
  spec: {
    replicas: over.replicas ?? 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: over.image ?? 'ghcr.io/acme/web:1.0',
            env: over.env ?? [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
              { name: 'C', value: '3' },
            ],
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          },
          { name: 'proxy', image: 'ghcr.io/acme/proxy:2.0' },
        ],
      },
    },
  },
});
const service = (ns = 'shop', labels: Record<string, string> = {}): Manifest => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: ns, labels: { app: 'web', ...labels } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
});
const configMap = (data: Record<string, string>, generated = false, ns = 'shop'): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'web-config', namespace: ns, ...(generated ? { annotations: { [GENERATED_ANNOTATION]: 'configmap' } } : {}) },
  data,
});

describe('deriveOverlay', () => {
  it('patches only the changed field, naming the object it patches', () => {
    const o = deriveOverlay([service()], [{ ...service(), spec: { ...(service().spec as object), type: 'NodePort' } }], schemaMergeKeys);
    expect(o.patches).toStrictEqual([
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'NodePort' } },
    ]);
    expect(o.resources).toStrictEqual([]);
  });
  it('deletes an object the env does not have with $patch: delete', () => {
    const o = deriveOverlay([deployment(), service()], [deployment()], schemaMergeKeys);
    expect(o.patches).toStrictEqual([{ $patch: 'delete', apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' } }]);
  });
  it('adds an env-only object as a resource', () => {
    const o = deriveOverlay([deployment()], [deployment(), service()], schemaMergeKeys);
    expect(o.resources).toStrictEqual([service()]);
    expect(o.patches).toStrictEqual([]);
  });
  it('turns a new tag into an images entry, not a patch', () => {
    const o = deriveOverlay([deployment()], [deployment({ image: 'ghcr.io/acme/web:1.1' })], schemaMergeKeys);
    expect(o.images).toStrictEqual([{ name: 'ghcr.io/acme/web', newTag: '1.1' }]);
    expect(o.patches).toStrictEqual([]);
  });
  it('turns a digest into an images entry with digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const o = deriveOverlay([deployment()], [deployment({ image: `ghcr.io/acme/web@${digest}` })], schemaMergeKeys);
    expect(o.images).toStrictEqual([{ name: 'ghcr.io/acme/web', digest }]);
  });
  it('turns a tag with a digest into an images entry with both, as kustomize edit set image writes it', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const o = deriveOverlay([deployment()], [deployment({ image: `ghcr.io/acme/web:1.1@${digest}` })], schemaMergeKeys);
    expect(o.images).toStrictEqual([{ name: 'ghcr.io/acme/web', newTag: '1.1', digest }]);
    expect(o.patches).toStrictEqual([]);
  });
  it('turns a replica count into a replicas entry', () => {
    const o = deriveOverlay([deployment()], [deployment({ replicas: 4 })], schemaMergeKeys);
    expect(o.replicas).toStrictEqual([{ name: 'web', count: 4 }]);
    expect(o.patches).toStrictEqual([]);
  });
  it('turns a uniform namespace change into namespace:, with no patch', () => {
    const o = deriveOverlay([deployment(), service()], [deployment({ ns: 'shop-prod' }), service('shop-prod')], schemaMergeKeys);
    expect(o.namespace).toBe('shop-prod');
    expect(o.patches).toStrictEqual([]);
  });
  it('turns a label added to every object into labels without selectors', () => {
    const o = deriveOverlay(
      [deployment(), service()],
      [deployment({ labels: { tier: 'gold' } }), service('shop', { tier: 'gold' })],
      schemaMergeKeys,
    );
    expect(o.labels).toStrictEqual({ tier: 'gold' });
    expect(o.patches).toStrictEqual([]);
  });
  it('patches a keyed list item by key, listing earlier items by key alone to keep the order', () => {
    const env = [
      { name: 'A', value: '1' },
      { name: 'B', value: '9' },
      { name: 'C', value: '3' },
    ];
    const o = deriveOverlay([deployment()], [deployment({ env })], schemaMergeKeys);
    expect(o.patches[0]!.spec).toStrictEqual({
      template: { spec: { containers: [{ name: 'web', env: [{ name: 'A' }, { name: 'B', value: '9' }] }] } },
    });
  });
  it('replaces a keyed list whose items change order or membership', () => {
    const env = [
      { name: 'C', value: '3' },
      { name: 'A', value: '1' },
    ];
    const o = deriveOverlay([deployment()], [deployment({ env })], schemaMergeKeys);
    expect(o.patches[0]!.spec).toStrictEqual({ template: { spec: { containers: [{ name: 'web', env: [...env, { $patch: 'replace' }] }] } } });
  });
  it('merges changed literals into a generated ConfigMap', () => {
    const o = deriveOverlay([configMap({ A: '1', B: '2' }, true)], [configMap({ A: '1', B: '3' }, true)], schemaMergeKeys);
    expect(o.generators).toStrictEqual([{ name: 'web-config', namespace: 'shop', behavior: 'merge', literals: ['B=3'] }]);
  });
});

// Every case again, through the real kustomize: the overlay must build back to the desired objects.
describe('derived overlays build back to the desired objects (real kustomize)', () => {
  const root = findRoot();
  const work = mkdtempSync(join(tmpdir(), 'strata-derive-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const digest = `sha256:${'b'.repeat(64)}`;
  const cases: [string, Manifest[], Manifest[]][] = [
    ['changed field', [service()], [{ ...service(), spec: { ...(service().spec as object), type: 'NodePort' } }]],
    ['removed object', [deployment(), service()], [deployment()]],
    ['env-only object', [deployment()], [deployment(), service()]],
    ['image tag', [deployment()], [deployment({ image: 'ghcr.io/acme/web:1.1' })]],
    ['image digest', [deployment()], [deployment({ image: `ghcr.io/acme/web@${digest}` })]],
    ['replicas', [deployment()], [deployment({ replicas: 4 })]],
    ['namespace', [deployment(), service()], [deployment({ ns: 'shop-prod' }), service('shop-prod')]],
    ['labels', [deployment(), service()], [deployment({ labels: { tier: 'gold' } }), service('shop', { tier: 'gold' })]],
    [
      'keyed item',
      [deployment()],
      [
        deployment({
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '9' },
            { name: 'C', value: '3' },
          ],
        }),
      ],
    ],
    [
      'reordered keyed list',
      [deployment()],
      [
        deployment({
          env: [
            { name: 'C', value: '3' },
            { name: 'A', value: '1' },
          ],
        }),
      ],
    ],
    [
      'cluster-scoped custom resource beside a namespace change',
      [
        deployment(),
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'ClusterIssuer',
          metadata: { name: 'le' },
          spec: { acme: { server: 'https://a.example', privateKeySecretRef: { name: 'k' }, solvers: [] } },
        },
      ],
      [
        deployment({ ns: 'shop-prod' }),
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'ClusterIssuer',
          metadata: { name: 'le' },
          spec: { acme: { server: 'https://b.example', privateKeySecretRef: { name: 'k' }, solvers: [] } },
        },
      ],
    ],
    [
      // kustomize v5.8.1 gives each of these but the ClusterRole the overlay's namespace: a custom kind
      // (its CRD shipped, or the app's own), or a built-in kind newer than its Kubernetes 1.21 table.
      'cluster-scoped kinds kustomize takes for namespaced beside a namespace change',
      [deployment(), ...clusterScoped('a')],
      [deployment({ ns: 'shop-prod' }), ...clusterScoped('b')],
    ],
    [
      'everything at once',
      [deployment(), service(), configMap({ A: '1' }, true)],
      [deployment({ ns: 'x', image: 'ghcr.io/acme/web:2', replicas: 3, env: [] }), configMap({ A: '2', Z: '1' }, true, 'x')],
    ],
  ];
  it.each(cases)('%s', async (name, base, desired) => {
    const app = defineApp<{ side: 'base' | 'env' }>({
      name: 'case',
      defaults: { side: 'base' },
      envs: { dev: { config: { side: 'env' } }, staging: {}, prod: {} },
      render: (c) => (c.side === 'base' ? base : desired) as never,
    });
    const dir = join(work, name.replace(/\W+/g, '-'));
    for (const [rel, content] of planApp(app, schemaMergeKeys).files) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    const [built] = await buildOverlays(root, [join(dir, 'overlays/dev/case')]);
    expect(built!.error).toBeUndefined();
    const generated = new Set(desired.filter(isGeneratedConfigMap).map((m) => m.metadata.name));
    const mismatches = compareManifests(normalize(desired, generated), normalize(parseBuild(built!.yaml, name), generated), {
      expected: 'desired',
      actual: 'built',
    });
    expect(mismatches.map((m) => m.diff)).toStrictEqual([]);
  });
});

// Generators and components meet in an order of Kustomize's own: an overlay's generators run before
// its components', its patches after them. These overlays must still build back to the render.
describe('generated ConfigMaps with components (real kustomize)', () => {
  const root = findRoot();
  const work = mkdtempSync(join(tmpdir(), 'strata-components-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  interface C {
    mode: string;
    extra: boolean;
    quoted: string;
  }
  const render = (c: C) => [
    configMap({ MODE: c.mode, QUOTED: c.quoted }, true),
    ...(c.extra
      ? [{ ...configMap({ A: c.mode }, true), metadata: { name: 'extra', namespace: 'shop', annotations: { [GENERATED_ANNOTATION]: 'configmap' } } }]
      : []),
  ];
  const cases: [string, Partial<C>, Partial<C>][] = [
    ['an env changes a key its component set', { mode: 'perf' }, { mode: 'light' }],
    ['an env changes a ConfigMap its component created', { extra: true }, { mode: 'x', extra: true }],
    ['a literal value in quotes keeps its quotes', { mode: 'perf' }, { quoted: '"kept"' }],
  ];
  it('a component that changes nothing is an error, not an empty kustomization', () => {
    const app = defineApp<C, 'variant'>({
      name: 'case',
      defaults: { mode: 'base', extra: false, quoted: 'plain' },
      components: { variant: { description: 'a variant', overrides: { mode: 'base' } } },
      envs: { dev: {}, staging: {}, prod: {} },
      render: render as never,
    });
    expect(() => planApp(app, schemaMergeKeys)).toThrow(/component variant: its overrides change nothing/);
  });
  it.each(cases)('%s', async (name, component, env) => {
    const app = defineApp<C, 'variant'>({
      name: 'case',
      defaults: { mode: 'base', extra: false, quoted: 'plain' },
      components: { variant: { description: 'a variant', overrides: component } },
      envs: { dev: { components: ['variant'], config: env }, staging: {}, prod: {} },
      render: render as never,
    });
    const dir = join(work, name.replace(/\W+/g, '-'));
    const plan = planApp(app, schemaMergeKeys);
    for (const [rel, content] of plan.files) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    const [built] = await buildOverlays(root, [join(dir, 'overlays/dev/case')]);
    expect(built!.error).toBeUndefined();
    const desired = plan.desired.dev;
    const generated = new Set(desired.filter(isGeneratedConfigMap).map((m) => m.metadata.name));
    const mismatches = compareManifests(normalize(desired, generated), normalize(parseBuild(built!.yaml, name), generated), {
      expected: 'desired',
      actual: 'built',
    });
    expect(mismatches.map((m) => m.diff)).toStrictEqual([]);
  });
});

// `__proto__` is a valid ConfigMap key (and any key of a custom resource's free-form field); in
// JavaScript an assignment to it sets a prototype instead, and the key is lost without a word.
describe('a key __proto__ is data like any other (real kustomize)', () => {
  const root = findRoot();
  const work = mkdtempSync(join(tmpdir(), 'strata-proto-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const data = (value: string | undefined): Record<string, string> => {
    const out: Record<string, string> = { normal: 'plain' };
    if (value !== undefined) Object.defineProperty(out, '__proto__', { value, enumerable: true, writable: true, configurable: true });
    return out;
  };
  // Per env: the same in the base, changed by a patch, added by one, removed by one, and in a generator.
  const values = { base: 'a', dev: 'b', staging: undefined, prod: 'a' } as const;
  const render = (v: string | undefined) => [
    configMap(data(v)),
    { ...configMap(data(v), true), metadata: { name: 'generated', namespace: 'shop', annotations: { [GENERATED_ANNOTATION]: 'configmap' } } },
    { ...configMap(data(v === undefined ? 'added' : undefined)), metadata: { name: 'other', namespace: 'shop' } },
  ];

  it('is written to base/ and to the overlays, and each env builds to its own', async () => {
    const app = defineApp<{ v: string | undefined }>({
      name: 'proto',
      defaults: { v: values.base },
      optional: { v: true },
      envs: { dev: { config: { v: values.dev } }, staging: { config: { v: null as never } }, prod: {} },
      render: (c) => render(c.v ?? undefined) as never,
    });
    const files = planApp(app, schemaMergeKeys).files;
    expect(files.get('base/proto/configmap.web-config.yaml')).toContain('\ndata:\n  __proto__: a\n  normal: plain\n');
    for (const [rel, content] of files) {
      mkdirSync(dirname(join(work, rel)), { recursive: true });
      writeFileSync(join(work, rel), content);
    }
    const envs = ['dev', 'staging', 'prod'] as const;
    const built = await buildOverlays(
      root,
      envs.map((e) => join(work, `overlays/${e}/proto`)),
    );
    envs.forEach((env, i) => {
      expect(built[i]!.error).toBeUndefined();
      const objects = parseBuild(built[i]!.yaml, env);
      const entries = (name: string) => Object.entries(objects.find((m) => m.metadata.name.startsWith(name))!.data as object).sort();
      const v = values[env];
      expect([env, entries('web-config')]).toStrictEqual([env, Object.entries(data(v)).sort()]);
      expect([env, entries('generated')]).toStrictEqual([env, Object.entries(data(v)).sort()]);
      expect([env, entries('other')]).toStrictEqual([env, Object.entries(data(v === undefined ? 'added' : undefined)).sort()]);
    });
  });
});

describe("a custom kind scoped by the project's crds/ (real kustomize)", () => {
  const root = findRoot();
  const work = mkdtempSync(join(tmpdir(), 'strata-crds-scope-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('gives an overlay namespace: for its namespaced objects, the cluster-scoped ones kustomize would namespace kept apart', () => {
    const app = defineApp<{ ns: string }>({
      name: 'edge',
      defaults: { ns: 'shop' },
      envs: { dev: { config: { ns: 'shop-dev' } }, staging: {}, prod: {} },
      render: (c) => [deployment({ ns: c.ns }), ...clusterScoped('a')] as never,
    });
    const files = planApp(app, schemaMergeKeys).files;
    expect(files.get('overlays/dev/edge/namespaced/kustomization.yaml')).toContain('\nnamespace: shop-dev\n');
    expect([...files.keys()].filter((f) => f.startsWith('base/edge/cluster/')).sort()).toStrictEqual([
      'base/edge/cluster/flowschema.web.yaml',
      'base/edge/cluster/gatewayclass.edge.yaml',
      'base/edge/cluster/gizmo.g.yaml',
      'base/edge/cluster/kustomization.yaml',
      'base/edge/cluster/validatingadmissionpolicy.replicas.yaml',
    ]);
    // kustomize knows a ClusterRole and a CRD are cluster-scoped: they stay with the namespaced objects.
    expect(files.has('base/edge/clusterrole.web.yaml')).toBe(true);
    expect(files.has('base/edge/customresourcedefinition.gizmos.acme.io.yaml')).toBe(true);
  });

  it('refuses a component that changes a cluster-scoped object kept apart, naming it', () => {
    const app = defineApp<{ v: string }, 'strict'>({
      name: 'edge',
      defaults: { v: 'a' },
      components: { strict: { description: 'stricter admission', overrides: { v: 'b' } } },
      envs: { dev: { components: ['strict'] }, staging: {}, prod: {} },
      render: (c) => [deployment(), ...clusterScoped(c.v).filter((m) => m.kind === 'ValidatingAdmissionPolicy')] as never,
    });
    expect(() => planApp(app, schemaMergeKeys)).toThrow(
      "app edge component strict: a component cannot change the cluster-scoped objects kept out of the overlay's namespace (ValidatingAdmissionPolicy replicas): kustomize would give them the namespace; change them per env instead",
    );
  });

  it('keeps a cluster-scoped object whose CRD only crds/ holds out of the namespace, so each env builds to its render', async () => {
    const crds = join(work, 'crds');
    mkdirSync(crds);
    writeFileSync(
      join(crds, 'acme.io_quotas.yaml'),
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: quotas.acme.io\nspec:\n  group: acme.io\n  scope: Cluster\n' +
        '  names:\n    kind: Quota\n    plural: quotas\n  versions:\n  - name: v1\n    served: true\n    storage: true\n',
    );
    const app = defineApp<{ ns: string }>({
      name: 'quota',
      defaults: { ns: 'shop' },
      envs: { dev: { config: { ns: 'shop-dev' } }, staging: {}, prod: {} },
      render: (c) => [deployment({ ns: c.ns }), { apiVersion: 'acme.io/v1', kind: 'Quota', metadata: { name: 'q' }, spec: { ns: c.ns } }] as never,
    });
    const plan = planApp(app, schemaMergeKeys, { crdDirs: [crds] });
    expect([...plan.files.keys()].filter((f) => f.includes('quota.q'))).toStrictEqual([
      'base/quota/cluster/quota.q.yaml',
      'overlays/dev/quota/quota.q.patch.yaml',
    ]);
    for (const [rel, content] of plan.files) {
      mkdirSync(dirname(join(work, rel)), { recursive: true });
      writeFileSync(join(work, rel), content);
    }
    const [built] = await buildOverlays(root, [join(work, 'overlays/dev/quota')]);
    expect(built!.error).toBeUndefined();
    const mismatches = compareManifests(normalize(plan.desired.dev, new Set()), normalize(parseBuild(built!.yaml, 'dev'), new Set()), {
      expected: 'desired',
      actual: 'built',
    });
    expect(mismatches.map((m) => m.diff)).toStrictEqual([]);
  });
});
