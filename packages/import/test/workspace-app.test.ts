import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importApp } from '../src/index.ts';
import { emptyWorkspace, filesUnder, fixtures, repo } from './workspace.ts';

const run = (cwd: string, command: string, args: readonly string[]) => {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('an imported app is an app of the workspace like any other', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(async () => {
    ws = emptyWorkspace();
    for (const f of ['vitest.config.ts', 'scripts']) cpSync(join(repo, f), join(ws.root, f), { recursive: true });
    await importApp(ws.root, { name: 'shop', path: join(fixtures, 'shop'), install: false });
    // What `pnpm install` links: a seed app's dependencies hold every package the import uses.
    symlinkSync(join(repo, 'apps/tensafe/node_modules'), join(ws.root, 'apps/shop/node_modules'));
  }, 120_000);
  afterAll(() => ws.dispose());

  it('generates to the tree the import wrote, passes check and its own tests, and type-checks', { timeout: 300_000 }, () => {
    const strata = join(repo, 'packages/cli/bin/strata.mjs');
    const generate = run(ws.root, process.execPath, [strata, 'generate']);
    // The import wrote the app's tree, the env roots and gitops/ as generate makes them.
    expect(generate.out).toMatch(/generate: 1 app x 3 envs: 0 written, 0 removed, \d+ unchanged/);
    expect(run(ws.root, process.execPath, [strata, 'check']).out).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures/);
    const tests = run(ws.root, join(repo, 'node_modules/.bin/vitest'), ['run', 'apps/shop']);
    expect(tests.out).toMatch(/9 passed, 0 failed/);
    const tsc = run(join(ws.root, 'apps/shop'), join(repo, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json']);
    expect(tsc.out).toBe('');
    expect(tsc.status).toBe(0);
  });
});

describe('an imported app with a name suffix per env installs and passes the pipeline', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  let notes: string[];
  beforeAll(async () => {
    ws = emptyWorkspace();
    for (const f of ['vitest.config.ts', 'scripts']) cpSync(join(repo, f), join(ws.root, f), { recursive: true });
    const envs = ['dev', 'staging', 'prod'].map((e) => `${e}=${join(fixtures, 'suffix/overlays', e)}`);
    notes = (await importApp(ws.root, { name: 'quotes', envs, install: false })).policy;
    symlinkSync(join(repo, 'apps/tensafe/node_modules'), join(ws.root, 'apps/quotes/node_modules'));
  }, 120_000);
  afterAll(() => ws.dispose());

  it('is registered so that pnpm resolves every dependency: the root links it, each package is in the workspace or the catalog', () => {
    const root = JSON.parse(readFileSync(join(ws.root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(root.devDependencies['@strata-apps/quotes']).toBe('workspace:*');
    const catalog = (parse(readFileSync(join(repo, 'pnpm-workspace.yaml'), 'utf8')) as { catalog: Record<string, string> }).catalog;
    const pkg = JSON.parse(readFileSync(join(ws.root, 'apps/quotes/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const [dep, spec] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (spec === 'workspace:*') expect(existsSync(join(repo, 'packages', dep.replace('@strata/', ''), 'package.json')), dep).toBe(true);
      else expect([dep, spec, dep in catalog]).toStrictEqual([dep, 'catalog:', true]);
    }
  });

  it(
    "keeps each env's suffix as typed config, and after generate the frozen pipeline passes with the original's findings excepted",
    { timeout: 300_000 },
    () => {
      const app = filesUnder(ws.root, 'apps/quotes');
      expect(app['apps/quotes/src/env/staging.ts']).toContain("nameSuffix: '-staging'");
      expect(app['apps/quotes/src/render.ts']).toMatch(/const name = \(base: string\) => `\$\{base\}\$\{c\.nameSuffix\}`;/);
      // The original is not hardened: its findings are the app's exceptions, each with the reason, one note per rule.
      expect(app['apps/quotes/src/app.ts']).toContain(
        "{ rule: 'require-run-as-non-root', kind: 'Deployment', name: 'quotes-prod', reason: IMPORTED },",
      );
      expect(app['apps/quotes/src/app.ts']).toContain("const IMPORTED = 'imported as is; harden with the kit';");
      expect(notes).toEqual(
        expect.arrayContaining([
          "require-read-only-root-filesystem: 3 findings of the original (Deployment quotes-dev, Deployment quotes-prod, Deployment quotes-staging) excepted in apps/quotes/src/app.ts, as imported; to clear them, build the pods with hardenedPodSpec and their containers with hardenedContainer (@strata/core kit) in render.ts, giving each path the app writes to hardenedContainer's writable, then delete those exceptions",
          'require-run-as-non-root: 3 findings of the original (Deployment quotes-dev, Deployment quotes-prod, Deployment quotes-staging) excepted in apps/quotes/src/app.ts, as imported; to clear them, build the pods with hardenedPodSpec and their containers with hardenedContainer (@strata/core kit) in render.ts, then delete those exceptions',
        ]),
      );
      expect(new Set(notes.map((n) => n.slice(0, n.indexOf(':')))).size).toBe(notes.length);
      const strata = join(repo, 'packages/cli/bin/strata.mjs');
      expect(run(ws.root, process.execPath, [strata, 'generate']).status).toBe(0);
      const pipeline = run(ws.root, process.execPath, [strata, 'pipeline']);
      // The app's 9 objects and gitops/'s 6 (each env's AppProject and ApplicationSet).
      expect(pipeline.out).toMatch(/pipeline: 1 app x 3 envs: No problems in 15 resources, \d+ excepted with a reason/);
      expect(pipeline.status).toBe(0);
    },
  );
});

describe('an import redraws the committed topology pictures in the same change as the app', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  const strata = (args: readonly string[]) => run(ws.root, process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), ...args]);
  const draw = (args: readonly string[]) => {
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'graph', ...args], { cwd: ws.root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };
  const envs = ['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=${join(fixtures, 'plain', e)}`]);
  beforeAll(() => {
    ws = emptyWorkspace();
    // A workspace that keeps every env's pictures, as `npm run topology` draws them: no app yet.
    mkdirSync(join(ws.root, 'docs'));
    for (const env of ['dev', 'staging', 'prod']) {
      expect(strata(['graph', '--env', env, '--out', `docs/topology-${env}.svg`]).status).toBe(0);
      expect(strata(['graph', '--env', env, '--output', 'mermaid', '--out', `docs/topology-${env}.mmd`]).status).toBe(0);
    }
  }, 120_000);
  afterAll(() => ws.dispose());

  it('writes nothing when a picture cannot be drawn with the app', { timeout: 120_000 }, () => {
    // Another app's overlay that does not build: the dev pictures cannot be drawn.
    const broken = join(ws.root, 'overlays/dev/other/kustomization.yaml');
    mkdirSync(dirname(broken), { recursive: true });
    writeFileSync(broken, 'resources:\n  - missing.yaml\n');
    const before = filesUnder(ws.root, '.');
    try {
      const r = strata(['import', '--name', 'ledger', '--no-install', ...envs]);
      expect(r.out).toMatch(/^strata: overlays\/dev\/other: kustomize build failed, so docs\/topology-dev\.svg cannot be drawn: /m);
      expect(r.status).toBe(1);
      expect(filesUnder(ws.root, '.')).toStrictEqual(before);
    } finally {
      rmSync(join(ws.root, 'overlays/dev/other'), { recursive: true });
    }
  });

  it('draws every picture with the app as `strata graph` draws the tree it wrote, and check passes', { timeout: 300_000 }, () => {
    const r = strata(['import', '--name', 'ledger', '--no-install', ...envs]);
    expect(r.status).toBe(0);
    for (const env of ['dev', 'staging', 'prod']) {
      for (const picture of [`docs/topology-${env}.svg`, `docs/topology-${env}.mmd`]) expect(r.out).toMatch(new RegExp(`^wrote ${picture}$`, 'm'));
      const mermaid = draw(['--env', env, '--output', 'mermaid']);
      expect(mermaid).toContain(`ledger · namespace ledger-${env}`);
      expect(readFileSync(join(ws.root, `docs/topology-${env}.mmd`), 'utf8')).toBe(mermaid);
      expect(readFileSync(join(ws.root, `docs/topology-${env}.svg`), 'utf8')).toBe(draw(['--env', env]));
    }
    // A second import before the first app is installed: gitops/ is planned from ledger's committed overlays.
    const quotes = strata([
      'import',
      '--name',
      'quotes',
      '--no-install',
      ...['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=${join(fixtures, 'suffix/overlays', e)}`]),
    ]);
    expect(quotes.out).not.toContain('gitops/ is left without');
    expect(quotes.status).toBe(0);
    expect(readFileSync(join(ws.root, 'docs/topology-prod.mmd'), 'utf8')).toMatch(/ledger · namespace ledger-prod[\s\S]*quotes/);
    // What `pnpm install` links: a seed app's dependencies hold every package the import uses.
    for (const app of ['ledger', 'quotes']) symlinkSync(join(repo, 'apps/tensafe/node_modules'), join(ws.root, `apps/${app}/node_modules`));
    const check = strata(['check']);
    expect(check.out).toMatch(/^check: .*: 0 drifted, 0 round-trip mismatches, 0 build failures/m);
    expect(check.status, check.out).toBe(0);
  });
});
