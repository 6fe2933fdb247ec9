import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  'np.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: kz, namespace: x}
spec:
  podSelector: {matchLabels: {app: kz}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 8080}]}]
`,
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
