import { describe, expect, it } from 'vitest';
import { networkPolicySelectsWorkload } from '../../src/rules/network-policy-selects-workload.ts';
import { allowPolicy, check, defaultDeny, deployment, manifest, objects, pod, summary, withoutNamespace } from '../support.ts';

describe('network-policy-selects-workload', () => {
  it('stays quiet when an allow policy selects the pods, by labels or expressions', () => {
    const byExpression = manifest('networking.k8s.io/v1', 'NetworkPolicy', 'api', {
      spec: {
        podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['api'] }] },
        policyTypes: ['Egress'],
        egress: [{}],
      },
    });
    const api = deployment('api', { labels: { 'app.kubernetes.io/name': 'api' } });
    expect(check(networkPolicySelectsWorkload, [deployment(), api, defaultDeny(), allowPolicy(), byExpression])).toStrictEqual([]);
  });

  it("counts another app's policy selecting the pods in their namespace, but not its default deny", () => {
    const elsewhere = (ns: string) => (ns === 'shop' ? objects(defaultDeny(), allowPolicy('api', { 'app.kubernetes.io/name': 'api' })) : []);
    const api = deployment('api', { labels: { 'app.kubernetes.io/name': 'api' } });
    expect(summary(check(networkPolicySelectsWorkload, [deployment(), api], { networkPolicies: elsewhere })).map((f) => f.name)).toStrictEqual([
      'web',
    ]);
  });

  it('reports a workload only the default deny selects', () => {
    expect(summary(check(networkPolicySelectsWorkload, [deployment(), defaultDeny(), allowPolicy('other', { app: 'other' })]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.metadata.labels',
        message:
          'No NetworkPolicy besides the default deny selects these pods (labels app.kubernetes.io/name=web): add one whose podSelector matches them and allows the traffic they need.',
      },
    ]);
  });

  it('points at a bare pod’s own labels and ignores policies of other namespaces', () => {
    const found = check(networkPolicySelectsWorkload, [pod(), allowPolicy('web', undefined, 'other')]);
    expect(found.map((f) => f.path)).toStrictEqual(['metadata.labels']);
  });

  it('places a policy written without a namespace, applied as written, in that namespace only', () => {
    const allow = withoutNamespace(allowPolicy());
    const asWritten = { applyNamespace: 'default' };
    expect(
      check(networkPolicySelectsWorkload, [deployment('web', { namespace: 'x' }), allow], asWritten).map((f) => f.object.manifest.metadata.namespace),
    ).toStrictEqual(['x']);
    expect(
      check(networkPolicySelectsWorkload, [deployment('web', { namespace: 'default' }), withoutNamespace(pod()), allow], asWritten),
    ).toStrictEqual([]);
    expect(check(networkPolicySelectsWorkload, [deployment('web', { namespace: 'x' }), allow])).toStrictEqual([]);
  });
});
