import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadApps, UsageError } from '../src/index.ts';
import { testTempDir } from './temp.ts';

// The apps of these workspaces import the real @strata/core, as the project's apps do.
const coreDir = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@strata', 'core'));

/** A workspace with one app, `web`, made of the given files under apps/web/. */
function workspace(files: Record<string, string>): string {
  const root = testTempDir('strata-keys-');
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - apps/*\n');
  mkdirSync(join(root, 'apps', 'node_modules', '@strata'), { recursive: true });
  symlinkSync(coreDir, join(root, 'apps', 'node_modules', '@strata', 'core'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, 'apps', 'web', rel)), { recursive: true });
    writeFileSync(join(root, 'apps', 'web', rel), text);
  }
  return root;
}

/** apps/web/src/app.ts with `lines` inside defineApp's object, each on its own line from line 8. */
const appFile = (...lines: string[]) => `import { defineApp } from '@strata/core';
import { prod } from './env/prod.ts';

export const app = defineApp({
  name: 'web',
  defaults: { replicas: 2, image: { repository: 'web' } },
  envs: { dev: {}, staging: {}, prod },
${lines.map((l) => `  ${l}`).join('\n')}
  render: () => [],
});
`;

const prodFile = (config = '{}') => `export const prod = { config: ${config} };\n`;

/** What loading the app refuses, or 'loaded'. */
async function refusal(files: Record<string, string>): Promise<string> {
  try {
    await loadApps(workspace({ 'src/env/prod.ts': prodFile(), ...files }), ['web']);
  } catch (err) {
    // Invalid input (exit 1), not a usage mistake.
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  return 'loaded';
}

describe("an app definition's keys", () => {
  it('a misspelt policy key fails loading at its line, with the key it was meant to be: the guard would be off', async () => {
    expect(await refusal({ 'src/app.ts': appFile('policy: { singleReplca: true },') })).toBe(
      'apps/web/src/app.ts:8:13: policy.singleReplca: not a key of policy; did you mean singleReplica?',
    );
  });

  it('a misspelt key of an exception fails loading at its line: the waiver would cover every object', async () => {
    const app = appFile('policy: {', '  exceptions: [', "    { rule: 'require-probes', nmae: 'web', reason: 'no health endpoint' },", '  ],', '},');
    expect(await refusal({ 'src/app.ts': app })).toBe(
      'apps/web/src/app.ts:10:33: policy.exceptions[0].nmae: not a key of policy.exceptions[0]; did you mean name?',
    );
    const kinds = appFile("policy: { exceptions: [{ rule: 'require-probes', kinds: ['Deployment'], reason: 'r' }] },");
    expect(await refusal({ 'src/app.ts': kinds })).toBe(
      'apps/web/src/app.ts:8:52: policy.exceptions[0].kinds: not a key of policy.exceptions[0]; did you mean kind?',
    );
  });

  it('`pin: pins` fails loading at its line: the image pins would be dropped', async () => {
    const app = appFile("images: { web: 'image' },", 'pin: pins,').replace('import { prod }', "import pins from '../images.json';\nimport { prod }");
    expect(await refusal({ 'src/app.ts': app, 'images.json': '{"prod": {"web": {"repository": "web", "tag": "1.0"}}}' })).toBe(
      'apps/web/src/app.ts:10:3: pin: not a key of defineApp; did you mean pins?',
    );
  });

  it("a component's misspelt or missing description fails loading at its line (emit would crash on it)", async () => {
    const app = appFile('components: {', "  big: { descripton: 'Two more replicas.', overrides: { replicas: 4 } },", '},');
    expect(await refusal({ 'src/app.ts': app })).toBe(
      'apps/web/src/app.ts:9:12: components.big.descripton: not a key of components.big; did you mean description?',
    );
    const without = appFile('components: {', '  big: { overrides: { replicas: 4 } },', '},');
    expect(await refusal({ 'src/app.ts': without })).toBe(
      'apps/web/src/app.ts:9:5: components.big: has no description: give it one sentence that says what including it does (its kustomization shows it)',
    );
  });

  it('a key far from every known one lists the keys there are', async () => {
    expect(await refusal({ 'src/app.ts': appFile("colour: 'blue',") })).toBe(
      'apps/web/src/app.ts:8:3: colour: not a key of defineApp; known keys: name, defaults, components, envs, policy, optional, images, pins, render',
    );
  });

  it('loads a definition whose keys are all known', async () => {
    const app = appFile("policy: { singleReplica: true, exceptions: [{ rule: 'require-probes', kind: 'Deployment', name: 'web', reason: 'r' }] },");
    expect(await refusal({ 'src/app.ts': app })).toBe('loaded');
  });
});

describe('env keys', () => {
  it('named like a property every object has fail loading at their line in the env file', async () => {
    expect(await refusal({ 'src/app.ts': appFile(), 'src/env/prod.ts': prodFile('{\n    constructor: 3,\n  }') })).toBe(
      "apps/web/src/env/prod.ts:2:5: constructor: not a key of app web's config; an optional key that the defaults leave out is declared in defineApp({ optional })",
    );
  });

  it('set to null over a default fail loading at their line, saying to remove the key or give a value', async () => {
    expect(await refusal({ 'src/app.ts': appFile(), 'src/env/prod.ts': prodFile('{\n    replicas: null,\n  }') })).toBe(
      'apps/web/src/env/prod.ts:2:5: replicas: null would replace the default 2 and be written out as null; remove the key to keep the default, or give a value',
    );
  });
});
