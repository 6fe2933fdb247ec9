import { imageRef, standardLabels, type KubeObject } from '@strata/core';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { Config } from './config.ts';

const NAME = '__APP_NAME__';

export function render(c: Config): KubeObject[] {
  const labels = standardLabels(NAME);
  const selector = { 'app.kubernetes.io/name': NAME };
  const meta = (name: string) => ({ name, namespace: c.namespace, labels });
  return [
    new Deployment({
      metadata: meta(NAME),
      spec: {
        replicas: c.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: NAME,
                image: imageRef(c.image, c.version),
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                resources: c.resources,
                readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    }),
    new Service({ metadata: meta(NAME), spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } }),
    new NetworkPolicy({ metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }),
    new NetworkPolicy({
      metadata: meta(NAME),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: 'http' }] }],
        egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
      },
    }),
  ];
}
