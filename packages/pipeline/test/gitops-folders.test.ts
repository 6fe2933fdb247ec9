import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  // A setting is checked before anything is written (a repoURL with a line break is refused there);
  // what else a person puts into an env's Flux folder (a GitRepository of their own beside the
  // generated files, with the scp-like URL Argo CD takes and Flux's CRD does not) is applied with it
  // and judged with it.
  const pasted = (env: string) => `gitops/flux/${env}/gitrepository.pasted.yaml`;
  const scp = 'git@git.example.com:platform/strata.git';
  const paste = () => {
    for (const env of ENVS) {
      mkdirSync(join(ws.root, 'gitops', 'flux', env), { recursive: true });
      writeFileSync(
        join(ws.root, pasted(env)),
        `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: pasted\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ${scp}\n  ref:\n    branch: main\n`,
      );
    }
  };
  const refusals = () =>
    ENVS.map((env) => ({
      file: pasted(env),
      line: 8,
      kind: 'GitRepository',
      namespace: 'flux-system',
      name: 'pasted',
      path: 'spec.url',
      message: `'${scp}' does not match pattern '^(http|https|ssh)://.*$'`,
      rule: 'schema',
      severity: 'error',
    }));
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

  it('refuses a repoURL with a line break before anything is written, in one line naming the setting', async () => {
    configure({ consumer: 'both', repoURL: `${original.gitops.repoURL as string}\n` });
    await expect(pipeline(ws.root)).rejects.toThrow(
      `strata.config.json: gitops.repoURL: ${JSON.stringify(`${original.gitops.repoURL as string}\n`)} is not a git URL`,
    );
    expect(readdirSync(join(ws.root, 'gitops'))).toStrictEqual(['dev', 'prod', 'staging']);
  });

  it("fails on an object of an env's Flux folder the API server refuses, at the file and line that write it", async () => {
    configure({ consumer: 'both' });
    paste();
    const r = await pipeline(ws.root);
    expect(r.built.failed).toBe(0);
    expect(found(r)).toStrictEqual(refusals());
    expect(readFileSync(join(ws.root, pasted('dev')), 'utf8').split('\n')[7]).toBe(`  url: ${scp}`);
    expect(pipelineFailed(r)).toBe(true);
  });

  // The verdict on a folder is remembered for the bytes of every file its check read, those Strata
  // did not write too: nothing changed, it stands, and fails the run again.
  it('fails again when nothing changed, with the verdict on the file Strata did not write', async () => {
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(apps.length);
    expect(r.gitops?.reused).toBe(true);
    expect(found(r)).toStrictEqual(refusals());
    expect(pipelineFailed(r)).toBe(true);
  });

  it('judges the Flux folder again once the object is removed, and passes', async () => {
    for (const env of ENVS) rmSync(join(ws.root, pasted(env)));
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

  // The verdict a passing run kept stands for the files it read: a file put into a Flux folder after
  // it, with nothing else changed, is read and judged.
  it('judges the Flux folder again when a file Strata did not write is put there after a passing run', async () => {
    const passing = await pipeline(ws.root);
    expect(passing.gitops?.reused).toBe(true);
    expect(pipelineFailed(passing)).toBe(false);
    paste();
    try {
      const r = await pipeline(ws.root);
      expect(r.gitops?.reused).toBe(false);
      expect(found(r)).toStrictEqual(refusals());
      expect(pipelineFailed(r)).toBe(true);
    } finally {
      for (const env of ENVS) rmSync(join(ws.root, pasted(env)));
    }
  });
});
