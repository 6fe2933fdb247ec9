import { appendFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServers, startServer, verify, type Server } from '../src/index.ts';
import { remoteServer } from '../../validate/test/remote-trees.ts';
import { BUILD_TIMEOUT, deployment, git, lineOf, makeRepo, writeOverlays } from './helpers.ts';

// A repository with three commits: the first release, an image bump, then a changed selector.
let server: Server;
let repo: string;

beforeAll(async () => {
  server = await startServer(await ensureServers());
  repo = makeRepo({ 'dev/web': [deployment('web', 'upgrade')] });
  git(repo, 'init', '--quiet', '--initial-branch=main');
  const commit = (message: string) => {
    git(repo, 'add', '-A');
    git(repo, 'commit', '--quiet', '-m', message);
  };
  commit('first release');
  writeOverlays(repo, { 'dev/web': [deployment('web', 'upgrade', { image: 'nginx:1.28' })] });
  commit('new image');
  writeOverlays(repo, { 'dev/web': [deployment('web', 'upgrade', { image: 'nginx:1.28', selector: { app: 'web', tier: 'frontend' } })] });
  commit('new selector');
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('verify --against', () => {
  it('passes when only the image changes', async () => {
    git(repo, 'checkout', '--quiet', 'main~1');
    const result = await verify(repo, { against: 'main~2', server });
    expect(result.problems).toStrictEqual([]);
    expect(result).toMatchObject({ objects: 1, upgrades: 1 });
    expect(Object.keys(result.phases)).toStrictEqual(['read', 'build', 'crds', 'namespaces', 'apply', 'baseline', 'upgrade']);
  });

  it('reports a changed Deployment selector as an immutable field, with how to ship it', async () => {
    git(repo, 'checkout', '--quiet', 'main');
    const result = await verify(repo, { against: 'main~1', server });
    expect(result.problems).toMatchObject([
      {
        file: 'dist/dev/web.yaml',
        line: lineOf(repo, 'dist/dev/web.yaml', 'selector:'),
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'upgrade',
        name: 'web',
        path: 'spec.selector',
        rule: 'immutable-field',
        severity: 'error',
      },
    ]);
    expect(result.problems[0]!.message).toMatch(/field is immutable/);
    expect(result.problems[0]!.message).toMatch(/new metadata\.name.*or delete .* and recreate it/);
  });

  it('checks against a folder of built manifests laid out as dist/, with nothing built', async () => {
    git(repo, 'checkout', '--quiet', 'main~1');
    const earlier = join(repo, '.earlier');
    cpSync(join(repo, 'dist'), earlier, { recursive: true });
    try {
      git(repo, 'checkout', '--quiet', 'main');
      const result = await verify(repo, { against: '.earlier', server });
      expect(result.problems).toMatchObject([
        { file: 'dist/dev/web.yaml', kind: 'Deployment', name: 'web', path: 'spec.selector', rule: 'immutable-field', severity: 'error' },
      ]);
      expect(result.problems[0]!.message).toMatch(/changed since \.earlier/);
      expect(Object.keys(result.phases)).toStrictEqual(['read', 'build', 'crds', 'namespaces', 'apply', 'baseline', 'upgrade']);
    } finally {
      rmSync(earlier, { recursive: true, force: true });
    }
  });

  it('refuses a folder that holds no env folder, saying how it is laid out', async () => {
    await expect(verify(repo, { against: 'overlays/dev', server })).rejects.toThrow(
      /--against overlays\/dev: no dev\/, staging\/, prod\/ folder in it; .*<env>\/<app>\.yaml/,
    );
  });

  it('says of each overlay of the ref that does not build that its upgrade is not checked, as a warning', async () => {
    git(repo, 'checkout', '--quiet', 'main');
    git(repo, 'checkout', '--quiet', '-b', 'broken');
    // Read alike by every YAML reader, so it is kustomize that refuses it: a resource that is not there.
    appendFileSync(join(repo, 'overlays/dev/web/kustomization.yaml'), '  - missing.yaml\n');
    git(repo, 'commit', '--quiet', '-am', 'an overlay this kustomize cannot build');
    git(repo, 'checkout', '--quiet', 'main');
    try {
      // The selector main changed is not judged as an update of the broken ref: nothing was deployed first.
      const result = await verify(repo, { against: 'broken', server });
      expect(result.problems.map(({ message, ...p }) => p)).toStrictEqual([
        { file: 'overlays/dev/web', rule: 'baseline-not-built', severity: 'warning' },
      ]);
      const said = 'overlays/dev/web did not build at broken with this kustomize (';
      expect(result.problems[0]!.message).toMatch(
        /^did not build at broken with this kustomize \(.+\): its upgrade is not checked, the built output is verified as if created afresh$/,
      );
      expect(result.notes.filter((n) => n.startsWith(said))).toHaveLength(1);
    } finally {
      git(repo, 'branch', '--quiet', '-D', 'broken');
    }
  });

  it('leaves out, neither built nor fetched, each overlay of the ref that names anything kustomize would fetch, and says which field and URL', async () => {
    const remote = await remoteServer();
    const kustomization = join(repo, 'overlays/dev/web/kustomization.yaml');
    git(repo, 'checkout', '--quiet', 'main');
    git(repo, 'checkout', '--quiet', '-b', 'remote');
    appendFileSync(kustomization, `  - ${remote.url}/cm.yaml\n`);
    git(repo, 'commit', '--quiet', '-am', 'a remote resource');
    git(repo, 'checkout', '--quiet', '-b', 'merged', 'main');
    appendFileSync(kustomization, `<<: {components: [${remote.url}/cm.yaml]}\n`);
    git(repo, 'commit', '--quiet', '-am', 'a remote resource behind a merge key');
    git(repo, 'checkout', '--quiet', 'main');
    try {
      const result = await verify(repo, { against: 'remote', server });
      expect(remote.requests).toStrictEqual([]);
      const said = `was not built at remote (kustomize would fetch ${remote.url}/cm.yaml (resources[1] in overlays/dev/web/kustomization.yaml:5) over the network to build it, and verify builds offline): its upgrade is not checked, the built output is verified as if created afresh`;
      expect(result.problems).toStrictEqual([{ file: 'overlays/dev/web', message: said, rule: 'baseline-not-built', severity: 'warning' }]);
      expect(result.notes).toContain(`overlays/dev/web ${said}`);

      const merged = await verify(repo, { against: 'merged', server });
      expect(remote.requests).toStrictEqual([]);
      expect(merged.problems.map((p) => [p.file, p.rule, p.message.split(': its upgrade')[0]])).toStrictEqual([
        [
          'overlays/dev/web',
          'baseline-not-built',
          'was not built at merged (it cannot be told what kustomize would fetch over the network to build it: << in overlays/dev/web/kustomization.yaml:5: kustomize resolves this YAML merge key into the fields it merges, which are not read here as they are written; write those fields out in its place)',
        ],
      ]);
    } finally {
      git(repo, 'branch', '--quiet', '-D', 'remote', 'merged');
      await remote.close();
    }
  });

  it('counts as upgrades only the objects the ref deployed: a new app is checked as created afresh', async () => {
    git(repo, 'checkout', '--quiet', '-b', 'new-app', 'main~1');
    writeOverlays(repo, { 'dev/api': [deployment('api', 'upgrade')] });
    try {
      const result = await verify(repo, { against: 'main~1', server });
      expect(result.problems).toStrictEqual([]);
      expect(result).toMatchObject({ objects: 2, upgrades: 1 });
    } finally {
      rmSync(join(repo, 'overlays/dev/api'), { recursive: true, force: true });
      rmSync(join(repo, 'dist/dev/api.yaml'), { force: true });
      git(repo, 'checkout', '--quiet', 'main');
      git(repo, 'branch', '--quiet', '-D', 'new-app');
    }
  });

  it('refuses, before anything runs, a ref that holds no overlay at all (a docs branch, a commit before the apps)', async () => {
    git(repo, 'checkout', '--quiet', 'main');
    git(repo, 'checkout', '--quiet', '--orphan', 'docs');
    git(repo, 'rm', '-rq', '--cached', '.');
    writeFileSync(join(repo, 'README.md'), 'docs\n');
    git(repo, 'add', 'README.md');
    git(repo, 'commit', '--quiet', '-m', 'docs');
    rmSync(join(repo, 'README.md'));
    git(repo, 'checkout', '--quiet', '-f', 'main');
    try {
      const phases: string[] = [];
      await expect(verify(repo, { against: 'docs', server, onPhase: (name) => phases.push(name) })).rejects.toThrow(
        /^--against docs: docs has no overlays\/ \(no overlays\/<env>\/<app>\/kustomization\.yaml\), so there is nothing to check an upgrade from; pass .*, or leave --against out$/,
      );
      expect(phases).toStrictEqual([]);
    } finally {
      git(repo, 'branch', '--quiet', '-D', 'docs');
    }
  });

  it('refuses a ref that is not a commit', async () => {
    await expect(verify(repo, { against: 'no-such-ref', server })).rejects.toThrow(/--against no-such-ref: not a commit/);
  });
});
