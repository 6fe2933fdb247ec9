import { appendFileSync, copyFileSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '@strata/core';
import { findRoot, UsageError } from '@strata/project';
import { testTempDir } from '@strata/testing/temp';
import { validateBuilt, validateFiles } from '../src/index.ts';
import { recordBuilt } from '../src/stale-dist.ts';

const APPS = ['api', 'web'];

/** A tree with every app's overlay in every env and each one's built file, one Namespace and one ConfigMap. */
function builtTree(): string {
  const root = testTempDir('strata-validate-built-');
  // The pinned kubeconform of this checkout.
  symlinkSync(join(findRoot(), '.tools'), join(root, '.tools'));
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  for (const env of ENVIRONMENTS)
    for (const app of APPS) {
      write(`overlays/${env}/${app}/kustomization.yaml`, 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n');
      const ns = `${app}-${env}`;
      const built = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}\n  namespace: ${ns}\ndata:\n  a: b\n`;
      write(`dist/${env}/${app}.yaml`, built);
      // As a build of this checkout leaves it: the file, and the record of writing it.
      recordBuilt(root, [{ output: `dist/${env}/${app}.yaml`, yaml: built }]);
    }
  return root;
}

const options = { serverChecks: false } as const;

describe('validateBuilt', () => {
  it('judges every built file of every overlay, counting each app and env once', async () => {
    const r = await validateBuilt(builtTree(), options);
    expect(r.problems).toStrictEqual([]);
    expect(r.resources).toBe(2 * APPS.length * ENVIRONMENTS.length);
    expect(r.built).toStrictEqual({ apps: 2, envs: 3, files: 6 });
    expect(r.scope).toBe('2 apps x 3 envs');
  });

  it('fails on the built file of an existing overlay that is not there, naming it and saying to build, and counts only the files it read', async () => {
    const root = builtTree();
    rmSync(join(root, 'dist/prod/web.yaml'));
    const r = await validateBuilt(root, options);
    expect(r.problems).toStrictEqual([
      {
        file: 'dist/prod/web.yaml',
        rule: 'missing-build',
        severity: 'error',
        message:
          'not found: validate judges the built output of overlays/prod/web; run `npm run build` (or `npx strata build --env prod --app web`) first',
      },
    ]);
    expect(r.resources).toBe(10);
    expect(r.built).toStrictEqual({ apps: 2, envs: 3, files: 5 });
    expect(r.scope).toBe('5 built files of 2 apps in 3 envs');
  });

  it("with an env, judges only that env's built output, and its missing files only", async () => {
    const root = builtTree();
    // Another env's problems are not this env's: a missing file and an object that cannot be read.
    rmSync(join(root, 'dist/dev/web.yaml'));
    writeFileSync(join(root, 'dist/staging/api.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n');
    const prod = await validateBuilt(root, { ...options, env: 'prod' });
    expect(prod.problems).toStrictEqual([]);
    expect(prod.files).toStrictEqual(['dist/prod/api.yaml', 'dist/prod/web.yaml']);
    expect(prod.resources).toBe(4);
    expect(prod.built).toStrictEqual({ apps: 2, envs: 1, files: 2 });
    expect(prod.scope).toBe('2 apps x 1 env');

    rmSync(join(root, 'dist/prod/api.yaml'));
    const missing = await validateBuilt(root, { ...options, env: 'prod' });
    expect(missing.problems.map((p) => [p.file, p.rule])).toStrictEqual([['dist/prod/api.yaml', 'missing-build']]);
    expect(missing.built).toStrictEqual({ apps: 1, envs: 1, files: 1 });
    expect(missing.scope).toBe('1 app x 1 env');

    rmSync(join(root, 'dist/prod'), { recursive: true });
    await expect(validateBuilt(root, { ...options, env: 'prod' })).rejects.toThrow(
      new UsageError('no dist/prod/ to validate: build it first (npm run build, or npx strata build --env prod), or name the files to validate'),
    );
    await expect(validateBuilt(root, { ...options, env: 'prdo' })).rejects.toThrow(UsageError);
  });

  it('warns of a built file named alone, or in its folder, that was built before its overlay changed, as of dist/, named as typed', async () => {
    const root = builtTree();
    // Times alone are no change: a file touched is what was built from.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'overlays/dev/web/kustomization.yaml'), later, later);
    // Changed, with the times it had before (copied in with cp -p, unpacked by tar): its content tells.
    const past = new Date(Date.now() - 60_000);
    appendFileSync(join(root, 'overlays/dev/api/kustomization.yaml'), '# edited\n');
    utimesSync(join(root, 'overlays/dev/api/kustomization.yaml'), past, past);
    const stale = (file: string) => ({
      file,
      rule: 'stale-build',
      severity: 'warning',
      message:
        'built before overlays/dev/api/kustomization.yaml changed: what is judged is not what overlays/dev/api builds now; run `npm run build` (or `npx strata build --env dev --app api`) first',
    });
    expect((await validateBuilt(root, options)).problems).toStrictEqual([stale('dist/dev/api.yaml')]);
    for (const named of [['dist/dev/api.yaml'], ['./dist/prod/../dev/api.yaml'], ['dist/dev'], ['dist/dev/web.yaml', 'dist/dev/api.yaml']])
      expect((await validateFiles(root, named, options)).problems, named.join(' ')).toStrictEqual([stale('dist/dev/api.yaml')]);
    expect((await validateFiles(root, ['api.yaml'], { ...options, cwd: join(root, 'dist/dev') })).problems).toStrictEqual([stale('api.yaml')]);
    // The same file elsewhere is no built output: judged as given.
    copyFileSync(join(root, 'dist/dev/api.yaml'), join(root, 'api.yaml'));
    expect((await validateFiles(root, ['api.yaml'], options)).problems).toStrictEqual([]);
    expect((await validateFiles(root, ['dist/dev/web.yaml'], options)).problems).toStrictEqual([]);
  });
});
