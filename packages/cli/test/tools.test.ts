import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { repo } from '@strata/testing/workspace';

/** Copies into `dir` all that setup reads of a checkout: its script and the root package.json. */
function copySetup(dir: string): void {
  mkdirSync(join(dir, 'scripts'));
  for (const script of ['setup.mjs', 'install-state.mjs']) cpSync(join(repo, 'scripts', script), join(dir, 'scripts', script));
  cpSync(join(repo, 'package.json'), join(dir, 'package.json'));
}

describe('missing tools', () => {
  const { dir } = suiteTempDir('strata-tools-');

  it('setup without Go and without kubeconform on PATH stops with exit 2 and says what to install', () => {
    copySetup(dir);
    // A PATH with node but neither go nor kubeconform: the machine of a user who has not installed them.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const r = spawnSync(process.execPath, [join(dir, 'scripts/setup.mjs'), '--tools-only'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: bin, HOME: dir },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/setup: error: kustomize v5\.8\.1 and kubeconform v0\.7\.0 not found\. Install Go 1\.26 or newer/);
  });

  it('a kustomize that cannot be found is a tool error (exit 2) with the install hint', () => {
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'build', '--app', 'tokenplace-relay'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, STRATA_KUSTOMIZE: join(dir, 'no-such-kustomize') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/strata: STRATA_KUSTOMIZE=.*no-such-kustomize does not exist: run `npm run build`/);
  });

  it('a kustomize that cannot be found outside any workspace names the Strata checkout whose setup installs it', () => {
    // A kustomization in a folder that is no workspace, validated from there.
    const folder = join(dir, 'kust');
    mkdirSync(folder);
    writeFileSync(join(folder, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n');
    writeFileSync(join(folder, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n');
    const missing = join(dir, 'no-such-kustomize');
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'validate', '--no-policy', 'kust'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, STRATA_KUSTOMIZE: missing },
    });
    expect(r.stderr.trim().split('\n')).toStrictEqual([
      `strata: STRATA_KUSTOMIZE=${missing} does not exist: run \`npm run build\` in ${repo} (its setup builds kustomize v5.8.1 into .tools/bin with Go), ` +
        `or \`GOBIN=${join(repo, '.tools', 'bin')} go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.1\``,
    ]);
    expect(r.status).toBe(2);
  });

  it('a kubeconform that cannot be found is a tool error (exit 2) with the install hint', () => {
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'validate', file], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, STRATA_KUBECONFORM: join(dir, 'no-such-kubeconform') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^strata: .*kubeconform.*go install -ldflags=-X=main\.version=v0\.7\.0 github\.com\/yannh\/kubeconform\/cmd\/kubeconform@v0\.7\.0/m,
    );
  });

  it('validate outside any workspace judges the files with the tools of the Strata checkout, as verify does', () => {
    // A folder outside any workspace, with no tools of its own, and no kubeconform on PATH.
    const file = join(dir, 'es.yaml');
    writeFileSync(
      file,
      'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: tls\n  namespace: default\nspec:\n  secretStoreRef: {kind: ClusterSecretStore, name: s}\n  target: {name: tls, template: {type: kubernetes.io/tls, metadatas: {}}}\n',
    );
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: dirname(process.execPath), CI: '' };
    delete env.STRATA_KUBECONFORM;
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'validate', '--no-policy', 'es.yaml'], {
      cwd: dir,
      encoding: 'utf8',
      env,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe(
      'es.yaml:8: external-secrets.io/v1/ExternalSecret default/tls: spec.target.template.metadatas: unknown field (not in the schema); check its spelling and indentation [schema]',
    );
    expect(r.status).toBe(1);
  });
});

describe('pinned tools', () => {
  const { dir } = suiteTempDir('strata-tools-');

  it('setup rebuilds a kubeconform built without its version, so -v prints v0.7.0', () => {
    copySetup(dir);
    const bin = join(dir, '.tools/bin');
    mkdirSync(bin, { recursive: true });
    cpSync(join(repo, '.tools/bin/kustomize'), join(bin, 'kustomize'));
    // Offline: the module and the build come from Go's caches, as after the first setup (GOPROXY=off
    // would refuse the deprecation lookup that go install makes; the module cache answers it).
    const modcache = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).stdout.trim();
    const env = { ...process.env, GOPROXY: `file://${modcache}/cache/download`, GOFLAGS: '-trimpath', CGO_ENABLED: '0' };
    // What an older setup left: the pinned module, built without the linker flag.
    const old = spawnSync('go', ['install', 'github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0'], {
      env: { ...env, GOBIN: bin },
      encoding: 'utf8',
    });
    expect(old.stderr).toBe('');
    const version = () => spawnSync(join(bin, 'kubeconform'), ['-v'], { encoding: 'utf8' }).stdout.trim();
    expect(version()).toBe('development');

    const setup = () => spawnSync(process.execPath, [join(dir, 'scripts/setup.mjs'), '--tools-only'], { cwd: dir, encoding: 'utf8', env });
    const first = setup();
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^setup: kubeconform v0\.7\.0 built in /m);
    expect(first.stdout).not.toMatch(/kustomize v5\.8\.1 built/);
    expect(version()).toBe('v0.7.0');

    // Current now: a second run builds nothing.
    const second = setup();
    expect(second.status).toBe(0);
    expect(second.stdout).not.toMatch(/built in/);
  });
});

describe('the install setup checks', () => {
  const { dir } = suiteTempDir('strata-install-');

  it("finds an app's install missing though the package files hash as installed: remove-app, then a branch switch that brings the app back", async () => {
    // Imported by path: it is the setup script's own module, which runs before anything is installed.
    const { missingInstall } = (await import(join(repo, 'scripts/install-state.mjs'))) as { missingInstall: (root: string) => string[] };
    expect(missingInstall(repo)).toStrictEqual([]);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ devDependencies: { '@strata-apps/web': 'workspace:*', vitest: '^4' } }));
    mkdirSync(join(dir, 'apps/web/node_modules'), { recursive: true });
    writeFileSync(
      join(dir, 'apps/web/package.json'),
      JSON.stringify({ name: '@strata-apps/web', dependencies: { 'kubernetes-models': 'catalog:' } }),
    );
    mkdirSync(join(dir, 'packages/empty'), { recursive: true });
    writeFileSync(join(dir, 'packages/empty/package.json'), JSON.stringify({ name: '@strata/empty' }));
    mkdirSync(join(dir, 'node_modules/@strata-apps'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/.modules.yaml'), '{}\n');
    symlinkSync(join(dir, 'apps/web'), join(dir, 'node_modules/@strata-apps/web'));
    expect(missingInstall(dir)).toStrictEqual([]);
    // What remove-app takes away and git does not bring back (ignored files).
    rmSync(join(dir, 'node_modules/@strata-apps/web'));
    rmSync(join(dir, 'apps/web/node_modules'), { recursive: true });
    expect(missingInstall(dir)).toStrictEqual(['node_modules/@strata-apps/web', 'apps/web/node_modules']);
  });
});
