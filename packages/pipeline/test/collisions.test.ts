import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from '@strata/testing/workspace';
import { idCollisions, pipeline, renderedIds } from '../src/index.ts';

/** Every file a run may write (the tree, gitops/, dist/ and the cache), with its content and time. */
function written(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const top of ['base', 'overlays', 'gitops', 'dist', '.strata']) {
    if (!existsSync(join(root, top))) continue;
    for (const e of readdirSync(join(root, top), { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      out[path.slice(root.length + 1)] = `${statSync(path).mtimeMs} ${readFileSync(path, 'utf8')}`;
    }
  }
  return out;
}

describe('collision lines', () => {
  it('name a cluster-scoped object without a namespace, and a namespaced one with its namespace or default', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader' } },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.io' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } },
    ];
    const ids = renderedIds(objects);
    expect(
      idCollisions('dev', [
        { app: 'a', ids },
        { app: 'b', ids },
      ]).map((l) => l.split(' is in both')[0]),
    ).toStrictEqual([
      'overlays/dev/kustomization.yaml: v1/Namespace shop',
      'overlays/dev/kustomization.yaml: rbac.authorization.k8s.io/v1/ClusterRole reader',
      'overlays/dev/kustomization.yaml: apiextensions.k8s.io/v1/CustomResourceDefinition widgets.example.io',
      'overlays/dev/kustomization.yaml: v1/ConfigMap shop settings',
      'overlays/dev/kustomization.yaml: v1/ConfigMap default plain',
    ]);
  });
});

// Two apps whose dev env renders the same Namespace: kustomize cannot aggregate overlays/dev, and
// generate refuses the tree before writing it. The pipeline and ci refuse it the same way.
describe('an object two apps of an env share', () => {
  const ws = tempWorkspace(['gethrelay', 'llm-runner-router']);
  const dev = join(ws.root, 'apps/gethrelay/src/env/dev.ts');
  let refusal = '';
  beforeAll(() => {
    expect(strata(ws.root, ['generate']).status).toBe(0);
    // dist/ and the pipeline's cache are filled, so that a run that rewrote them would show.
    expect(strata(ws.root, ['pipeline']).status).toBe(0);
    const original = readFileSync(dev, 'utf8');
    const edited = original.replace('  config: {\n', "  config: {\n    namespace: 'llm-systems',\n");
    expect(edited).not.toBe(original);
    writeFileSync(dev, edited);
    const generate = strata(ws.root, ['generate']);
    expect(generate.status).toBe(1);
    refusal = generate.stderr;
    // A Namespace is cluster-scoped: named without a namespace.
    expect(refusal).toMatch(/^strata: overlays\/dev\/kustomization\.yaml: v1\/Namespace llm-systems is in both gethrelay and llm-runner-router; /);
  }, 300_000);
  afterAll(() => ws.dispose());

  it.each([
    [['pipeline', '--no-frozen']],
    [['pipeline', '--no-frozen', '--no-cache']],
    [['pipeline']],
    [['ci']],
  ])('strata %j refuses it before writing anything, with the message of generate', (args) => {
    const before = written(ws.root);
    const r = strata(ws.root, args, undefined, { CI: 'true' });
    // Progress lines of builds already under way aside.
    expect(r.stderr.replace(/^build \[.*\n/gm, '')).toBe(refusal);
    expect(r.stdout).not.toMatch(/No problems/);
    expect(r.status).toBe(1);
    expect(written(ws.root)).toStrictEqual(before);
  }, 300_000);

  it('the library refuses it too, naming each collision', async () => {
    const before = written(ws.root);
    await expect(pipeline(ws.root)).rejects.toThrow(refusal.replace(/^strata: /gm, '').trimEnd());
    expect(written(ws.root)).toStrictEqual(before);
  });

  it('ci -o json reports the collision at the env root, rule env-root, and no drift', () => {
    const before = written(ws.root);
    const r = strata(ws.root, ['ci', '-o', 'json'], undefined, { CI: 'true' });
    const report = JSON.parse(r.stdout) as { problems: { file: string; rule: string; message: string }[] };
    expect(report.problems.map((p) => `${p.file}: ${p.message}`).join('\n')).toBe(refusal.replace(/^strata: /gm, '').trimEnd());
    expect(new Set(report.problems.map((p) => p.rule))).toStrictEqual(new Set(['env-root']));
    expect(report.problems[0]!.file).toBe('overlays/dev/kustomization.yaml');
    expect(report.problems[0]!.message).toMatch(/^v1\/Namespace llm-systems is in both gethrelay and llm-runner-router; /);
    expect(r.status).toBe(1);
    expect(written(ws.root)).toStrictEqual(before);
  }, 300_000);

  it('check names the collision and says what to fix, not to run generate (which refuses)', () => {
    const r = strata(ws.root, ['check']);
    expect(r.status).toBe(1);
    expect(`${r.stdout}${r.stderr}`).not.toContain('run `npx strata generate`');
    expect(r.stdout).toContain(refusal.replace(/^strata: /gm, '').trimEnd());
    expect(r.stderr).toMatch(
      /generate refuses this tree: two apps of an env render the same object; rename or remove it in one of them, then regenerate and commit$/m,
    );
  }, 300_000);
});
