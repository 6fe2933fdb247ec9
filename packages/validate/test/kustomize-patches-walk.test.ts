import { join } from 'node:path';
import { suiteTempDir, testTempDir, writeTree } from '@strata/testing/temp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validate } from '../src/index.ts';
import { deploymentYaml, kustomizeBuild, repo } from './kustomize-trees.ts';

/**
 * A folder walk over a kustomize tree meets the files its kustomizations name as patches
 * (`patches`, `patchesStrategicMerge`, `patchesJson6902`): parts of objects that kustomize merges
 * into a resource, not objects. The walk builds the overlay with the real kustomize and judges what
 * it builds, patches applied; it must not judge the patches as objects of their own (a patch has no
 * selector, no image), must still read their YAML, and must say what it built. Named on its own, a
 * file is an object again.
 */
const TREE: Record<string, string> = {
  // A kustomization needs no apiVersion and kind: kustomize assumes them.
  'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
  'base/deployment.yaml': deploymentYaml(),
  'overlays/prod/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
patches:
  - path: patches/replicas.yaml
  - path: ops.yaml
    target: {kind: Deployment, name: web}
patchesStrategicMerge:
  - limits.yaml
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {minReadySeconds: 5}
patchesJson6902:
  - path: ops6902.yaml
    target: {group: apps, version: v1, kind: Deployment, name: web}
configMapGenerator:
  - name: settings
    files:
      - config/app.yaml
      - flags=config/flags.json
replacements:
  - path: replacements.yaml
`,
  // Data of a generated ConfigMap: kustomize reads its bytes, not its YAML.
  'overlays/prod/config/app.yaml': 'logLevel: debug\nenabled: yes\n',
  'overlays/prod/config/flags.json': '{"beta": true}\n',
  'overlays/prod/replacements.yaml': `- source: {kind: Deployment, name: web, fieldPath: metadata.name}
  targets:
    - select: {kind: Deployment, name: web}
      fieldPaths: [metadata.annotations.owner]
      options: {create: true}
`,
  'overlays/prod/patches/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n',
  'overlays/prod/ops.yaml': '- op: add\n  path: /spec/revisionHistoryLimit\n  value: 2\n',
  'overlays/prod/ops6902.yaml': '- op: add\n  path: /spec/progressDeadlineSeconds\n  value: 60\n',
  'overlays/prod/limits.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          resources:
            limits: {memory: 128Mi}
`,
  // An object of the overlay that no kustomization names as a patch: judged as any object.
  'overlays/prod/stray.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\nspec: {}\n',
};
/** The ConfigMap the patches of the small trees below change. */
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "0"\n';
/** A folder of the test's own: a kustomization of CM with `patches` (file name, text), in that order. */
const patchedTree = (patches: Record<string, string>) =>
  writeTree(testTempDir('strata-patches-walk-'), {
    'kustomization.yaml': `resources:\n  - cm.yaml\npatches:\n${Object.keys(patches)
      .map((file) => `  - path: ${file}\n`)
      .join('')}`,
    'cm.yaml': CM,
    ...patches,
  });
const INPUTS = [
  'overlays/prod/config/app.yaml',
  'overlays/prod/config/flags.json',
  'overlays/prod/limits.yaml',
  'overlays/prod/ops.yaml',
  'overlays/prod/ops6902.yaml',
  'overlays/prod/patches/replicas.yaml',
  'overlays/prod/replacements.yaml',
];

const { dir } = suiteTempDir('strata-patches-walk-');
let built_: ReturnType<typeof kustomizeBuild>;

/** The kind and name of each object of a build. */
const kustomizeObjects = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string } } | null)
    .flatMap((o) => (o ? [[o.kind, o.metadata.name]] : []));
beforeAll(() => {
  built_ = kustomizeBuild(join(writeTree(dir, TREE), 'overlays/prod'));
});

describe('a folder walk over a kustomize tree', () => {
  it('meets patches, generator files and replacements that the real kustomize takes: the overlay builds with all of them', () => {
    expect(built_.status, built_.stderr).toBe(0);
    for (const field of [
      'replicas: 3',
      'revisionHistoryLimit: 2',
      'progressDeadlineSeconds: 60',
      'memory: 128Mi',
      'minReadySeconds: 5',
      'enabled: yes',
      'flags: |',
      'owner: web',
    ])
      expect(built_.stdout).toContain(field);
  });

  it('judges the overlay as kustomize builds it, with its patches, generated ConfigMap and replacements, and not the files it reads on their own', async () => {
    const r = await validate(repo, ['.'], { cwd: dir, policy: false });
    const errors = r.problems.filter((p) => p.severity === 'error');
    // Only the stray object's own defect: a ConfigMap has no spec.
    expect(errors.map((p) => [p.file, p.rule])).toStrictEqual([['overlays/prod/stray.yaml', 'schema']]);
    expect(r.notes).toStrictEqual([
      `1 kustomization built with kustomize and its objects judged as built (overlays/prod); the ${INPUTS.length + 1} files of the folder it reads are judged in that build, not on their own`,
    ]);
    // What kustomize builds, judged: the patched Deployment and the generated ConfigMap; the
    // patches, the generator's files and the base's own file are no objects of their own.
    const built = kustomizeObjects(built_.stdout);
    expect(
      r.objects
        ?.filter((o) => o.kind !== 'Kustomization')
        .map((o) => [o.kind, o.name])
        .sort(),
    ).toStrictEqual([...built, ['ConfigMap', 'stray']].sort());
    expect(r.resources).toBe(built.length + 1);
  });

  it('judges what a patch adds to a resource: a patch that turns it invalid makes the folder invalid', async () => {
    const bad = patchedTree({ 'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\nspec:\n  a: 1\n' });
    expect(kustomizeBuild(bad).stdout).toContain('spec:');
    const r = await validate(repo, ['.'], { cwd: bad, policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.rule, p.kind, p.name])).toStrictEqual([['schema', 'ConfigMap', 'c']]);
  });

  it("still reads a patch's YAML as kustomize does: a key written twice is reported, keys that only YAML 1.1 makes one are not", async () => {
    const twice = patchedTree({
      'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "1"\n  a: "2"\n',
      'q.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  on: "3"\n  y: "4"\n',
    });
    // kustomize applies one value of the key written twice (the first), and both keys of the other patch:
    // on and y are one key (true) to YAML 1.1 only.
    const kustomize = kustomizeBuild(twice);
    expect(kustomize.status, kustomize.stderr).toBe(0);
    expect(kustomize.stdout).toContain('a: "1"');
    expect(kustomize.stdout).toContain('"on": "3"');
    expect(kustomize.stdout).toContain('"y": "4"');
    const r = await validate(repo, ['.'], { cwd: twice, policy: false });
    expect(r.problems.map((p) => [p.file, p.line, p.rule, p.message])).toStrictEqual([
      ['p.yaml', 7, 'duplicate-key', 'key "a" appears twice in one mapping; kustomize silently keeps only one of them: remove the other'],
    ]);
  });

  it('judges a patch file named on its own as the object it would be', async () => {
    const r = await validate(repo, ['overlays/prod/patches/replicas.yaml'], { cwd: dir, policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.line, p.rule, p.message])).toStrictEqual([[5, 'schema', "missing properties 'selector', 'template'"]]);
    expect(r.notes ?? []).toStrictEqual([]);
  });
});
