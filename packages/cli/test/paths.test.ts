import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sizeCrd } from '../../verify/test/helpers.ts';
import { tempWorkspace, type Run } from '@strata/testing/workspace';

// A person in a subfolder (apps/<app>/, say) names files from there, as kubectl and kustomize take
// them: every command that takes a path reads it from the folder it runs in, and names it as typed.

// On a fresh clone verify builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;
const APP = 'tokenplace-relay';

/** The workspace's own `strata`, run in `cwd` (a folder inside the workspace). */
function strataIn(root: string, cwd: string, args: readonly string[]): Run {
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', CI: 'true' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const UNKNOWN_FIELD = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  colour: blue\ndata:\n  a: "1"\n';

describe('paths are named from the folder strata runs in', () => {
  const ws = tempWorkspace([APP]);
  const here = join(ws.root, 'apps', APP);
  const run = (args: readonly string[]) => strataIn(ws.root, here, args);
  beforeAll(() => {
    expect(strataIn(ws.root, ws.root, ['generate']).status).toBe(0);
    expect(strataIn(ws.root, ws.root, ['build']).status).toBe(0);
    writeFileSync(join(here, 'settings.yaml'), UNKNOWN_FIELD);
    mkdirSync(join(here, 'more'));
    writeFileSync(join(here, 'more', 'settings.yaml'), UNKNOWN_FIELD);
    // An earlier build kept beside the app, laid out as dist/.
    cpSync(join(ws.root, 'dist'), join(here, 'previous'), { recursive: true });
  }, 120_000);
  afterAll(() => ws.dispose());

  it('validate reads a file and a folder named from a subfolder, and names them as typed', () => {
    const r = run(['validate', './settings.yaml', './more']);
    const lines = r.stdout.split('\n').filter((l) => l.includes('[schema]'));
    expect(lines).toStrictEqual(
      ['more/settings.yaml', './settings.yaml'].map(
        (file) => `${file}:5: v1/ConfigMap settings: metadata.colour: unknown field (not in the schema); check its spelling and indentation [schema]`,
      ),
    );
    expect(r.status).toBe(1);
    const json = JSON.parse(run(['validate', 'settings.yaml', '-o', 'json']).stdout) as { problems: { file: string; resource: string }[] };
    expect(json.problems.map((p) => [p.file, p.resource])).toStrictEqual([['settings.yaml', 'settings.yaml#0']]);
  });

  it('validate names files typed with ./ or ../ exactly as typed, as kubectl -f does', () => {
    const r = run(['validate', '-o', 'json', './settings.yaml', `../${APP}/more/settings.yaml`]);
    const json = JSON.parse(r.stdout) as { problems: { file: string; line: number }[] };
    expect(json.problems.map((p) => [p.file, p.line])).toStrictEqual([
      [`../${APP}/more/settings.yaml`, 5],
      ['./settings.yaml', 5],
    ]);
    expect(r.status).toBe(1);
  });

  it('validate names a file and a folder of the repository typed as absolute paths by those paths, not from the root', () => {
    const r = run(['validate', join(here, 'settings.yaml'), join(here, 'more')]);
    const lines = r.stdout.split('\n').filter((l) => l.includes('[schema]'));
    expect(lines).toStrictEqual(
      [join(here, 'more', 'settings.yaml'), join(here, 'settings.yaml')].map(
        (file) => `${file}:5: v1/ConfigMap settings: metadata.colour: unknown field (not in the schema); check its spelling and indentation [schema]`,
      ),
    );
    expect(r.status).toBe(1);
  });

  it("validate knows built output named from a subfolder: its env's version and the app's policy", () => {
    const r = run(['validate', `../../dist/prod/${APP}.yaml`]);
    expect(r.stdout).toMatch(/^validate: 1 app x 1 env: No problems in \d+ resources/m);
    expect(r.status).toBe(0);
  });

  it('validate names the Service that holds a node port in the file named from a subfolder by its line, not by another name of the file', () => {
    mkdirSync(join(ws.root, 'elsewhere'), { recursive: true });
    const service = (name: string) =>
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  type: NodePort\n  selector: {app: ${name}}\n  ports:\n    - name: http\n      port: 80\n      nodePort: 30200\n`;
    writeFileSync(join(ws.root, 'elsewhere', 'services.yaml'), `${service('first')}---\n${service('second')}`);
    const r = run(['validate', '--no-policy', '../../elsewhere/services.yaml']);
    expect(r.stdout.split('\n').filter((l) => l.includes('already allocated'))).toStrictEqual([
      '../../elsewhere/services.yaml:25: v1/Service shop/second: spec.ports[0].nodePort: Invalid value: 30200: provided port is already allocated (to Service shop/first, line 12 of this file, applied first: the cluster creates that one and refuses this one; a dry run lets both through) [server-validation]',
    ]);
    expect(r.status).toBe(1);
  });

  it('validate names a missing file as typed, exit 2', () => {
    const r = run(['validate', 'nothing-here.yaml']);
    expect(r.stderr.trim()).toBe('strata: nothing-here.yaml: no such file or folder');
    expect(r.status).toBe(2);
  });

  it(
    "verify --against a folder named from a subfolder, with the apps' built output",
    () => {
      const r = run(['verify', '--env', 'dev', '--against', 'previous']);
      expect(r.stderr).not.toMatch(/not a commit/);
      expect(r.stdout).toMatch(/^verify: No problems in \d+ resources/m);
      expect(r.status).toBe(0);
      const missing = run(['verify', '--env', 'dev', '--against', 'previous/dev']);
      expect(missing.stderr).toMatch(/^strata: --against previous\/dev: no dev\/ folder in it;/m);
      expect(missing.status).toBe(2);
    },
    BUILD_TIMEOUT,
  );

  it(
    'verify of named files, --against a folder, both named from a subfolder',
    () => {
      const r = run(['verify', '--against', 'previous/dev', `../../dist/dev/${APP}.yaml`]);
      expect(r.stdout).toMatch(/^verify: No problems in \d+ resources/m);
      expect(r.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it('import reads a Kustomize layout and --env sources named from a subfolder', { timeout: 180_000 }, () => {
    const legacy = join(ws.root, 'legacy');
    for (const env of ['dev', 'staging', 'prod']) {
      mkdirSync(join(legacy, 'shop', 'overlays', env), { recursive: true });
      writeFileSync(
        join(legacy, 'shop', 'overlays', env, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop-${env}\nresources:\n  - ../../base\n`,
      );
      mkdirSync(join(legacy, 'flat', env), { recursive: true });
      writeFileSync(
        join(legacy, 'flat', env, 'settings.yaml'),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flat-settings\n  namespace: flat-${env}\ndata:\n  level: ${env}\n`,
      );
    }
    mkdirSync(join(legacy, 'shop', 'base'));
    writeFileSync(join(legacy, 'shop', 'base', 'kustomization.yaml'), 'resources:\n  - settings.yaml\n');
    writeFileSync(
      join(legacy, 'shop', 'base', 'settings.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-settings\ndata:\n  colour: blue\n',
    );
    const layout = strataIn(ws.root, legacy, ['import', 'shop', '--name', 'shop', '--no-install']);
    expect(layout.stderr).not.toMatch(/has no overlays/);
    expect(layout.stdout).toMatch(/^import: apps\/shop builds to its sources in every env/m);
    expect(layout.status).toBe(0);
    const envs = ['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=flat/${e}`]);
    const flat = strataIn(ws.root, legacy, ['import', '--name', 'flat', '--no-install', ...envs]);
    // shop, imported without the install, cannot be loaded yet: gitops/ is planned from its committed overlays.
    expect(flat.stderr).not.toMatch(/gitops\//);
    expect(flat.stdout).toMatch(/^import: apps\/flat builds to its sources in every env/m);
    expect(flat.status).toBe(0);
    const missing = strataIn(ws.root, legacy, ['import', 'nowhere', '--name', 'nowhere', '--no-install']);
    expect(missing.stderr.trim()).toMatch(/^strata: nowhere: has no overlays\/ folder;/);
    expect(missing.status).toBe(2);
  });

  it('crd add reads a file named from a subfolder, and names a missing one as typed', () => {
    writeFileSync(join(here, 'gadgets.yaml'), stringify(sizeCrd('toys.example.com', 'Gadget')));
    const r = run(['crd', 'add', 'gadgets.yaml', '--no-models']);
    expect(r.stdout).toMatch(/^added gadgets\.toys\.example\.com \(Gadget v1\)$/m);
    expect(r.stdout).toMatch(/^crd add: 1 CRD from gadgets\.yaml: /m);
    // Named from elsewhere too, as typed; the header of what is written names it from the root, the same from any folder.
    const again = strataIn(ws.root, join(ws.root, 'apps'), ['crd', 'add', `./${APP}/gadgets.yaml`, '--no-models']);
    expect(again.stdout).toMatch(new RegExp(`^crd add: 1 CRD from ${APP}/gadgets\\.yaml: `, 'm'));
    expect(readFileSync(join(ws.root, 'crds', 'toys.example.com_gadgets.yaml'), 'utf8')).toMatch(
      new RegExp(`^# Code generated by strata crd add from apps/${APP}/gadgets\\.yaml\\. DO NOT EDIT\\.`),
    );
    expect(r.status).toBe(0);
    expect(existsSync(join(ws.root, 'crds', 'toys.example.com_gadgets.yaml'))).toBe(true);
    const missing = run(['crd', 'add', 'nothing.yaml']);
    expect(missing.stderr.trim()).toMatch(/^strata: crd add nothing\.yaml: no such file;/);
    expect(missing.status).toBe(2);
  });
});
