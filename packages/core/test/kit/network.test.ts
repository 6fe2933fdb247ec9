import { describe, expect, it } from 'vitest';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { allowTraffic, appMetadata, defaultDenyPolicy, kubeDnsEgress, namespacePeer } from '../../src/index.ts';

const meta = appMetadata({ app: 'shop', component: 'web', namespace: 'shop' });

describe('defaultDenyPolicy', () => {
  it('selects every pod of the namespace and closes both directions', () => {
    const policy = defaultDenyPolicy(meta.of('default-deny'));
    expect(policy).toBeInstanceOf(NetworkPolicy);
    expect(policy.metadata).toStrictEqual(meta.of('default-deny'));
    expect(policy.spec).toStrictEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(() => policy.validate()).not.toThrow();
  });
});

describe('kubeDnsEgress', () => {
  it('opens port 53 over UDP and TCP to the kube-dns pods of kube-system only', () => {
    expect(kubeDnsEgress()).toStrictEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    });
  });

  it('finds the DNS elsewhere when told', () => {
    expect(kubeDnsEgress({ namespace: 'dns', podLabels: { app: 'coredns' } }).to).toStrictEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } }, podSelector: { matchLabels: { app: 'coredns' } } },
    ]);
  });
});

describe('namespacePeer', () => {
  it('selects a namespace by its name label, and its pods by labels when given', () => {
    expect(namespacePeer('monitoring')).toStrictEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } });
    expect(namespacePeer('monitoring', { app: 'prometheus' }).podSelector).toStrictEqual({ matchLabels: { app: 'prometheus' } });
  });
});

describe('allowTraffic', () => {
  it('governs both directions: a direction given no rules stays closed', () => {
    const policy = allowTraffic(meta.of('shop'), { pods: meta.selector, ingress: [{ from: [namespacePeer('ingress')] }] });
    expect(policy.spec).toStrictEqual({
      podSelector: { matchLabels: meta.selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [namespacePeer('ingress')] }],
    });
    expect(() => policy.validate()).not.toThrow();
  });

  it('keeps the rules in the order given', () => {
    const egress = [{ ports: [{ protocol: 'TCP' as const, port: 443 }] }, kubeDnsEgress()];
    expect(allowTraffic(meta.of('shop'), { pods: meta.selector, egress }).spec?.egress).toStrictEqual(egress);
  });

  it('takes a full label selector as it is', () => {
    const pods = { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] };
    expect(allowTraffic(meta.of('shop'), { pods }).spec?.podSelector).toStrictEqual(pods);
  });
});
