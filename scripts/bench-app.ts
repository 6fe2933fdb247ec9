// The synthetic application of `npm run bench`: the source files of one app package, built like the
// apps under apps/ (config, render on the core kit, one file per env). Every app differs a little
// (port, sizes, hosts) so that no two overlays are the same text.

import { createHash } from 'node:crypto';

// A digest as a registry would report it: no repeating pattern, which the digest rule refuses as a placeholder.
const DIGEST = (i: number, env: string) => `sha256:${createHash('sha256').update(`bench-app ${i} ${env}`).digest('hex')}`;

export interface SyntheticConfig {
  readonly namespace: string;
  readonly version: string;
  readonly image: { readonly repository: string; readonly tag?: string; readonly digest?: string };
  readonly replicas: number;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  readonly autoscaling: { readonly min: number; readonly max: number; readonly cpuPercent: number };
  readonly hosts: readonly string[];
  readonly logLevel: string;
  readonly featureFlags: string;
}

/** What app number `i` is: its port, its defaults and what each env changes. The peers in
 *  scripts/bench-peers.ts express the same apps from these values, so all sides render the same
 *  objects (Strata's through the core kit, see kitRenderSource). */
export function syntheticConfig(name: string, i: number) {
  const image = { repository: `registry.example.com/platform/${name}` };
  const defaults: SyntheticConfig = {
    namespace: `team-${i % 20}`,
    version: `1.${i % 10}.0`,
    image,
    replicas: 1,
    resources: { requests: { cpu: `${50 + (i % 5) * 25}m`, memory: `${64 * (1 + (i % 4))}Mi` }, limits: { cpu: '500m', memory: '512Mi' } },
    autoscaling: { min: 1, max: 3, cpuPercent: 80 },
    hosts: [`${name}.dev.example.com`],
    logLevel: 'info',
    featureFlags: 'search,export',
  };
  const envs = {
    dev: { image: { ...image, tag: `main-${((i * 2654435761) % 0xfffffff).toString(16)}` }, logLevel: 'debug' },
    staging: {
      image: { ...image, tag: `1.${i % 10}.1-rc.1` },
      replicas: 2,
      autoscaling: { min: 2, max: 4, cpuPercent: 75 },
      hosts: [`${name}.staging.example.com`],
    },
    prod: {
      image: { ...image, digest: DIGEST(i, 'prod') },
      replicas: 3,
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      autoscaling: { min: 3, max: 12, cpuPercent: 70 },
      hosts: [`${name}.example.com`, `www.${name}.example.com`],
      featureFlags: 'search,export,billing',
    },
  } as const satisfies Record<'dev' | 'staging' | 'prod', Partial<SyntheticConfig>>;
  return { port: 8000 + (i % 900), defaults, envs };
}

/** The kubernetes-models imports of a synthetic app's render module. */
export const MODEL_IMPORTS = `import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';`;

/**
 * The eight objects of one app as TypeScript statements that end with `const objects = [...]`,
 * indented by `pad`: they read the config `c`, `NAME`, `PORT`, `imageRef` and `standardLabels`.
 * The peers' render (cdk8s, Kosko) is this text; Strata's synthetic app writes the same objects on the
 * core kit (kitRenderSource).
 */
export function objectsSource(pad: string): string {
  const text = `const labels = standardLabels(NAME, 'api');
const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'api' };
const meta = (name: string) => ({ name, namespace: c.namespace, labels });
const objects = [
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
];`;
  return text.replace(/^(?=.)/gm, pad);
}

/**
 * The render of a synthetic Strata app, as a real app writes it: on the core kit (metadata from the
 * app's name and component, a hardened container with /tmp writable in a hardened pod, an allow
 * policy with DNS egress to kube-dns only, the ServiceMonitor helper). The peers have no such kit
 * and write the same eight objects out (`objectsSource`); the kit's output differs from theirs only
 * in the hardening it adds (run-as group and fsGroup, the /tmp volume, the DNS peer, the monitor's
 * release label and namespace selector).
 */
export function kitRenderSource(name: string, port: number): string {
  return `import { allowTraffic, appMetadata, hardenedContainer, hardenedPodSpec, imageRef, kubeDnsEgress, serviceMonitor, type KubeObject } from '@strata/core';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { Config } from './config.ts';

const NAME = '${name}';
const PORT = ${port};

export function render(c: Config): KubeObject[] {
  const m = appMetadata({ app: NAME, component: 'api', namespace: c.namespace });
  const api = hardenedContainer(
    {
      name: NAME,
      image: imageRef(c.image, c.version),
      ports: [
        { name: 'http', containerPort: PORT, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
      ],
      envFrom: [{ configMapRef: { name: \`\${NAME}-settings\` } }],
      resources: c.resources,
      readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
    },
    { writable: ['/tmp'] },
  );
  return [
    new ConfigMap({ metadata: m.of(\`\${NAME}-settings\`), data: { LOG_LEVEL: c.logLevel, FEATURE_FLAGS: c.featureFlags, PORT: String(PORT) } }),
    new Deployment({
      metadata: m.of(NAME),
      spec: {
        replicas: c.replicas,
        selector: { matchLabels: m.selector },
        template: { metadata: { labels: m.labels }, spec: hardenedPodSpec({ runAs: { user: 10001 }, containers: [api] }) },
      },
    }),
    new Service({
      metadata: m.of(NAME),
      spec: {
        selector: m.selector,
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
        ],
      },
    }),
    new Ingress({
      metadata: m.of(NAME, { annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' } }),
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
      metadata: m.of(NAME),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
        minReplicas: c.autoscaling.min,
        maxReplicas: c.autoscaling.max,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: c.autoscaling.cpuPercent } } }],
      },
    }),
    // The team namespaces' default-deny belongs to the platform team; this opens what the app needs.
    allowTraffic(m.of(NAME), {
      pods: m.selector,
      ingress: [{ ports: [{ protocol: 'TCP', port: 'http' }, { protocol: 'TCP', port: 'metrics' }] }],
      egress: [kubeDnsEgress()],
    }),
    serviceMonitor(m.of(NAME), { selector: m.selector, port: 'metrics' }),
    new PodDisruptionBudget({ metadata: m.of(NAME), spec: { maxUnavailable: 1, selector: { matchLabels: m.selector } } }),
  ];
}
`;
}

/** The files of app number `i` (`bench-app-0007`, say), by path inside apps/<name>/. */
export function syntheticApp(name: string, i: number): Record<string, string> {
  const { port, defaults: d, envs } = syntheticConfig(name, i);
  const { dev, staging, prod } = envs;
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  // One quoted list of strings, the way the apps under apps/ write them.
  const list = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
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
  namespace: '${d.namespace}',
  version: '${d.version}',
  image: { repository: '${d.image.repository}' },
  replicas: ${d.replicas},
  resources: { requests: { cpu: '${d.resources.requests.cpu}', memory: '${d.resources.requests.memory}' }, limits: { cpu: '${d.resources.limits.cpu}', memory: '${d.resources.limits.memory}' } },
  autoscaling: { min: ${d.autoscaling.min}, max: ${d.autoscaling.max}, cpuPercent: ${d.autoscaling.cpuPercent} },
  hosts: ${list(d.hosts)},
  logLevel: '${d.logLevel}',
  featureFlags: '${d.featureFlags}',
};
`,
    'src/render.ts': kitRenderSource(name, port),
    'src/env/dev.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** dev: the latest build of main, debug logs. */
export const dev: EnvironmentDefinition<Config> = {
  config: { image: { repository: '${dev.image.repository}', tag: '${dev.image.tag}' }, logLevel: '${dev.logLevel}' },
};
`,
    'src/env/staging.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** staging: the release candidate, two replicas, its own host. */
export const staging: EnvironmentDefinition<Config> = {
  config: {
    image: { repository: '${staging.image.repository}', tag: '${staging.image.tag}' },
    replicas: ${staging.replicas},
    autoscaling: { min: ${staging.autoscaling.min}, max: ${staging.autoscaling.max}, cpuPercent: ${staging.autoscaling.cpuPercent} },
    hosts: ${list(staging.hosts)},
  },
};
`,
    'src/env/prod.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** prod: pinned by digest, more replicas and resources, public hosts. */
export const prod: EnvironmentDefinition<Config> = {
  config: {
    image: { repository: '${prod.image.repository}', digest: '${prod.image.digest}' },
    replicas: ${prod.replicas},
    resources: { requests: { cpu: '${prod.resources.requests.cpu}', memory: '${prod.resources.requests.memory}' }, limits: { cpu: '${prod.resources.limits.cpu}', memory: '${prod.resources.limits.memory}' } },
    autoscaling: { min: ${prod.autoscaling.min}, max: ${prod.autoscaling.max}, cpuPercent: ${prod.autoscaling.cpuPercent} },
    hosts: ${list(prod.hosts)},
    featureFlags: '${prod.featureFlags}',
  },
};
`,
    'src/app.ts': `import { defineApp, IMAGE_SOURCE_KEYS } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';

// The envs add a tag or a digest to the image that the defaults name by repository alone.
export const app = defineApp({ name: '${name}', defaults, optional: { image: IMAGE_SOURCE_KEYS }, envs: { dev, staging, prod }, render });
`,
  };
}
