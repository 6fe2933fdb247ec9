import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { networkPoliciesYaml } from '@strata/testing/manifests';
import { writeTree } from '@strata/testing/temp';
import { afterEach, describe, expect, it } from 'vitest';
import { KUSTOMIZATION_FILES } from '@strata/kustomize';
import { parseInputs, validate } from '../src/index.ts';
import { kustomizeBuild, repo } from './kustomize-trees.ts';

/**
 * kustomize, `kubectl apply -k` and Argo CD take a folder's kustomization file under any of three
 * names: kustomization.yaml, kustomization.yml and Kustomization (no extension). A folder walk builds
 * each alike, and refuses a folder that holds two of them, as kustomize does. Each case is checked
 * against the real kustomize first.
 */

/** A Pod that passes every rule, and the NetworkPolicies it needs: nothing to find in the files as written. */
const HARDENED = {
  'pod.yaml': `apiVersion: v1
kind: Pod
metadata: {name: kz, namespace: x, labels: {app: kz}}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: nginx:1.25
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: {drop: [ALL]}}
`,
  'np.yaml': networkPoliciesYaml('x', 'kz'),
};

/** A kustomization whose JSON patch makes the hardened Pod privileged, on the node's network. */
const PRIVILEGED_PATCH = `resources: [pod.yaml, np.yaml]
patches:
- target: {kind: Pod, name: kz}
  patch: |
    - op: add
      path: /spec/containers/0/securityContext/privileged
      value: true
    - op: add
      path: /spec/hostNetwork
      value: true
`;

const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-kustomization-names-'));
  dirs.push(dir);
  return writeTree(dir, files);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Result = Awaited<ReturnType<typeof validate>>;
const found = (r: Result) => r.problems.map((p) => [p.file, p.line, p.rule, p.path]);

describe('a folder walk takes every name kustomize takes for a kustomization file', () => {
  it('walks a hardened Pod with no kustomization as it is written, and finds nothing', async () => {
    const r = await validate(repo, [tree(HARDENED)], { serverChecks: false });
    expect(found(r)).toStrictEqual([]);
    expect(r.resources).toBe(3);
  });

  it.each(KUSTOMIZATION_FILES)('builds a folder whose kustomization file is %s, so the privileged patch is judged', async (name) => {
    const dir = tree({ ...HARDENED, [name]: PRIVILEGED_PATCH });
    const built = kustomizeBuild(dir);
    expect(built.status).toBe(0);
    expect(built.stdout).toContain('privileged: true');
    expect(built.stdout).toContain('hostNetwork: true');
    const r = await validate(repo, [dir], { serverChecks: false });
    // What the JSON patch adds is at the kustomization that applies it.
    expect(found(r)).toStrictEqual([
      [join(dir, name), 1, 'no-host-namespaces', 'spec.hostNetwork'],
      [join(dir, name), 1, 'no-privileged', 'spec.containers[0].securityContext.privileged'],
    ]);
    expect(r.resources).toBe(3);
    expect(r.notes).toContain(
      `1 kustomization built with kustomize and its objects judged as built (${dir}); the 2 files of the folder it reads are judged in that build, not on their own`,
    );
  });

  it('reads what the walk hands to verify as built: the patched Pod, and no Kustomization as an object', async () => {
    const dir = tree({ ...HARDENED, Kustomization: PRIVILEGED_PATCH });
    const parsed = await parseInputs(repo, [dir]);
    const pod = parsed.docs.find((d) => d.manifest.kind === 'Pod')!;
    expect(pod.manifest.spec).toMatchObject({ hostNetwork: true, containers: [{ securityContext: { privileged: true } }] });
    expect(parsed.docs.filter((d) => d.manifest.kind === 'Pod')).toHaveLength(1);
    expect([...parsed.files.values()].reduce((n, f) => n + f.resources, 0)).toBe(3);
  });

  it('builds a base named Kustomization only through the overlay that pulls it in, once', async () => {
    const dir = tree({
      'base/Kustomization': 'resources: [pod.yaml, np.yaml]\n',
      'base/pod.yaml': HARDENED['pod.yaml'],
      'base/np.yaml': HARDENED['np.yaml'],
      'overlays/prod/kustomization.yml': PRIVILEGED_PATCH.replace('resources: [pod.yaml, np.yaml]', 'resources: [../../base]'),
    });
    expect(kustomizeBuild(join(dir, 'overlays/prod')).stdout).toContain('privileged: true');
    const r = await validate(repo, [dir], { serverChecks: false });
    expect(found(r)).toStrictEqual([
      [join(dir, 'overlays/prod/kustomization.yml'), 1, 'no-host-namespaces', 'spec.hostNetwork'],
      [join(dir, 'overlays/prod/kustomization.yml'), 1, 'no-privileged', 'spec.containers[0].securityContext.privileged'],
    ]);
    // One build: the base is not built again on its own, and its objects are counted once.
    expect(r.problems.every((p) => p.overlays === undefined)).toBe(true);
    expect(r.resources).toBe(3);
  });

  it.each([
    ['kustomization.yaml', 'Kustomization'],
    ['kustomization.yml', 'Kustomization'],
    ['kustomization.yaml', 'kustomization.yml'],
  ])('refuses a folder that holds both %s and %s, as kustomize does, at the folder', async (first, second) => {
    const dir = tree({ ...HARDENED, [first]: PRIVILEGED_PATCH, [second]: 'resources: [pod.yaml]\n' });
    const real = kustomizeBuild(dir);
    expect(real.status).toBe(1);
    expect(real.stderr).toContain('Found multiple kustomization files');
    const r = await validate(repo, [dir], { serverChecks: false });
    expect(found(r)).toStrictEqual([[join(dir, first), 1, 'kustomize-build', undefined]]);
    expect(r.problems[0]!.message).toBe(
      `kustomize cannot build ${dir}: it holds ${first} and ${second}, and kustomize (so kubectl apply -k and Argo CD) refuses a folder with more than one kustomization file (Found multiple kustomization files); keep one of them and remove the others`,
    );
    // Nothing is hidden: the files they name are judged as any file of the walk.
    expect(r.resources).toBe(4);
  });

  it('refuses a base with two kustomization files once, at the base, and the overlay that pulls it in in kustomize’s words', async () => {
    const dir = tree({
      'base/kustomization.yaml': 'resources: [pod.yaml, np.yaml]\n',
      'base/Kustomization': 'resources: [pod.yaml]\n',
      'base/pod.yaml': HARDENED['pod.yaml'],
      'base/np.yaml': HARDENED['np.yaml'],
      'prod/kustomization.yaml': 'resources: [../base]\n',
    });
    expect(kustomizeBuild(join(dir, 'prod')).stderr).toContain('Found multiple kustomization files');
    const r = await validate(repo, [dir], { serverChecks: false });
    expect(r.problems.map((p) => [p.file, p.rule])).toStrictEqual([
      [join(dir, 'base/kustomization.yaml'), 'kustomize-build'],
      [join(dir, 'prod/kustomization.yaml'), 'kustomize-build'],
    ]);
    expect(r.problems[0]!.message).toMatch(/it holds kustomization\.yaml and Kustomization/);
    expect(r.problems[1]!.message).toMatch(/^kustomize cannot build .*\/prod: .*Found multiple kustomization files/);
  });
});

describe('a kustomization file named on its own is built as its folder is', () => {
  /** A folder whose patches, a strategic-merge file and an inline JSON patch, make the hardened Pod privileged on the node's network. */
  const PATCHED = (name: string): Record<string, string> => ({
    ...HARDENED,
    'patch.yaml':
      'apiVersion: v1\nkind: Pod\nmetadata: {name: kz, namespace: x}\nspec:\n  containers:\n  - name: c\n    securityContext: {privileged: true}\n',
    [name]: `resources: [pod.yaml, np.yaml]
patches:
- path: patch.yaml
- target: {kind: Pod, name: kz}
  patch: |
    - op: add
      path: /spec/hostNetwork
      value: true
`,
  });

  it.each(KUSTOMIZATION_FILES)('judges %s named on its own as the walk of its folder judges it, at the same lines', async (name) => {
    const dir = tree(PATCHED(name));
    expect(kustomizeBuild(dir).stdout).toContain('privileged: true');
    const folder = await validate(repo, ['.'], { cwd: dir, serverChecks: false });
    const file = await validate(repo, [name], { cwd: dir, serverChecks: false });
    expect(found(file)).toStrictEqual([
      [name, 1, 'no-host-namespaces', 'spec.hostNetwork'],
      ['patch.yaml', 7, 'no-privileged', 'spec.containers[0].securityContext.privileged'],
    ]);
    expect(found(file)).toStrictEqual(found(folder));
    expect(file.resources).toBe(3);
    expect(file.resources).toBe(folder.resources);
  });

  it('judges only what the kustomization builds, not a file of the folder it does not name, and reads its pulled-in folders as the walk does', async () => {
    const dir = tree({
      'kustomization.yaml': 'resources: [app]\n',
      'app/Kustomization': PATCHED('x')['x']!,
      'app/pod.yaml': HARDENED['pod.yaml'],
      'app/np.yaml': HARDENED['np.yaml'],
      'app/patch.yaml': PATCHED('x')['patch.yaml']!,
      'loose.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loose}\n',
    });
    expect(kustomizeBuild(dir).stdout).toContain('hostNetwork: true');
    const r = await validate(repo, ['kustomization.yaml'], { cwd: dir, serverChecks: false });
    // What the pulled-in kustomization's JSON patch adds is at the kustomization built, as the walk places it.
    expect(found(r)).toStrictEqual([
      ['app/patch.yaml', 7, 'no-privileged', 'spec.containers[0].securityContext.privileged'],
      ['kustomization.yaml', 1, 'no-host-namespaces', 'spec.hostNetwork'],
    ]);
    const folder = await validate(repo, ['.'], { cwd: dir, serverChecks: false });
    expect(found(folder).filter(([file]) => file !== 'loose.yaml')).toStrictEqual(found(r));
    expect(r.resources).toBe(3);
    expect(folder.resources).toBe(4);
  });

  it('places the findings of a base outside the folder as the walk of the folder places them', async () => {
    const dir = tree({
      'base/kustomization.yaml': 'resources: [pod.yaml, np.yaml]\npatches:\n- path: patch.yaml\n',
      'base/pod.yaml': HARDENED['pod.yaml'],
      'base/np.yaml': HARDENED['np.yaml'],
      'base/patch.yaml': PATCHED('x')['patch.yaml']!,
      'overlays/prod/Kustomization': 'resources: [../../base]\n',
    });
    const folder = await validate(repo, [join(dir, 'overlays/prod')], { serverChecks: false });
    const file = await validate(repo, [join(dir, 'overlays/prod/Kustomization')], { serverChecks: false });
    expect(found(file)).toStrictEqual([
      [join(dir, 'overlays/prod/Kustomization'), 1, 'no-privileged', 'spec.containers[0].securityContext.privileged'],
    ]);
    expect(found(file)).toStrictEqual(found(folder));
  });

  it('reports a kustomization file named on its own that kustomize refuses, in its words, and judges the files it names', async () => {
    const dir = tree({ ...HARDENED, 'kustomization.yaml': 'resources: [pod.yaml, missing.yaml]\n' });
    expect(kustomizeBuild(dir).status).toBe(1);
    const r = await validate(repo, [join(dir, 'kustomization.yaml')], { serverChecks: false });
    const refused = r.problems.filter((p) => p.rule === 'kustomize-build');
    expect(refused.map((p) => [p.file, p.line])).toStrictEqual([[join(dir, 'kustomization.yaml'), 1]]);
    expect(refused[0]!.message).toMatch(/missing\.yaml/);
    // It hides nothing: the file it names is judged as a walk of the folder judges it.
    expect(r.problems.some((p) => p.file === join(dir, 'pod.yaml'))).toBe(true);
  });

  it('refuses the same kustomization on stdin as an object a cluster does not accept', async () => {
    const text = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${PATCHED('x')['x']!}`;
    const r = await validate(repo, ['-'], { stdin: () => text, serverChecks: false });
    expect(r.problems.map((p) => [p.file, p.line, p.rule])).toStrictEqual([['<stdin>', 1, 'not-a-resource']]);
  });

  it('reads a kustomization file named on its own as the document it is when asked not to build it', async () => {
    const dir = tree(PATCHED('Kustomization'));
    const parsed = await parseInputs(repo, [join(dir, 'Kustomization')], { buildNamedKustomizations: false });
    expect(parsed.docs.map((d) => d.manifest.kind)).toStrictEqual(['Kustomization']);
    expect(parsed.files.size).toBe(1);
  });
});
