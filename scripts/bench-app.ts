// The synthetic application of `npm run bench`: the source files of one app package, built like the
// apps under apps/ (config, render, one file per env). Every app differs a little (port, sizes,
// hosts) so that no two overlays are the same text.

const DIGEST = (i: number, env: string) =>
  `sha256:${Array.from({ length: 64 }, (_, k) => ((i * 7 + k * 13 + env.length) % 16).toString(16)).join('')}`;

/** The files of app number `i` (`bench-app-0007`, say), by path inside apps/<name>/. */
export function syntheticApp(name: string, i: number): Record<string, string> {
  const port = 8000 + (i % 900);
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  return {
    'package.json': json({
      name: `@strata-apps/${name}`,
      version: '1.0.0',
      private: true,
      type: 'module',
      exports: { '.': './src/app.ts' },
      scripts: { generate: `strata generate --app ${name}`, build: `strata build --app ${name}` },
      dependencies: { '@kubernetes-models/prometheus-operator': 'catalog:', '@strata/core': 'workspace:*', 'kubernetes-models': 'catalog:' },
    }),
    'src/config.ts': `import type { ImageSource } from '@strata/core';

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface Config {
  readonly namespace: string;
  readonly version: string;
  readonly image: ImageSource;
  readonly replicas: number;
  readonly resources: Resources;
  readonly autoscaling: { readonly min: number; readonly max: number; readonly cpuPercent: number };
  readonly hosts: readonly string[];
  readonly logLevel: string;
  readonly featureFlags: string;
}

export const defaults: Config = {
  namespace: 'team-${i % 20}',
  version: '1.${i % 10}.0',
  image: { repository: 'registry.example.com/platform/${name}' },
  replicas: 1,
  resources: { requests: { cpu: '${50 + (i % 5) * 25}m', memory: '${64 * (1 + (i % 4))}Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
  autoscaling: { min: 1, max: 3, cpuPercent: 80 },
  hosts: ['${name}.dev.example.com'],
  logLevel: 'info',
  featureFlags: 'search,export',
};
`,
    'src/render.ts': `import { imageRef, standardLabels, type KubeObject } from '@strata/core';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { Config } from './config.ts';

const NAME = '${name}';
const PORT = ${port};

export function render(c: Config): KubeObject[] {
  const labels = standardLabels(NAME, 'api');
  const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'api' };
  const meta = (name: string) => ({ name, namespace: c.namespace, labels });
  return [
    new ConfigMap({ metadata: meta(\`\${NAME}-settings\`), data: { LOG_LEVEL: c.logLevel, FEATURE_FLAGS: c.featureFlags, PORT: String(PORT) } }),
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
                ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }],
                envFrom: [{ configMapRef: { name: \`\${NAME}-settings\` } }],
                resources: c.resources,
                readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    }),
    new Service({
      metadata: meta(NAME),
      spec: {
        selector,
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
        ],
      },
    }),
    new Ingress({
      metadata: { ...meta(NAME), annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' } },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: [...c.hosts], secretName: \`\${NAME}-tls\` }],
        rules: c.hosts.map((host) => ({
          host,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { name: 'http' } } } }] },
        })),
      },
    }),
    new HorizontalPodAutoscaler({
      metadata: meta(NAME),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
        minReplicas: c.autoscaling.min,
        maxReplicas: c.autoscaling.max,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: c.autoscaling.cpuPercent } } }],
      },
    }),
    new NetworkPolicy({
      metadata: meta(NAME),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: 'http' }, { protocol: 'TCP', port: 'metrics' }] }],
        egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
      },
    }),
    new ServiceMonitor({
      metadata: meta(NAME),
      spec: { selector: { matchLabels: selector }, endpoints: [{ port: 'metrics', interval: '30s', path: '/metrics' }] },
    }),
    new PodDisruptionBudget({ metadata: meta(NAME), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }),
  ];
}
`,
    'src/env/dev.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** dev: the latest build of main, debug logs. */
export const dev: EnvironmentDefinition<Config> = {
  config: { image: { repository: 'registry.example.com/platform/${name}', tag: 'main-${(i * 2654435761 % 0xfffffff).toString(16)}' }, logLevel: 'debug' },
};
`,
    'src/env/staging.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** staging: the release candidate, two replicas, its own host. */
export const staging: EnvironmentDefinition<Config> = {
  config: {
    image: { repository: 'registry.example.com/platform/${name}', tag: '1.${i % 10}.1-rc.1' },
    replicas: 2,
    autoscaling: { min: 2, max: 4, cpuPercent: 75 },
    hosts: ['${name}.staging.example.com'],
  },
};
`,
    'src/env/prod.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** prod: pinned by digest, more replicas and resources, public hosts. */
export const prod: EnvironmentDefinition<Config> = {
  config: {
    image: { repository: 'registry.example.com/platform/${name}', digest: '${DIGEST(i, 'prod')}' },
    replicas: 3,
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    autoscaling: { min: 3, max: 12, cpuPercent: 70 },
    hosts: ['${name}.example.com', 'www.${name}.example.com'],
    featureFlags: 'search,export,billing',
  },
};
`,
    'src/app.ts': `import { defineApp } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';

export const app = defineApp({ name: '${name}', defaults, envs: { dev, staging, prod }, render });
`,
  };
}
