import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS, type Manifest } from '@strata/core';
import { appDirs } from '@strata/project';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { check, pipeline, proveEnvRoot, type CheckResult, type OverlayFindings } from '../src/index.ts';
import { editFile, repo, strata, tempWorkspace } from '@strata/testing/workspace';

// `strata check` after `strata pipeline` compares nothing the pipeline already compared, and the
// env roots are proven from their apps' builds instead of being built; both say what a check from
// scratch says.

const verdict = (r: CheckResult) => ({
  drift: r.drift,
  roundTrip: r.roundTrip,
  buildFailures: r.buildFailures,
  unmatchedPatches: r.unmatchedPatches,
  envRootCollisions: r.envRootCollisions,
  files: r.files,
});
const id = (m: Manifest) => `${m.apiVersion}/${m.kind} ${m.metadata.namespace ?? ''}/${m.metadata.name}`;

describe('check after a pipeline', () => {
  const ws = tempWorkspace(['gethrelay', 'llm-runner-router', 'tokenplace-relay']);
  afterAll(() => ws.dispose());

  it('reuses every comparison of the pipeline, proves the env roots, and agrees with a check from scratch', async () => {
    await pipeline(ws.root);
    const reused = await check(ws.root);
    expect(reused.reused).toBe(9);
    expect(reused.envRootsBuilt).toBe(0);
    const scratch = await check(ws.root, {}, { cache: false });
    expect(scratch.reused).toBe(0);
    expect(verdict(reused)).toStrictEqual(verdict(scratch));
    expect(verdict(reused).drift).toStrictEqual([]);
  });

  it('compares afresh an app changed since the pipeline, and reports its drift', async () => {
    const dev = join(ws.root, 'apps/tokenplace-relay/images.json');
    const original = editFile(dev, (text) => text.replace('"tag": "sha-3f9c2e1"', '"tag": "sha-0000004"'));
    try {
      const r = await check(ws.root);
      expect(r.reused).toBe(6);
      expect(r.drift.map((d) => d.file)).toStrictEqual(['overlays/dev/tokenplace-relay/kustomization.yaml']);
      expect(verdict(r)).toStrictEqual(verdict(await check(ws.root, {}, { cache: false })));
    } finally {
      writeFileSync(dev, original);
    }
  });

  it('sees a hand edit of an env root or a gitops file made after the pipeline', async () => {
    await pipeline(ws.root);
    for (const file of ['overlays/staging/kustomization.yaml', 'gitops/staging/applicationset.strata-staging.yaml']) {
      const path = join(ws.root, file);
      expect(existsSync(path)).toBe(true);
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, `${original}# by hand\n`);
      try {
        expect((await check(ws.root)).drift.map((d) => d.file)).toStrictEqual([file]);
      } finally {
        writeFileSync(path, original);
      }
    }
    expect((await check(ws.root)).drift).toStrictEqual([]);
  });

  it('as a command: says how much it reused and how the env roots were proven', () => {
    expect(strata(ws.root, ['pipeline', '--no-frozen']).status).toBe(0);
    const r = strata(ws.root, ['check']);
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(
      /check: \d+ files, 9 app overlays \(9 as the last pipeline compared them\) and 3 env roots \(3 proven from their apps, 0 built\): 0 drifted/,
    );
  });
});

describe('env roots proven from their apps', () => {
  it('on this repository: the aggregate kustomize builds is the concatenation of the app builds', async () => {
    const apps = appDirs(repo);
    for (const env of ENVIRONMENTS) {
      const [whole, ...parts] = await buildOverlays(repo, [`overlays/${env}`, ...apps.map((a) => `overlays/${env}/${a}`)]);
      expect(whole!.ok, whole!.error).toBe(true);
      const aggregate = parseBuild(whole!.yaml, whole!.overlay).sort((a, b) => id(a).localeCompare(id(b)));
      const concatenated = parts.flatMap((p) => parseBuild(p.yaml, p.overlay)).sort((a, b) => id(a).localeCompare(id(b)));
      expect(aggregate).toStrictEqual(concatenated);
    }
    const r = await check(repo, {}, { cache: false });
    expect(r.envRootsBuilt).toBe(0);
    expect(r.envRootCollisions).toStrictEqual([]);
  });

  it('reports an object two apps share, which kustomize indeed refuses to aggregate', async () => {
    const ws = tempWorkspace(['tokenplace-relay']);
    try {
      // A second app that renders the same objects under another app name.
      cpSync(join(ws.root, 'apps/tokenplace-relay'), join(ws.root, 'apps/relay-twin'), { recursive: true, verbatimSymlinks: true });
      const app = join(ws.root, 'apps/relay-twin/src/app.ts');
      writeFileSync(app, readFileSync(app, 'utf8').replace("name: 'tokenplace-relay'", "name: 'relay-twin'"));
      const pkg = join(ws.root, 'apps/relay-twin/package.json');
      writeFileSync(pkg, readFileSync(pkg, 'utf8').replace('@strata-apps/tokenplace-relay', '@strata-apps/relay-twin'));
      // A full generate refuses the tree, before writing it, as check below refuses it once written.
      const refused = strata(ws.root, ['generate']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(
        /^strata: overlays\/dev\/kustomization\.yaml: apps\/v1\/Deployment \S+ tokenplace-relay is in both relay-twin and tokenplace-relay; /,
      );
      expect(existsSync(join(ws.root, 'base/relay-twin'))).toBe(false);
      // Generated app by app, it is written: only check and the pipeline see the two together.
      expect(strata(ws.root, ['generate', '--app', 'relay-twin']).status).toBe(0);
      const [whole] = await buildOverlays(ws.root, ['overlays/prod'], { engine: 'kustomize' });
      expect(whole!.ok).toBe(false);
      expect(whole!.error).toMatch(/already registered id/);
      const r = await check(ws.root);
      expect(r.envRootCollisions.length).toBeGreaterThan(0);
      expect(r.envRootCollisions).toContainEqual(
        expect.stringMatching(
          /^overlays\/prod\/kustomization\.yaml: apps\/v1\/Deployment \S+ tokenplace-relay is in both relay-twin and tokenplace-relay; /,
        ),
      );
      expect(r.envRootsBuilt).toBe(0);
      // The pipeline refuses the tree with the same lines (in render order), before writing anything.
      const pipelineRefused = await pipeline(ws.root).then(
        () => '',
        (e: Error) => e.message,
      );
      expect(pipelineRefused.split('\n').sort()).toStrictEqual([...r.envRootCollisions].sort());
      expect(strata(ws.root, ['check']).status).toBe(1);
    } finally {
      ws.dispose();
    }
  });

  it('leaves to a real build an env where a renamed object could be referred to from another app', () => {
    const findings = (namespaces: string[], renamed: string[] = []): OverlayFindings => ({
      roundTrip: [],
      unmatched: [],
      ids: [],
      renamed,
      namespaces,
    });
    // App a renames a ConfigMap of namespace shop; whether app b, in these namespaces, leaves it unproven.
    const beside = (namespaces: string[]) =>
      proveEnvRoot('dev', [
        { app: 'a', findings: findings(['shop'], ['ConfigMap shop settings']) },
        { app: 'b', findings: findings(namespaces) },
      ]).unproven;
    // Apps in other namespaces cannot refer to it: proven.
    expect(beside(['billing'])).toBe(false);
    // An app in the same namespace, or a cluster-scoped referrer (a ClusterRole, say), could.
    expect(beside(['shop'])).toBe(true);
    expect(beside(['billing', '*'])).toBe(true);
    // Its own objects are its own build's business.
    expect(proveEnvRoot('dev', [{ app: 'a', findings: findings(['shop', '*'], ['ConfigMap shop settings']) }]).unproven).toBe(false);
  });
});
