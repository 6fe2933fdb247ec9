import { join } from 'node:path';
import { testTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { formatProblem, formatReport, ruleHelp, summarize, validate } from '../src/index.ts';
import { kustomizeBuild, repo } from './kustomize-trees.ts';

/**
 * A folder walk that meets kustomizations judges what kustomize builds from them, as `kubectl
 * apply -k` creates it: whatever a patch adds, whatever a base outside the folder holds, a file that
 * is both a resource and a patch. A kustomization that kustomize refuses is a problem in its words
 * and hides nothing. Each case is checked against the real kustomize first.
 */
const PRIVILEGED_POD = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: nginx:1.25
    securityContext: {privileged: true}
`;

/** The files of a kustomization in `folder` whose one resource is `pod`, in pod.yaml. */
const podKustomization = (folder: string, pod = PRIVILEGED_POD) => ({
  [`${folder}/kustomization.yaml`]: 'resources:\n- pod.yaml\n',
  [`${folder}/pod.yaml`]: pod,
});

/** A folder of the test's own holding `files`. */
const tree = (files: Record<string, string>) => writeTree(testTempDir('strata-walk-build-'), files);

/** What a folder walk of `paths` (the folder of a tree, say) finds, without the server's field checks. */
const walk = (paths: readonly string[], cwd?: string) => validate(repo, paths, { serverChecks: false, ...(cwd ? { cwd } : {}) });

const rules = (r: Awaited<ReturnType<typeof validate>>) => [...new Set(r.problems.filter((p) => p.severity === 'error').map((p) => p.rule))].sort();

describe('a folder walk builds the kustomizations it meets', () => {
  it('judges a file that is both a resource and a patch of one kustomization as kustomize builds it', async () => {
    const dir = tree({ 'kustomization.yaml': 'resources:\n- pod.yaml\npatches:\n- path: pod.yaml\n', 'pod.yaml': PRIVILEGED_POD });
    expect(kustomizeBuild(dir).stdout).toContain('privileged: true');
    const r = await walk([dir]);
    expect(rules(r)).toContain('no-privileged');
    expect(rules(r)).toContain('no-host-namespaces');
    expect(r.resources).toBe(1);
  });

  it('judges a resource of one kustomization that another names as a patch from outside its root, and reports that refusal', async () => {
    const dir = tree({
      ...podKustomization('a'),
      'b/kustomization.yaml': 'resources: []\npatches:\n- path: ../a/pod.yaml\n',
    });
    expect(kustomizeBuild(join(dir, 'a')).stdout).toContain('privileged: true');
    expect(kustomizeBuild(join(dir, 'b')).status).toBe(1);
    const r = await walk([dir]);
    expect(r.problems.filter((p) => p.rule === 'no-privileged')).toHaveLength(1);
    const refused = r.problems.filter((p) => p.rule === 'kustomize-build');
    expect(refused.map((p) => [p.file, p.line])).toStrictEqual([[join(dir, 'b/kustomization.yaml'), 1]]);
    expect(refused[0]!.message).toMatch(/^kustomize cannot build .*\/b: .*is not in or below/);
  });

  it('judges what a patch adds: privileged, host namespaces and hostPath, or a Secret value', async () => {
    const dir = tree({
      'kustomization.yaml':
        'resources:\n- pod.yaml\n- secret.yaml\npatches:\n- path: patch.yaml\n- path: secret-patch.yaml\n- path: ops.yaml\n  target: {kind: Pod, name: web}\n',
      'ops.yaml': '- op: add\n  path: /spec/hostIPC\n  value: true\n',
      'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - name: web\n    image: nginx:1.25\n',
      'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\ntype: Opaque\n',
      'patch.yaml': `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  hostPID: true
  volumes: [{name: root, hostPath: {path: /}}]
  containers:
  - name: web
    securityContext: {privileged: true}
    volumeMounts: [{name: root, mountPath: /host}]
`,
      'secret-patch.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData: {password: hunter2}\n',
    });
    expect(kustomizeBuild(dir).stdout).toContain('hostPID: true');
    const r = await walk([dir]);
    expect(rules(r)).toEqual(expect.arrayContaining(['no-host-namespaces', 'no-host-path', 'no-privileged', 'no-secret-values']));
    // What a patch file sets is at its line of the patch; what a JSON patch adds, at the kustomization
    // that applies it; what the resource lacks, at its line of the resource.
    const at = (rule: string) => r.problems.filter((p) => p.rule === rule).map((p) => [p.file, p.line, p.path]);
    expect(at('no-privileged')).toStrictEqual([[join(dir, 'patch.yaml'), 9, 'spec.containers[0].securityContext.privileged']]);
    expect(at('no-secret-values')).toStrictEqual([[join(dir, 'secret-patch.yaml'), 4, 'stringData']]);
    expect(at('no-host-namespaces')).toStrictEqual([
      [join(dir, 'kustomization.yaml'), 1, 'spec.hostIPC'],
      [join(dir, 'patch.yaml'), 5, 'spec.hostPID'],
    ]);
    expect(at('require-resources')).toStrictEqual([[join(dir, 'pod.yaml'), 6, 'spec.containers[0].resources']]);
    // Neither the patches nor the kustomization are objects of their own.
    expect(r.resources).toBe(2);
  });

  it('builds an overlay whose base lies outside the folder named, and never counts the kustomization as an object', async () => {
    const dir = tree({
      ...podKustomization('base'),
      'overlays/prod/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\n',
    });
    const r = await walk([join(dir, 'overlays/prod')]);
    expect(rules(r)).toEqual(expect.arrayContaining(['no-host-namespaces', 'no-privileged']));
    // Each at its line of the base's file, where kustomize took the object from.
    expect(
      r.problems.filter((p) => p.rule === 'no-privileged' || p.rule === 'no-host-namespaces').map((p) => [p.file, p.line, p.rule]),
    ).toStrictEqual([
      [join(dir, 'base/pod.yaml'), 5, 'no-host-namespaces'],
      [join(dir, 'base/pod.yaml'), 9, 'no-privileged'],
    ]);
    expect(r.objects?.filter((o) => o.kind !== 'Kustomization').map((o) => o.kind)).toStrictEqual(['Pod']);
    expect(r.resources).toBe(1);
  });

  it("places a finding about an image that an images: entry set at that entry's line, in the overlay or the base that has it", async () => {
    const pod = (name: string, image: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`;
    const dir = tree({
      'base/kustomization.yaml': 'resources:\n- pods.yaml\nimages:\n- name: ghcr.io/acme/worker\n  newTag: latest\n',
      'base/pods.yaml': `${pod('web', 'ghcr.io/acme/web:3.1.0')}---\n${pod('worker', 'ghcr.io/acme/worker:1.0.0')}---\n${pod('db', 'postgres:16')}`,
      'overlays/prod/kustomization.yaml': [
        'resources:',
        '- ../../base',
        'images:',
        '- name: nginx',
        '  newTag: "1.27"',
        '- name: ghcr.io/acme/web',
        '  newTag: 3.2.0:3.1.0',
        '- name: postgres',
        '  digest: sha256:abc',
        '',
      ].join('\n'),
    });
    const built = kustomizeBuild(join(dir, 'overlays/prod')).stdout;
    expect(built).toContain('image: ghcr.io/acme/web:3.2.0:3.1.0');
    expect(built).toContain('image: postgres@sha256:abc');
    expect(built).toContain('image: ghcr.io/acme/worker:latest');
    for (const r of [await walk([join(dir, 'overlays/prod')]), await walk([dir])]) {
      // The entry's own line (its "- name:"), not the kustomization's first line; the base's entry where only the base has
      // one, whether the walk reads the base (the tree) or not (the overlay's folder).
      expect(
        r.problems
          .filter((p) => p.rule === 'valid-image-reference' || p.rule === 'no-latest-tag')
          .map((p) => [p.file, p.line, p.rule, p.name])
          .sort((a, b) => String(a[3]).localeCompare(String(b[3]))),
      ).toStrictEqual([
        [join(dir, 'overlays/prod/kustomization.yaml'), 8, 'valid-image-reference', 'db'],
        [join(dir, 'overlays/prod/kustomization.yaml'), 6, 'valid-image-reference', 'web'],
        [join(dir, 'base/kustomization.yaml'), 4, 'no-latest-tag', 'worker'],
      ]);
    }
  });

  it("judges a generated Secret's values once, at its generator: literals are refused, a file kept out of the tree is not", async () => {
    const dir = tree({
      'kustomization.yaml':
        'secretGenerator:\n- name: creds\n  namespace: shop\n  literals:\n  - password=hunter2\n- name: local\n  namespace: shop\n  envs:\n  - local.env\n',
      'local.env': 'TOKEN=from-a-file-git-ignores\n',
    });
    expect(kustomizeBuild(dir).stdout).toContain('kind: Secret');
    const r = await walk([dir]);
    expect(r.problems.map((p) => [p.file, p.line, p.rule, p.path])).toStrictEqual([
      [join(dir, 'kustomization.yaml'), 4, 'no-secret-values', 'secretGenerator[0].literals'],
    ]);
    expect(r.resources).toBe(2);
  });

  it('says a kustomization that builds nothing holds no objects', async () => {
    const dir = tree({ 'kustomization.yaml': 'resources: []\n' });
    const r = await walk([dir]);
    expect(r.problems.map((p) => p.rule)).toStrictEqual(['no-objects']);
  });

  it('never fetches a remote resource: the kustomization that names one is a problem at the entry', async () => {
    const dir = tree({ 'kustomization.yaml': 'resources:\n- https://github.com/example/repo//deploy?ref=main\n' });
    const r = await walk([dir]);
    expect(r.problems.map((p) => [p.rule, p.line])).toStrictEqual([['kustomize-build', 2]]);
    expect(r.problems[0]!.message).toMatch(
      /^kustomize would fetch https:\/\/github\.com\/example\/repo\/\/deploy\?ref=main \(resources\[0\]\) over the network/,
    );
  });

  it.each([
    [
      'a wrong apiVersion',
      'apiVersion: kustomize.config.k8s.io/v9\nkind: Kustomization\npatches:\n- path: pod.yaml\n',
      /apiVersion for Kustomization should be kustomize\.config\.k8s\.io\/v1beta1/,
    ],
    [
      'an unknown field',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\npatches:\n- path: pod.yaml\n  target: {kind: Nothing}\nbogusField: 1\n',
      /unknown field "bogusField"/,
    ],
    ['a misspelt field', 'resources:\n- pod.yaml\ncommonLabel: {a: b}\n', /unknown field "commonLabel"/],
  ])('reports a kustomization with %s in kustomize’s words, and still judges the files it names', async (_, kustomization, message) => {
    const dir = tree({ 'kustomization.yaml': kustomization, 'pod.yaml': PRIVILEGED_POD });
    const real = kustomizeBuild(dir);
    expect(real.status).toBe(1);
    expect(real.stderr).toMatch(message);
    const r = await walk([dir]);
    const refused = r.problems.filter((p) => p.rule === 'kustomize-build');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.message).toMatch(message);
    expect(rules(r)).toContain('no-privileged');
  });

  it('judges a Component only through the kustomization that uses it, and never asks it for a name', async () => {
    const dir = tree({
      ...podKustomization(
        'base',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n',
      ),
      'components/gpu/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: gpu.yaml\n',
      'components/gpu/gpu.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  hostIPC: true\n',
      'overlays/prod/kustomization.yaml': 'resources:\n- ../../base\ncomponents:\n- ../../components/gpu\n',
    });
    expect(kustomizeBuild(join(dir, 'overlays/prod')).stdout).toContain('hostIPC: true');
    const whole = await walk([dir]);
    expect(whole.problems.filter((p) => p.rule === 'missing-name')).toStrictEqual([]);
    expect(whole.problems.filter((p) => p.rule === 'no-host-namespaces')).toHaveLength(1);
    expect(whole.resources).toBe(1);
    const alone = await walk([join(dir, 'components/gpu')]);
    expect(alone.problems.map((p) => p.rule)).toStrictEqual(['no-objects']);
    expect(alone.notes?.some((n) => /kustomize Component that no kustomization of the folder uses/.test(n))).toBe(true);
  });
});

describe('a folder walk over a base that several overlays share', () => {
  const SHARED = {
    ...podKustomization('base', PRIVILEGED_POD.replace(', namespace: shop', '')),
    'overlays/dev/kustomization.yaml': 'namespace: dev\nnamePrefix: dev-\nresources:\n- ../../base\n',
    'overlays/staging/kustomization.yaml': 'namespace: staging\nnamePrefix: staging-\nresources:\n- ../../base\n',
    'overlays/prod/kustomization.yaml': 'namespace: prod\nnamePrefix: prod-\nresources:\n- ../../base\npatches:\n- path: pid.yaml\n',
    'overlays/prod/pid.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n',
  };

  it("reports each finding of the base once, at its line, naming the overlays whose builds have it, in text, JSON and SARIF, and an overlay's own once, naming it", async () => {
    const dir = tree(SHARED);
    for (const env of ['dev', 'staging', 'prod'])
      expect(kustomizeBuild(join(dir, 'overlays', env)).stdout).toContain(`name: ${env}-p\n  namespace: ${env}\n`);
    const r = await walk(['.'], dir);
    const all = ['overlays/dev', 'overlays/prod', 'overlays/staging'];
    const at = (rule: string) => r.problems.filter((p) => p.rule === rule).map((p) => [p.file, p.line, p.namespace, p.name, p.overlays]);
    // Named as the base writes the Pod: the builds call it dev-p, staging-p and prod-p, in three namespaces.
    expect(at('no-privileged')).toStrictEqual([['base/pod.yaml', 9, undefined, 'p', all]]);
    expect(at('no-host-namespaces')).toStrictEqual([
      ['base/pod.yaml', 5, undefined, 'p', all],
      ['overlays/prod/pid.yaml', 5, 'prod', 'prod-p', ['overlays/prod']],
    ]);
    // A finding whose words name the namespace each overlay gives is one too, naming each in the order of the overlays.
    expect(at('default-deny-network-policy')).toStrictEqual([['base/pod.yaml', 1, undefined, 'p', all]]);
    expect(r.problems.find((p) => p.rule === 'default-deny-network-policy')!.message).toBe(
      'Namespace "dev"/"prod"/"staging" runs pods but has no default-deny NetworkPolicy: add one with podSelector: {}, policyTypes: [Ingress, Egress] and no rules.',
    );
    const privileged = r.problems.find((p) => p.rule === 'no-privileged')!;
    expect(formatProblem(privileged)).toBe(
      'base/pod.yaml:9: v1/Pod p: spec.containers[0].securityContext.privileged: Container "c" runs privileged, with full access to the node: ' +
        'remove securityContext.privileged or set it to false. (in overlays/dev, overlays/prod, overlays/staging) [no-privileged]',
    );
    const report = { problems: r.problems, summary: summarize(r.problems, r.resources), suite: 'strata validate' };
    const json = JSON.parse(formatReport('json', report, '1.2.3', ruleHelp));
    expect(json.problems.filter((p: Problem) => p.rule === 'no-privileged')).toMatchObject([{ file: 'base/pod.yaml', line: 9, overlays: all }]);
    const sarif = JSON.parse(formatReport('sarif', report, '1.2.3', ruleHelp));
    const results = sarif.runs[0].results.filter((x: { ruleId: string }) => x.ruleId === 'no-privileged');
    expect(
      results.map((x: { message: { text: string }; properties: unknown }) => [
        x.message.text.endsWith('(in overlays/dev, overlays/prod, overlays/staging)'),
        x.properties,
      ]),
    ).toStrictEqual([[true, { overlays: all }]]);
    // JUnit, a test case per object, fails each of the three built Pods.
    const junit = formatReport('junit', { ...report, objects: r.objects!.filter((o) => o.kind === 'Pod') }, '1.2.3', ruleHelp);
    expect(junit.match(/<failure /g)).toHaveLength(3);
    // Still an error, about each of the three built Pods: the verdict and the exit code stay as they were.
    expect(report.summary).toMatchObject({ resourcesWithProblems: 3, resources: 3 });
    expect(report.summary.errors).toBe(r.problems.filter((p) => p.severity === 'error').length);
    expect(report.summary.errors).toBeGreaterThan(0);
  });

  it('leaves a walk that builds one kustomization as it was: its findings name no overlay', async () => {
    const dir = tree(SHARED);
    const r = await walk(['overlays/prod'], dir);
    expect(r.problems.filter((p) => p.rule === 'no-privileged').map((p) => [p.file, p.line, p.namespace, p.name, p.overlays])).toStrictEqual([
      [join(dir, 'base/pod.yaml'), 9, 'prod', 'prod-p', undefined],
    ]);
  });
});

describe("a folder walk over the project's own checkout", () => {
  it('builds the generated overlays with their bases and components and finds no error in them', async () => {
    const r = await validate(repo, ['.']);
    expect(r.problems.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.line}: ${p.message} [${p.rule}]`)).toStrictEqual([]);
    // The generated Component is judged through the overlays that use it, never asked for a name.
    expect(r.problems.filter((p) => p.rule === 'missing-name')).toStrictEqual([]);
    expect(r.resources).toBeGreaterThan(0);
  }, 180_000);
});
