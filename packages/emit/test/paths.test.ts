import { describe, expect, it } from 'vitest';
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
