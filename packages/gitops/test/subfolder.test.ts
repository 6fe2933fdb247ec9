import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '@strata/core';
import { UsageError } from '@strata/project';
import { loadSettings, parseSettings, planGitops, type GitopsSettings } from '../src/index.ts';
import { deployment, writeRepo } from './repo.ts';

// Argo CD and Flux read every path from the top folder of the repository they clone; a workspace in
// a subfolder of it (deploy/, the usual monorepo layout) says so with gitops.path.

const settings = { repoURL: 'https://git.example.test/team/mono.git', targetRevision: 'main' };
type Obj = Record<string, unknown> & { spec: Record<string, unknown> };

describe('a workspace in a subfolder of its git repository', () => {
  let top: string;
  let ws: string;
  const git = (...args: string[]) => spawnSync('git', args, { cwd: top, encoding: 'utf8' });
  const configure = (dir: string, gitops: Record<string, unknown>) =>
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ gitops: { ...settings, ...gitops } }));

  beforeAll(() => {
    top = mkdtempSync(join(tmpdir(), 'strata-mono-'));
    ws = join(top, 'deploy');
    mkdirSync(ws);
    writeRepo(ws, { web: { objects: [deployment('web')], namespace: (env) => `web-${env}` } });
    mkdirSync(join(ws, 'apps', 'web'), { recursive: true });
    writeFileSync(join(ws, 'apps', 'web', 'app.ts'), '\n');
    writeFileSync(join(top, 'README.md'), 'mono\n');
    expect(git('init', '-q').status).toBe(0);
  });
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  it('is refused in one line naming the setting and the value to set, until gitops.path names the folder', () => {
    configure(ws, {});
    expect(() => loadSettings(ws)).toThrow(UsageError);
    expect(() => loadSettings(ws)).toThrow(
      `strata.config.json: gitops.path: the workspace is the folder deploy/ of its git repository, and Argo CD and Flux read the paths in gitops/ from the repository's top folder; set "path": "deploy", or make the workspace a repository of its own (git init) if it is not deployed from that one`,
    );
    // A repository of its own, as the refusal offers: its top folder, nothing to set.
    expect(spawnSync('git', ['init', '-q'], { cwd: ws }).status).toBe(0);
    expect(loadSettings(ws)).toStrictEqual(settings);
    rmSync(join(ws, '.git'), { recursive: true, force: true });
    configure(ws, { path: 'elsewhere' });
    expect(() => loadSettings(ws)).toThrow(
      `strata.config.json: gitops.path: "elsewhere", but the workspace is the folder deploy/ of its git repository; set "path": "deploy"`,
    );
    for (const path of ['deploy', 'deploy/']) {
      configure(ws, { path });
      expect(loadSettings(ws)).toStrictEqual({ ...settings, path: 'deploy' });
    }
    configure(top, { path: 'deploy' });
    expect(() => loadSettings(top)).toThrow(
      `strata.config.json: gitops.path: "deploy", but the workspace is the top folder of its git repository; remove path`,
    );
    configure(top, { path: '' });
    expect(loadSettings(top)).toStrictEqual(settings);
    rmSync(join(top, 'strata.config.json'));
  });

  it.each(['../deploy', '/deploy', './deploy', 'a//b', 3])('refuses a gitops.path that is no folder of the repository (%j)', (path) => {
    expect(() => parseSettings({ ...settings, path })).toThrow(
      `gitops.path: ${JSON.stringify(path)} is not a folder of the repository; write the workspace's folder from the repository's top, e.g. "deploy" (git rev-parse --show-prefix there), or "" for the top folder`,
    );
  });

  it.each([
    ['de*ploy', 'holds "*", which'],
    ['a/b?/c', 'holds "?", which'],
    ['[x]', 'holds "[", "]", which'],
    ['tab\tbed', 'holds a control character'],
  ])('refuses a gitops.path whose name gitops/ cannot hold (%j)', (path, why) => {
    expect(() => parseSettings({ ...settings, path })).toThrow(
      `gitops.path: ${JSON.stringify(path)} is not a folder of the repository: its name ${why}`,
    );
  });

  it("gets every path of gitops/ from the repository's top: the generator's directories, Flux's paths and what its artifact keeps", () => {
    const both: GitopsSettings = { ...settings, consumer: 'both', path: 'deploy' };
    const files = planGitops(ws, both, ['web']);
    for (const env of ENVIRONMENTS) {
      const set = parse(files.get(`gitops/${env}/applicationset.strata-${env}.yaml`)!) as Obj;
      const [generator] = set.spec.generators as { git: { directories: { path: string }[] } }[];
      expect(generator!.git.directories).toStrictEqual([{ path: `deploy/overlays/${env}/*` }]);
      // The folders that glob matches in the repository are the overlays.
      expect(existsSync(join(top, `deploy/overlays/${env}/web/kustomization.yaml`))).toBe(true);
      const kustomization = parse(files.get(`gitops/flux/${env}/kustomization.web-${env}.yaml`)!) as Obj;
      expect(kustomization.spec.path).toBe(`./deploy/overlays/${env}/web`);
      expect(existsSync(join(top, kustomization.spec.path as string, 'kustomization.yaml'))).toBe(true);
    }
    const source = parse(files.get('gitops/flux/dev/gitrepository.strata.yaml')!) as Obj;
    expect(source.spec.ignore).toBe('/*\n!/deploy/\n/deploy/*\n!/deploy/base/\n!/deploy/overlays/\n');
    // Flux reads ignore as .gitignore rules: git says which files of the repository the artifact keeps.
    writeFileSync(join(top, '.sourceignore'), source.spec.ignore as string);
    const candidates = [
      'README.md',
      'deploy/strata.config.json',
      'deploy/apps/web/app.ts',
      'deploy/base/web/kustomization.yaml',
      'deploy/base/web/objects.yaml',
      ...ENVIRONMENTS.map((env) => `deploy/overlays/${env}/web/kustomization.yaml`),
    ];
    const ignored = git('-c', 'core.excludesFile=.sourceignore', 'check-ignore', '--no-index', ...candidates);
    expect(ignored.stdout.trim().split('\n').sort()).toStrictEqual(['README.md', 'deploy/apps/web/app.ts', 'deploy/strata.config.json']);
  });

  it('keeps the paths of a workspace at the top of its repository as they were', () => {
    const files = planGitops(ws, { ...settings, consumer: 'both' }, ['web']);
    const source = parse(files.get('gitops/flux/dev/gitrepository.strata.yaml')!) as Obj;
    expect(source.spec.ignore).toBe('/*\n!/base/\n!/overlays/\n');
    expect((parse(files.get('gitops/flux/prod/kustomization.web-prod.yaml')!) as Obj).spec.path).toBe('./overlays/prod/web');
  });
});

describe('a workspace in a subfolder whose name holds a space or letters beyond ASCII', () => {
  const folder = 'my déploy';
  let top: string;
  let ws: string;
  const git = (...args: string[]) => spawnSync('git', args, { cwd: top, encoding: 'utf8' });
  const configure = (gitops: Record<string, unknown>) =>
    writeFileSync(join(ws, 'strata.config.json'), JSON.stringify({ gitops: { ...settings, ...gitops } }));

  beforeAll(() => {
    top = mkdtempSync(join(tmpdir(), 'strata-mono-'));
    ws = join(top, folder);
    mkdirSync(ws);
    writeRepo(ws, { web: { objects: [deployment('web')], namespace: (env) => `web-${env}` } });
    writeFileSync(join(top, 'README.md'), 'mono\n');
    expect(git('init', '-q').status).toBe(0);
  });
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  it('takes the folder the refusal names as gitops.path, and every path of gitops/ finds the overlays there', () => {
    configure({});
    expect(() => loadSettings(ws)).toThrow(`; set "path": ${JSON.stringify(folder)}`);
    configure({ path: folder });
    const loaded = loadSettings(ws);
    expect(loaded).toStrictEqual({ ...settings, path: folder });
    const files = planGitops(ws, { ...loaded, consumer: 'both' }, ['web']);
    const set = parse(files.get('gitops/dev/applicationset.strata-dev.yaml')!) as Obj;
    const [generator] = set.spec.generators as { git: { directories: { path: string }[] } }[];
    expect(generator!.git.directories).toStrictEqual([{ path: `${folder}/overlays/dev/*` }]);
    const kustomization = parse(files.get('gitops/flux/dev/kustomization.web-dev.yaml')!) as Obj;
    expect(kustomization.spec.path).toBe(`./${folder}/overlays/dev/web`);
    expect(existsSync(join(top, kustomization.spec.path as string, 'kustomization.yaml'))).toBe(true);
    const source = parse(files.get('gitops/flux/dev/gitrepository.strata.yaml')!) as Obj;
    writeFileSync(join(top, '.sourceignore'), source.spec.ignore as string);
    const candidates = [
      'README.md',
      `${folder}/strata.config.json`,
      `${folder}/base/web/kustomization.yaml`,
      `${folder}/overlays/dev/web/kustomization.yaml`,
    ];
    const ignored = git('-c', 'core.quotePath=false', '-c', 'core.excludesFile=.sourceignore', 'check-ignore', '--no-index', ...candidates);
    expect(ignored.stdout.trim().split('\n').sort()).toStrictEqual(['README.md', `${folder}/strata.config.json`]);
  });

  it('is told to move when its folder holds a character no gitops.path can', () => {
    const odd = join(top, 'de*ploy');
    mkdirSync(odd);
    writeFileSync(join(odd, 'strata.config.json'), JSON.stringify({ gitops: settings }));
    expect(() => loadSettings(odd)).toThrow(
      `strata.config.json: gitops.path: the workspace is the folder de*ploy/ of its git repository, whose name holds "*", which Argo CD's directory pattern and Flux's ignore rules read as a wildcard; rename the folder, or move the workspace to one whose path holds no such character`,
    );
  });
});
