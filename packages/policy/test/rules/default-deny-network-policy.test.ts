import { describe, expect, it } from 'vitest';
import { defaultDenyNetworkPolicy } from '../../src/rules/default-deny-network-policy.ts';
import { runPolicy } from '../../src/index.ts';
import { allowPolicy, check, defaultDeny, deployment, manifest, objects, summary, withoutNamespace } from '../support.ts';

const asWritten = { applyNamespace: 'default' };

describe('default-deny-network-policy', () => {
  it('stays quiet when each namespace with pods has a default deny', () => {
    expect(check(defaultDenyNetworkPolicy, [deployment(), defaultDeny(), deployment('api', { namespace: 'api' }), defaultDeny('api')])).toStrictEqual(
      [],
    );
  });

  it("counts another app's default deny in the namespace, asked for that namespace only", () => {
    const asked: string[] = [];
    const elsewhere = (ns: string) => {
      asked.push(ns);
      return ns === 'shop' ? objects(defaultDeny(), allowPolicy()) : objects(allowPolicy());
    };
    const found = check(defaultDenyNetworkPolicy, [deployment(), deployment('api', { namespace: 'api' })], { networkPolicies: elsewhere });
    expect(summary(found).map((f) => f.name)).toStrictEqual(['api']);
    expect(asked.sort()).toStrictEqual(['api', 'shop']);
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
    expect(summary(check(defaultDenyNetworkPolicy, [deployment(), ingressOnly, allowAll])).map((f) => f.name)).toStrictEqual(['web', 'allow-all']);
  });

  const policy = (name: string, spec: Record<string, unknown>) => manifest('networking.k8s.io/v1', 'NetworkPolicy', name, { spec });

  it('reports a policy that selects every pod and allows every peer on every port, which cancels the default deny', () => {
    const everything = policy('allow-everything', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] });
    expect(summary(check(defaultDenyNetworkPolicy, [deployment(), defaultDeny(), allowPolicy(), everything]))).toStrictEqual([
      {
        name: 'allow-everything',
        path: 'spec.ingress[0]',
        message:
          'NetworkPolicy "allow-everything" selects every pod of namespace "shop" (podSelector: {}) and its Ingress rule 0 has no from and no ports, ' +
          'so every pod there lets traffic in from any peer on any port and the default deny denies nothing: name the peers (from) and ports the pods need; ' +
          'for a deliberate opening, add a policy exception that says why.',
      },
      {
        name: 'allow-everything',
        path: 'spec.egress[0]',
        message:
          'NetworkPolicy "allow-everything" selects every pod of namespace "shop" (podSelector: {}) and its Egress rule 0 has no to and no ports, ' +
          'so every pod there lets traffic out to any peer on any port and the default deny denies nothing: name the peers (to) and ports the pods need; ' +
          'for a deliberate opening, add a policy exception that says why.',
      },
    ]);
  });

  it('reads empty peers and ports as missing, and policyTypes as the API does when it is left out or empty', () => {
    const found = check(defaultDenyNetworkPolicy, [
      defaultDeny(),
      policy('empty-lists', { podSelector: { matchLabels: {} }, ingress: [{ from: [], ports: [] }] }),
      policy('egress-implied', { podSelector: {}, policyTypes: [], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }, {}] }),
    ]);
    expect(summary(found).map((f) => [f.name, f.path])).toStrictEqual([
      ['empty-lists', 'spec.ingress[0]'],
      ['egress-implied', 'spec.egress[1]'],
    ]);
  });

  it('stays quiet for rules that name peers or ports, for some pods only, and for rules of a direction the policy is not of', () => {
    expect(
      check(defaultDenyNetworkPolicy, [
        deployment(),
        defaultDeny(),
        policy('ports-from-anywhere', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }] }] }),
        policy('dns-anywhere', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }),
        policy('same-namespace', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] }),
        policy('one-app', { podSelector: { matchLabels: { app: 'debug' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] }),
        policy('ingress-only', { podSelector: {}, policyTypes: ['Ingress'], egress: [{}] }),
      ]),
    ).toStrictEqual([]);
  });

  it('is waived for the opening policy by an exception that names it', () => {
    const set = objects(
      deployment(),
      defaultDeny(),
      allowPolicy(),
      policy('debug-open', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] }),
    );
    const found = runPolicy(set, {
      exceptions: [{ rule: 'default-deny-network-policy', kind: 'NetworkPolicy', name: 'debug-open', reason: 'open while OPS-7 is debugged' }],
    }).filter((f) => f.rule === 'default-deny-network-policy');
    expect(found.map((f) => [f.object.manifest.metadata.name, f.exception])).toStrictEqual([['debug-open', 'open while OPS-7 is debugged']]);
  });

  it('ignores namespaces that run no pods', () => {
    expect(check(defaultDenyNetworkPolicy, [manifest('v1', 'ConfigMap', 'web', { data: {} })])).toStrictEqual([]);
  });

  it('places a deny-all written without a namespace, applied as written, in that namespace only', () => {
    const deny = withoutNamespace(defaultDeny());
    const inX = deployment('web', { namespace: 'x' });
    const inY = deployment('api', { namespace: 'y' });
    expect(check(defaultDenyNetworkPolicy, [inX, inY, deny], asWritten).map((f) => f.message.split(' runs')[0])).toStrictEqual([
      'Namespace "x"',
      'Namespace "y"',
    ]);
    expect(
      check(defaultDenyNetworkPolicy, [deployment('web', { namespace: 'default' }), withoutNamespace(deployment('api')), deny], asWritten),
    ).toStrictEqual([]);
    expect(
      check(defaultDenyNetworkPolicy, [withoutNamespace(deployment()), defaultDeny()], asWritten).map((f) => f.message.split(' runs')[0]),
    ).toStrictEqual(['Namespace "default"']);
  });

  it('lets a deny-all without a namespace cover any namespace where it is a Kustomize input, whose namespace is not known yet', () => {
    expect(check(defaultDenyNetworkPolicy, [deployment('web', { namespace: 'x' }), withoutNamespace(defaultDeny())])).toStrictEqual([]);
  });

  it('names the namespace that a policy opening every pod, written without one, is applied into', () => {
    const open = withoutNamespace(policy('debug-open', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] }));
    const pods = (ctx = {}) => check(defaultDenyNetworkPolicy, [open], ctx).map((f) => /selects ([^(]*) \(/.exec(f.message)?.[1]);
    expect(pods(asWritten)).toStrictEqual(['every pod of namespace "default"']);
    expect(pods()).toStrictEqual(['every pod of its namespace']);
  });
});
