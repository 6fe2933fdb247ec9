import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/index.ts';
import { noAdmissionPolicy } from '../../src/rules/no-admission-policy.ts';
import { check, manifest, objects } from '../support.ts';

const GROUP = 'admissionregistration.k8s.io/v1';
const policy = (kind: string, spec: Record<string, unknown>) => manifest(GROUP, kind, 'shop-priv', { spec }, undefined);
const mutating = policy('MutatingAdmissionPolicy', {
  matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
  failurePolicy: 'Ignore',
  reinvocationPolicy: 'Never',
  mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "add", path: "/spec/hostNetwork", value: true}]' } }],
});

describe('no-admission-policy', () => {
  it('reports a mutating policy and its binding as errors', () => {
    const found = runPolicy(objects(mutating, policy('MutatingAdmissionPolicyBinding', { policyName: 'shop-priv' })), {}).filter(
      (f) => f.rule === 'no-admission-policy',
    );
    expect(found.map((f) => [f.object.manifest.kind, f.path, f.severity, f.message])).toStrictEqual([
      [
        'MutatingAdmissionPolicy',
        'spec',
        'error',
        'The policy rewrites the objects it matches in every namespace of the cluster, after every check: ship it with the platform rather than an app, or add a policy exception that says why.',
      ],
      [
        'MutatingAdmissionPolicyBinding',
        'spec.policyName',
        'error',
        'The binding puts the policy "shop-priv" to work, which rewrites the objects it matches in every namespace of the cluster, after every check: ship it with the platform rather than an app, or add a policy exception that says why.',
      ],
    ]);
  });

  it('reports a validating policy and its binding as warnings, as they can only refuse', () => {
    const found = check(noAdmissionPolicy, [
      policy('ValidatingAdmissionPolicy', { validations: [{ expression: 'true' }] }),
      policy('ValidatingAdmissionPolicyBinding', { policyName: 'shop-priv', validationActions: ['Deny'] }),
    ]);
    expect(found.map((f) => [f.path, f.severity])).toStrictEqual([
      ['spec', 'warning'],
      ['spec.policyName', 'warning'],
    ]);
    expect(found[0]?.message).toMatch(/^The policy refuses the objects it matches in every namespace of the cluster, other apps' included: /);
  });

  it('leaves kinds of the same name in another API group alone', () => {
    expect(check(noAdmissionPolicy, [manifest('policy.example.com/v1', 'ValidatingAdmissionPolicy', 'x', {})])).toStrictEqual([]);
  });
});
