import { appendFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { defineApp, type App, type PolicySettings } from '@strata/core';
import { podSecurityRules } from '@strata/policy';
import { findRoot, UsageError } from '@strata/project';
import { validate } from '../src/index.ts';

const repo = findRoot();

/** The app's src/app.ts as written, for the lines of its keys; the app object itself is given to validate. */
const APP_FILE = `import { defineApp } from '@strata/core';

export const app = defineApp({
  name: 'web',
  policy: {
    severity: { 'require-probe': { prod: 'off' } },
    exceptions: [{ rule: 'require-probes', reason: 'no health endpoint' }, { rule: 'resolve-reference', reason: 'made in the cluster' }],
  },
});
`;

/** The one object of web's built output in an env. */
const SETTINGS = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\ndata:\n  a: b\n';

/** A workspace with web's built prod output and its app.ts, and the given strata.config.json. */
function workspace(config?: string): string {
  const root = writeTree(testTempDir('strata-policy-settings-'), {
    ...(config !== undefined ? { 'strata.config.json': config } : {}),
    'apps/web/src/app.ts': APP_FILE,
    'dist/prod/web.yaml': SETTINGS,
  });
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  return root;
}

const web = (policy: PolicySettings): ReadonlyMap<string, App> =>
  new Map([['web', defineApp({ name: 'web', defaults: {}, envs: { dev: {}, staging: {}, prod: {} }, policy, render: () => [] }) as App]]);

async function refusal(root: string, apps: ReadonlyMap<string, App>): Promise<string> {
  try {
    await validate(root, ['dist'], { serverChecks: false, apps });
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  return 'valid';
}

describe('policy settings that name no rule, before any rule runs: a usage error at the file and line that holds them', () => {
  it("an app's severity or exception for a misspelt rule, at its line in the app's src/app.ts", async () => {
    const root = workspace();
    expect(await refusal(root, web({ severity: { 'require-probe': { prod: 'off' } } }))).toBe(
      'apps/web/src/app.ts:6:17: policy.severity.require-probe: Severity override for "require-probe" names no known rule: did you mean "require-probes"?',
    );
    const exceptions = [
      { rule: 'require-probes', reason: 'no health endpoint' },
      { rule: 'resolve-reference', reason: 'made in the cluster' },
    ];
    expect(await refusal(root, web({ exceptions }))).toBe(
      'apps/web/src/app.ts:7:78: policy.exceptions[1].rule: Policy exception for rule "resolve-reference" names no known rule: did you mean "resolve-references"?',
    );
    expect(await refusal(root, web({ exceptions: [exceptions[0]!] }))).toBe('valid');
  });

  it('a project severity for a misspelt rule, at its line in strata.config.json', async () => {
    const root = workspace('{\n  "policy": {\n    "severity": {\n      "ban-latest": {"dev": "off"}\n    }\n  }\n}\n');
    expect(await refusal(root, web({}))).toBe(
      `strata.config.json:4:7: policy.severity.ban-latest: Severity override for "ban-latest" names no known rule: use one of the rule ids listed in @strata/policy's README.`,
    );
  });
});

describe('a policy exception that matches no object of the app in any env', () => {
  const built = (root: string, env: string) => writeTree(root, { [`dist/${env}/web.yaml`]: SETTINGS });
  const typo = [{ rule: 'resolve-references', kind: 'ConfigMpa', reason: 'made in the cluster' }];

  it("is a usage error at its line in the app's src/app.ts, with the kind meant", async () => {
    const root = workspace();
    writeFileSync(
      join(root, 'apps', 'web', 'src', 'app.ts'),
      "export const app = defineApp({\n  name: 'web',\n  policy: {\n    exceptions: [{ rule: 'resolve-references', kind: 'ConfigMpa', reason: 'made in the cluster' }],\n  },\n});\n",
    );
    for (const env of ['dev', 'staging']) built(root, env);
    expect(await refusal(root, web({ exceptions: typo }))).toBe(
      'apps/web/src/app.ts:4:48: policy.exceptions[0].kind: Policy exception for rule "resolve-references" on ConfigMpa waives nothing: no object of the app, in any env, is a ConfigMpa; did you mean kind "ConfigMap"?',
    );
    // Spelt right, it matches the ConfigMap, on which resolve-references reports nothing: stale, at its rule.
    expect(await refusal(root, web({ exceptions: [{ ...typo[0]!, kind: 'ConfigMap' }] }))).toMatch(
      /^apps\/web\/src\/app\.ts:4:\d+: policy\.exceptions\[0\]\.rule: .* waives nothing: the rule reports nothing on the objects it matches/,
    );
  });

  it('matching objects on which its rule reports nothing is stale: a usage error at its rule, also when another exception is used', async () => {
    const root = workspace();
    writeFileSync(
      join(root, 'apps', 'web', 'src', 'app.ts'),
      "export const app = defineApp({\n  name: 'web',\n  policy: {\n    exceptions: [\n      { rule: 'service-selects-pods', kind: 'Service', reason: 'the pods come from a chart' },\n      { rule: 'resolve-references', kind: 'ConfigMap', reason: 'made in the cluster' },\n    ],\n  },\n});\n",
    );
    // A Service that selects no pod (service-selects-pods reports it) beside the ConfigMap, which no rule reports.
    const service =
      '---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\nspec:\n  selector:\n    app: web\n  ports:\n    - port: 80\n';
    for (const env of ['dev', 'staging', 'prod']) {
      built(root, env);
      appendFileSync(join(root, 'dist', env, 'web.yaml'), service);
    }
    const used = { rule: 'service-selects-pods', kind: 'Service', reason: 'the pods come from a chart' };
    expect(await refusal(root, web({ exceptions: [used, { ...typo[0]!, kind: 'ConfigMap' }] }))).toBe(
      'apps/web/src/app.ts:6:9: policy.exceptions[1].rule: Policy exception for rule "resolve-references" on ConfigMap waives nothing: the rule reports nothing on the objects it matches, in any env; remove the exception (it would waive a finding nobody has judged yet).',
    );
    expect(await refusal(root, web({ exceptions: [used] }))).toBe('valid');
  });

  it('is not decided when some env of the app is not checked: its object may be there', async () => {
    const root = workspace();
    built(root, 'dev');
    expect(await refusal(root, web({ exceptions: typo }))).toBe('valid');
  });
});

describe("a pod its namespace's Pod Security enforce level refuses", () => {
  const NAMESPACED = [
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    '  name: web',
    '  labels: {pod-security.kubernetes.io/enforce: baseline}',
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web, namespace: web}',
    'spec:',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    '      - name: web',
    '        image: nginx:1.27',
    '        securityContext: {privileged: true}',
    '',
  ].join('\n');
  const lowered = (rules: readonly string[]) =>
    JSON.stringify({ policy: { severity: Object.fromEntries(rules.map((r) => [r, { dev: 'off' }])) } }, null, 2);

  it('fails validate of an env whose project settings turn every Pod Security rule off, and with --no-policy', async () => {
    const ids = podSecurityRules.map((r) => r.id);
    const root = workspace(lowered(ids));
    writeTree(root, { 'dist/dev/web.yaml': NAMESPACED });
    for (const policy of [true, false]) {
      const r = await validate(root, ['dist/dev'], { serverChecks: false, apps: web({}), policy });
      // Only the namespace's refusal, not the Pod Security rule (no-privileged) that the project turned off for dev.
      const errors = r.problems.filter((p) => p.severity === 'error' && [...ids, 'namespace-admits-pods'].includes(p.rule));
      expect(errors.map((p) => [p.rule, p.path, p.line])).toStrictEqual([
        ['namespace-admits-pods', 'spec.template.spec.containers[0].securityContext.privileged', 18],
      ]);
    }
  });

  it('refuses a project setting that lowers namespace-admits-pods, at its line', async () => {
    const root = workspace(lowered(['namespace-admits-pods']));
    expect(await refusal(root, web({}))).toMatch(
      /^strata\.config\.json:5:\d+: policy\.severity\.namespace-admits-pods\.dev: Severity override for "namespace-admits-pods" sets dev: "off", but it cannot be lowered/,
    );
  });
});
