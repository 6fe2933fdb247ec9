import { describe, expect, it } from 'vitest';
import { defaultDenyNetworkPolicy } from '../../src/rules/default-deny-network-policy.ts';
import { check, defaultDeny, deployment, manifest, summary } from '../support.ts';

describe('default-deny-network-policy', () => {
  it('stays quiet when each namespace with pods has a default deny', () => {
    expect(check(defaultDenyNetworkPolicy, [deployment(), defaultDeny(), deployment('api', { namespace: 'api' }), defaultDeny('api')])).toStrictEqual(
      [],
    );
  });

  it('reports a namespace without one, once', () => {
    expect(summary(check(defaultDenyNetworkPolicy, [deployment(), deployment('api')]))).toStrictEqual([
      {
        name: 'web',
        message:
          'Namespace "shop" runs pods but has no default-deny NetworkPolicy: add one with podSelector: {}, policyTypes: [Ingress, Egress] and no rules.',
      },
    ]);
  });

  it('does not accept an ingress-only deny or an empty-selector policy with rules', () => {
    const ingressOnly = manifest('networking.k8s.io/v1', 'NetworkPolicy', 'deny-ingress', { spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    const allowAll = manifest('networking.k8s.io/v1', 'NetworkPolicy', 'allow-all', {
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], egress: [{}] },
    });
    expect(check(defaultDenyNetworkPolicy, [deployment(), ingressOnly, allowAll])).toHaveLength(1);
  });

  it('ignores namespaces that run no pods', () => {
    expect(check(defaultDenyNetworkPolicy, [manifest('v1', 'ConfigMap', 'web', { data: {} })])).toStrictEqual([]);
  });
});
