import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appTemplate,
  argoCdInstallationID,
  argoCdTrackingMethod,
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
import { testTempDir } from './temp.ts';

function workspace(files: Record<string, string> = {}): string {
  const root = testTempDir('strata-project-');
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
    const outside = testTempDir('strata-no-workspace-');
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

  it('refuses, in one line, a link leading outside the repository and a dangling link, and reads one that stays inside', () => {
    const text = '{"policy": {"severity": {"require-probes": {"dev": "warning"}}}}';
    const root = workspace({ 'settings/strata.json': text });
    const outside = testTempDir('strata-config-outside-');
    writeFileSync(join(outside, 'cfg.json'), text);
    const config = join(root, 'strata.config.json');
    symlinkSync(join(outside, 'cfg.json'), config);
    expect(() => readConfig(root)).toThrow(
      new UsageError(
        `strata.config.json: a symbolic link to ${realpathSync(join(outside, 'cfg.json'))}, outside the repository: a clone of the repository lacks it, and every command takes its settings from it; copy the file into the repository in place of the link`,
      ),
    );
    // What a clone of that commit holds: the link, without its target.
    rmSync(config);
    symlinkSync('/nonexistent/strata.config.json', config);
    expect(() => projectSeverity(root)).toThrow(
      new UsageError(
        'strata.config.json: a symbolic link to /nonexistent/strata.config.json, which does not exist (a dangling link); put the settings file in the repository in place of the link',
      ),
    );
    rmSync(config);
    symlinkSync('settings/strata.json', config);
    expect(projectSeverity(root)).toStrictEqual({ 'require-probes': { dev: 'warning' } });
  });

  // What each key is meant to be, at its line: a misspelt key would be ignored and its setting lost.
  const refusal = (text: string) => {
    try {
      readConfig(workspace({ 'strata.config.json': text }));
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    return 'accepted';
  };
  /** Each config text is refused with exactly its message (a string), or one that matches it (a pattern). */
  const refuses = (cases: readonly (readonly [text: string, message: string | RegExp])[]) => {
    for (const [text, message] of cases) {
      if (typeof message === 'string') expect(refusal(text), text).toBe(message);
      else expect(refusal(text), text).toMatch(message);
    }
  };

  it('refuses a misspelt section at its line, naming the section it was meant to be', () => {
    refuses([
      ['{\n  "kubernets": {\n    "envs": {"prod": "1.35"}\n  }\n}', 'strata.config.json:2:3: kubernets: unknown section; did you mean kubernetes?'],
      ['{\n  "gitops": {},\n  "polcy": {"severity": {}}\n}', 'strata.config.json:3:3: polcy: unknown section; did you mean policy?'],
    ]);
  });

  it('keeps a top-level key that is like no section, for other tools to read', () => {
    expect(readConfig(workspace({ 'strata.config.json': '{"$schema": "./strata.schema.json", "policy": {}}' }))).toStrictEqual({
      $schema: './strata.schema.json',
      policy: {},
    });
  });

  it('refuses a key a section does not take, at its line, naming the nearest setting or listing them', () => {
    refuses([
      [
        '{\n  "policy": {\n    "severty": {"require-probes": {"dev": "warning"}}\n  }\n}',
        'strata.config.json:3:5: policy.severty: unknown setting; did you mean severity?',
      ],
      ['{"kubernetes": {"versoin": "1.35"}}', 'strata.config.json:1:17: kubernetes.versoin: unknown setting; did you mean version?'],
      [
        '{"gitops": {"branch": "main"}}',
        'strata.config.json:1:13: gitops.branch: unknown setting; known settings: consumer, repoURL, targetRevision, argocdNamespace, server, cluster, fluxNamespace, manualSync, resourceTrackingMethod, installationID, path',
      ],
      ['{"kubernetes": {"envs": {"prd": "1.35"}}}', 'strata.config.json:1:26: kubernetes.envs.prd: unknown env; did you mean prod?'],
      ['{"policy": []}', 'strata.config.json:1:2: policy: must be an object of settings (severity)'],
    ]);
  });

  it("reads Argo CD's tracking method from gitops.resourceTrackingMethod, annotation unless set, and refuses a misspelt key or a method Argo CD does not know at its line", () => {
    expect(argoCdTrackingMethod(workspace())).toBe('annotation');
    expect(argoCdTrackingMethod(workspace({ 'strata.config.json': '{"gitops": {}}' }))).toBe('annotation');
    for (const method of ['annotation', 'label', 'annotation+label'])
      expect(argoCdTrackingMethod(workspace({ 'strata.config.json': `{"gitops": {"resourceTrackingMethod": "${method}"}}` }))).toBe(method);
    refuses([
      [
        '{"gitops": {"resourceTrackingMetod": "label"}}',
        'strata.config.json:1:13: gitops.resourceTrackingMetod: unknown setting; did you mean resourceTrackingMethod?',
      ],
    ]);
    const refused = (text: string) => {
      try {
        argoCdTrackingMethod(workspace({ 'strata.config.json': text }));
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refused('{"gitops": {\n  "resourceTrackingMethod": "labels"\n}}')).toBe(
      'strata.config.json:2:3: gitops.resourceTrackingMethod: "labels" is not an Argo CD tracking method; write the clusters\' application.resourceTrackingMethod of argocd-cm, one of "annotation", "label", "annotation+label" (did you mean "label"?)',
    );
    expect(refused('{"gitops": {"resourceTrackingMethod": true}}')).toMatch(
      /^strata\.config\.json:1:13: gitops\.resourceTrackingMethod: true is not an Argo CD tracking method; .* one of "annotation", "label", "annotation\+label"$/,
    );
  });

  it("reads Argo CD's installation ID from gitops.installationID, none unless set, and refuses a misspelt key or a value Argo CD cannot take at its line", () => {
    expect(argoCdInstallationID(workspace())).toBeUndefined();
    expect(argoCdInstallationID(workspace({ 'strata.config.json': '{"gitops": {}}' }))).toBeUndefined();
    expect(argoCdInstallationID(workspace({ 'strata.config.json': '{"gitops": {"installationID": "cluster-one"}}' }))).toBe('cluster-one');
    refuses([
      ['{"gitops": {"installationId": "x"}}', 'strata.config.json:1:13: gitops.installationId: unknown setting; did you mean installationID?'],
    ]);
    const refused = (text: string) => {
      try {
        argoCdInstallationID(workspace({ 'strata.config.json': text }));
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refused('{"gitops": {\n  "installationID": ""\n}}')).toBe(
      'strata.config.json:2:3: gitops.installationID: "" is not an Argo CD installation ID; write the clusters\' installationID of argocd-cm, a non-empty string, or leave the key out where it sets none',
    );
    expect(refused('{"gitops": {"installationID": 7}}')).toMatch(
      /^strata\.config\.json:1:13: gitops\.installationID: 7 is not an Argo CD installation ID; /,
    );
  });

  it('refuses a __proto__ key at the top as in every section, at its line', () => {
    refuses([
      [
        '{\n  "__proto__": {"polluted": true},\n  "policy": {}\n}',
        'strata.config.json:2:3: __proto__: unknown section; known sections: policy, gitops, kubernetes',
      ],
      [
        '{"kubernetes": {"__proto__": {}}}',
        'strata.config.json:1:17: kubernetes.__proto__: unknown setting; known settings: version, envs, serviceNodePortRange, namespaces, priorityClasses, runtimeClasses',
      ],
      ['{"kubernetes": {"envs": {"__proto__": "1.35"}}}', /^strata\.config\.json:1:26: kubernetes\.envs\.__proto__: unknown env; known envs: /],
      [
        '{"policy": {"severity": {"require-probes": {"__proto__": "off"}}}}',
        /^strata\.config\.json:1:\d+: policy\.severity\.require-probes\.__proto__: unknown env; known envs: /,
      ],
    ]);
  });

  it('refuses a key written twice, at the second, naming the first: JSON would keep only the last', () => {
    refuses([
      [
        '{\n  "kubernetes": {"version": "1.36", "envs": {"prod": "1.35"}},\n  "kubernetes": {"version": "1.36"}\n}',
        'strata.config.json:3:3: kubernetes: written twice (first at line 2); JSON keeps only the last, so merge the two into one',
      ],
      [
        '{"policy": {"severity": {"require-probes": {"dev": "warning", "dev": "off"}}}}',
        /^strata\.config\.json:1:\d+: policy\.severity\.require-probes\.dev: written twice \(first at line 1\)/,
      ],
    ]);
  });

  it('refuses policy severities of the wrong shape at their line, saying what to write', () => {
    refuses([
      [
        '{"policy": {"severity": {"require-probes": "off"}}}',
        'strata.config.json:1:26: policy.severity.require-probes: must map envs to levels, such as {"dev": "warning"}; got "off"',
      ],
      [
        '{"policy": {"severity": {"require-probes": null}}}',
        'strata.config.json:1:26: policy.severity.require-probes: must map envs to levels, such as {"dev": "warning"}; got null',
      ],
      [
        '{"policy": {"severity": "off"}}',
        'strata.config.json:1:13: policy.severity: must map rule ids to envs and levels, such as {"require-probes": {"dev": "warning"}}',
      ],
      [
        '{"policy": {"severity": {"require-probes": {"dve": "off"}}}}',
        'strata.config.json:1:45: policy.severity.require-probes.dve: unknown env; did you mean dev?',
      ],
      [
        '{"policy": {"severity": {"require-probes": {"dev": "of"}}}}',
        'strata.config.json:1:45: policy.severity.require-probes.dev: "of" is not a level; use "error", "warning", "off"',
      ],
    ]);
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

  it("refuses Windows' device names, which git for Windows cannot check out, and no name that merely starts like one", () => {
    const root = workspace({});
    for (const name of ['con', 'prn', 'aux', 'nul', 'com1', 'com9', 'lpt1', 'lpt9'])
      expect(() => checkNewAppName(root, name)).toThrow(
        new RegExp(
          `^app name "${name}": ${name.toUpperCase()} is a device name on Windows .*git cannot check out apps/${name}, base/${name} .*; pick another name$`,
        ),
      );
    for (const name of ['console', 'com0', 'com10', 'lpt', 'nullify', 'auxiliary']) expect(() => checkNewAppName(root, name)).not.toThrow();
  });
});
