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
