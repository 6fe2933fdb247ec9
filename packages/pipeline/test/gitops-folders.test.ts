import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { repo, tempWorkspace } from '@strata/testing/workspace';
import { pipeline, pipelineFailed, type PipelineResult } from '../src/index.ts';

// gitops/ is what a person applies to bootstrap Argo CD (`kubectl apply -k gitops/<env>`) or Flux
// (`gitops/flux/<env>/`): the pipeline judges those folders as `strata validate` does, so that a
// setting whose output the API server refuses fails the run, not the bootstrap.

const ENVS = ['dev', 'prod', 'staging'] as const;

/** How many objects of gitops/ the run judged. */
const gitopsObjects = (r: PipelineResult) => r.gitops?.resources;

const inGitops = (problems: readonly Problem[]) => problems.filter((p) => p.file.startsWith('gitops/'));

describe('the gitops folders in the pipeline', () => {
  const apps = readdirSync(join(repo, 'apps')).sort();
  const ws = tempWorkspace(apps);
  afterAll(() => ws.dispose());
  const config = join(ws.root, 'strata.config.json');
  const original = JSON.parse(readFileSync(config, 'utf8')) as { gitops: Record<string, unknown> };
  const configure = (gitops: Record<string, unknown>) =>
    writeFileSync(config, JSON.stringify({ ...original, gitops: { ...original.gitops, ...gitops } }, null, 2));

  it("passes the repository's own gitops/, each env's AppProject and ApplicationSet judged as kustomize builds them", async () => {
    const r = await pipeline(ws.root);
    expect(r.built.failed).toBe(0);
    expect(inGitops(r.problems)).toStrictEqual([]);
    expect(pipelineFailed(r)).toBe(false);
    expect(r.gitops).toStrictEqual({ folders: ['gitops/dev', 'gitops/staging', 'gitops/prod'], resources: 6, reused: false });
  });

  // A repoURL pasted with its line break: Argo CD takes any text there, Flux's GitRepository CRD
  // only a URL on one line (^(http|https|ssh)://.*$), so the API server refuses the env's Flux folder.
  const refusals = () =>
    ENVS.map((env) => {
      const file = `gitops/flux/${env}/gitrepository.strata.yaml`;
      return {
        file,
        line: readFileSync(join(ws.root, file), 'utf8').split('\n').indexOf('  url: |') + 1,
        kind: 'GitRepository',
        namespace: 'flux-system',
        name: 'strata',
        path: 'spec.url',
        message: `'https://git.example.com/platform/strata.git\\n' does not match pattern '^(http|https|ssh)://.*$'`,
        rule: 'schema',
        severity: 'error',
      };
    });
  const found = (r: PipelineResult) =>
    inGitops(r.problems).map(({ file, line, kind, namespace, name, path, message, rule, severity }) => ({
      file,
      line,
      kind,
      namespace,
      name,
      path,
      message,
      rule,
      severity,
    }));

  it('fails on a setting that makes the Flux folder one the API server refuses, at the file and line that write it', async () => {
    configure({ consumer: 'both', repoURL: `${original.gitops.repoURL as string}\n` });
    const r = await pipeline(ws.root);
    expect(r.built.failed).toBe(0);
    expect(found(r)).toStrictEqual(refusals());
    expect(refusals()[0]!.line).toBeGreaterThan(0);
    expect(pipelineFailed(r)).toBe(true);
  });

  it('fails again when nothing changed, from the cache', async () => {
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(apps.length);
    expect(r.gitops?.reused).toBe(true);
    expect(found(r)).toStrictEqual(refusals());
    expect(pipelineFailed(r)).toBe(true);
  });

  it('judges the Flux folder again once the setting is mended, and passes', async () => {
    configure({ consumer: 'both' });
    const r = await pipeline(ws.root);
    expect(inGitops(r.problems)).toStrictEqual([]);
    expect(pipelineFailed(r)).toBe(false);
    expect(r.gitops?.folders).toStrictEqual(['dev', 'staging', 'prod'].flatMap((env) => [`gitops/${env}`, `gitops/flux/${env}`]));
    expect(r.gitops?.reused).toBe(false);
    // The Argo CD folders' 6 objects, and per env the GitRepository, one Kustomization per app and the Namespaces Flux creates.
    const flux = ENVS.flatMap((env) => readdirSync(join(ws.root, 'gitops', 'flux', env)));
    expect(gitopsObjects(r)).toBe(6 + flux.length);
    expect(flux.length).toBeGreaterThan(3 * (1 + apps.length) - 1);
  });
});
