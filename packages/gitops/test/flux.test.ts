import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { applyTree, HEADER } from '@strata/emit';
import { buildOverlaySync, parseBuild } from '@strata/kustomize';
import { validateWithKubeconform } from '@strata/kubeconform-wrapper';
import { Layout, UsageError } from '@strata/project';
import { crdDependencies, fluxGitRef, GITOPS_DIR, loadSettings, planGitops, syncPlan, type AppSyncPlan, type GitopsSettings } from '../src/index.ts';
import { strata, tempWorkspace } from '@strata/testing/workspace';
import { sizeCrd } from '../../verify/test/helpers.ts';
import { autoscaler, deployment, writeRepo } from './repo.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const flux: GitopsSettings = { consumer: 'flux', repoURL: 'https://git.example.test/team/fixture.git', targetRevision: 'release-7' };

type Obj = Record<string, unknown>;
const APPS = ['gadgets', 'shop', 'notes'];

/**
 * A tiny repository of three apps: `gadgets` ships the CRD of `Gadget` and owns its Namespace;
 * `shop` creates a Gadget, has no Namespace object and an HPA that owns its replicas; `notes` is a
 * ConfigMap in a namespace of its own.
 */
function writeFixture(dir: string) {
  writeRepo(dir, {
    gadgets: { objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gadgets' } }, sizeCrd('toys.example.test', 'Gadget')] },
    shop: {
      objects: [
        deployment('shop', { replicas: 2 }),
        autoscaler('shop', 2, 5),
        { apiVersion: 'toys.example.test/v1', kind: 'Gadget', metadata: { name: 'counter' }, spec: { size: 3 } },
      ],
      namespace: (env) => `shop-${env}`,
    },
    notes: {
      objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notes' }, data: { motd: 'hello' } }],
      namespace: () => 'notes',
    },
  });
}

const objectsOf = (content: string) => parseAllDocuments(content).map((d) => d.toJS() as Obj);

interface FluxKustomization {
  metadata: { name: string; namespace: string };
  spec: {
    path: string;
    prune: boolean;
    suspend?: boolean;
    wait: boolean;
    interval: string;
    sourceRef: { kind: string; name: string };
    dependsOn?: { name: string }[];
    patches?: { patch: string; target: Obj }[];
  };
}

/** The Kustomizations of one env's Flux folder, by name. */
function kustomizations(files: ReadonlyMap<string, string>, env: string): Map<string, FluxKustomization> {
  const out = new Map<string, FluxKustomization>();
  for (const [path, content] of files) {
    if (!path.startsWith(`${Layout.fluxEnv(env)}/`)) continue;
    for (const o of objectsOf(content))
      if (o.kind === 'Kustomization') out.set((o.metadata as { name: string }).name, o as unknown as FluxKustomization);
  }
  return out;
}

let fixture: string;
let files: Map<string, string>;
/** Each overlay of the fixture built once, with the real kustomize, for every plan below. */
const builds = new Map<string, Manifest[]>();
const built = (env: Environment, app: string): Manifest[] => {
  const dir = Layout.overlay(env, app);
  if (!builds.has(dir)) {
    const r = buildOverlaySync(fixture, dir);
    if (!r.ok) throw new Error(r.error);
    builds.set(dir, parseBuild(r.yaml, dir));
  }
  return builds.get(dir)!;
};

beforeAll(() => {
  fixture = mkdtempSync(join(tmpdir(), 'strata-flux-'));
  writeFixture(fixture);
  files = planGitops(fixture, flux, APPS, { built });
  applyTree(fixture, files, { dirs: [GITOPS_DIR] });
});
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

describe('Flux files', () => {
  it('are, per env, one GitRepository, one Kustomization per app and the namespaces Argo CD would create; no Argo CD file', () => {
    expect([...files.keys()].sort()).toStrictEqual(
      ENVIRONMENTS.flatMap((e) => [
        `gitops/flux/${e}/gitrepository.strata.yaml`,
        `gitops/flux/${e}/kustomization.gadgets-${e}.yaml`,
        `gitops/flux/${e}/kustomization.notes-${e}.yaml`,
        `gitops/flux/${e}/kustomization.shop-${e}.yaml`,
        `gitops/flux/${e}/namespace.notes.yaml`,
        `gitops/flux/${e}/namespace.shop-${e}.yaml`,
      ]).sort(),
    );
    for (const content of files.values()) expect(content.startsWith(HEADER)).toBe(true);
    expect(planGitops(fixture, flux, [...APPS].reverse(), { built })).toStrictEqual(files);
  });

  it('validate strictly against the Flux CRD schemas, and a misspelt field is invalid', async () => {
    const results = await validateWithKubeconform({ paths: [join(fixture, Layout.flux)] }, { root: repo });
    expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
    expect(results.map((r) => `${r.version}/${r.kind}`).sort()).toStrictEqual(
      [
        ...Array(3).fill('source.toolkit.fluxcd.io/v1/GitRepository'),
        ...Array(9).fill('kustomize.toolkit.fluxcd.io/v1/Kustomization'),
        ...Array(6).fill('v1/Namespace'),
      ].sort(),
    );
    const bad = files.get('gitops/flux/dev/kustomization.shop-dev.yaml')!.replace('  prune: true', '  prune: true\n  healthCheck: true');
    const badSource = files
      .get('gitops/flux/dev/gitrepository.strata.yaml')!
      .replace('    branch: release-7', '    branch: release-7\n    revision: main');
    const verdicts = await validateWithKubeconform({ stdin: `${bad}---\n${badSource}` }, { root: repo });
    expect(verdicts.map((r) => [r.kind, r.status])).toStrictEqual([
      ['Kustomization', 'invalid'],
      ['GitRepository', 'invalid'],
    ]);
  });

  it('point every app and env at its own overlay, which exists and builds: one Kustomization each, no more', () => {
    for (const env of ENVIRONMENTS) {
      const ks = kustomizations(files, env);
      expect([...ks.keys()].sort()).toStrictEqual(APPS.map((a) => `${a}-${env}`).sort());
      for (const app of APPS) {
        const k = ks.get(`${app}-${env}`)!;
        expect(k.spec.path).toBe(`./overlays/${env}/${app}`);
        expect(existsSync(join(fixture, k.spec.path, 'kustomization.yaml'))).toBe(true);
        const built = buildOverlaySync(fixture, k.spec.path.slice(2));
        expect(built.ok, built.error).toBe(true);
        expect(k.spec).toMatchObject({ prune: true, wait: true, interval: '10m', sourceRef: { kind: 'GitRepository', name: 'strata' } });
        expect(k.metadata.namespace).toBe('flux-system');
      }
    }
  });

  it('read the repository and revision of the settings from one GitRepository per env folder', () => {
    for (const env of ENVIRONMENTS) {
      const [source] = objectsOf(files.get(`gitops/flux/${env}/gitrepository.strata.yaml`)!) as { spec: Obj; metadata: Obj }[];
      expect(source!.metadata).toStrictEqual({ name: 'strata', namespace: 'flux-system' });
      expect(source!.spec).toMatchObject({ url: flux.repoURL, ref: { branch: 'release-7' }, interval: '1m' });
    }
  });

  it('hold prod until a person resumes it, as Argo CD syncs prod by hand, and let dev and staging follow git', () => {
    for (const env of ENVIRONMENTS) {
      for (const k of kustomizations(files, env).values()) {
        if (env === 'prod') expect(k.spec.suspend, k.metadata.name).toBe(true);
        else expect(k.spec, k.metadata.name).not.toHaveProperty('suspend');
      }
    }
  });

  it('make an app wait for the app whose CRDs it uses, in the same env, and nothing else waits', () => {
    for (const env of ENVIRONMENTS) {
      const ks = kustomizations(files, env);
      expect(ks.get(`shop-${env}`)!.spec.dependsOn).toStrictEqual([{ name: `gadgets-${env}` }]);
      expect(ks.get(`gadgets-${env}`)!.spec).not.toHaveProperty('dependsOn');
      expect(ks.get(`notes-${env}`)!.spec).not.toHaveProperty('dependsOn');
    }
  });

  it('leave the replicas an HPA owns out of what Flux applies (checked with a real kustomize build)', () => {
    const shop = kustomizations(files, 'dev').get('shop-dev')!;
    expect(shop.spec.patches).toHaveLength(1);
    expect(shop.spec.patches![0]!.target).toStrictEqual({ group: 'apps', kind: 'Deployment', name: 'shop', namespace: 'shop-dev' });
    // What kustomize-controller does with spec.patches: a kustomization over the path with them.
    const dir = 'flux-check/shop-dev';
    mkdirSync(join(fixture, dir), { recursive: true });
    writeFileSync(join(fixture, dir, 'kustomization.yaml'), stringify({ resources: ['../../overlays/dev/shop'], patches: shop.spec.patches }));
    const built = buildOverlaySync(fixture, dir);
    expect(built.ok, built.error).toBe(true);
    const deployment = parseBuild(built.yaml, dir).find((m) => m.kind === 'Deployment')!;
    expect(deployment.spec).not.toHaveProperty('replicas');
    expect(parseBuild(buildOverlaySync(fixture, 'overlays/dev/shop').yaml, 'x').find((m) => m.kind === 'Deployment')!.spec).toHaveProperty(
      'replicas',
      2,
    );
  });
});

describe('Flux files of the committed apps', () => {
  it('validate strictly and point every app and env at its committed overlay', async () => {
    const apps = readdirSync(join(repo, Layout.apps)).sort();
    const committed = planGitops(repo, { ...loadSettings(repo), consumer: 'flux' }, apps);
    const out = mkdtempSync(join(tmpdir(), 'strata-flux-repo-'));
    try {
      applyTree(out, committed, { dirs: [GITOPS_DIR] });
      const results = await validateWithKubeconform({ paths: [join(out, Layout.flux)] }, { root: repo });
      expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
      expect(results.filter((r) => r.kind === 'Kustomization')).toHaveLength(apps.length * ENVIRONMENTS.length);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    for (const env of ENVIRONMENTS) {
      const ks = kustomizations(committed, env);
      expect([...ks.keys()].sort()).toStrictEqual(apps.map((a) => `${a}-${env}`).sort());
      for (const app of apps) expect(existsSync(join(repo, ks.get(`${app}-${env}`)!.spec.path, 'kustomization.yaml'))).toBe(true);
    }
  }, 120_000);
});

describe('crdDependencies', () => {
  const plan = (app: string, kinds: string[], crds: string[]): AppSyncPlan => ({ ...syncPlan(app, []), kinds, crds });

  it('follows the CRDs each app defines, not the app names', () => {
    const deps = crdDependencies('dev', [
      plan('a', ['x.test/One'], []),
      plan('b', ['apiextensions.k8s.io/CustomResourceDefinition'], ['x.test/One', 'x.test/Two']),
      plan('c', ['x.test/Two', 'x.test/One'], []),
    ]);
    expect(Object.fromEntries(deps)).toStrictEqual({ a: ['b'], b: [], c: ['b'] });
  });

  it('refuses a cycle in one line that names the apps', () => {
    const cycle = [plan('a', ['x.test/B'], ['x.test/A']), plan('b', ['x.test/A'], ['x.test/B'])];
    expect(() => crdDependencies('prod', cycle)).toThrow(/^overlays\/prod\/a: the apps a -> b -> a need each other's CRDs/);
  });
});

describe('the consumer setting', () => {
  const withConfig = (gitops: unknown, fn: (root: string) => void) => {
    const root = mkdtempSync(join(tmpdir(), 'strata-flux-settings-'));
    try {
      writeFileSync(join(root, 'strata.config.json'), JSON.stringify({ gitops }));
      fn(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  const base = { repoURL: 'https://h.test/x.git', targetRevision: 'main' };

  it('defaults to Argo CD: no consumer plans what was planned before', () => {
    withConfig(base, (root) => expect(loadSettings(root)).toStrictEqual(base));
    const argo = planGitops(fixture, { ...base }, APPS, { built });
    expect([...argo.keys()].some((p) => p.startsWith('gitops/flux/'))).toBe(false);
    expect(planGitops(fixture, { ...base, consumer: 'argocd' }, APPS, { built })).toStrictEqual(argo);
  });

  it('both plans the Argo CD files and the Flux files, each exactly as alone', () => {
    const argo = planGitops(fixture, { ...base, consumer: 'argocd' }, APPS, { built });
    const fluxOnly = planGitops(fixture, { ...base, consumer: 'flux' }, APPS, { built });
    expect(planGitops(fixture, { ...base, consumer: 'both' }, APPS, { built })).toStrictEqual(new Map([...argo, ...fluxOnly]));
  });

  it('manualSync names the envs a person syncs, for Argo CD and Flux alike', () => {
    const gates = (manualSync: Environment[] | undefined) => {
      const planned = planGitops(fixture, { ...base, consumer: 'both', ...(manualSync ? { manualSync } : {}) }, APPS, { built });
      return Object.fromEntries(
        ENVIRONMENTS.map((env) => {
          const set = parse(planned.get(`gitops/${env}/applicationset.strata-${env}.yaml`)!) as { spec: { template: { spec: { syncPolicy: Obj } } } };
          const suspended = [...kustomizations(planned, env).values()].map((k) => k.spec.suspend === true);
          expect(new Set(suspended).size, env).toBe(1);
          return [
            env,
            { argocd: 'automated' in set.spec.template.spec.syncPolicy ? 'automatic' : 'by hand', flux: suspended[0] ? 'by hand' : 'automatic' },
          ];
        }),
      );
    };
    const auto = { argocd: 'automatic', flux: 'automatic' };
    const byHand = { argocd: 'by hand', flux: 'by hand' };
    expect(gates(undefined)).toStrictEqual({ dev: auto, staging: auto, prod: byHand });
    expect(gates([])).toStrictEqual({ dev: auto, staging: auto, prod: auto });
    expect(gates(['staging', 'prod'])).toStrictEqual({ dev: auto, staging: byHand, prod: byHand });
    withConfig({ ...base, manualSync: ['prod', 'staging', 'prod'] }, (root) =>
      expect(loadSettings(root).manualSync).toStrictEqual(['staging', 'prod']),
    );
  });

  it.each([
    [{ ...base, manualSync: 'prod' }, 'strata.config.json: gitops.manualSync: must be a list of environments, e.g. ["prod"]'],
    [
      { ...base, manualSync: ['prod', 'qa'] },
      'strata.config.json: gitops.manualSync: "qa" is not an environment; use some of "dev", "staging", "prod"',
    ],
    [{ ...base, consumer: 'fluxcd' }, 'strata.config.json: gitops.consumer: "fluxcd" is not a GitOps consumer; use one of "argocd", "flux", "both"'],
    [{ ...base, consumer: ['flux'] }, 'strata.config.json: gitops.consumer: ["flux"] is not a GitOps consumer'],
    [{ ...base, fluxNamespace: 'Flux' }, 'strata.config.json: gitops.fluxNamespace: "Flux" is not a namespace name'],
    [
      { ...base, consumer: 'both', server: 'https://prod.example.test' },
      'strata.config.json: gitops.server: Flux applies to the cluster it runs in; remove server, or set consumer to "argocd"',
    ],
    [
      { ...base, consumer: 'flux', targetRevision: 'HEAD' },
      'strata.config.json: gitops.targetRevision: Flux cannot follow "HEAD"; name the branch, e.g. "main"',
    ],
    ...(['flux', 'both'] as const).flatMap((consumer): [object, string][] => [
      [
        { ...base, consumer, repoURL: 'git@github.com:org/repo.git' },
        `strata.config.json: gitops.repoURL: "git@github.com:org/repo.git" is scp-like, which Flux's GitRepository refuses (its url must start with http://, https:// or ssh://); write it as "ssh://git@github.com/org/repo.git"`,
      ],
      [
        { ...base, consumer, repoURL: 'org-1@ssh.dev.example.com:v3/org/repo' },
        `strata.config.json: gitops.repoURL: "org-1@ssh.dev.example.com:v3/org/repo" is scp-like, which Flux's GitRepository refuses (its url must start with http://, https:// or ssh://); write it as "ssh://org-1@ssh.dev.example.com/v3/org/repo"`,
      ],
      [
        { ...base, consumer, repoURL: 'not a url' },
        'strata.config.json: gitops.repoURL: "not a url" is not a git URL; use https://host/org/repo.git or ssh://git@host/org/repo.git',
      ],
    ]),
  ])('a bad value is a one-line usage error (%j)', (gitops, message) => {
    withConfig(gitops, (root) => {
      expect(() => loadSettings(root)).toThrow(UsageError);
      expect(() => loadSettings(root)).toThrow(message);
    });
  });

  it('lets through, with Flux, only the repository URLs its GitRepository CRD takes, and names the form to write for an scp-like one', () => {
    const crd = JSON.parse(readFileSync(join(repo, 'packages/schemas/crds-json/source.toolkit.fluxcd.io/gitrepository_v1.json'), 'utf8')) as {
      properties: { spec: { properties: { url: { pattern: string } } } };
    };
    const takes = new RegExp(crd.properties.spec.properties.url.pattern);
    for (const repoURL of ['https://h.test/x.git', 'http://h.test/x.git', 'ssh://git@h.test/org/x.git', 'ssh://git@h.test:2222/org/x.git']) {
      withConfig({ ...base, consumer: 'flux', repoURL }, (root) => expect(loadSettings(root).repoURL).toBe(repoURL));
      expect(repoURL).toMatch(takes);
    }
    const scp = 'git@h.test:org/x.git';
    expect(scp).not.toMatch(takes);
    let refusal = '';
    withConfig({ ...base, consumer: 'flux', repoURL: scp }, (root) => {
      try {
        loadSettings(root);
      } catch (err) {
        refusal = (err as Error).message;
      }
    });
    const written = /write it as "([^"]+)"$/.exec(refusal)?.[1];
    expect(written).toBe('ssh://git@h.test/org/x.git');
    expect(written).toMatch(takes);
    // Argo CD takes the scp-like form, and the error for a bad URL still names it there.
    withConfig({ ...base, consumer: 'argocd', repoURL: scp }, (root) => expect(loadSettings(root).repoURL).toBe(scp));
    withConfig({ ...base, repoURL: 'not a url' }, (root) =>
      expect(() => loadSettings(root)).toThrow('is not a git URL; use https://host/org/repo.git or git@host:org/repo.git'),
    );
  });

  it('a missing overlay is a one-line error naming it', () => {
    const copy = mkdtempSync(join(tmpdir(), 'strata-flux-missing-'));
    try {
      writeFixture(copy);
      rmSync(join(copy, 'overlays/staging/notes'), { recursive: true });
      expect(() => planGitops(copy, flux, APPS)).toThrow(/^overlays\/staging\/notes: no kustomization\.yaml; run `npx strata generate` first$/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it.each([
    ['main', { branch: 'main' }],
    ['v1.4.0', { tag: 'v1.4.0' }],
    ['refs/tags/stable', { name: 'refs/tags/stable' }],
    ['0123456789abcdef0123456789abcdef01234567', { commit: '0123456789abcdef0123456789abcdef01234567' }],
  ])('turns the revision %s into the GitRepository ref %j', (revision, ref) => {
    expect(fluxGitRef(revision)).toStrictEqual(ref);
  });
});

describe('strata with gitops.consumer both', () => {
  it('generate writes both sets of files, check passes, a server dry run takes the Flux files, and switching back removes them', () => {
    const ws = tempWorkspace(['tokenplace-relay']);
    try {
      const config = join(ws.root, 'strata.config.json');
      const original = JSON.parse(readFileSync(config, 'utf8')) as { gitops: Obj };
      writeFileSync(config, JSON.stringify({ ...original, gitops: { ...original.gitops, consumer: 'both' } }, null, 2));
      const gen = strata(ws.root, ['generate']);
      expect(gen.status, gen.stderr).toBe(0);
      for (const env of ENVIRONMENTS) {
        expect(existsSync(join(ws.root, `gitops/${env}/applicationset.strata-${env}.yaml`))).toBe(true);
        const ks = readdirSync(join(ws.root, Layout.fluxEnv(env))).filter((f) => f.startsWith('kustomization.'));
        expect(ks).toStrictEqual([`kustomization.tokenplace-relay-${env}.yaml`]);
        const k = parse(readFileSync(join(ws.root, Layout.fluxEnv(env), ks[0]!), 'utf8')) as FluxKustomization;
        expect(existsSync(join(ws.root, k.spec.path, 'kustomization.yaml'))).toBe(true);
        // The dry run below takes prod's gate too.
        expect(k.spec.suspend === true).toBe(env === 'prod');
      }
      // What `flux bootstrap --path gitops/flux/dev` commits beside the generated files stays.
      const bootstrap = join(ws.root, 'gitops/flux/dev/flux-system/gotk-sync.yaml');
      mkdirSync(dirname(bootstrap), { recursive: true });
      writeFileSync(bootstrap, 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n');
      expect(strata(ws.root, ['generate']).status).toBe(0);
      const check = strata(ws.root, ['check']);
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(existsSync(bootstrap)).toBe(true);
      // The API server itself, with Flux's CRDs installed, takes every generated Flux object (strict field validation, dry run).
      rmSync(dirname(bootstrap), { recursive: true });
      const verify = strata(ws.root, ['verify', Layout.flux]);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/No problems in 9 resources/);

      writeFileSync(config, JSON.stringify({ ...original, gitops: { ...original.gitops, consumer: 'argocd' } }, null, 2));
      const stale = strata(ws.root, ['check']);
      expect(stale.status).toBe(1);
      expect(stale.stdout + stale.stderr).toContain('gitops/flux/dev/kustomization.tokenplace-relay-dev.yaml');
      expect(strata(ws.root, ['generate']).status).toBe(0);
      expect(existsSync(join(ws.root, 'gitops/flux/dev/kustomization.tokenplace-relay-dev.yaml'))).toBe(false);
      expect(strata(ws.root, ['check']).status).toBe(0);

      writeFileSync(config, JSON.stringify({ ...original, gitops: { ...original.gitops, consumer: 'flux2' } }, null, 2));
      const bad = strata(ws.root, ['check']);
      expect(bad.status).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toContain('gitops.consumer: "flux2" is not a GitOps consumer');
    } finally {
      ws.dispose();
    }
  }, 300_000);
});
