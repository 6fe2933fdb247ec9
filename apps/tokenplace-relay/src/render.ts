import { imageRef, standardLabels, type KubeObject } from '@strata/core';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Endpoints } from 'kubernetes-models/v1/Endpoints';
import { Service } from 'kubernetes-models/v1/Service';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { NetworkRule, RelayConfig } from './config.ts';

const NAME = 'tokenplace-relay';
const PORT = 5010;

const toPeer = (r: NetworkRule) => ({
  to: [{ ipBlock: { cidr: r.cidr } }],
  ports: [{ protocol: r.protocol ?? 'TCP', port: r.port }],
});

export function render(c: RelayConfig): KubeObject[] {
  const labels = standardLabels(NAME, 'relay');
  const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'relay' };
  const meta = (name: string, component = 'relay') => ({ name, namespace: c.namespace, labels: { ...labels, 'app.kubernetes.io/component': component } });
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

  const deployment = new Deployment({
    metadata: meta(NAME),
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
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
              securityContext: {
                runAsUser: 1000,
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                privileged: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  });

  const service = new Service({
    metadata: meta(NAME),
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }] },
  });

  const gpu: KubeObject[] =
    ind.mode === 'externalName'
      ? [new Service({ metadata: meta('gpu-server', 'gpu-upstream'), spec: { type: 'ExternalName', externalName: ind.host, ports: [{ name: 'gpu', port: c.gpu.port, protocol: 'TCP' }] } })]
      : [
          new Service({ metadata: meta('gpu-server', 'gpu-upstream'), spec: { clusterIP: 'None', ports: [{ name: 'gpu', port: c.gpu.port, targetPort: c.gpu.port, protocol: 'TCP' }] } }),
          new Endpoints({
            metadata: meta('gpu-server', 'gpu-upstream'),
            subsets: [{ addresses: ind.addresses.map((ip) => ({ ip })), ports: [{ name: 'gpu', port: c.gpu.port, protocol: 'TCP' }] }],
          }),
        ];

  const ingress = new Ingress({
    metadata: { ...meta(NAME), annotations: { 'cert-manager.io/cluster-issuer': c.ingress.clusterIssuer } },
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
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': c.networkPolicy.traefik.namespace } },
          podSelector: { matchLabels: { ...c.networkPolicy.traefik.podLabels } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 'http' }],
    },
    ...c.networkPolicy.extraIngress.map((r) => ({ from: [{ ipBlock: { cidr: r.cidr } }], ports: [{ protocol: r.protocol ?? 'TCP', port: r.port }] })),
  ];
  const networkPolicy = new NetworkPolicy({
    metadata: meta(NAME),
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingressRules,
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        gpuEgress,
        ...c.networkPolicy.extraEgress.map(toPeer),
      ],
    },
  });
  // Everything else in the namespace is denied too, so a new workload starts closed.
  const defaultDeny = new NetworkPolicy({
    metadata: meta('default-deny'),
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });

  const monitors: KubeObject[] = c.serviceMonitor.enabled
    ? [
        new ServiceMonitor({
          metadata: { ...meta(NAME), labels: { ...labels, release: 'kube-prometheus-stack' } },
          spec: {
            selector: { matchLabels: selector },
            namespaceSelector: { matchNames: [c.namespace] },
            endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
          },
        }),
      ]
    : [];

  return [deployment, service, ...gpu, ingress, defaultDeny, networkPolicy, ...monitors];
}
