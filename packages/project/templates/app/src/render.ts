import {
  allowTraffic,
  appMetadata,
  defaultDenyPolicy,
  hardenedContainer,
  hardenedPodSpec,
  imageRef,
  kubeDnsEgress,
  type KubeObject,
} from '@strata/core';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import type { Config } from './config.ts';

const NAME = '__APP_NAME__';
const UID = 10001;

export function render(c: Config): KubeObject[] {
  const m = appMetadata({ app: NAME, namespace: c.namespace });
  // The kit makes the container restricted (non-root, no privilege escalation, no capabilities,
  // RuntimeDefault seccomp) with a read-only root; list the paths it writes in `writable`.
  const server = hardenedContainer(
    {
      name: NAME,
      image: imageRef(c.image, c.version),
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      resources: c.resources,
      readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
    },
    { writable: ['/tmp'] },
  );
  return [
    new Deployment({
      metadata: m.of(NAME),
      spec: {
        replicas: c.replicas,
        selector: { matchLabels: m.selector },
        template: { metadata: { labels: m.labels }, spec: hardenedPodSpec({ runAs: { user: UID }, containers: [server] }) },
      },
    }),
    new Service({ metadata: m.of(NAME), spec: { selector: m.selector, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } }),
    // Everything in the namespace starts closed; the policy below opens HTTP in and DNS out.
    defaultDenyPolicy(m.of('default-deny')),
    allowTraffic(m.of(NAME), { pods: m.selector, ingress: [{ ports: [{ protocol: 'TCP', port: 'http' }] }], egress: [kubeDnsEgress()] }),
  ];
}
