import { cpSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appSources, loadApps } from '../src/index.ts';
import { testTempDir } from './temp.ts';

// The apps of these workspaces import the real @strata/core, as the project's apps do.
const coreDir = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@strata', 'core'));

// One app laid out as the project's apps are: config, env files, render. Line numbers below count on it.
const FILES: Record<string, string> = {
  'src/config.ts': `export interface Config {
  readonly replicas: number;
  readonly resources: { readonly cpu: string; readonly memory: string };
  readonly fail: boolean;
}
export const defaults: Config = { replicas: 1, resources: { cpu: '100m', memory: '64Mi' }, fail: false };
`,
  'src/render.ts': `import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import type { Config } from './config.ts';

export function render(c: Config) {
  if (c.fail) throw new Error('no upstream configured');
  const labels = { app: 'loc' };
  return [
    new Deployment({
      metadata: { name: 'loc' },
      spec: {
        replicas: c.replicas,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'web:1', resources: { requests: c.resources } }] } },
      },
    }),
  ];
}
`,
  'src/env/dev.ts': 'export const dev = {};\n',
  'src/env/staging.ts': 'export const staging = {};\n',
  'src/env/prod.ts': `export const prod = {
  config: {
    replicas: 3,
  },
};
`,
  'src/app.ts': `import { defineApp } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';

export const app = defineApp({ name: 'loc', defaults, envs: { dev, staging, prod }, render });
`,
};

/**
 * A workspace holding the app, with its prod env file replaced by `prod`. With `ownCore`, the apps
 * import the workspace's own copy of @strata/core's sources (as in a workspace made by `npm run bench`),
 * which the loader compiles into the apps' bundle: a second copy of core in this process.
 */
function workspace(prod: string, options: { ownCore?: boolean } = {}): string {
  const root = testTempDir('strata-loc-');
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - apps/*\n  - packages/*\n');
  const modules = join(root, 'apps', 'node_modules');
  mkdirSync(join(modules, '@strata'), { recursive: true });
  let core = coreDir;
  if (options.ownCore) {
    core = join(root, 'packages', 'core');
    for (const f of ['package.json', 'src']) cpSync(join(coreDir, f), join(core, f), { recursive: true });
    symlinkSync(join(coreDir, 'node_modules'), join(core, 'node_modules'));
  }
  symlinkSync(core, join(modules, '@strata', 'core'));
  symlinkSync(realpathSync(join(coreDir, 'node_modules', 'kubernetes-models')), join(modules, 'kubernetes-models'));
  for (const [file, text] of Object.entries({ ...FILES, 'src/env/prod.ts': prod })) {
    mkdirSync(dirname(join(root, 'apps', 'loc', file)), { recursive: true });
    writeFileSync(join(root, 'apps', 'loc', file), text);
  }
  return root;
}

/** Another app in the workspace, with lines of its own, so that the apps' bundle holds more than one. */
function addApp(root: string, name: string): void {
  const lines = Array.from({ length: 20 }, (_, i) => `export const value${i}: number = ${i};`).join('\n');
  mkdirSync(join(root, 'apps', name, 'src'), { recursive: true });
  writeFileSync(
    join(root, 'apps', name, 'src', 'app.ts'),
    `import { defineApp } from '@strata/core';\n${lines}\nexport const app = defineApp({ name: '${name}', defaults: { n: 1 }, envs: { dev: {}, staging: {}, prod: {} }, render: () => [] });\n`,
  );
}

const messageOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

const prodMessage = async (prod: string) => {
  const [app] = await loadApps(workspace(prod));
  return messageOf(() => app!.manifests('prod'));
};

describe('errors point at the source', () => {
  it("a syntax error in an env file: the compiler's message at its file, line and column", async () => {
    await expect(loadApps(workspace('export const prod = {\n  config: {\n    replicas: 3,,\n  },\n};\n'))).rejects.toThrow(
      /^apps\/loc\/src\/env\/prod\.ts:3:17: cannot compile: Expected identifier but found ","$/,
    );
  });

  it("an exception thrown in render: the line of the app's own file that threw", async () => {
    expect(await prodMessage('export const prod = { config: { fail: true } };\n')).toBe(
      'apps/loc/src/render.ts:5:21: app loc env prod: no upstream configured',
    );
  });

  it('a value that is not an Error thrown in render: the value as JSON, at the render file', async () => {
    const root = workspace('export const prod = { config: { fail: true } };\n');
    const render = join(root, 'apps/loc/src/render.ts');
    writeFileSync(render, FILES['src/render.ts']!.replace("throw new Error('no upstream configured')", 'throw { code: 42 }'));
    const [app] = await loadApps(root);
    expect(messageOf(() => app!.manifests('prod'))).toBe(
      'apps/loc/src/render.ts: app loc env prod: render threw a non-Error value: {"code":42}; throw an Error (new Error(\'...\')) so its line is shown',
    );
  });

  it('a misspelt key in an item of a list: the env file, line and indexed key, with the key it was meant to be', async () => {
    const root = workspace('export const prod = {\n  config: {\n    rules: [{ port: 1 }, { prot: 2 }],\n  },\n};\n');
    writeFileSync(join(root, 'apps/loc/src/config.ts'), FILES['src/config.ts']!.replace('fail: false }', 'fail: false, rules: [{ port: 1 }] }'));
    await expect(loadApps(root)).rejects.toThrow(
      "apps/loc/src/env/prod.ts:3:28: rules[1].prot: not a key of app loc's config; did you mean rules[1].port?",
    );
  });

  it("an exception thrown in render of an app loaded with others: its own file and line, from the bundle's map", async () => {
    const root = workspace('export const prod = { config: { fail: true } };\n');
    addApp(root, 'alpha');
    addApp(root, 'omega');
    const apps = await loadApps(root);
    expect(apps.map((a) => a.name)).toStrictEqual(['alpha', 'loc', 'omega']);
    // Asked twice: the map is parsed once and kept.
    expect(messageOf(() => apps[1]!.manifests('prod'))).toBe('apps/loc/src/render.ts:5:21: app loc env prod: no upstream configured');
    expect(messageOf(() => apps[1]!.manifests('prod'))).toBe('apps/loc/src/render.ts:5:21: app loc env prod: no upstream configured');
  });

  it('an exception thrown in render of an app compiled with its own copy of @strata/core: still its own file and line', async () => {
    const root = workspace('export const prod = { config: { fail: true } };\n', { ownCore: true });
    addApp(root, 'alpha');
    const apps = await loadApps(root);
    // The copy was compiled into the bundle: its defineApp is not this process's.
    expect(appSources(root, 'loc')).toContain(join(realpathSync(root), 'packages', 'core', 'src', 'sources.ts'));
    expect(messageOf(() => apps[1]!.manifests('prod'))).toBe('apps/loc/src/render.ts:5:21: app loc env prod: no upstream configured');
  });

  it('a value the model refuses in an app compiled with its own copy of @strata/core: the env file and config field', async () => {
    const root = workspace("export const prod = {\n  config: {\n    resources: { cpu: 'lots' },\n  },\n};\n", { ownCore: true });
    const [app] = await loadApps(root);
    expect(messageOf(() => app!.manifests('prod'))).toMatch(/^apps\/loc\/src\/env\/prod\.ts:3:18: resources\.cpu: apps\/v1\/Deployment loc: /);
  });

  it('a value the model refuses: the env file and config field that set it, then the object and its dotted field path, once', async () => {
    const message = await prodMessage("export const prod = {\n  config: {\n    resources: { cpu: 'lots' },\n  },\n};\n");
    expect(message).toBe(
      'apps/loc/src/env/prod.ts:3:18: resources.cpu: apps/v1/Deployment loc: spec.template.spec.containers[0].resources.requests.cpu: must be number or must match format "quantity"',
    );
  });

  it("a value from the defaults: the defaults' file and field", async () => {
    const root = workspace(FILES['src/env/prod.ts']!);
    writeFileSync(join(root, 'apps/loc/src/config.ts'), FILES['src/config.ts']!.replace("memory: '64Mi'", "memory: 'much'"));
    const [app] = await loadApps(root);
    expect(() => app!.manifests('prod')).toThrow(
      /^apps\/loc\/src\/config\.ts:6:\d+: resources\.memory: apps\/v1\/Deployment loc: spec\.template\.spec\.containers\[0\]\.resources\.requests\.memory: must be/,
    );
  });
});
