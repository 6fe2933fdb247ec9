import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ENVIRONMENTS, groupOf, type Environment, type Manifest } from '@strata/core';
import { applyTree } from '@strata/emit';
import { buildOverlaySync, parseBuild } from '@strata/kustomize';
import { validateWithKubeconform } from '@strata/kubeconform-wrapper';
import { Layout } from '@strata/project';
import { GITOPS_DIR, planGitops, SYNC_STEP_LABEL, SYNC_WAVE_ANNOTATION, syncPlan, syncWave, type GitopsSettings } from '../src/index.ts';
import { strata } from '@strata/testing/workspace';
import { sizeCrd } from '../../verify/test/helpers.ts';
import { appSetOf, generatedPaths, type Obj, renderApplication } from './argocd.ts';
import { deployment, writeRepo, yamlFile } from './repo.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const settings: GitopsSettings = { repoURL: 'https://git.example.test/team/fixture.git', targetRevision: 'release-7' };
const APPS = ['gadgets', 'notes', 'shop'];

/**
 * Three apps: `gadgets` ships the CRD of `Gadget` and a Gadget of its own, `shop` creates a Gadget
 * (so it needs the CRD of `gadgets`), `notes` needs nobody.
 */
function writeFixture(dir: string) {
  writeRepo(dir, {
    gadgets: {
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gadgets' } },
        sizeCrd('toys.example.test', 'Gadget'),
        { apiVersion: 'toys.example.test/v1', kind: 'Gadget', metadata: { name: 'standard', namespace: 'gadgets' }, spec: { size: 1 } },
      ],
    },
    notes: {
      objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notes' }, data: { motd: 'hello' } }],
      namespace: () => 'notes',
    },
    shop: {
      objects: [deployment('shop'), { apiVersion: 'toys.example.test/v1', kind: 'Gadget', metadata: { name: 'counter' }, spec: { size: 3 } }],
      namespace: (env) => `shop-${env}`,
    },
  });
}

const build = (root: string, dir: string): Manifest[] => {
  const r = buildOverlaySync(root, dir);
  if (!r.ok) throw new Error(r.error);
  return parseBuild(r.yaml, dir);
};

interface RenderedApp {
  metadata: { name: string; labels: Record<string, string> };
  spec: { source: { path: string; kustomize?: { patches?: Obj[] } }; syncPolicy: Obj };
}

const applicationsOf = (root: string, env: Environment) => {
  const set = appSetOf(root, env);
  return new Map(generatedPaths(root, set).map((p) => [p.slice(p.lastIndexOf('/') + 1), renderApplication(set, p) as unknown as RenderedApp]));
};

/**
 * What Argo CD's repo server builds for an Application: the patches of `source.kustomize` added to
 * the kustomization of its path in a checkout of the repository, then `kustomize build` there.
 */
function argoBuild(checkout: string, app: RenderedApp): Manifest[] {
  const file = join(checkout, app.spec.source.path, 'kustomization.yaml');
  const original = readFileSync(file, 'utf8');
  const k = parse(original) as Obj & { patches?: Obj[] };
  writeFileSync(file, stringify({ ...k, patches: [...(k.patches ?? []), ...(app.spec.source.kustomize?.patches ?? [])] }));
  try {
    return build(checkout, app.spec.source.path);
  } finally {
    writeFileSync(file, original);
  }
}

const gk = (m: Manifest) => `${groupOf(m.apiVersion)}/${m.kind}`;
const definedKind = (crd: Manifest) => {
  const spec = crd.spec as { group: string; names: { kind: string } };
  return `${spec.group}/${spec.names.kind}`;
};

let fixture: string;
let checkout: string;

beforeAll(() => {
  fixture = mkdtempSync(join(tmpdir(), 'strata-order-'));
  writeFixture(fixture);
  applyTree(fixture, planGitops(fixture, settings, APPS), { dirs: [GITOPS_DIR] });
  checkout = mkdtempSync(join(tmpdir(), 'strata-order-checkout-'));
  cpSync(fixture, checkout, { recursive: true });
});
afterAll(() => {
  rmSync(fixture, { recursive: true, force: true });
  rmSync(checkout, { recursive: true, force: true });
});

describe('Argo CD, within an app', () => {
  it('syncs a CRD a wave before the custom resources of it that the same app ships, in what Argo CD builds (real kustomize)', () => {
    for (const env of ENVIRONMENTS) {
      const apps = applicationsOf(fixture, env);
      const built = argoBuild(checkout, apps.get('gadgets')!);
      const crd = built.find((m) => m.kind === 'CustomResourceDefinition')!;
      const users = built.filter((m) => gk(m) === definedKind(crd));
      expect(users.map((m) => m.metadata.name)).toStrictEqual(['standard']);
      expect(crd.metadata.annotations).toStrictEqual({ [SYNC_WAVE_ANNOTATION]: '-1' });
      expect(syncWave(crd)).toBeLessThan(Math.min(...users.map(syncWave)));
      // Nothing else changes: the overlay as kubectl and Flux build it, but for that one annotation.
      const plain = build(fixture, Layout.overlay(env, 'gadgets'));
      expect(plain.find((m) => m.kind === 'CustomResourceDefinition')!.metadata).not.toHaveProperty('annotations');
      delete crd.metadata.annotations;
      expect(built).toStrictEqual(plain);
      // Apps that ship no CRD are built as they are.
      for (const app of ['shop', 'notes']) expect(apps.get(app)!.spec.source).not.toHaveProperty('kustomize');
    }
  });

  it('puts the CRD before the earliest of its resources, and leaves a CRD that is early enough alone', () => {
    const crd = sizeCrd('toys.example.test', 'Gadget') as Manifest;
    const gadget = (name: string, wave?: string): Manifest => ({
      apiVersion: 'toys.example.test/v1',
      kind: 'Gadget',
      metadata: { name, ...(wave !== undefined ? { annotations: { [SYNC_WAVE_ANNOTATION]: wave } } : {}) },
    });
    // Resources in waves 3 and 2 come after the CRD in wave 0 already.
    expect(syncPlan('x', [crd, gadget('a', '3'), gadget('b', '2')]).crdWaves).toStrictEqual([]);
    expect(syncPlan('x', [crd, gadget('a', '3'), gadget('b', '0')]).crdWaves).toStrictEqual([{ name: 'gadgets.toys.example.test', wave: -1 }]);
    expect(syncPlan('x', [crd, gadget('a', '-2'), gadget('b')]).crdWaves).toStrictEqual([{ name: 'gadgets.toys.example.test', wave: -3 }]);
    const early = { ...crd, metadata: { ...crd.metadata, annotations: { [SYNC_WAVE_ANNOTATION]: '-5' } } };
    expect(syncPlan('x', [early, gadget('a')]).crdWaves).toStrictEqual([]);
    // A CRD no resource of the app uses has no order to keep within the app.
    expect(syncPlan('x', [crd]).crdWaves).toStrictEqual([]);
  });
});

describe('Argo CD, across apps', () => {
  it('syncs an app only once every app whose CRDs it uses is healthy: RollingSync steps where Argo CD syncs, the step labels where a person does', () => {
    for (const env of ENVIRONMENTS) {
      const set = appSetOf(fixture, env) as unknown as { spec: { strategy?: { type: string; rollingSync: { steps: Obj[] } } } };
      const apps = applicationsOf(fixture, env);
      const step = (app: string) => Number(apps.get(app)!.metadata.labels[SYNC_STEP_LABEL]);
      // Read from the built overlays, not from the plan: every kind an app uses whose CRD another app ships.
      const builds = new Map(APPS.map((a) => [a, build(fixture, Layout.overlay(env, a))]));
      let pairs = 0;
      for (const [provider, objects] of builds) {
        for (const crd of objects.filter((m) => m.kind === 'CustomResourceDefinition')) {
          for (const [user, used] of builds) {
            if (user === provider || !used.some((m) => gk(m) === definedKind(crd))) continue;
            expect(step(provider), `${user} uses ${definedKind(crd)} of ${provider}`).toBeLessThan(step(user));
            pairs++;
          }
        }
      }
      expect(pairs).toBe(1);
      expect(Object.fromEntries(APPS.map((a) => [a, step(a)]))).toStrictEqual({ gadgets: 0, notes: 0, shop: 1 });
      if (env === 'prod') {
        expect(set.spec).not.toHaveProperty('strategy');
        expect(apps.get('shop')!.spec.syncPolicy).not.toHaveProperty('automated');
        continue;
      }
      expect(set.spec.strategy).toStrictEqual({
        type: 'RollingSync',
        rollingSync: {
          steps: ['0', '1'].map((s) => ({ matchExpressions: [{ key: SYNC_STEP_LABEL, operator: 'In', values: [s] }] })),
        },
      });
      // An Application that no step selects would never be synced: each is in exactly one.
      for (const [app, rendered] of apps) {
        const selecting = set.spec.strategy!.rollingSync.steps.filter((s) =>
          (s.matchExpressions as { key: string; values: string[] }[]).every((e) => e.values.includes(rendered.metadata.labels[e.key]!)),
        );
        expect(selecting, app).toHaveLength(1);
      }
    }
  });

  it('leaves an env whose apps need no other app as it was: no strategy, no step labels, no patches (the committed apps)', () => {
    for (const env of ENVIRONMENTS) {
      const text = readFileSync(join(repo, GITOPS_DIR, env, `applicationset.strata-${env}.yaml`), 'utf8');
      expect(text).not.toContain('strategy');
      expect(text).not.toContain(SYNC_STEP_LABEL);
      expect(text).not.toContain('kustomize:');
    }
  });

  it.each(['argocd', 'flux', 'both'] as const)('refuses apps that need each other’s CRDs in one line (%s)', (consumer) => {
    const objects: Record<string, Manifest[]> = {
      alpha: [sizeCrd('a.example.test', 'Anvil') as Manifest, { apiVersion: 'b.example.test/v1', kind: 'Bolt', metadata: { name: 'x' } }],
      beta: [sizeCrd('b.example.test', 'Bolt') as Manifest, { apiVersion: 'a.example.test/v1', kind: 'Anvil', metadata: { name: 'y' } }],
    };
    let message = '';
    try {
      planGitops(fixture, { ...settings, consumer }, ['alpha', 'beta'], { built: (_env, app) => objects[app]! });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(
      /^overlays\/dev\/alpha: the apps alpha -> beta -> alpha need each other's CRDs, so none of them could be applied first; /,
    );
    expect(message).not.toContain('\n');
  });
});

describe('the Argo CD files with CRD ordering', () => {
  it('validate strictly, and a real API server takes them and what Argo CD builds of each app (dry run)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-order-verify-'));
    try {
      const rendered: Obj[] = [];
      for (const env of ENVIRONMENTS) {
        const apps = applicationsOf(fixture, env);
        for (const a of apps.values()) rendered.push(a as unknown as Obj);
        for (const [app, application] of apps) writeFileSync(join(out, `${env}-${app}.yaml`), yamlFile(argoBuild(checkout, application)));
      }
      // The Argo CD objects: each env's AppProject and ApplicationSet, and the Applications they make.
      writeFileSync(join(out, 'applications.yaml'), yamlFile(rendered));
      for (const env of ENVIRONMENTS)
        for (const f of [`appproject.strata-${env}.yaml`, `applicationset.strata-${env}.yaml`])
          cpSync(join(fixture, GITOPS_DIR, env, f), join(out, f));
      const argo = ['applications.yaml', ...ENVIRONMENTS.flatMap((e) => [`appproject.strata-${e}.yaml`, `applicationset.strata-${e}.yaml`])];
      const results = await validateWithKubeconform({ paths: argo.map((f) => join(out, f)) }, { root: repo });
      expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
      expect(results).toHaveLength(9 + 6);
      const verify = strata(repo, ['verify', out]);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/No problems in \d+ resources/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
