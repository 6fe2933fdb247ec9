import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { suiteTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/index.ts';
import { repo } from './kustomize-trees.ts';

/**
 * NetworkPolicies written without a namespace, as `helm template` and vendor manifests write them:
 * `kubectl apply -f` creates them in the default namespace, so they neither deny nor allow anything
 * for pods in another namespace. The policy rules judge each such object in the namespace it lands
 * in, not in every namespace of the set.
 */
const pod = (name: string, namespace: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
  labels: {app: nsl}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: c
      image: ghcr.io/acme/web@sha256:25141dd725aa8fad66b62b8c28f04a18a00a60fb87749a3d312d776a2d94fe27
      resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
      readinessProbe: {httpGet: {path: /ready, port: 8080}}
      livenessProbe: {httpGet: {path: /live, port: 8080}}
      securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}
`;
const policies = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nsl}
spec:
  podSelector: {matchLabels: {app: nsl}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 8080, protocol: TCP}]}]
`;

const findings = async (inputs: string[], dir: string, stdin?: string) =>
  (await validate(repo, inputs, { cwd: dir, serverChecks: false, ...(stdin !== undefined ? { stdin: () => stdin } : {}) })).problems.map((p) => [
    p.file,
    p.namespace,
    p.name,
    p.rule,
  ]);

describe('NetworkPolicies written without a namespace', () => {
  const { dir } = suiteTempDir('strata-namespace-less-policies-');
  const all = `${pod('nsl', 'x')}---\n${policies}`;
  writeTree(dir, {
    'nsless/all.yaml': all,
    'bare/pod.yaml': pod('nsl', 'x'),
    'two/all.yaml': `${pod('nsl', 'x')}---\n${pod('other', 'z')}---\n${policies}`,
    'home/all.yaml': `${pod('nsl', 'default')}---\n${policies}`,
    // Built, as kubectl apply -k creates them: in the kustomization's namespace, or else in the default one.
    'built/kustomization.yaml': 'namespace: x\nresources: [all.yaml]\n',
    'built/all.yaml': `${pod('nsl', 'x')}---\n${policies}`,
    'unset/kustomization.yaml': 'resources: [all.yaml]\n',
    'unset/all.yaml': `${pod('nsl', 'x')}---\n${policies}`,
  });
  const unprotected = (file: string, namespace = 'x', name = 'nsl') => [
    [file, namespace, name, 'default-deny-network-policy'],
    [file, namespace, name, 'network-policy-selects-workload'],
  ];

  it('leave a pod in another namespace, in a folder, a file or stdin, as unprotected as no policies at all', async () => {
    expect(await findings(['bare'], dir)).toStrictEqual(unprotected('bare/pod.yaml'));
    expect(await findings(['nsless'], dir)).toStrictEqual(unprotected('nsless/all.yaml'));
    expect(await findings(['nsless/all.yaml'], dir)).toStrictEqual(unprotected('nsless/all.yaml'));
    expect(await findings(['-'], dir, all)).toStrictEqual(unprotected('<stdin>'));
  });

  it('deny and select in the default namespace, never in two namespaces at once', async () => {
    expect(await findings(['home'], dir)).toStrictEqual([]);
    expect(await findings(['two'], dir)).toStrictEqual([
      ...unprotected('two/all.yaml'),
      ['two/all.yaml', 'z', 'other', 'default-deny-network-policy'],
      ['two/all.yaml', 'z', 'other', 'network-policy-selects-workload'],
    ]);
  });

  it('are in the namespace a walked kustomization gives them, or else in the default one', async () => {
    expect(await findings(['built'], dir)).toStrictEqual([]);
    expect(await findings(['unset'], dir)).toStrictEqual(unprotected('unset/all.yaml'));
    expect(await findings(['unset/kustomization.yaml'], dir)).toStrictEqual(unprotected('unset/all.yaml'));
  });
});

/**
 * Another app's NetworkPolicies written without a namespace count where they are applied: in built
 * output under Argo CD, the destination of that app's Application (the namespace most of its objects
 * name); in files applied as written, the default namespace. Before, they counted nowhere but in
 * their own file, so a pod their default deny covers was told to add one.
 */
describe('NetworkPolicies written without a namespace, for the pods of other files', () => {
  const { dir } = suiteTempDir('strata-namespace-less-elsewhere-');
  /** A workspace holding only `files`, with the checkout's tools. */
  const workspace = (name: string, files: Record<string, string>) => {
    const root = join(dir, name);
    writeTree(root, files);
    symlinkSync(join(repo, '.tools'), join(root, '.tools'));
    return root;
  };
  const configMap = (namespace: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: ${namespace}}\ndata: {level: info}\n`;
  const found = async (root: string, inputs: string[]) =>
    (await validate(root, inputs, { cwd: root, serverChecks: false })).problems
      .filter((p) => p.rule === 'default-deny-network-policy' || p.rule === 'network-policy-selects-workload')
      .map((p) => [p.file, p.namespace, p.name, p.rule]);
  const unprotected = (file: string, namespace: string) => [
    [file, namespace, 'nsl', 'default-deny-network-policy'],
    [file, namespace, 'nsl', 'network-policy-selects-workload'],
  ];

  it("count in built output in the destination of their app's Argo CD Application, for the pods of the env's other apps there", async () => {
    // alpha's objects are in shop, so its Application's destination is shop: its policies land there.
    const shop = workspace('shop', {
      'dist/dev/alpha.yaml': `${configMap('shop')}---\n${policies}`,
      'dist/dev/beta.yaml': pod('nsl', 'shop'),
    });
    expect(await found(shop, ['dist'])).toStrictEqual([]);
    expect(await found(shop, ['dist/dev/beta.yaml'])).toStrictEqual([]);
    // alpha's Application deploys to cart: a pod in shop is as unprotected as with no policies at all.
    const cart = workspace('cart', {
      'dist/dev/alpha.yaml': `${configMap('cart')}---\n${policies}`,
      'dist/dev/beta.yaml': pod('nsl', 'shop'),
    });
    expect(await found(cart, ['dist'])).toStrictEqual(unprotected('dist/dev/beta.yaml', 'shop'));
    expect(await found(cart, ['dist/dev/beta.yaml'])).toStrictEqual(unprotected('dist/dev/beta.yaml', 'shop'));
  });

  it('count in files applied as written in the default namespace, for the pods of the other files given', async () => {
    const root = workspace('written', {
      'policies.yaml': policies,
      'home.yaml': pod('nsl', 'default'),
      'away.yaml': pod('nsl', 'x'),
    });
    expect(await found(root, ['policies.yaml', 'home.yaml'])).toStrictEqual([]);
    expect(await found(root, ['policies.yaml', 'away.yaml'])).toStrictEqual(unprotected('away.yaml', 'x'));
  });
});
