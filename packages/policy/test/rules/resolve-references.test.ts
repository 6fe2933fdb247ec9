import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { resolveReferences } from '../../src/rules/resolve-references.ts';
import { check, container, deployment, manifest, summary } from '../support.ts';

const configMap = (name: string, data: Record<string, string> = { LOG_LEVEL: 'info' }) => manifest('v1', 'ConfigMap', name, { data });
const secret = (name: string) => manifest('v1', 'Secret', name, { stringData: { token: 'x' } });
const externalSecret = (name: string, target?: string) =>
  manifest('external-secrets.io/v1beta1', 'ExternalSecret', name, {
    spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' }, ...(target && { target: { name: target } }) },
  });
const using = (c: Record<string, unknown>, pod: Record<string, unknown> = {}) => deployment('web', { pod: { containers: [container(c)], ...pod } });

/** A custom resource `web` of kind App (or another) with this spec. */
const app = (spec: Record<string, unknown>, apiVersion = 'acme.io/v1', kind = 'App') => manifest(apiVersion, kind, 'web', { spec });

/** The rule's words for a field that names the generated settings-9b52k5mfdf without its suffix. */
const UNSUFFIXED =
  'ConfigMap "settings" is not in the set, which has the generated "settings-9b52k5mfdf": kustomize adds the hash suffix only to the references it knows, not to this field, so it names a ConfigMap that does not exist; ' +
  'make the ConfigMap without a hash suffix (options.disableNameSuffixHash: true on its generator; in a strata app, a ConfigMap without the generator annotation), or teach kustomize the field with configurations:.';

describe('resolve-references', () => {
  it('stays quiet when every reference resolves in the set', () => {
    const d = using(
      {
        envFrom: [{ configMapRef: { name: 'web-config-5t7c2kg9hh' } }, { secretRef: { name: 'web-creds' } }],
        env: [
          { name: 'LOG', valueFrom: { configMapKeyRef: { name: 'web-config-5t7c2kg9hh', key: 'LOG_LEVEL' } } },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
        ],
      },
      { serviceAccountName: 'web', volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'web-data' } }] },
    );
    const set = [
      d,
      configMap('web-config-5t7c2kg9hh'),
      externalSecret('web-creds'),
      secret('api'),
      manifest('v1', 'ServiceAccount', 'web'),
      manifest('v1', 'PersistentVolumeClaim', 'web-data'),
    ];
    expect(check(resolveReferences, set)).toStrictEqual([]);
  });

  it('accepts a Secret produced by an ExternalSecret target name', () => {
    expect(check(resolveReferences, [using({ envFrom: [{ secretRef: { name: 'web-env' } }] }), externalSecret('web', 'web-env')])).toStrictEqual([]);
  });

  it('reports a missing ConfigMap as an error', () => {
    expect(summary(check(resolveReferences, [using({ envFrom: [{ configMapRef: { name: 'web-config' } }] })]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].envFrom[0].configMapRef.name',
        message: 'ConfigMap "web-config" used by container "web" is not in the set: add it (or its configMapGenerator) or fix the name.',
      },
    ]);
  });

  it('counts what a kustomization of the set generates as present, and still reports what nothing provides', () => {
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      metadata: {},
      configMapGenerator: [{ name: 'web-config', literals: ['LOG_LEVEL=info'] }],
      secretGenerator: [{ name: 'web-env', envs: ['web.env'] }],
    } as unknown as Manifest;
    const d = using({
      envFrom: [{ configMapRef: { name: 'web-config' } }, { secretRef: { name: 'web-env' } }, { configMapRef: { name: 'other' } }],
      env: [{ name: 'LOG', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'LOG_LEVEL' } } }],
    });
    expect(summary(check(resolveReferences, [d, kustomization])).map((f) => f.message)).toStrictEqual([
      'ConfigMap "other" used by container "web" is not in the set: add it (or its configMapGenerator) or fix the name.',
    ]);
  });

  /** A kustomization of the set, with the given namespace and generators. */
  const kustomization = (fields: Record<string, unknown>) =>
    ({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', metadata: {}, ...fields }) as unknown as Manifest;
  const reading = (configMap: string) => [{ configMapRef: { name: configMap } }];

  it("counts a generated name only in the namespace its object lands in: the kustomization's, else the generator's own", () => {
    const messages = (k: Manifest) => check(resolveReferences, [using({ envFrom: reading('web-config') }), k]).map((f) => f.message);
    const missing = 'ConfigMap "web-config" used by container "web" is not in the set: add it (or its configMapGenerator) or fix the name.';
    // The pod is in the namespace shop.
    expect(messages(kustomization({ namespace: 'other', configMapGenerator: [{ name: 'web-config', literals: ['A=1'] }] }))).toStrictEqual([missing]);
    expect(messages(kustomization({ configMapGenerator: [{ name: 'web-config', namespace: 'other', literals: ['A=1'] }] }))).toStrictEqual([missing]);
    // The kustomization's namespace wins over the generator's, as kustomize builds it.
    expect(
      messages(kustomization({ namespace: 'other', configMapGenerator: [{ name: 'web-config', namespace: 'shop', literals: ['A=1'] }] })),
    ).toStrictEqual([missing]);
    expect(messages(kustomization({ namespace: 'shop', configMapGenerator: [{ name: 'web-config', literals: ['A=1'] }] }))).toStrictEqual([]);
    expect(messages(kustomization({ configMapGenerator: [{ name: 'web-config', namespace: 'shop', literals: ['A=1'] }] }))).toStrictEqual([]);
    // Without a namespace, it lands where its kustomization's objects do: any.
    expect(messages(kustomization({ configMapGenerator: [{ name: 'web-config', literals: ['A=1'] }] }))).toStrictEqual([]);
  });

  it('in a set applied as written, places an object without a namespace in the one kubectl applies it into, and a generated one where its build puts it', () => {
    const loose = (namespace?: string) =>
      ({ ...using({ envFrom: reading('web-config') }), metadata: { name: 'web', ...(namespace && { namespace }) } }) as Manifest;
    const k = (fields: Record<string, unknown> = {}) =>
      kustomization({ namespace: 'shop', configMapGenerator: [{ name: 'web-config', literals: ['A=1'] }], ...fields });
    const unhashed = { generatorOptions: { disableNameSuffixHash: true } };
    const messages = (set: Manifest[]) => check(resolveReferences, set, { applyNamespace: 'default' }).map((f) => f.message);
    const apart = (built: string, into: string) =>
      `ConfigMap "web-config" used by container "web" is not in the set: set.yaml makes "web-config" with its configMapGenerator only for what it builds (as "${built}" in namespace "shop"), ` +
      `and this file, which it does not list, is applied as written, into namespace "${into}": list the file in its resources.`;
    // The kustomization's namespace is not the file's: written without one, the Deployment lands in default.
    expect(messages([loose(), k(unhashed)])).toStrictEqual([apart('web-config', 'default')]);
    // In shop, it still names what kustomize calls "web-config-<hash>" (and with a prefix, more), and rewrites only in what it builds.
    expect(messages([loose('shop'), k()])).toStrictEqual([apart('web-config-<hash>', 'shop')]);
    expect(messages([loose('shop'), k({ ...unhashed, namePrefix: 'shop-' })])).toStrictEqual([apart('shop-web-config', 'shop')]);
    expect(messages([loose('shop'), k(unhashed)])).toStrictEqual([]);
    // A generator without a namespace makes its object in default too, as does a ConfigMap written without one.
    expect(messages([loose(), k({ ...unhashed, namespace: undefined })])).toStrictEqual([]);
    expect(messages([loose(), configMap('web-config')])).toStrictEqual([
      'ConfigMap "web-config" used by container "web" is not in the set: add it (or its configMapGenerator) or fix the name.',
    ]);
    expect(messages([loose(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { A: '1' } }])).toStrictEqual([]);
    // As a Kustomize input (no applyNamespace), the Deployment without a namespace lands where its kustomization puts it.
    expect(check(resolveReferences, [loose(), k()])).toStrictEqual([]);
  });

  it('reports a key that a generator whose keys it shows does not make, from its literals, files and env files', () => {
    const k = kustomization({
      configMapGenerator: [{ name: 'web-config', literals: ['LOG_LEVEL=info', 'URL=http://x?a=b'], files: ['app.json', 'extra=conf/extra.txt'] }],
      secretGenerator: [{ name: 'web-env', envs: ['web.env'] }],
    });
    const key = (name: string, kind: 'configMapKeyRef' | 'secretKeyRef', ref: string, k: string, optional?: boolean) => ({
      name,
      valueFrom: { [kind]: { name: ref, key: k, ...(optional !== undefined && { optional }) } },
    });
    const d = using({
      env: [
        key('A', 'configMapKeyRef', 'web-config', 'LOG_LEVEL'),
        key('B', 'configMapKeyRef', 'web-config', 'URL'),
        key('C', 'configMapKeyRef', 'web-config', 'app.json'),
        key('D', 'configMapKeyRef', 'web-config', 'extra'),
        key('E', 'configMapKeyRef', 'web-config', 'LOGLEVEL'),
        key('F', 'configMapKeyRef', 'web-config', 'gone', true),
        key('G', 'secretKeyRef', 'web-env', 'TOKEN'),
        key('H', 'secretKeyRef', 'web-env', 'FROM_ENVIRONMENT'),
        key('I', 'secretKeyRef', 'web-env', 'PASSWORD'),
      ],
    });
    const files = new Map([['set.yaml web.env', '\uFEFF  TOKEN=abc\n# PASSWORD=commented out\n\nFROM_ENVIRONMENT\r\n']]);
    const readFile = (from: string, path: string) => files.get(`${from} ${path}`);
    expect(summary(check(resolveReferences, [d, k], { readFile }))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].env[4].valueFrom.configMapKeyRef.key',
        message:
          'ConfigMap "web-config" has no key "LOGLEVEL" that container "web" reads: add the key to the configMapGenerator that makes it or fix the reference.',
      },
      {
        name: 'web',
        path: 'spec.template.spec.containers[0].env[8].valueFrom.secretKeyRef.key',
        message:
          'Secret "web-env" has no key "PASSWORD" that container "web" reads: add the key to the secretGenerator that makes it or fix the reference.',
      },
    ]);
    // An env file that cannot be read, or a generator that merges into another kustomization's, leaves the keys unknown.
    expect(check(resolveReferences, [d, k])).toHaveLength(1);
    const merged = kustomization({ configMapGenerator: [{ name: 'web-config', behavior: 'merge', literals: ['LOG_LEVEL=debug'] }] });
    expect(check(resolveReferences, [using({ env: [key('E', 'configMapKeyRef', 'web-config', 'LOGLEVEL')] }), merged])).toStrictEqual([]);
    // Two generators of the name in one namespace (a base's and an overlay's): which keys the build has is unknown.
    const twice = kustomization({ configMapGenerator: [{ name: 'web-config', literals: ['X=1'] }] });
    expect(check(resolveReferences, [using({ env: [key('E', 'configMapKeyRef', 'web-config', 'LOGLEVEL')] }), twice, twice])).toStrictEqual([]);
  });

  it('explains a reference that misses the generated hash suffix', () => {
    const [f] = check(resolveReferences, [using({ envFrom: [{ configMapRef: { name: 'web-config' } }] }), configMap('web-config-5t7c2kg9hh')]);
    expect(f?.message).toContain('the set has the generated "web-config-5t7c2kg9hh"');
  });

  it('gives no hint from a ConfigMap without a name (metadata.generateName), and does not fail on it', () => {
    const unnamed = manifest('v1', 'ConfigMap', 'x', { data: { A: 'b' } });
    const { name: _, ...metadata } = unnamed.metadata;
    // What a file may hold, though the type promises a name.
    const generated = { ...unnamed, metadata: { ...metadata, generateName: 'web-config-' } } as unknown as Manifest;
    const set = [using({ envFrom: [{ configMapRef: { name: 'web-config' } }] }), generated];
    expect(summary(check(resolveReferences, set)).map((f) => f.message)).toStrictEqual([
      'ConfigMap "web-config" used by container "web" is not in the set: add it (or its configMapGenerator) or fix the name.',
    ]);
  });

  it('warns, once per workload, about a Secret that must exist in the cluster', () => {
    const d = using({
      env: [
        { name: 'A', valueFrom: { secretKeyRef: { name: 'tokens', key: 'a' } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'tokens', key: 'b' } } },
      ],
    });
    const found = check(resolveReferences, [d]);
    expect(found).toHaveLength(1);
    expect(found[0]?.severity).toBe('warning');
    expect(found[0]?.message).toContain('it must exist in the cluster before the pod starts');
  });

  it("takes a Secret for produced only by External Secrets', Sealed Secrets' and cert-manager's kinds, never by a kind of that name in another group", () => {
    const d = using({
      envFrom: [{ secretRef: { name: 'es-env' } }, { secretRef: { name: 'sealed-env' } }],
      env: [{ name: 'TLS', valueFrom: { secretKeyRef: { name: 'web-tls', key: 'tls.crt' } } }],
    });
    const makers = (group: (own: string) => string) => [
      manifest(group('external-secrets.io/v1'), 'ExternalSecret', 'es', { spec: { target: { name: 'es-env' } } }),
      manifest(group('bitnami.com/v1alpha1'), 'SealedSecret', 'sealed-env', { spec: { encryptedData: { token: 'AgB' } } }),
      manifest(group('cert-manager.io/v1'), 'Certificate', 'web', { spec: { secretName: 'web-tls', issuerRef: { name: 'ca' } } }),
    ];
    expect(check(resolveReferences, [d, ...makers((own) => own)])).toStrictEqual([]);
    // A custom Certificate of acme.io (and the like) makes no Secret a pod can count on.
    const found = check(resolveReferences, [d, ...makers(() => 'acme.io/v1')]);
    expect(found.map((f) => [f.severity, f.path, f.message.split(' is neither')[0]])).toStrictEqual([
      ['warning', 'spec.template.spec.containers[0].envFrom[0].secretRef.name', 'Secret "es-env" used by container "web"'],
      ['warning', 'spec.template.spec.containers[0].envFrom[1].secretRef.name', 'Secret "sealed-env" used by container "web"'],
      ['warning', 'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name', 'Secret "web-tls" used by container "web"'],
    ]);
  });

  it('ignores an ExternalSecret whose target has another name', () => {
    const found = check(resolveReferences, [using({ envFrom: [{ secretRef: { name: 'web' } }] }), externalSecret('web', 'web-env')]);
    expect(found.map((f) => f.severity)).toStrictEqual(['warning']);
  });

  it('reports missing claims, ServiceAccounts and ConfigMap keys, and skips optional refs', () => {
    const d = using(
      {
        env: [
          { name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MISSING' } } },
          { name: 'Y', valueFrom: { configMapKeyRef: { name: 'opt', key: 'k', optional: true } } },
        ],
      },
      { serviceAccountName: 'runner', volumes: [{ name: 'cache', persistentVolumeClaim: { claimName: 'cache' } }] },
    );
    expect(check(resolveReferences, [d, configMap('cfg')]).map((f) => f.path)).toStrictEqual([
      'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.key',
      'spec.template.spec.volumes[0].persistentVolumeClaim.claimName',
      'spec.template.spec.serviceAccountName',
    ]);
  });

  it('reports a key that a ConfigMap or a Secret of the set lacks, as its description says', () => {
    const d = using({
      env: [
        { name: 'LOG', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LOGLEVEL' } } },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'password' } } },
      ],
    });
    expect(check(resolveReferences, [d, configMap('cfg'), secret('api')]).map((f) => [f.path, f.message])).toStrictEqual([
      [
        'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.key',
        'ConfigMap "cfg" has no key "LOGLEVEL" that container "web" reads: add the key or fix the reference.',
      ],
      [
        'spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.key',
        'Secret "api" has no key "password" that container "web" reads: add the key or fix the reference.',
      ],
    ]);
    expect(resolveReferences.description).toContain('the key a pod reads of a ConfigMap or Secret (configMapKeyRef, secretKeyRef) is one it has');
  });

  it('does not resolve across namespaces', () => {
    const cm = manifest('v1', 'ConfigMap', 'web-config', { data: {} }, 'other');
    expect(check(resolveReferences, [using({ envFrom: [{ configMapRef: { name: 'web-config' } }] }), cm])).toHaveLength(1);
  });

  it('resolves a reference by group and kind: a ConfigMap or ServiceAccount of another group is not the core one a pod reads', () => {
    const d = using({ envFrom: [{ configMapRef: { name: 'web-config' } }] }, { serviceAccountName: 'web' });
    const custom = [manifest('config.acme.io/v1', 'ConfigMap', 'web-config', { data: {} }), manifest('iam.acme.io/v1', 'ServiceAccount', 'web')];
    expect(summary(check(resolveReferences, [d, ...custom])).map((f) => f.path)).toStrictEqual([
      'spec.template.spec.containers[0].envFrom[0].configMapRef.name',
      'spec.template.spec.serviceAccountName',
    ]);
    expect(check(resolveReferences, [d, configMap('web-config'), manifest('v1', 'ServiceAccount', 'web'), ...custom])).toStrictEqual([]);
  });

  it("reports a custom resource's {kind: ConfigMap, name} that names a generated ConfigMap without the hash suffix kustomize gave it", () => {
    const flux = (substituteFrom: unknown[]) =>
      manifest('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'addons', {
        spec: { interval: '10m', path: './addons', prune: true, sourceRef: { kind: 'GitRepository', name: 'addons' }, postBuild: { substituteFrom } },
      });
    const generated = configMap('settings-9b52k5mfdf');
    expect(summary(check(resolveReferences, [flux([{ kind: 'ConfigMap', name: 'settings' }]), generated]))).toStrictEqual([
      {
        name: 'addons',
        path: 'spec.postBuild.substituteFrom[0].name',
        message: UNSUFFIXED,
      },
    ]);
    // Suffixed, optional, present unsuffixed, or a ConfigMap the set does not make (the cluster's own): nothing to say.
    expect(check(resolveReferences, [flux([{ kind: 'ConfigMap', name: 'settings-9b52k5mfdf' }]), generated])).toStrictEqual([]);
    expect(check(resolveReferences, [flux([{ kind: 'ConfigMap', name: 'settings', optional: true }]), generated])).toStrictEqual([]);
    expect(check(resolveReferences, [flux([{ kind: 'ConfigMap', name: 'settings' }]), generated, configMap('settings')])).toStrictEqual([]);
    expect(check(resolveReferences, [flux([{ kind: 'ConfigMap', name: 'cluster-vars' }]), generated])).toStrictEqual([]);
    // An ExternalSecret's templateFrom names its ConfigMap as configMap: {name}.
    const templated = manifest('external-secrets.io/v1', 'ExternalSecret', 'creds', {
      spec: {
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
        target: { template: { templateFrom: [{ configMap: { name: 'settings', items: [{ key: 'a' }] } }] } },
      },
    });
    expect(summary(check(resolveReferences, [templated, generated])).map((f) => f.path)).toStrictEqual([
      'spec.target.template.templateFrom[0].configMap.name',
    ]);
    // A pod's configMap volume is said once, as the pod's reference.
    const mounted = using({}, { volumes: [{ name: 'cfg', configMap: { name: 'settings' } }] });
    expect(check(resolveReferences, [mounted, generated])).toHaveLength(1);
    // A plain ConfigMap whose name ends in a date is no generator's output: the reference names another one.
    expect(check(resolveReferences, [flux([{ kind: 'ConfigMap', name: 'settings' }]), configMap('settings-2024120701')])).toStrictEqual([]);
  });

  it("reports a custom resource's string field whose key says configMap and names a generated ConfigMap without the hash suffix kustomize gave it", () => {
    const generated = configMap('settings-9b52k5mfdf');
    const set = [
      app({
        configMapName: 'settings',
        settingsConfigMap: 'settings',
        sources: [{ configMap: 'settings' }],
        logConfigMapName: 'settings-9b52k5mfdf',
      }),
      generated,
    ];
    expect(summary(check(resolveReferences, set))).toStrictEqual(
      ['spec.configMapName', 'spec.settingsConfigMap', 'spec.sources[0].configMap'].map((path) => ({
        name: 'web',
        path,
        message: UNSUFFIXED,
      })),
    );
    // A kind of another group is custom whatever its name: a Deployment of apps.acme.io is judged as one.
    expect(
      summary(check(resolveReferences, [app({ configMapName: 'settings' }, 'apps.acme.io/v1', 'Deployment'), generated])).map((f) => f.path),
    ).toStrictEqual(['spec.configMapName']);
    const quiet: [string, Record<string, unknown>[]][] = [
      // A key that does not say configMap, a value that is no generated stem, an optional one, one of another kind.
      ['other key', [app({ settingsName: 'settings', config: 'settings' }), generated]],
      ['not a stem', [app({ configMapName: 'setting', otherConfigMap: 'settings-9b52k5mfdf', thirdConfigMap: 'settings-9b52' }), generated]],
      ['optional', [app({ source: { configMapName: 'settings', optional: true } }), generated]],
      ['other kind', [app({ source: { kind: 'Secret', configMapName: 'settings' } }), generated]],
      ['a generated Secret', [app({ configMapName: 'creds' }), manifest('v1', 'Secret', 'creds-9b52k5mfdf', { stringData: { token: 'x' } })]],
      // Present under its plain name, or generated in another namespace.
      ['plain one present', [app({ configMapName: 'settings' }), generated, configMap('settings')]],
      ['other namespace', [app({ configMapName: 'settings' }), manifest('v1', 'ConfigMap', 'settings-9b52k5mfdf', { data: {} }, 'other')]],
      // A plain ConfigMap whose name ends in a date is no generator's output.
      ['dated', [app({ configMapName: 'settings' }), configMap('settings-2024120701')]],
      // Kubernetes' own kinds: a ConfigMap's data, a Deployment's unknown field; and the object's metadata.
      [
        'built-in kinds',
        [
          configMap('wiring', { configMapName: 'settings' }),
          manifest('apps/v1', 'Deployment', 'api', { spec: { configMapName: 'settings' } }),
          generated,
        ],
      ],
      [
        'metadata',
        [
          manifest('acme.io/v1', 'App', 'web', { metadata: { name: 'web', namespace: 'shop', annotations: { 'acme.io/configmap': 'settings' } } }),
          generated,
        ],
      ],
    ];
    for (const [what, manifests] of quiet) expect(check(resolveReferences, manifests as Manifest[]), what).toStrictEqual([]);
    expect(resolveReferences.description).toContain('string field whose key says configMap (spec.configMapName)');
  });

  it("reports each string of a custom resource's list whose key says configMap that names a generated ConfigMap without the hash suffix, at its own index", () => {
    const generated = configMap('settings-9b52k5mfdf');
    const set = [
      app({
        configMaps: ['settings', 'other', 'settings-9b52k5mfdf', '', 'settings'],
        settingsNames: ['settings'],
        sources: [{ configMapNames: ['settings'] }],
      }),
      generated,
    ];
    expect(summary(check(resolveReferences, set))).toStrictEqual(
      ['spec.configMaps[0]', 'spec.configMaps[4]', 'spec.sources[0].configMapNames[0]'].map((path) => ({
        name: 'web',
        path,
        message: UNSUFFIXED,
      })),
    );
    const quiet: [string, Manifest[]][] = [
      ['optional', [app({ source: { configMapNames: ['settings'], optional: true } }), generated]],
      ['other kind', [app({ source: { kind: 'Secret', configMaps: ['settings'] } }), generated]],
      ['plain one present', [app({ configMaps: ['settings'] }), generated, configMap('settings')]],
      ['built-in kind', [manifest('apps/v1', 'Deployment', 'api', { spec: { configMaps: ['settings'] } }), generated]],
    ];
    for (const [what, manifests] of quiet) expect(check(resolveReferences, manifests), what).toStrictEqual([]);
    expect(resolveReferences.description).toContain('alone or in a list (spec.configMaps)');
  });

  it("reports the name of each object of a custom resource's list whose key says configMap that names a generated ConfigMap without the hash suffix, at its own path", () => {
    const generated = configMap('settings-9b52k5mfdf');
    const set = [
      app({
        configMaps: [{ name: 'settings' }, { name: 'other' }, { name: 'settings', optional: true }, { name: '' }, { name: 'settings', items: ['a'] }],
        configMapRefs: [{ name: 'settings-9b52k5mfdf' }, 'settings', { name: 'settings' }],
        settingsRefs: [{ name: 'settings' }],
        sources: [{ configMaps: [{ name: 'settings', kind: 'Secret' }, { name: 'settings' }] }],
      }),
      generated,
    ];
    // In the order of the walk: each list where its key is, its strings and objects in their order.
    expect(summary(check(resolveReferences, set))).toStrictEqual(
      [
        'spec.configMaps[0].name',
        'spec.configMaps[4].name',
        'spec.configMapRefs[1]',
        'spec.configMapRefs[2].name',
        'spec.sources[0].configMaps[1].name',
      ].map((path) => ({ name: 'web', path, message: UNSUFFIXED })),
    );
    // An object with kind: ConfigMap is said once, as a typed reference.
    expect(
      summary(check(resolveReferences, [app({ configMaps: [{ kind: 'ConfigMap', name: 'settings' }] }), generated])).map((f) => f.path),
    ).toStrictEqual(['spec.configMaps[0].name']);
    const quiet: [string, Manifest[]][] = [
      ['optional list', [app({ source: { configMaps: [{ name: 'settings' }], optional: true } }), generated]],
      ['other kind beside the list', [app({ source: { kind: 'Secret', configMaps: [{ name: 'settings' }] } }), generated]],
      ['plain one present', [app({ configMaps: [{ name: 'settings' }] }), generated, configMap('settings')]],
      ['built-in kind', [manifest('apps/v1', 'Deployment', 'api', { spec: { configMaps: [{ name: 'settings' }] } }), generated]],
      [
        'metadata',
        [manifest('acme.io/v1', 'App', 'web', { metadata: { name: 'web', namespace: 'shop', configMaps: [{ name: 'settings' }] } }), generated],
      ],
    ];
    for (const [what, manifests] of quiet) expect(check(resolveReferences, manifests), what).toStrictEqual([]);
    expect(resolveReferences.description).toContain('or name of an object in such a list (spec.configMaps[0].name)');
  });

  it("reports the name of a single object under a custom resource's key that says configMap and names a generated ConfigMap without the hash suffix, at its own path", () => {
    const generated = configMap('settings-9b52k5mfdf');
    const set = [
      app({
        configMapRef: { name: 'settings' },
        settingsConfigMap: { name: 'settings' },
        configMapKeyRef: { name: 'settings', key: 'LOG_LEVEL' },
        configMap: { name: 'settings' },
        logConfigMapRef: { name: 'settings-9b52k5mfdf' },
        otherConfigMapRef: { name: 'other' },
        settingsRef: { name: 'settings' },
        sources: [{ configMapRef: { name: 'settings' } }],
      }),
      generated,
    ];
    // configMap: {name} is a typed reference, said first and once; then the walk's order.
    expect(summary(check(resolveReferences, set))).toStrictEqual(
      [
        'spec.configMap.name',
        'spec.configMapRef.name',
        'spec.settingsConfigMap.name',
        'spec.configMapKeyRef.name',
        'spec.sources[0].configMapRef.name',
      ].map((path) => ({ name: 'web', path, message: UNSUFFIXED })),
    );
    // An object with kind: ConfigMap is said once, as a typed reference.
    expect(
      summary(check(resolveReferences, [app({ configMapRef: { kind: 'ConfigMap', name: 'settings' } }), generated])).map((f) => f.path),
    ).toStrictEqual(['spec.configMapRef.name']);
    const quiet: [string, Manifest[]][] = [
      ['optional object', [app({ configMapRef: { name: 'settings', optional: true } }), generated]],
      ['optional beside it', [app({ source: { configMapRef: { name: 'settings' }, optional: true } }), generated]],
      ['other kind in it', [app({ configMapRef: { name: 'settings', kind: 'Secret' } }), generated]],
      ['other kind beside it', [app({ source: { kind: 'Secret', configMapRef: { name: 'settings' } } }), generated]],
      ['key only', [app({ configMapKeyRef: { key: 'LOG_LEVEL' } }), generated]],
      ['empty name', [app({ configMapRef: { name: '' } }), generated]],
      ['plain one present', [app({ configMapRef: { name: 'settings' } }), generated, configMap('settings')]],
      ['built-in kind', [manifest('apps/v1', 'Deployment', 'api', { spec: { configMapRef: { name: 'settings' } } }), generated]],
      [
        'metadata',
        [manifest('acme.io/v1', 'App', 'web', { metadata: { name: 'web', namespace: 'shop', configMapRef: { name: 'settings' } } }), generated],
      ],
    ];
    for (const [what, manifests] of quiet) expect(check(resolveReferences, manifests), what).toStrictEqual([]);
    expect(resolveReferences.description).toContain('or under such a key (spec.configMapRef.name)');
  });

  it("says a custom resource's pod references once, as the pod's, and still reports its objects under a configMap key outside them", () => {
    const generated = configMap('settings-9b52k5mfdf');
    // KEDA's ScaledJob carries a pod template: its envFrom's configMapRef and configMap volume are the pod's references.
    const scaled = manifest('keda.sh/v1alpha1', 'ScaledJob', 'worker', {
      spec: {
        configMapRef: { name: 'settings' },
        configMap: { name: 'settings' },
        jobTargetRef: {
          template: {
            spec: {
              containers: [container({ name: 'worker', envFrom: [{ configMapRef: { name: 'settings' } }] })],
              volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
            },
          },
        },
      },
    });
    expect(summary(check(resolveReferences, [scaled, generated])).map((f) => f.path)).toStrictEqual([
      'spec.jobTargetRef.template.spec.containers[0].envFrom[0].configMapRef.name',
      'spec.configMapRef.name',
      'spec.configMap.name',
    ]);
  });

  it("says of a custom resource's pod reference to a generated ConfigMap's plain name that kustomize leaves it so, where a built-in kind's is told to use it", () => {
    const generated = configMap('settings-9b52k5mfdf');
    const pod = {
      containers: [
        container({
          name: 'worker',
          envFrom: [{ configMapRef: { name: 'settings' } }],
          env: [{ name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LOG_LEVEL' } } }],
        }),
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
    };
    const scaled = manifest('keda.sh/v1alpha1', 'ScaledJob', 'worker', { spec: { jobTargetRef: { template: { spec: pod } } } });
    // A custom resource whose pod template is found by its shape too.
    const shaped = app({ template: { spec: pod } });
    expect(summary(check(resolveReferences, [scaled, shaped, generated]))).toStrictEqual([
      { name: 'worker', path: 'spec.jobTargetRef.template.spec.containers[0].envFrom[0].configMapRef.name', message: UNSUFFIXED },
      { name: 'web', path: 'spec.template.spec.containers[0].envFrom[0].configMapRef.name', message: UNSUFFIXED },
    ]);
    // kustomize writes the suffix into a Deployment's references, a custom kind named Deployment's too (it matches the kind alone): the plain name is the one to write.
    const lookalike = manifest('apps.acme.io/v1', 'Deployment', 'web', { spec: { template: { spec: pod } } });
    for (const d of [deployment('web', { pod }), lookalike])
      expect(summary(check(resolveReferences, [d, generated])), d.apiVersion).toStrictEqual([
        {
          name: 'web',
          path: 'spec.template.spec.containers[0].envFrom[0].configMapRef.name',
          message:
            'ConfigMap "settings" used by container "worker" is not in the set: add it (or its configMapGenerator) or fix the name; ' +
            'the set has the generated "settings-9b52k5mfdf", so reference the generator\'s plain name "settings" in the same kustomization and let Kustomize add the suffix.',
        },
      ]);
  });

  it("says of a ReplicationController's and an ephemeral container's reference to a generated ConfigMap's plain name that kustomize leaves it so, where a Deployment's and an init container's are told to use it", () => {
    const generated = configMap('settings-9b52k5mfdf');
    const LET_KUSTOMIZE = (by: string) =>
      `ConfigMap "settings" used by ${by} is not in the set: add it (or its configMapGenerator) or fix the name; ` +
      'the set has the generated "settings-9b52k5mfdf", so reference the generator\'s plain name "settings" in the same kustomization and let Kustomize add the suffix.';
    const refs = [
      { envFrom: [{ configMapRef: { name: 'settings' } }] },
      { env: [{ name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LOG_LEVEL' } } }] },
    ];
    const volumes = [
      [{ name: 'cfg', configMap: { name: 'settings' } }],
      [{ name: 'cfg', projected: { sources: [{ configMap: { name: 'settings' } }] } }],
    ];
    const at = (spec: string, volume: unknown[]) =>
      volume[0] && 'projected' in (volume[0] as object)
        ? `${spec}.volumes[0].projected.sources[0].configMap.name`
        : `${spec}.volumes[0].configMap.name`;
    // Each reference alone: kustomize leaves every one of a ReplicationController's as written, and writes the suffix into a Deployment's.
    for (const ref of refs) {
      const pod = { containers: [container({ name: 'worker', ...ref })] };
      const path = `spec.template.spec.containers[0].${'envFrom' in ref ? 'envFrom[0].configMapRef' : 'env[0].valueFrom.configMapKeyRef'}.name`;
      const rc = manifest('v1', 'ReplicationController', 'worker', { spec: { template: { spec: pod } } });
      expect(summary(check(resolveReferences, [rc, generated]))).toStrictEqual([{ name: 'worker', path, message: UNSUFFIXED }]);
      expect(summary(check(resolveReferences, [deployment('worker', { pod }), generated]))).toStrictEqual([
        { name: 'worker', path, message: LET_KUSTOMIZE('container "worker"') },
      ]);
    }
    for (const volume of volumes) {
      const pod = { containers: [container({ name: 'worker' })], volumes: volume };
      const rc = manifest('v1', 'ReplicationController', 'worker', { spec: { template: { spec: pod } } });
      expect(summary(check(resolveReferences, [rc, generated]))).toStrictEqual([
        { name: 'worker', path: at('spec.template.spec', volume), message: UNSUFFIXED },
      ]);
      expect(summary(check(resolveReferences, [deployment('worker', { pod }), generated]))).toStrictEqual([
        { name: 'worker', path: at('spec.template.spec', volume), message: LET_KUSTOMIZE('volume "cfg"') },
      ]);
    }
    // A Pod's ephemeral container: kustomize leaves its envFrom and env as written, where it suffixes an init container's.
    for (const ref of refs) {
      const field = 'envFrom' in ref ? 'envFrom[0].configMapRef' : 'env[0].valueFrom.configMapKeyRef';
      const ephemeral = manifest('v1', 'Pod', 'debug', {
        spec: { containers: [container({ name: 'app' })], ephemeralContainers: [container({ name: 'debugger', ...ref })] },
      });
      expect(summary(check(resolveReferences, [ephemeral, generated]))).toStrictEqual([
        { name: 'debug', path: `spec.ephemeralContainers[0].${field}.name`, message: UNSUFFIXED },
      ]);
      const init = manifest('v1', 'Pod', 'debug', {
        spec: { containers: [container({ name: 'app' })], initContainers: [container({ name: 'setup', ...ref })] },
      });
      expect(summary(check(resolveReferences, [init, generated]))).toStrictEqual([
        { name: 'debug', path: `spec.initContainers[0].${field}.name`, message: LET_KUSTOMIZE('init container "setup"') },
      ]);
    }
  });

  it("reports a custom resource's {kind: ConfigMap, name} and configMap: {name} before its fields named by key, whatever their order in it", () => {
    const ordered = manifest('acme.io/v1', 'App', 'web', {
      spec: {
        configMapName: 'settings',
        sources: [{ configMapName: 'settings', configMap: { name: 'settings' } }],
        substituteFrom: [{ kind: 'ConfigMap', name: 'settings' }],
      },
    });
    expect(summary(check(resolveReferences, [ordered, configMap('settings-9b52k5mfdf')])).map((f) => f.path)).toStrictEqual([
      'spec.sources[0].configMap.name',
      'spec.substituteFrom[0].name',
      'spec.configMapName',
      'spec.sources[0].configMapName',
    ]);
  });
});
