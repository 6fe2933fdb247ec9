import {
  allowTraffic,
  appMetadata,
  defaultDenyPolicy,
  hardenedContainer,
  hardenedPodSpec,
  imageRef,
  kubeDnsEgress,
  namespacePeer,
  serviceMonitor,
  type KubeObject,
} from '@strata/core';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { EndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { Service } from 'kubernetes-models/v1/Service';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { NetworkRule, RelayConfig } from './config.ts';

const NAME = 'tokenplace-relay';
const PORT = 5010;
const UID = 1000;

const toPeer = (r: NetworkRule) => ({
  to: [{ ipBlock: { cidr: r.cidr } }],
  ports: [{ protocol: r.protocol ?? 'TCP', port: r.port }],
});

export function render(c: RelayConfig): KubeObject[] {
  const m = appMetadata({ app: NAME, component: 'relay', namespace: c.namespace });
  const upstreamMeta = m.component('gpu-upstream').of('gpu-server');
  const ind = c.gpu.indirection;
  const upstream = c.gpu.upstreamUrl ?? `http://gpu-server:${c.gpu.port}`;

  const env: IEnvVar[] = [
    { name: 'RELAY_HOST', value: '0.0.0.0' },
    { name: 'RELAY_PORT', value: String(PORT) },
    { name: 'TOKENPLACE_RELAY_UPSTREAM_URL', value: upstream },
    ...(ind.mode === 'externalName'
      ? [
          { name: 'TOKENPLACE_GPU_HOST', value: ind.host },
          { name: 'TOKENPLACE_GPU_PORT', value: String(c.gpu.port) },
        ]
      : []),
  ];

  const relay = hardenedContainer(
    {
      name: 'relay',
      image: imageRef(c.image, c.version),
      ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
      env,
      resources: c.resources,
      readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5, periodSeconds: 10 },
      livenessProbe: { httpGet: { path: '/livez', port: 'http' }, initialDelaySeconds: 20, periodSeconds: 20 },
      // The readiness probe fails first; the pause lets in-flight connections close before SIGTERM.
      lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 10'] } } },
    },
    { user: UID, writable: ['/tmp'] },
  );

  const deployment = new Deployment({
    metadata: m.of(NAME),
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: m.selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: m.labels },
        spec: hardenedPodSpec({ runAs: { user: UID }, terminationGracePeriodSeconds: 30, containers: [relay] }),
      },
    },
  });

  const service = new Service({
    metadata: m.of(NAME),
    spec: { type: 'ClusterIP', selector: m.selector, ports: [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }] },
  });

  const gpu: KubeObject[] =
    ind.mode === 'externalName'
      ? [
          new Service({
            metadata: upstreamMeta,
            spec: { type: 'ExternalName', externalName: ind.host, ports: [{ name: 'gpu', port: c.gpu.port, protocol: 'TCP' }] },
          }),
        ]
      : [
          new Service({
            metadata: upstreamMeta,
            spec: { clusterIP: 'None', ports: [{ name: 'gpu', port: c.gpu.port, targetPort: c.gpu.port, protocol: 'TCP' }] },
          }),
          // Not v1 Endpoints, deprecated since 1.33. No controller makes slices for a selector-less
          // Service: this one is tied to it by the service-name label and marked as managed here.
          new EndpointSlice({
            metadata: m
              .component('gpu-upstream')
              .of('gpu-server', { labels: { 'kubernetes.io/service-name': 'gpu-server', 'endpointslice.kubernetes.io/managed-by': 'strata' } }),
            addressType: 'IPv4',
            endpoints: ind.addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
            ports: [{ name: 'gpu', port: c.gpu.port, protocol: 'TCP' }],
          }),
        ];

  const ingress = new Ingress({
    metadata: m.of(NAME, { annotations: { 'cert-manager.io/cluster-issuer': c.ingress.clusterIssuer } }),
    spec: {
      ingressClassName: 'traefik',
      tls: [{ hosts: [...c.ingress.hosts], secretName: c.ingress.tlsSecretName }],
      rules: c.ingress.hosts.map((host) => ({
        host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { name: 'http' } } } }] },
      })),
    },
  });

  const gpuEgress: INetworkPolicyEgressRule =
    ind.mode === 'externalName'
      ? { to: [{ ipBlock: { cidr: ind.cidr } }], ports: [{ protocol: 'TCP', port: c.gpu.port }] }
      : { to: ind.addresses.map((ip) => ({ ipBlock: { cidr: `${ip}/32` } })), ports: [{ protocol: 'TCP', port: c.gpu.port }] };
  const ingressRules: INetworkPolicyIngressRule[] = [
    {
      from: [namespacePeer(c.networkPolicy.traefik.namespace, c.networkPolicy.traefik.podLabels)],
      ports: [{ protocol: 'TCP', port: 'http' }],
    },
    ...c.networkPolicy.extraIngress.map((r) => ({ from: [{ ipBlock: { cidr: r.cidr } }], ports: [{ protocol: r.protocol ?? 'TCP', port: r.port }] })),
  ];
  const networkPolicy = allowTraffic(m.of(NAME), {
    pods: m.selector,
    ingress: ingressRules,
    egress: [kubeDnsEgress(), gpuEgress, ...c.networkPolicy.extraEgress.map(toPeer)],
  });
  // Everything else in the namespace is denied too, so a new workload starts closed.
  const defaultDeny = defaultDenyPolicy(m.of('default-deny'));

  const monitors: KubeObject[] = c.serviceMonitor.enabled ? [serviceMonitor(m.of(NAME), { selector: m.selector, port: 'http' })] : [];

  return [deployment, service, ...gpu, ingress, defaultDeny, networkPolicy, ...monitors];
}
