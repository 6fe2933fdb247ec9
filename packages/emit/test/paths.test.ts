import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { defineApp, type App, type Manifest } from '@strata/core';
import { planApp, schemaMergeKeys } from '../src/index.ts';

const valid = defineApp<{ n: number }>({
  name: 'evil',
  defaults: { n: 1 },
  envs: { dev: {}, staging: {}, prod: {} },
  render: () => [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' } }],
});

/** An app shaped by hand, past defineApp's and the models' checks: the plan must still hold the line. */
const forged = (objects: Manifest[]): App<{ n: number }> => ({ ...valid, manifests: () => structuredClone(objects) });

describe("planned paths stay inside the app's own folders", () => {
  it("refuses an object whose name resolves into another app's folder", () => {
    const app = forged([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x/../../tensafe/deployment.tensafe' } }]);
    expect(() => planApp(app, schemaMergeKeys)).toThrow(
      /^app evil: "base\/evil\/deployment\.x\/\.\.\/\.\.\/tensafe\/deployment\.tensafe\.yaml" lies outside the app's own folders/,
    );
  });

  it('refuses a kind that walks out of the repository', () => {
    const app = forged([{ apiVersion: 'v1', kind: '../../../../tmp/x', metadata: { name: 'y' } }]);
    expect(() => planApp(app, schemaMergeKeys)).toThrow(/lies outside the app's own folders base\/evil\/ and overlays\/<env>\/evil\//);
  });

  it('refuses a component name before it becomes a folder whose files would be removed as stale', () => {
    const app = { ...valid, components: { '../../tensafe': { description: 'x', overrides: { n: 2 } } } } as unknown as App<{ n: number }>;
    expect(() => planApp(app, schemaMergeKeys)).toThrow(/^app evil: components\["\.\.\/\.\.\/tensafe"\]: a component name must be a DNS-1123 label/);
  });

  it('plans a well-named app as before', () => {
    expect([...planApp(valid, schemaMergeKeys).files.keys()]).toContain('base/evil/configmap.ok.yaml');
  });
});

describe('planned file names check out on every system', () => {
  it('writes the characters Windows refuses in a name as %XX, and keeps every other name as it is', () => {
    const names = ['system:aggregate-to-view', 'line\nbreak *?<>|\\ :"x', 'plain-name.v2', 'Mixed_Case'];
    const app = forged(names.map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    const files = [...planApp(app, schemaMergeKeys).files.keys()].filter((f) => f.startsWith('base/evil/clusterrole.'));
    expect(files.sort()).toStrictEqual([
      'base/evil/clusterrole.Mixed_Case.yaml',
      'base/evil/clusterrole.line%0Abreak %2A%3F%3C%3E%7C%5C %3A%22x.yaml',
      'base/evil/clusterrole.plain-name.v2.yaml',
      'base/evil/clusterrole.system%3Aaggregate-to-view.yaml',
    ]);
  });

  it('builds such files with the real kustomize to the objects with their own names', async () => {
    const names = ['system:aggregate-to-view', 'line\nbreak *?<>|\\ :"x', '100%'];
    const app = forged(names.map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    const root = mkdtempSync(join(tmpdir(), 'strata-names-'));
    try {
      for (const [path, content] of planApp(app, schemaMergeKeys).files) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), content);
      }
      const [result] = await buildOverlays(root, ['overlays/prod/evil']);
      expect(result!.error).toBeUndefined();
      expect(
        parseBuild(result!.yaml, result!.overlay)
          .map((m) => m.metadata.name)
          .sort(),
      ).toStrictEqual([...names].sort());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses two objects whose files differ only in case, which one checkout on macOS or Windows would merge', () => {
    const app = forged(['Viewer', 'viewer'].map((name) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } })));
    expect(() => planApp(app, schemaMergeKeys)).toThrow(
      /^base\/evil\/clusterrole\.viewer\.yaml: two objects map to files whose names differ only in case \(base\/evil\/clusterrole\.Viewer\.yaml\), which collide on macOS and Windows; rename one$/,
    );
  });
});
