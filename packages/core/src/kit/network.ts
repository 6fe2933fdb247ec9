import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { ObjectMetadata } from './metadata.ts';

/** The label every namespace carries with its own name (set by the API server since 1.22). */
const NAMESPACE_NAME = 'kubernetes.io/metadata.name';

/**
 * A policy that selects every pod of its namespace and allows nothing: a workload is closed in both
 * directions until a policy of its own opens what it needs. Name it `default-deny`.
 */
export function defaultDenyPolicy(metadata: ObjectMetadata): NetworkPolicy {
  return new NetworkPolicy({ metadata, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
}

/** The pods of a namespace, or those of them with the given labels. */
export function namespacePeer(namespace: string, podLabels?: Readonly<Record<string, string>>): INetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME]: namespace } },
    ...(podLabels ? { podSelector: { matchLabels: { ...podLabels } } } : {}),
  };
}

export interface DnsEgressOptions {
  /** Namespace of the cluster DNS. @default 'kube-system' */
  readonly namespace?: string;
  /** Labels of the cluster DNS pods (CoreDNS keeps kube-dns's). @default { 'k8s-app': 'kube-dns' } */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/**
 * The egress rule that lets pods resolve names, and nothing else: port 53, UDP and TCP (large
 * answers fall back to TCP), to the cluster DNS pods only.
 */
export function kubeDnsEgress(options: DnsEgressOptions = {}): INetworkPolicyEgressRule {
  const { namespace = 'kube-system', podLabels = { 'k8s-app': 'kube-dns' } } = options;
  return {
    to: [namespacePeer(namespace, podLabels)],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  };
}

export interface AllowTrafficOptions {
  /** Labels of the pods the policy is for, or a full label selector. */
  readonly pods: Readonly<Record<string, string>> | ILabelSelector;
  /** What may come in. @default none: nothing comes in */
  readonly ingress?: readonly INetworkPolicyIngressRule[];
  /** What may go out; add {@link kubeDnsEgress} for name resolution. @default none: nothing goes out */
  readonly egress?: readonly INetworkPolicyEgressRule[];
}

/**
 * A policy that opens exactly the given rules for some pods. It always governs both directions,
 * so a direction given no rules is closed, not left open as a policy without `policyTypes` would be.
 */
export function allowTraffic(metadata: ObjectMetadata, options: AllowTrafficOptions): NetworkPolicy {
  const { pods, ingress, egress } = options;
  const isSelector = (p: AllowTrafficOptions['pods']): p is ILabelSelector => 'matchLabels' in p || 'matchExpressions' in p;
  const podSelector = isSelector(pods) ? pods : { matchLabels: { ...pods } };
  return new NetworkPolicy({
    metadata,
    spec: {
      podSelector,
      policyTypes: ['Ingress', 'Egress'],
      ...(ingress ? { ingress: [...ingress] } : {}),
      ...(egress ? { egress: [...egress] } : {}),
    },
  });
}
