import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTemplateApp } from '@strata/testing/workspace-copy';
import { pipeline } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// kubernetes.namespaces of strata.config.json lists the namespaces the platform makes, where an
// app's object may live; an app whose own namespace is one of them would own it, its default-deny
// NetworkPolicy covering every pod the platform runs there. new-app refuses such a name; an app's
// config reaches the same state later, and the pipeline refuses it there.

/** Sets the namespace the template's app `name` puts its objects in. */
function moveApp(root: string, name: string, namespace: string): void {
  const path = join(root, 'apps', name, 'src/config.ts');
  const text = readFileSync(path, 'utf8');
  expect(text).toMatch(/ {2}namespace: '[^']*',/);
  writeFileSync(path, text.replace(/ {2}namespace: '[^']*',/, `  namespace: '${namespace}',`));
}

/** The refusals of the pipeline's run, as `file: Kind name: message`, the line checked against the built file. */
async function refusals(root: string): Promise<string[]> {
  const r = await pipeline(root);
  expect(r.built.failed).toBe(0);
  return r.problems
    .filter((p) => p.rule === 'no-platform-namespace')
    .map((p) => {
      const line = readFileSync(join(root, p.file), 'utf8').split('\n')[p.line! - 1];
      expect(line?.trim()).toBe(p.kind === 'Namespace' ? `name: ${p.name}` : `namespace: ${p.namespace}`);
      return `${p.severity}: ${p.file}: ${p.message}`;
    });
}

describe('an app whose namespace kubernetes.namespaces says the platform makes, in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  writeTemplateApp(repo, ws.root, 'relay');
  const config = join(ws.root, 'strata.config.json');
  const settings = JSON.parse(readFileSync(config, 'utf8')) as { kubernetes: Record<string, unknown> };
  settings.kubernetes.namespaces = ['observability', 'traefik'];
  writeFileSync(config, `${JSON.stringify(settings, null, 2)}\n`);

  it('passes in a namespace of its own', async () => {
    expect(await refusals(ws.root)).toStrictEqual([]);
  });

  it('refuses it once per env, at its first object there, saying what to do', async () => {
    moveApp(ws.root, 'relay', 'observability');
    expect(await refusals(ws.root)).toStrictEqual(
      ['dev', 'prod', 'staging'].map(
        (env) =>
          `error: dist/${env}/relay.yaml: would be in the namespace "observability", the app's own namespace (its Argo CD Application's destination, which gitops/ creates for it), which kubernetes.namespaces of strata.config.json says the platform makes: an app does not own a platform namespace (its default-deny NetworkPolicy and the AppProject would reach every pod the platform runs there); give the app a namespace of its own, or take "observability" out of kubernetes.namespaces if the app makes it`,
      ),
    );
  });
});
