import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Problem } from '@strata/project';
import { lineOf, setTemplateObjects, writeTemplateApp } from '@strata/testing/workspace-copy';
import { validate } from '@strata/validate';
import { pipeline } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// An object in a namespace that nothing of its env creates: Argo CD's sync and kubectl apply -k stop
// at it ("namespaces ... not found"), and a dry run that creates every namespace first never sees
// it. The pipeline refuses it offline, also when the app that created the namespace is rendered
// anew without it and the app that uses it is reused from the cache.

/** Writes the app `name` from the new-app template, with `objects` (TypeScript expressions) added to what it renders. */
function writeApp(root: string, name: string, objects: readonly string[]): void {
  writeTemplateApp(repo, root, name);
  setObjects(root, name, objects);
}

/** Renders the template's objects and `objects` after them. */
const setObjects = (root: string, name: string, objects: readonly string[]) =>
  setTemplateObjects(
    root,
    name,
    ["import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';", "import { Namespace } from 'kubernetes-models/v1/Namespace';"],
    objects,
  );

const NOT_FOUND = /^namespaces "shared" not found: /;
const missing = (problems: readonly Problem[]) => problems.filter((p) => p.rule === 'namespace-exists');

/** The namespaces each env's generated AppProject lets its apps deploy into. */
const allowed = (root: string) =>
  (['dev', 'prod', 'staging'] as const).map((env) => {
    const project = parse(readFileSync(join(root, `gitops/${env}/appproject.strata-${env}.yaml`), 'utf8')) as {
      spec: { destinations: { namespace: string }[] };
    };
    return project.spec.destinations.map((d) => d.namespace);
  });

/** The line of `namespace: shared` in a built file. */
const lineOfShared = (root: string, file: string) => lineOf(join(root, file), 'namespace: shared');

describe('objects in a namespace another app of the env creates, in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  // alpha ships the Namespace shared; beta puts a ConfigMap there.
  const namespace = "new Namespace({ metadata: { name: 'shared' } })";
  writeApp(ws.root, 'alpha', [namespace]);
  writeApp(ws.root, 'beta', ["new ConfigMap({ metadata: { name: 'settings', namespace: 'shared' }, data: { a: 'b' } })"]);
  const refusals = () =>
    (['dev', 'prod', 'staging'] as const).map((env) => ({
      file: `dist/${env}/beta.yaml`,
      line: lineOfShared(ws.root, `dist/${env}/beta.yaml`),
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'shared',
      name: 'settings',
      path: 'metadata.namespace',
      message: `namespaces "shared" not found: nothing in ${env} creates it (no Namespace shared among the env's apps, and it is not the destination of beta's Argo CD Application, beta), so Argo CD's sync and kubectl apply -k overlays/${env}/beta stop at this object; correct the namespace, add a Namespace shared to the app, or list it in kubernetes.namespaces of strata.config.json if the platform creates it`,
      rule: 'namespace-exists',
      severity: 'error',
      resource: expect.stringMatching(new RegExp(`^dist/${env}/beta\\.yaml#\\d+$`)),
    }));

  it('passes while another app of the env ships the Namespace', async () => {
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(0);
    expect(r.built.failed).toBe(0);
    expect(missing(r.problems)).toStrictEqual([]);
    expect(lineOfShared(ws.root, 'dist/dev/beta.yaml')).toBeGreaterThan(0);
    expect(allowed(ws.root)).toStrictEqual(Array(3).fill(['alpha', 'beta', 'shared']));
  });

  it('refuses the object in every env once that app no longer ships it, with the app that uses it reused from the cache', async () => {
    setObjects(ws.root, 'alpha', []);
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(1);
    expect(missing(r.problems)).toStrictEqual(refusals());
    expect(missing(r.problems)[0]!.message).toMatch(NOT_FOUND);
    // Refused, and never allowed by the AppProject: nothing creates it.
    expect(allowed(ws.root)).toStrictEqual(Array(3).fill(['alpha', 'beta']));
    // Both reused, without the cache, and validate of the built output: the same verdict.
    expect(missing((await pipeline(ws.root)).problems)).toStrictEqual(refusals());
    expect(missing((await pipeline(ws.root, { cache: false })).problems)).toStrictEqual(refusals());
    expect(missing((await validate(ws.root, ['dist'])).problems)).toStrictEqual(refusals());
    // One app's built output alone is judged beside the rest of its env's.
    expect(missing((await validate(ws.root, ['dist/dev/beta.yaml'])).problems)).toStrictEqual(refusals().slice(0, 1));
  });

  it('refuses it with the offline server checks off or left to a dry run (strata ci), which creates every namespace first', async () => {
    expect(missing((await pipeline(ws.root, { serverChecks: false })).problems)).toStrictEqual(refusals());
    expect(missing((await pipeline(ws.root, { serverChecks: 'unapplied' })).problems)).toStrictEqual(refusals());
    // A run with every check reuses none of their verdicts, and refuses it again.
    expect(missing((await pipeline(ws.root)).problems)).toStrictEqual(refusals());
  });

  it('passes once the app ships the Namespace again, with the other app reused', async () => {
    setObjects(ws.root, 'alpha', [namespace]);
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(1);
    expect(missing(r.problems)).toStrictEqual([]);
  });
});

// Flux has no CreateNamespace: generate writes a Namespace into gitops/flux/<env>/ for each app's
// destination that no app ships, and Flux applies it with the app's Kustomization object.
describe('objects in the namespaces the Flux folder creates, in the pipeline', () => {
  const apps = readdirSync(join(repo, 'apps')).sort();
  const ws = tempWorkspace(apps);
  afterAll(() => ws.dispose());
  const consume = (consumer: string) => {
    const config = join(ws.root, 'strata.config.json');
    const original = JSON.parse(readFileSync(config, 'utf8')) as { gitops: Record<string, unknown> };
    writeFileSync(config, JSON.stringify({ ...original, gitops: { ...original.gitops, consumer } }, null, 2));
  };

  it.each(['flux', 'both'])("passes the repository's apps with gitops.consumer %s", async (consumer) => {
    consume(consumer);
    const r = await pipeline(ws.root);
    expect(r.built.failed).toBe(0);
    expect(missing(r.problems)).toStrictEqual([]);
    // Their namespaces are not Namespaces of the apps: the Flux folder holds them.
    for (const env of ['dev', 'staging', 'prod']) {
      expect(readFileSync(join(ws.root, `dist/${env}/rtmlib-ml-backend.yaml`), 'utf8')).not.toMatch(/^kind: Namespace$/m);
      expect(existsSync(join(ws.root, `gitops/flux/${env}/namespace.rtmlib.yaml`))).toBe(true);
    }
  });

  it('refuses an object in a namespace that neither an app nor the Flux folder creates', async () => {
    consume('flux');
    writeApp(ws.root, 'beta', ["new ConfigMap({ metadata: { name: 'settings', namespace: 'shared' }, data: { a: 'b' } })"]);
    const r = await pipeline(ws.root);
    expect(missing(r.problems).map((p) => `${p.file}: ${p.kind} ${p.namespace}/${p.name}: ${p.message}`)).toStrictEqual(
      (['dev', 'prod', 'staging'] as const).map(
        (env) =>
          `dist/${env}/beta.yaml: ConfigMap shared/settings: namespaces "shared" not found: nothing in ${env} creates it (no Namespace shared among the env's apps, nor in gitops/flux/${env}, which holds one for each app's destination (beta's: beta)), so Flux's apply and kubectl apply -k overlays/${env}/beta stop at this object; correct the namespace, add a Namespace shared to the app, or list it in kubernetes.namespaces of strata.config.json if the platform creates it`,
      ),
    );
    expect(existsSync(join(ws.root, 'gitops/flux/dev/namespace.beta.yaml'))).toBe(true);
  });
});
