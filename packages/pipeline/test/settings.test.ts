import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace, treeOf } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';
// An app whose policy has exceptions.
const EXCEPTING = 'llm-runner-router';

// A misspelt rule in the policy settings: validate refuses it, and so must every command that writes
// the tree from those settings, before it writes anything, and check, which says whether the tree
// is what they write.
describe('policy settings checked by the commands that write or check the tree', () => {
  const ws = tempWorkspace([APP, EXCEPTING]);
  afterAll(() => ws.dispose());
  const config = join(ws.root, 'strata.config.json');
  const original = readFileSync(config, 'utf8');
  const app = join(ws.root, 'apps', EXCEPTING, 'src', 'app.ts');
  const appSource = readFileSync(app, 'utf8');

  it.each([
    'generate',
    'generate --dry-run',
    'pipeline',
    'check',
  ])('strata %s refuses a misspelt rule of strata.config.json at its line, writing nothing', (command) => {
    const settings = JSON.parse(original) as { policy?: { severity?: Record<string, unknown> } };
    settings.policy = { ...settings.policy, severity: { ...settings.policy?.severity, 'require-probez': { dev: 'warning' } } };
    writeFileSync(config, `${JSON.stringify(settings, null, 2)}\n`);
    // An edit that generate would write, so that writing anything would show.
    writeFileSync(join(ws.root, 'overlays', 'prod', APP, 'kustomization.yaml'), '# edited\n');
    const before = treeOf(ws.root);
    try {
      const r = strata(ws.root, command.split(' '));
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toMatch(
        /^strata: strata\.config\.json:\d+:\d+: policy\.severity\.require-probez: Severity override for "require-probez" names no known rule: did you mean "require-probes"\?$/,
      );
      expect(treeOf(ws.root)).toStrictEqual(before);
    } finally {
      writeFileSync(config, original);
    }
  });

  it.each(['generate', 'check'])("strata %s refuses an app's exception for a rule that does not exist, at the app's line", (command) => {
    const edited = appSource.replace(/rule: '([a-z-]+)'/, "rule: '$1x'");
    expect(edited).not.toBe(appSource);
    writeFileSync(app, edited);
    const before = treeOf(ws.root);
    try {
      const r = strata(ws.root, [command]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`^strata: apps/${EXCEPTING}/src/app\\.ts:\\d+:\\d+: policy\\.exceptions\\[0\\]\\.rule: Policy exception .* names no known rule`),
      );
      expect(treeOf(ws.root)).toStrictEqual(before);
    } finally {
      writeFileSync(app, appSource);
    }
  });
});
