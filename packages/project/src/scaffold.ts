import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPins, isDns1035Label, ToolError, UsageError } from '@strata/core';
import { generate, type GenerateResult } from '@strata/pipeline';

function files(name: string): Record<string, string> {
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  return {
    'package.json': json({
      name: `@strata-apps/${name}`,
      version: '0.1.0',
      private: true,
      type: 'module',
      exports: { '.': './src/app.ts' },
      scripts: { generate: `strata generate --app ${name}`, build: `strata build --app ${name}`, test: 'vitest run' },
      dependencies: { '@strata/core': 'workspace:*', 'kubernetes-models': 'catalog:' },
      devDependencies: { '@strata/cli': 'workspace:*', '@strata/testing': 'workspace:*', '@types/node': 'catalog:', vitest: 'catalog:' },
    }),
    'tsconfig.json': json({ extends: '../../tsconfig.base.json', include: ['src', 'test'] }),
    // The image of each env, where `strata set image`, `strata promote` and release bots change it.
    // prod's digest is a placeholder that prod's policy refuses until a release's digest is set.
    'images.json': formatPins({
      dev: { [name]: { repository: `ghcr.io/example/${name}`, tag: 'main' } },
      prod: { [name]: { repository: `ghcr.io/example/${name}`, tag: '0.1.0', digest: `sha256:${'0'.repeat(64)}` } },
    }),
    'README.md': `# ${name}\n\nDeploys ${name}: one HTTP Deployment on port 8080 behind a ClusterIP Service, closed by default-deny\nNetworkPolicies.\n\n| | dev | staging | prod |\n| --- | --- | --- | --- |\n| image | tag | tag | digest |\n| replicas | 1 | 2 | 3 |\n`,
    'src/config.ts': `import type { ImageSource } from '@strata/core';

export interface Config {
  readonly namespace: string;
  readonly image: ImageSource;
  readonly version: string;
  readonly replicas: number;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
}

export const defaults: Config = {
  namespace: '${name}',
  image: { repository: 'ghcr.io/example/${name}' },
  version: '0.1.0',
  replicas: 1,
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
};
`,
    'src/render.ts': `import { imageRef, standardLabels, type KubeObject } from '@strata/core';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { Config } from './config.ts';

const NAME = '${name}';

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
`,
    'src/env/dev.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** dev: the latest build of main (its image is pinned in images.json). */
export const dev: EnvironmentDefinition<Config> = {
  config: {},
};
`,
    'src/env/staging.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** staging: the release candidate, two replicas. */
export const staging: EnvironmentDefinition<Config> = {
  config: { replicas: 2 },
};
`,
    'src/env/prod.ts': `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** prod: three replicas; its image is pinned by digest in images.json (\`strata set image --env prod\`). */
export const prod: EnvironmentDefinition<Config> = {
  config: { replicas: 3 },
};
`,
    'src/app.ts': `import { defineApp, IMAGE_SOURCE_KEYS } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';
import pins from '../images.json';

// images.json adds a tag or a digest per env to the image that the defaults name by repository alone.
export const app = defineApp({
  name: '${name}',
  defaults,
  optional: { image: IMAGE_SOURCE_KEYS },
  images: { '${name}': 'image' },
  pins,
  envs: { dev, staging, prod },
  render,
});
`,
    [`test/${name}.test.ts`]: `import { describe, expect, it } from 'vitest';
import { buildApp, find, kubeconformManifests } from '@strata/testing';

describe.each(['dev', 'staging', 'prod'] as const)('${name} in %s', (env) => {
  it('runs the expected number of replicas', async () => {
    const deployment = find(await buildApp('${name}', env), 'Deployment', '${name}') as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe({ dev: 1, staging: 2, prod: 3 }[env]);
  });
  it('is valid under the strict offline schemas', async () => {
    const results = await kubeconformManifests(await buildApp('${name}', env));
    expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
  });
});
`,
  };
}

export interface ScaffoldResult {
  readonly dir: string;
  readonly files: string[];
  /** Undefined when installing was skipped: the app cannot load before its dependencies are linked. */
  readonly generated?: GenerateResult;
}

/**
 * `strata new-app <name>`: writes apps/<name> from a secure template, registers it in the root
 * package.json, installs (unless told not to) and generates its tree, so build and test pass at once.
 */
export async function newApp(root: string, name: string, options: { install?: boolean } = {}): Promise<ScaffoldResult> {
  // Also the Service's name, which must start with a letter; the limit leaves room for suffixes.
  if (!isDns1035Label(name) || name.length > 50) {
    throw new UsageError(`app name "${name}" must be a lower-case DNS label starting with a letter (a-z, 0-9, "-"; at most 50 characters)`);
  }
  const dir = join(root, 'apps', name);
  if (existsSync(dir)) throw new UsageError(`apps/${name} already exists; pick another name or remove it first`);
  const written: string[] = [];
  for (const [rel, content] of Object.entries(files(name))) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
    written.push(`apps/${name}/${rel}`);
  }
  const pkgPath = join(root, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { devDependencies?: Record<string, string> };
  pkg.devDependencies = Object.fromEntries(Object.entries({ ...pkg.devDependencies, [`@strata-apps/${name}`]: 'workspace:*' }).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(`${pkgPath}.tmp`, `${JSON.stringify(pkg, null, 2)}\n`);
  renameSync(`${pkgPath}.tmp`, pkgPath);
  if (options.install === false) return { dir, files: written };
  {
    const pnpm = join(root, 'node_modules', '.bin', 'pnpm');
    const r = spawnSync(existsSync(pnpm) ? pnpm : 'pnpm', ['install', '--reporter=silent'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new ToolError(`pnpm install failed after creating apps/${name}; run \`npx pnpm install\` and then \`npx strata generate --app ${name}\``);
  }
  // A full generate: the env aggregates and the Argo CD files list every app.
  const generated = await generate(root);
  return { dir, files: written, generated };
}
