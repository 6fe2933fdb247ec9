import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { formatProblem, validate } from '../src/index.ts';
import { kustomizeBuild, repo } from './kustomize-trees.ts';

// kustomize's namespace: gives a namespace to every kind it does not know for cluster-scoped;
// kube-apiserver then drops it (the same object for every env). Validate says so at the field.
const OBJECTS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: edge
spec:
  controllerName: example.com/edge
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replicas
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [deployments]
  validations:
  - expression: object.spec.replicas < 5
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules: []
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs:
  - name: edge
`;

const rule = 'no-namespace-on-cluster-scoped';

describe('no-namespace-on-cluster-scoped', () => {
  it("reports each cluster-scoped object that kustomize's namespace: namespaced, at its namespace, in the built output", async () => {
    const dir = writeTree(testTempDir('strata-cluster-ns-'), {
      'app/kustomization.yaml': 'namespace: team\nresources:\n- objects.yaml\n',
      'app/objects.yaml': OBJECTS,
    });
    const built = kustomizeBuild(join(dir, 'app'));
    expect(built.status).toBe(0);
    // The real kustomize v5.8.1: a custom kind and a built-in kind newer than its table get the
    // namespace, the ClusterRole it knows does not.
    expect(built.stdout).toContain('kind: GatewayClass\nmetadata:\n  name: edge\n  namespace: team\n');
    expect(built.stdout).toContain('kind: ValidatingAdmissionPolicy\nmetadata:\n  name: replicas\n  namespace: team\n');
    expect(built.stdout).toContain('kind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n');
    writeFileSync(join(dir, 'built.yaml'), built.stdout);
    const r = await validate(repo, [join(dir, 'built.yaml')], { serverChecks: false, policy: false });
    const found = r.problems.filter((p) => p.rule === rule);
    // In kustomize's output order, each at the line of its namespace.
    expect(found.map((p) => [p.kind, p.path, p.severity, built.stdout.split('\n')[p.line! - 1]])).toStrictEqual([
      ['ValidatingAdmissionPolicy', 'metadata.namespace', 'error', '  namespace: team'],
      ['GatewayClass', 'metadata.namespace', 'error', '  namespace: team'],
    ]);
    const gatewayClass = found[1]!;
    expect(formatProblem(gatewayClass).replace(dir, '<dir>')).toBe(
      `<dir>/built.yaml:${gatewayClass.line}: gateway.networking.k8s.io/v1/GatewayClass team/edge: metadata.namespace: GatewayClass is cluster-scoped: kube-apiserver drops the namespace "team", so this is one object for the whole cluster whatever namespace each env gives it; remove metadata.namespace, and keep it out of a kustomization that sets namespace: (kustomize v5.8.1 gives it one, not knowing gateway.networking.k8s.io/v1 GatewayClass for cluster-scoped) [no-namespace-on-cluster-scoped]`,
    );
    // A folder walk builds the kustomization and finds the same.
    const walked = await validate(repo, [join(dir, 'app')], { serverChecks: false, policy: false });
    expect(walked.problems.filter((p) => p.rule === rule).map((p) => p.kind)).toStrictEqual(['ValidatingAdmissionPolicy', 'GatewayClass']);
  });

  it('reports a namespace written by hand on a kind kustomize knows, and leaves namespaced kinds alone', async () => {
    const dir = writeTree(testTempDir('strata-cluster-ns-'), {
      'objects.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: team\nrules: []\n',
      'route.yaml': OBJECTS.split('---\n')[3]!.replace('  name: web\n', '  name: web\n  namespace: team\n'),
    });
    const r = await validate(repo, [dir], { serverChecks: false, policy: false });
    const found = r.problems.filter((p) => p.rule === rule);
    expect(found.map((p) => [p.kind, p.line])).toStrictEqual([['ClusterRole', 5]]);
    expect(found[0]!.message).toBe(
      'ClusterRole is cluster-scoped: kube-apiserver drops the namespace "team", so this is one object for the whole cluster whatever namespace each env gives it; remove metadata.namespace',
    );
  });

  it('takes a kind whose scope nothing knows (no CRD in the input, crds/ or shipped) for namespaced, as kustomize does, and refuses it for want of a schema', async () => {
    const dir = writeTree(testTempDir('strata-cluster-ns-'), {
      'widget.yaml': 'apiVersion: widgets.example.com/v1\nkind: ClusterWidget\nmetadata:\n  name: w\n  namespace: team\nspec: {}\n',
    });
    const r = await validate(repo, [dir], { serverChecks: false, policy: false });
    expect(r.problems.filter((p) => p.rule === rule)).toStrictEqual([]);
    expect(r.problems.map((p) => [p.rule, p.severity, p.message.split(':')[0]])).toStrictEqual([
      ['schema', 'error', 'no schema for widgets.example.com/v1 ClusterWidget'],
    ]);
  });
});
