import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { goProxy, REAL_MODULE, scratchGo, tamperedZip } from '../../schemas/test/go-proxy.ts';
import { editFile, repo, strata, suiteWorkspace } from '@strata/testing/workspace';

// Refusals only: they write nothing, so they run against the repository itself. What crd add
// writes is proven in packages/crds.
describe('strata crd through the real CLI', () => {
  const { dir } = suiteTempDir('strata-crd-cli-');

  it('a file that does not exist is a usage error, exit 2, in one line', () => {
    const r = strata(repo, ['crd', 'add', join(dir, 'missing.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toStrictEqual([
      `strata: crd add ${join(dir, 'missing.yaml')}: no such file; name a CRD YAML file, a folder of them, or a Go module as <module>@<version> [folder]`,
    ]);
  });

  it('a broken CRD is invalid input, exit 1, and nothing is written', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets\nspec:\n  group: toys.example.com\n  names: {kind: Gadget, plural: gadgets}\n  versions: []\n',
    );
    const r = strata(repo, ['crd', 'add', file]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('must be named gadgets.toys.example.com (<plural>.<group>)');
    expect(existsSync(join(repo, 'crds', 'toys.example.com_gadgets.yaml'))).toBe(false);
  });

  it('a version name the API server refuses is invalid input, exit 1, in one line naming the file, the field and the fix, and nothing is written', () => {
    const file = join(dir, 'versions.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: apiextensions.k8s.io/v1',
        'kind: CustomResourceDefinition',
        'metadata:',
        '  name: gadgets.toys.example.com',
        'spec:',
        '  group: toys.example.com',
        '  scope: Namespaced',
        '  names: {kind: Gadget, plural: gadgets}',
        '  versions:',
        '    - {name: V1_beta, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}',
        '',
      ].join('\n'),
    );
    const r = strata(repo, ['crd', 'add', file]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toStrictEqual([
      `strata: ${file}: CustomResourceDefinition gadgets.toys.example.com: spec.versions[0].name: "V1_beta" must be a DNS-1035 label ` +
        '(lower-case letters, digits and "-", starting with a letter and ending with a letter or digit, at most 63 characters), as the API server requires; ' +
        'rename the version (it is the version of the API path and of the schema file), such as "v1-beta"',
    ]);
    expect(existsSync(join(repo, 'crds', 'toys.example.com_gadgets.yaml'))).toBe(false);
    expect(existsSync(join(repo, 'crds', 'schemas', 'toys.example.com'))).toBe(false);
  });

  it('a Go module whose zip does not match the checksum database is refused in one line naming it, exit 2, and nothing is written', async () => {
    const { module, version } = REAL_MODULE;
    const file = 'scripts/fixtures/prometheus-operator-0prometheusCustomResourceDefinition.yaml';
    const proxy = await goProxy({ [`/${module}/@v/${version}.zip`]: tamperedZip(file, '# one more line\n') });
    const go = scratchGo();
    try {
      // The real command, as a user runs it with GOPROXY set, and with the check turned off as far as the environment can.
      const env = {
        ...process.env,
        FORCE_COLOR: '0',
        GOPROXY: proxy.url,
        GOMODCACHE: go.modCache,
        GOPATH: go.gopath,
        GONOSUMDB: module,
        GOSUMDB: 'off',
      };
      // Not spawnSync: the proxy answers from this process.
      const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
        const child = spawn(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'crd', 'add', `${module}@${version}`, 'scripts/fixtures'], {
          cwd: repo,
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => done({ status, stderr }));
      });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /^strata: crd add github\.com\/yannh\/kubeconform@v0\.7\.0 scripts\/fixtures: github\.com\/yannh\/kubeconform@v0\.7\.0 does not match the checksum database: .*; refused\n$/,
      );
      expect(r.status).toBe(2);
      expect(existsSync(join(repo, 'crds', 'monitoring.coreos.com_prometheuses.yaml'))).toBe(false);
    } finally {
      await proxy.close();
      go.dispose();
    }
  }, 60_000);

  it('removing a group that was never added names the added ones, exit 2', () => {
    const r = strata(repo, ['crd', 'remove', 'nothing.example.com']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^strata: crd remove nothing\.example\.com: no CRD added with that group or name; added groups: .+\n$/);
  });

  it('a shipped group cannot be removed', () => {
    const r = strata(repo, ['crd', 'remove', 'gateway.networking.k8s.io']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Strata ships these CRDs');
  });

  it.skipIf(existsSync(join(repo, 'crds')))('ls with no CRD added prints no rows and says so on stderr', () => {
    const r = strata(repo, ['crd', 'ls']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('no CRDs added; add one with `strata crd add <file | module@version folder>`\n');
  });

  it('ls -o json prints what was added as JSON', () => {
    const r = strata(repo, ['crd', 'ls', '-o', 'json']);
    expect(r.status).toBe(0);
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
  });
});

describe('strata crd remove of a CRD an app uses', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);
  const widgets = join(repo, 'packages/crds/__fixtures__/widgets.yaml');
  const render = () => join(ws.root, 'apps/tokenplace-relay/src/render.ts');
  const widget = () => join(ws.root, 'base/tokenplace-relay/widget.w.yaml');

  it('is refused in one line naming the app file that imports its model or the committed file that holds one, exit 1, and nothing is removed', () => {
    expect(strata(ws.root, ['crd', 'add', widgets, '--no-models']).status).toBe(0);
    const kept = join(ws.root, 'crds/toys.example.com_widgets.yaml');
    expect(existsSync(kept)).toBe(true);
    const refused = (target: string, users: string) => {
      const r = strata(ws.root, ['crd', 'remove', target]);
      expect(r.stderr.trimEnd()).toBe(
        `strata: crd remove ${target}: widgets.toys.example.com is used by ${users}; remove those objects and imports first (the apps would no longer compile, and their committed objects would have no schema or CRD), then run crd remove again`,
      );
      expect(r.status).toBe(1);
      expect(existsSync(kept)).toBe(true);
    };
    const source = editFile(render(), (t) => `import { Widget } from '@strata/crd-models/toys.example.com/v1/Widget';\n${t}`);
    refused('toys.example.com', 'apps/tokenplace-relay/src/render.ts (Widget)');
    writeFileSync(render(), source);
    writeFileSync(widget(), 'apiVersion: toys.example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: tokenplace\nspec:\n  size: 2\n');
    refused('widgets.toys.example.com', 'base/tokenplace-relay/widget.w.yaml (Widget)');
    rmSync(widget());
    const r = strata(ws.root, ['crd', 'remove', 'toys.example.com']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(kept)).toBe(false);
  });
});

describe('strata crd add on a machine whose server field checks are not built', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);
  const { dir: empty } = suiteTempDir('strata-no-servers-');
  const widgets = join(repo, 'packages/crds/__fixtures__/widgets.yaml');

  it("adds the CRD judged by its strict schema and says in one line that the API server's checks were skipped and how to build them", () => {
    const r = strata(ws.root, ['crd', 'add', widgets, '--no-models'], undefined, {
      STRATA_SERVER_CACHE: empty,
      STRATA_SERVER_VALIDATION: '',
      CI: '',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.split('\n')).toStrictEqual([
      "crd add: the API server's checks of the CRDs were skipped, as the server field checks are not built yet; run `node scripts/install-servers.mjs server-validation` (minutes, once per machine) and crd add again to have them run",
      '',
    ]);
    expect(r.stdout).toMatch(/^added widgets\.toys\.example\.com \(Widget v1, v1beta1\)\n/);
    expect(existsSync(join(ws.root, 'crds/toys.example.com_widgets.yaml'))).toBe(true);
  });
});
