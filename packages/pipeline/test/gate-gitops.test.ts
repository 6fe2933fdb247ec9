import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT } from '../../verify/test/helpers.ts';
import { strata, tempWorkspace } from '@strata/testing/workspace';
import { gate } from '../src/index.ts';

const APP = 'tokenplace-relay';

// strata ci dry-run applies gitops/ as a person applies it to bootstrap Argo CD and Flux, on the
// same throw-away API server as the apps' objects, with the CRDs of Argo CD and Flux installed.
describe('strata ci: gitops/ dry-run applied', () => {
  const ws = tempWorkspace([APP]);
  afterAll(() => ws.dispose());
  const config = join(ws.root, 'strata.config.json');
  const original = JSON.parse(readFileSync(config, 'utf8')) as { gitops: Record<string, unknown> };
  const configure = (gitops: Record<string, unknown>) => {
    writeFileSync(config, JSON.stringify({ ...original, gitops: { ...original.gitops, ...gitops } }, null, 2));
    expect(strata(ws.root, ['generate']).status).toBe(0);
  };

  // No setting makes a generated object the server refuses (they are checked before anything is
  // written); an object a person puts into an env's Flux folder beside the generated files (a
  // GitRepository with the scp-like URL Argo CD takes and Flux's CRD does not) is applied with them.
  const pasted = (env: string) => `gitops/flux/${env}/gitrepository.pasted.yaml`;
  const scp = 'git@git.example.com:platform/strata.git';

  it(
    "refuses an object of an env's Flux folder the API server refuses, at the file and line that write it",
    async () => {
      configure({ consumer: 'both' });
      for (const env of ['dev', 'staging', 'prod'])
        writeFileSync(
          join(ws.root, pasted(env)),
          `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: pasted\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ${scp}\n  ref:\n    branch: main\n`,
        );
      const r = await gate(ws.root);
      const refused = r.verified!.problems.filter((p) => p.file.startsWith('gitops/'));
      expect(refused).toStrictEqual(
        ['dev', 'prod', 'staging'].map((env) => ({
          file: pasted(env),
          line: 8,
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'GitRepository',
          namespace: 'flux-system',
          name: 'pasted',
          path: 'spec.url',
          message: `Invalid value: "${scp}": spec.url in body should match '^(http|https|ssh)://.*$'`,
          rule: 'server-rejected',
          severity: 'error',
        })),
      );
      expect(readFileSync(join(ws.root, pasted('dev')), 'utf8').split('\n')[7]).toBe(`  url: ${scp}`);
    },
    BUILD_TIMEOUT,
  );

  it(
    "applies every object of gitops/ once the object is removed, Argo CD's and Flux's, in the namespaces they name",
    async () => {
      for (const env of ['dev', 'staging', 'prod']) rmSync(join(ws.root, pasted(env)));
      const r = await gate(ws.root);
      expect(r.verified!.problems.filter((p) => p.severity === 'error')).toStrictEqual([]);
      const gitops = r.pipeline.gitops!;
      expect(gitops.folders).toStrictEqual(['dev', 'staging', 'prod'].flatMap((env) => [`gitops/${env}`, `gitops/flux/${env}`]));
      // Per env an AppProject, an ApplicationSet, a GitRepository and the app's Kustomization, at least.
      expect(gitops.resources).toBeGreaterThanOrEqual(12);
      expect(r.verified!.objects).toBe(r.pipeline.resources + gitops.resources);
    },
    BUILD_TIMEOUT,
  );
});
