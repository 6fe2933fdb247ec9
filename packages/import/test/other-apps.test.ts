import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyWorkspace, filesUnder, repo, strata } from './workspace.ts';

const APP = 'tokenplace-relay';

// An import into a workspace that holds another app, tokenplace-relay (namespace tokenplace), with
// its committed tree: what the import must not take from it.
describe('strata import beside another app', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(() => {
    ws = emptyWorkspace();
    cpSync(join(repo, 'apps', APP), join(ws.root, 'apps', APP), { recursive: true, verbatimSymlinks: true });
    cpSync(join(repo, 'base', APP), join(ws.root, 'base', APP), { recursive: true });
    for (const env of ['dev', 'staging', 'prod']) cpSync(join(repo, 'overlays', env, APP), join(ws.root, 'overlays', env, APP), { recursive: true });
  });
  afterAll(() => ws.dispose());

  /** A folder holding `yaml` as its one file, the same for every env. */
  const source = (dir: string, yaml: string) => {
    mkdirSync(join(ws.root, 'sources', dir), { recursive: true });
    writeFileSync(join(ws.root, 'sources', dir, 'objects.yaml'), yaml);
    return ['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=sources/${dir}`]);
  };
  const untouched = () => {
    expect(existsSync(join(ws.root, 'apps/nsowner'))).toBe(false);
    expect(existsSync(join(ws.root, 'base/nsowner'))).toBe(false);
    expect(Object.keys(filesUnder(ws.root, 'overlays')).every((f) => f.startsWith(`overlays/${f.split('/')[1]}/${APP}/`))).toBe(true);
    expect(existsSync(join(ws.root, 'gitops'))).toBe(false);
  };
  /** `strata import --name nsowner` of `envs`, once with each of `installs`, fails in the one line `says` and writes nothing. */
  const expectRefused = (envs: readonly string[], says: string | RegExp, installs: readonly (readonly string[])[] = [['--no-install'], []]) => {
    for (const install of installs) {
      const r = strata(ws.root, ['import', '--name', 'nsowner', ...install, ...envs]);
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      if (typeof says === 'string') expect(r.stderr.trimEnd()).toBe(says);
      else expect(r.stderr.trimEnd()).toMatch(says);
      expect(r.status).toBe(1);
      untouched();
    }
  };

  it(
    'refuses a Namespace another app deploys into, naming that app, in one line at its file and line, and writes nothing',
    { timeout: 120_000 },
    () => {
      const envs = source(
        'nsowner',
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tokenplace\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owner-cfg\n  namespace: tokenplace\ndata:\n  A: "1"\n',
      );
      expectRefused(
        envs,
        /^strata: sources\/nsowner\/objects\.yaml:1: Namespace tokenplace is the namespace of the app tokenplace-relay \(base\/tokenplace-relay\/\S+\.yaml\); leave it out of the import \(Strata creates each app's namespace\) or move tokenplace-relay to another namespace; nothing was written$/,
      );
    },
  );

  it('refuses objects in the namespace where Argo CD runs, in one line at their file and line, and writes nothing', { timeout: 120_000 }, () => {
    const envs = source('gitops-cfg', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-extra\n  namespace: argocd\ndata:\n  A: "1"\n');
    expectRefused(
      envs,
      /^strata: sources\/gitops-cfg\/objects\.yaml:1: v1\/ConfigMap argocd\/argocd-extra would be in the namespace "argocd", where Argo CD runs \(the default of gitops\.argocdNamespace\); .*give its objects a namespace of their own; nothing was written$/,
      [['--no-install']],
    );
  });

  it('refuses an object another app holds too, with or without --no-install, in one line, and writes nothing', { timeout: 120_000 }, () => {
    const envs = source(
      'clash',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: tokenplace\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n',
    );
    expectRefused(
      envs,
      'strata: overlays/dev/kustomization.yaml, overlays/staging/kustomization.yaml, overlays/prod/kustomization.yaml: networking.k8s.io/v1/NetworkPolicy tokenplace default-deny is in both tokenplace-relay and the imported nsowner; kustomize cannot build the env with both: leave it out of the import, or rename or remove it in tokenplace-relay; nothing was written',
    );
  });

  it('refuses a --name whose files git ignores, saying which rule, in one line', { timeout: 120_000 }, () => {
    cpSync(join(repo, '.gitignore'), join(ws.root, '.gitignore'));
    expect(spawnSync('git', ['init', '-q'], { cwd: ws.root }).status).toBe(0);
    try {
      const envs = source('dist', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dist-cfg\n  namespace: dist\ndata:\n  A: "1"\n');
      const r = strata(ws.root, ['import', '--name', 'dist', '--no-install', ...envs]);
      expect(r.stderr.trimEnd()).toBe(
        "strata: --name dist: git ignores apps/dist/ (.gitignore:5: dist/), so the app's files would never be committed while the env roots, package.json and gitops/ that list it are; pick another --name",
      );
      expect(r.status).toBe(2);
      expect(existsSync(join(ws.root, 'apps/dist'))).toBe(false);
      expect(existsSync(join(ws.root, 'gitops'))).toBe(false);
    } finally {
      rmSync(join(ws.root, '.git'), { recursive: true, force: true });
      rmSync(join(ws.root, '.gitignore'));
    }
  });
});
