import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appTemplate,
  checkNewAppName,
  distOf,
  findRoot,
  findRootOrCwd,
  inEnvScope,
  Layout,
  overlayOf,
  projectSeverity,
  readConfig,
  UsageError,
  withAppRegistered,
} from '../src/index.ts';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});
function workspace(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-project-'));
  roots.push(root);
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - apps/*\n');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

describe('Layout', () => {
  it('spells every path of an app the way the parsers read it back', () => {
    expect(Layout.overlay('prod', 'web')).toBe('overlays/prod/web');
    expect(overlayOf(`${Layout.overlay('prod', 'web')}/patches/deployment.web.yaml`)).toStrictEqual({ env: 'prod', app: 'web' });
    expect(distOf(Layout.distOf('staging', 'web'))).toStrictEqual({ env: 'staging', app: 'web' });
    expect(overlayOf(Layout.envKustomization('dev'))).toBeUndefined();
    expect(distOf('dist/qa/web.yaml')).toBeUndefined();
    expect(distOf('manifests/web.yaml')).toBeUndefined();
  });

  it("keeps a run limited to one env out of the other envs' overlays only", () => {
    expect(inEnvScope('overlays/dev/web/kustomization.yaml', 'dev')).toBe(true);
    expect(inEnvScope('overlays/prod/web/kustomization.yaml', 'dev')).toBe(false);
    expect(inEnvScope('base/web/deployment.web.yaml', 'dev')).toBe(true);
    expect(inEnvScope('overlays/prod/web/kustomization.yaml', undefined)).toBe(true);
  });

  it('finds the root from a folder inside it, and refuses outside any workspace', () => {
    const root = workspace({ 'apps/web/src/app.ts': '' });
    expect(findRoot(join(root, 'apps', 'web', 'src'))).toBe(root);
    expect(() => findRoot('/')).toThrow(UsageError);
  });

  it('falls back to the folder itself outside any workspace, for commands that read any files', () => {
    const root = workspace({ 'apps/web/src/app.ts': '' });
    expect(findRootOrCwd(join(root, 'apps', 'web'))).toBe(root);
    const outside = mkdtempSync(join(tmpdir(), 'strata-no-workspace-'));
    roots.push(outside);
    expect(findRootOrCwd(join(outside, '.'))).toBe(outside);
  });
});

describe('strata.config.json', () => {
  it('is optional, and its policy severities are read from one place', () => {
    expect(readConfig(workspace())).toBeUndefined();
    expect(projectSeverity(workspace())).toStrictEqual({});
    const root = workspace({ 'strata.config.json': '{"policy": {"severity": {"require-probes": {"dev": "warning"}}}}' });
    expect(projectSeverity(root)).toStrictEqual({ 'require-probes': { dev: 'warning' } });
  });

  it('refuses text that is not a JSON object in one line naming the file', () => {
    expect(() => readConfig(workspace({ 'strata.config.json': '{"policy": ' }))).toThrow(/^strata\.config\.json: not valid JSON: /);
    expect(() => readConfig(workspace({ 'strata.config.json': '[]' }))).toThrow(/^strata\.config\.json: must be a JSON object/);
  });
});

describe('the new-app template', () => {
  it('names every file and every mention after the app, with its test named so that it runs', () => {
    const files = appTemplate('billing');
    expect([...files.keys()]).toContain('apps/billing/src/app.ts');
    expect([...files.keys()]).toContain('apps/billing/test/billing.test.ts');
    expect([...files.keys()].every((f) => f.startsWith('apps/billing/'))).toBe(true);
    expect([...files.values()].some((text) => text.includes('__APP_NAME__'))).toBe(false);
    expect(files.get('apps/billing/src/app.ts')).toMatch(/name: 'billing'/);
    expect(JSON.parse(files.get('apps/billing/package.json')!).name).toBe('@strata-apps/billing');
  });

  it('registers the app among the root devDependencies, in order', () => {
    const pkg = JSON.parse(withAppRegistered('{"devDependencies": {"@strata-apps/zeta": "workspace:*", "vitest": "1"}}', 'alpha'));
    expect(Object.keys(pkg.devDependencies)).toStrictEqual(['@strata-apps/alpha', '@strata-apps/zeta', 'vitest']);
  });

  it('refuses a name that is not a DNS label, and an app that exists', () => {
    const root = workspace({ 'apps/web/src/app.ts': '' });
    expect(() => checkNewAppName(root, 'Web_API')).toThrow(/must be a lower-case DNS label/);
    expect(() => checkNewAppName(root, 'web')).toThrow(/^apps\/web already exists/);
    expect(() => checkNewAppName(root, 'billing')).not.toThrow();
  });
});
