import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findRoot } from '@strata/project';
import { suiteTempDir, writeTree } from '@strata/testing/temp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseObjects } from '../../src/parse.ts';
import { resolveReferences } from '../../src/rules/resolve-references.ts';
import type { PolicyObject } from '../../src/types.ts';

/**
 * A custom resource that names a generated ConfigMap from a string field, built by the pinned
 * kustomize of the checkout: kustomize adds the hash suffix to the generated ConfigMap and to the
 * references it knows, and leaves the custom resource's field as written unless `configurations:`
 * teaches it the field.
 */
const repo = findRoot(import.meta.dirname);

/** `kustomize build <dir>` with the pinned kustomize; the built objects. */
function build(dir: string): PolicyObject[] {
  const r = spawnSync(join(repo, '.tools', 'bin', 'kustomize'), ['build', dir], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return parseObjects(r.stdout, 'built.yaml');
}

/** A container `name` (image `name:1`) whose envFrom and env's valueFrom name the ConfigMap "settings": a list item, indented by `indent` spaces. */
function settingsContainer(name: string, indent: number): string {
  const lines = [
    `- name: ${name}`,
    `  image: ${name}:1`,
    '  envFrom:',
    '    - configMapRef:',
    '        name: settings',
    '  env:',
    '    - name: LOG_LEVEL',
    '      valueFrom:',
    '        configMapKeyRef:',
    '          name: settings',
    '          key: LOG_LEVEL',
  ];
  return lines.map((l) => `${' '.repeat(indent)}${l}\n`).join('');
}

/** The fields kustomize knows nothing of: three say configMap, one does not, one is no generated name, one names a Secret, one is optional. */
const APP = `apiVersion: acme.io/v1
kind: App
metadata:
  name: web
spec:
  configMapName: settings
  configMap: settings
  settingsConfigMap: settings
  settingsName: settings
  otherConfigMap: setting
  credsConfigMap: creds
  fallback:
    configMapName: settings
    optional: true
`;

/** Generates "settings" (and "wiring", whose data says configMapName=settings, and the Secret "creds"), all with a hash. */
const kustomization = (extra = '') => `namespace: shop
resources:
  - app.yaml
configMapGenerator:
  - name: settings
    literals: [LOG_LEVEL=debug]
  - name: wiring
    literals: [configMapName=settings]
secretGenerator:
  - name: creds
    literals: [TOKEN=t0k3n]
${extra}`;

/** Teaches kustomize the three fields, so it rewrites them as it does the references of Kubernetes' own kinds. */
const NAME_REFERENCES = `nameReference:
  - kind: ConfigMap
    fieldSpecs:
      - {group: acme.io, kind: App, path: spec/configMapName}
      - {group: acme.io, kind: App, path: spec/configMap}
      - {group: acme.io, kind: App, path: spec/settingsConfigMap}
`;

/** Lists of names kustomize knows nothing of: two keys say configMap, one does not, one list is optional. */
const LIST_APP = `apiVersion: acme.io/v1
kind: App
metadata:
  name: web
spec:
  configMaps: [settings, wiring, setting]
  configMapNames: [creds, settings]
  settingsNames: [settings]
  fallback:
    configMapNames: [settings]
    optional: true
`;

/** Teaches kustomize the two lists, so it rewrites each name in them. */
const LIST_NAME_REFERENCES = `nameReference:
  - kind: ConfigMap
    fieldSpecs:
      - {group: acme.io, kind: App, path: spec/configMaps}
      - {group: acme.io, kind: App, path: spec/configMapNames}
`;

/** Lists of objects kustomize knows nothing of: two keys say configMap, one does not; one object is optional, one names a Secret, one list is optional. */
const OBJECT_LIST_APP = `apiVersion: acme.io/v1
kind: App
metadata:
  name: web
spec:
  configMaps:
    - name: settings
    - name: wiring
      optional: true
    - name: setting
    - name: creds
      kind: Secret
  configMapRefs:
    - name: settings
  settingsRefs:
    - name: settings
  fallback:
    configMaps:
      - name: settings
    optional: true
`;

/** Teaches kustomize the `name` of each object of the two lists, so it rewrites them. */
const OBJECT_LIST_NAME_REFERENCES = `nameReference:
  - kind: ConfigMap
    fieldSpecs:
      - {group: acme.io, kind: App, path: spec/configMaps/name}
      - {group: acme.io, kind: App, path: spec/configMapRefs/name}
`;

/**
 * Single objects kustomize knows nothing of: three keys say configMap, one does not; one is optional,
 * one names a Secret, one has only a key; a pod template's envFrom in a custom resource, which
 * kustomize knows only in Kubernetes' own kinds.
 */
const OBJECT_APP = `apiVersion: acme.io/v1
kind: App
metadata:
  name: web
spec:
  configMapRef:
    name: settings
  settingsConfigMap:
    name: settings
  configMapKeyRef:
    name: settings
    key: LOG_LEVEL
  settingsRef:
    name: settings
  otherConfigMapRef:
    name: setting
  fallbackConfigMapRef:
    name: settings
    optional: true
  credsConfigMapRef:
    name: creds
    kind: Secret
  keyConfigMapRef:
    key: LOG_LEVEL
  template:
    spec:
      envFrom:
        - configMapRef:
            name: settings
`;

/** Teaches kustomize the `name` of the objects whose key says configMap, so it rewrites them. */
const OBJECT_NAME_REFERENCES = `nameReference:
  - kind: ConfigMap
    fieldSpecs:
      - {group: acme.io, kind: App, path: spec/configMapRef/name}
      - {group: acme.io, kind: App, path: spec/settingsConfigMap/name}
      - {group: acme.io, kind: App, path: spec/configMapKeyRef/name}
      - {group: acme.io, kind: App, path: spec/template/spec/envFrom/configMapRef/name}
`;

/**
 * KEDA's ScaledJob, a custom resource whose pod template the rule reads, beside a Deployment: both
 * name the generated ConfigMap by its plain name in envFrom, env's valueFrom and a volume. And a
 * custom kind named Deployment, whose envFrom kustomize rewrites all the same: it matches the kind alone.
 */
const PODS = `apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: worker
spec:
  jobTargetRef:
    template:
      spec:
        containers:
${settingsContainer('worker', 10)}        volumes:
          - name: cfg
            configMap:
              name: settings
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
${settingsContainer('web', 8)}      volumes:
        - name: cfg
          configMap:
            name: settings
---
apiVersion: apps.acme.io/v1
kind: Deployment
metadata:
  name: lookalike
spec:
  template:
    spec:
      containers:
        - name: lookalike
          image: web:1
          envFrom:
            - configMapRef:
                name: settings
`;

/** Teaches kustomize the ScaledJob's pod template fields, the ones it knows in a Job's. */
const POD_NAME_REFERENCES = `nameReference:
  - kind: ConfigMap
    fieldSpecs:
      - {group: keda.sh, kind: ScaledJob, path: spec/jobTargetRef/template/spec/containers/envFrom/configMapRef/name}
      - {group: keda.sh, kind: ScaledJob, path: spec/jobTargetRef/template/spec/containers/env/valueFrom/configMapKeyRef/name}
      - {group: keda.sh, kind: ScaledJob, path: spec/jobTargetRef/template/spec/volumes/configMap/name}
`;

/**
 * Kubernetes' own kinds whose pod references kustomize's nameReference config does not list: a
 * ReplicationController's pod template (envFrom, env's valueFrom, a configMap volume and a projected
 * volume's configMap source), and a Pod's ephemeral container (envFrom, env's valueFrom) beside an
 * init container whose same references it lists.
 */
const UNLISTED_PODS = `apiVersion: v1
kind: ReplicationController
metadata:
  name: legacy
spec:
  selector: {app: legacy}
  template:
    metadata:
      labels: {app: legacy}
    spec:
      containers:
${settingsContainer('legacy', 8)}      volumes:
        - name: cfg
          configMap:
            name: settings
        - name: all
          projected:
            sources:
              - configMap:
                  name: settings
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  initContainers:
${settingsContainer('setup', 4)}  containers:
    - name: app
      image: app:1
  ephemeralContainers:
${settingsContainer('debugger', 4)}`;

const { dir } = suiteTempDir('strata-configmap-fields-');
beforeAll(() => {
  writeTree(dir, {
    'plain/kustomization.yaml': 'resources: [settings.yaml]\n',
    'plain/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata: {LOG_LEVEL: info}\n',
    'untaught/kustomization.yaml': kustomization(),
    'untaught/app.yaml': APP,
    'taught/kustomization.yaml': kustomization('configurations: [names.yaml]\n'),
    'taught/names.yaml': NAME_REFERENCES,
    'taught/app.yaml': APP,
    'lists-untaught/kustomization.yaml': kustomization(),
    'lists-untaught/app.yaml': LIST_APP,
    'lists-taught/kustomization.yaml': kustomization('configurations: [names.yaml]\n'),
    'lists-taught/names.yaml': LIST_NAME_REFERENCES,
    'lists-taught/app.yaml': LIST_APP,
    'object-lists-untaught/kustomization.yaml': kustomization(),
    'object-lists-untaught/app.yaml': OBJECT_LIST_APP,
    'object-lists-taught/kustomization.yaml': kustomization('configurations: [names.yaml]\n'),
    'object-lists-taught/names.yaml': OBJECT_LIST_NAME_REFERENCES,
    'object-lists-taught/app.yaml': OBJECT_LIST_APP,
    'objects-untaught/kustomization.yaml': kustomization(),
    'objects-untaught/app.yaml': OBJECT_APP,
    'objects-taught/kustomization.yaml': kustomization('configurations: [names.yaml]\n'),
    'objects-taught/names.yaml': OBJECT_NAME_REFERENCES,
    'objects-taught/app.yaml': OBJECT_APP,
    'pods-untaught/kustomization.yaml': kustomization(),
    'pods-untaught/app.yaml': PODS,
    'pods-taught/kustomization.yaml': kustomization('configurations: [names.yaml]\n'),
    'pods-taught/names.yaml': POD_NAME_REFERENCES,
    'pods-taught/app.yaml': PODS,
    'unlisted-pods/kustomization.yaml': kustomization(),
    'unlisted-pods/app.yaml': UNLISTED_PODS,
  });
});

const spec = (objects: readonly PolicyObject[]) => objects.find((o) => o.manifest.kind === 'App')!.manifest.spec as Record<string, unknown>;
const generatedName = (objects: readonly PolicyObject[], stem: string) =>
  objects.map((o) => o.manifest.metadata.name).find((n) => n !== undefined && new RegExp(`^${stem}-[a-z0-9]{10}$`).test(n));

/** The rule's words for a field that names the generated ConfigMap `name` without the suffix of `generated`. */
const unsuffixed = (name: string, generated: string) =>
  `ConfigMap "${name}" is not in the set, which has the generated "${generated}": kustomize adds the hash suffix only to the references it knows, not to this field, so it names a ConfigMap that does not exist; ` +
  'make the ConfigMap without a hash suffix (options.disableNameSuffixHash: true on its generator; in a strata app, a ConfigMap without the generator annotation), or teach kustomize the field with configurations:.';

describe("resolve-references on kustomize's build of a custom resource that names a generated ConfigMap from a string field", () => {
  it('reports the fields whose key says configMap, which kustomize leaves without the hash suffix, and no other', () => {
    const built = build(join(dir, 'untaught'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    expect(generatedName(built, 'creds')).toBeDefined();
    // kustomize suffixed the generated objects and left every field of the custom resource as written.
    expect(spec(built)).toStrictEqual({
      configMapName: 'settings',
      configMap: 'settings',
      settingsConfigMap: 'settings',
      settingsName: 'settings',
      otherConfigMap: 'setting',
      credsConfigMap: 'creds',
      fallback: { configMapName: 'settings', optional: true },
    });
    const findings = resolveReferences.check(built, {});
    // In the order of kustomize's output, which sorts the keys.
    expect(findings.map((f) => [f.object.manifest.kind, f.path])).toStrictEqual([
      ['App', 'spec.configMap'],
      ['App', 'spec.configMapName'],
      ['App', 'spec.settingsConfigMap'],
    ]);
    expect(findings[1]!.message).toBe(unsuffixed('settings', settings!));
  });

  it('reports nothing when a ConfigMap of the plain name is in the set, applied from another kustomization', () => {
    const built = [...build(join(dir, 'untaught')), ...build(join(dir, 'plain'))];
    expect(built.filter((o) => o.manifest.kind === 'ConfigMap').map((o) => [o.manifest.metadata.namespace, o.manifest.metadata.name])).toContainEqual(
      ['shop', 'settings'],
    );
    expect(resolveReferences.check(built, {})).toStrictEqual([]);
  });

  it('reports nothing when configurations: teaches kustomize the fields: it writes the hash suffix into them', () => {
    const built = build(join(dir, 'taught'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    expect(spec(built)).toMatchObject({ configMapName: settings, configMap: settings, settingsConfigMap: settings, settingsName: 'settings' });
    expect(resolveReferences.check(built, {})).toStrictEqual([]);
  });
});

describe("resolve-references on kustomize's build of a custom resource that names generated ConfigMaps in a list", () => {
  it('reports each name of a list whose key says configMap that kustomize leaves without the hash suffix, at its own index, and no other', () => {
    const built = build(join(dir, 'lists-untaught'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    expect(generatedName(built, 'wiring')).toBeDefined();
    expect(generatedName(built, 'creds')).toBeDefined();
    // kustomize suffixed the generated objects and left every name of the lists as written.
    expect(spec(built)).toStrictEqual({
      configMaps: ['settings', 'wiring', 'setting'],
      configMapNames: ['creds', 'settings'],
      settingsNames: ['settings'],
      fallback: { configMapNames: ['settings'], optional: true },
    });
    const findings = resolveReferences.check(built, {});
    // In the order of kustomize's output, which sorts the keys and keeps the lists' order.
    expect(findings.map((f) => [f.object.manifest.kind, f.path])).toStrictEqual([
      ['App', 'spec.configMapNames[1]'],
      ['App', 'spec.configMaps[0]'],
      ['App', 'spec.configMaps[1]'],
    ]);
    expect(findings[0]!.message).toBe(unsuffixed('settings', settings!));
  });

  it('reports nothing when configurations: teaches kustomize the lists: it writes the hash suffix into each generated name', () => {
    const built = build(join(dir, 'lists-taught'));
    const settings = generatedName(built, 'settings');
    const wiring = generatedName(built, 'wiring');
    expect(settings).toBeDefined();
    expect(wiring).toBeDefined();
    // A name that is no generated ConfigMap's stays as written.
    expect(spec(built)).toMatchObject({
      configMaps: [settings, wiring, 'setting'],
      configMapNames: ['creds', settings],
      settingsNames: ['settings'],
    });
    expect(resolveReferences.check(built, {})).toStrictEqual([]);
  });
});

describe("resolve-references on kustomize's build of a custom resource that names generated ConfigMaps by the name of each object of a list", () => {
  it('reports the name of each object of a list whose key says configMap that kustomize leaves without the hash suffix, at its own path, and no other', () => {
    const built = build(join(dir, 'object-lists-untaught'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    expect(generatedName(built, 'wiring')).toBeDefined();
    expect(generatedName(built, 'creds')).toBeDefined();
    // kustomize suffixed the generated objects and left every name of the lists' objects as written.
    expect(spec(built)).toStrictEqual({
      configMaps: [{ name: 'settings' }, { name: 'wiring', optional: true }, { name: 'setting' }, { name: 'creds', kind: 'Secret' }],
      configMapRefs: [{ name: 'settings' }],
      settingsRefs: [{ name: 'settings' }],
      fallback: { configMaps: [{ name: 'settings' }], optional: true },
    });
    const findings = resolveReferences.check(built, {});
    // In the order of kustomize's output, which sorts the keys and keeps the lists' order.
    expect(findings.map((f) => [f.object.manifest.kind, f.path])).toStrictEqual([
      ['App', 'spec.configMapRefs[0].name'],
      ['App', 'spec.configMaps[0].name'],
    ]);
    expect(findings[1]!.message).toBe(unsuffixed('settings', settings!));
  });

  it("reports nothing when configurations: teaches kustomize the name of the lists' objects: it writes the hash suffix into each generated name", () => {
    const built = build(join(dir, 'object-lists-taught'));
    const settings = generatedName(built, 'settings');
    const wiring = generatedName(built, 'wiring');
    expect(settings).toBeDefined();
    expect(wiring).toBeDefined();
    // A name that is no generated ConfigMap's stays as written, and so does the list it was not taught.
    expect(spec(built)).toMatchObject({
      configMaps: [{ name: settings }, { name: wiring, optional: true }, { name: 'setting' }, { name: 'creds', kind: 'Secret' }],
      configMapRefs: [{ name: settings }],
      settingsRefs: [{ name: 'settings' }],
    });
    expect(resolveReferences.check(built, {})).toStrictEqual([]);
  });
});

describe("resolve-references on kustomize's build of a custom resource that names a generated ConfigMap by the name of a single object", () => {
  it('reports the name of each object under a key that says configMap that kustomize leaves without the hash suffix, at its own path, and no other', () => {
    const built = build(join(dir, 'objects-untaught'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    expect(generatedName(built, 'creds')).toBeDefined();
    // kustomize suffixed the generated objects and left every name of the custom resource's objects as written, its pod template's too.
    expect(spec(built)).toStrictEqual({
      configMapRef: { name: 'settings' },
      settingsConfigMap: { name: 'settings' },
      configMapKeyRef: { name: 'settings', key: 'LOG_LEVEL' },
      settingsRef: { name: 'settings' },
      otherConfigMapRef: { name: 'setting' },
      fallbackConfigMapRef: { name: 'settings', optional: true },
      credsConfigMapRef: { name: 'creds', kind: 'Secret' },
      keyConfigMapRef: { key: 'LOG_LEVEL' },
      template: { spec: { envFrom: [{ configMapRef: { name: 'settings' } }] } },
    });
    const findings = resolveReferences.check(built, {});
    // In the order of kustomize's output, which sorts the keys.
    expect(findings.map((f) => [f.object.manifest.kind, f.path])).toStrictEqual([
      ['App', 'spec.configMapKeyRef.name'],
      ['App', 'spec.configMapRef.name'],
      ['App', 'spec.settingsConfigMap.name'],
      ['App', 'spec.template.spec.envFrom[0].configMapRef.name'],
    ]);
    expect(findings[1]!.message).toBe(unsuffixed('settings', settings!));
  });

  it('reports nothing when configurations: teaches kustomize the name of the objects: it writes the hash suffix into each generated name', () => {
    const built = build(join(dir, 'objects-taught'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    // A name that is no generated ConfigMap's stays as written, and so does the object it was not taught.
    expect(spec(built)).toMatchObject({
      configMapRef: { name: settings },
      settingsConfigMap: { name: settings },
      configMapKeyRef: { name: settings, key: 'LOG_LEVEL' },
      settingsRef: { name: 'settings' },
      otherConfigMapRef: { name: 'setting' },
      template: { spec: { envFrom: [{ configMapRef: { name: settings } }] } },
    });
    expect(resolveReferences.check(built, {})).toStrictEqual([]);
  });
});

describe("resolve-references on kustomize's build of a custom resource's pod template that names a generated ConfigMap", () => {
  /** The parts of a built pod spec that name the ConfigMap. */
  interface PodSpec {
    readonly containers: readonly {
      readonly envFrom: readonly { readonly configMapRef: { readonly name: string } }[];
      readonly env: readonly { readonly valueFrom: { readonly configMapKeyRef: { readonly name: string } } }[];
    }[];
    readonly volumes: readonly { readonly configMap: { readonly name: string } }[];
  }
  /** The pod spec of the built object of this name: a ScaledJob's under jobTargetRef. */
  const podSpec = (objects: readonly PolicyObject[], name: string): PodSpec => {
    const spec = objects.find((x) => x.manifest.metadata.name === name)!.manifest.spec as {
      readonly template?: { readonly spec: PodSpec };
      readonly jobTargetRef?: { readonly template: { readonly spec: PodSpec } };
    };
    return (spec.jobTargetRef?.template ?? spec.template)!.spec;
  };
  /** Where the pod spec names the ConfigMap: envFrom, env's valueFrom and the volume. */
  const named = (pod: PodSpec) => [
    pod.containers[0]?.envFrom[0]?.configMapRef.name,
    pod.containers[0]?.env[0]?.valueFrom.configMapKeyRef.name,
    pod.volumes[0]?.configMap.name,
  ];

  it("reports the ScaledJob's reference, which kustomize leaves without the hash suffix, once and in the words for a field it does not know", () => {
    const built = build(join(dir, 'pods-untaught'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    // kustomize suffixed the Deployments' references, which it knows by the kind, and left the ScaledJob's as written.
    expect(named(podSpec(built, 'web'))).toStrictEqual([settings, settings, settings]);
    expect(named(podSpec(built, 'worker'))).toStrictEqual(['settings', 'settings', 'settings']);
    expect(podSpec(built, 'lookalike').containers[0]?.envFrom[0]?.configMapRef.name).toBe(settings);
    const findings = resolveReferences.check(built, {});
    expect(findings.map((f) => [f.object.manifest.kind, f.path, f.message])).toStrictEqual([
      ['ScaledJob', 'spec.jobTargetRef.template.spec.containers[0].envFrom[0].configMapRef.name', unsuffixed('settings', settings!)],
    ]);
  });

  it("reports nothing when configurations: teaches kustomize the ScaledJob's fields: it writes the hash suffix into them", () => {
    const built = build(join(dir, 'pods-taught'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    expect(named(podSpec(built, 'worker'))).toStrictEqual([settings, settings, settings]);
    expect(named(podSpec(built, 'web'))).toStrictEqual([settings, settings, settings]);
    expect(resolveReferences.check(built, {})).toStrictEqual([]);
  });
});

describe("resolve-references on kustomize's build of a ReplicationController and a Pod's ephemeral container that name a generated ConfigMap", () => {
  /** The parts of a built container that name the ConfigMap. */
  interface Refs {
    readonly envFrom: readonly { readonly configMapRef: { readonly name: string } }[];
    readonly env: readonly { readonly valueFrom: { readonly configMapKeyRef: { readonly name: string } } }[];
  }
  const named = (c: Refs | undefined) => [c?.envFrom[0]?.configMapRef.name, c?.env[0]?.valueFrom.configMapKeyRef.name];
  const object = (objects: readonly PolicyObject[], kind: string) =>
    objects.find((o) => o.manifest.kind === kind)!.manifest.spec as Record<string, unknown>;

  it('reports each, which kustomize leaves without the hash suffix, once and in the words for a field it does not know, and not the init container it suffixes', () => {
    const built = build(join(dir, 'unlisted-pods'));
    const settings = generatedName(built, 'settings');
    expect(settings).toBeDefined();
    // The ReplicationController's envFrom, env, configMap volume and projected source stay as written.
    const rc = (object(built, 'ReplicationController') as { template: { spec: Record<string, unknown> } }).template.spec as {
      readonly containers: readonly Refs[];
      readonly volumes: readonly [
        { readonly configMap: { readonly name: string } },
        { readonly projected: { readonly sources: readonly { readonly configMap: { readonly name: string } }[] } },
      ];
    };
    expect([...named(rc.containers[0]), rc.volumes[0].configMap.name, rc.volumes[1].projected.sources[0]?.configMap.name]).toStrictEqual([
      'settings',
      'settings',
      'settings',
      'settings',
    ]);
    // The Pod's init container gets the suffix, its ephemeral container does not.
    const pod = object(built, 'Pod') as { readonly initContainers: readonly Refs[]; readonly ephemeralContainers: readonly Refs[] };
    expect(named(pod.initContainers[0])).toStrictEqual([settings, settings]);
    expect(named(pod.ephemeralContainers[0])).toStrictEqual(['settings', 'settings']);
    // kustomize writes the Pod before the ReplicationController.
    const findings = resolveReferences.check(built, {});
    expect(findings.map((f) => [f.object.manifest.kind, f.path, f.message])).toStrictEqual([
      ['Pod', 'spec.ephemeralContainers[0].envFrom[0].configMapRef.name', unsuffixed('settings', settings!)],
      ['ReplicationController', 'spec.template.spec.containers[0].envFrom[0].configMapRef.name', unsuffixed('settings', settings!)],
    ]);
  });
});
