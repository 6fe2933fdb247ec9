import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, planTree } from '../src/index.ts';
import { tempWorkspace } from '../../cli/test/workspace.ts';

// A long-lived process (a test run, a watch, the gate) loads the apps once and plans many times:
// an edit to an app's sources between two plans must reach the second one.

describe('planning twice in one process', () => {
  const ws = tempWorkspace(['tokenplace-relay']);
  afterAll(() => ws.dispose());
  const overlay = 'overlays/dev/tokenplace-relay/kustomization.yaml';

  it('sees an edit to images.json made after the first generate', async () => {
    await generate(ws.root);
    const first = readFileSync(join(ws.root, overlay), 'utf8');
    expect(first).toContain('sha-3f9c2e1');
    const pins = join(ws.root, 'apps/tokenplace-relay/images.json');
    writeFileSync(pins, readFileSync(pins, 'utf8').replace('"tag": "sha-3f9c2e1"', '"tag": "sha-0000042"'));
    const planned = (await planTree(ws.root)).files.get(overlay);
    expect(planned).toContain('sha-0000042');
    await generate(ws.root);
    expect(readFileSync(join(ws.root, overlay), 'utf8')).toBe(planned);
  });

  it('sees an edit to an env file, and reuses what did not change', async () => {
    const before = await planTree(ws.root);
    const again = await planTree(ws.root);
    expect(again.files).toStrictEqual(before.files);
    const env = join(ws.root, 'apps/tokenplace-relay/src/env/prod.ts');
    const text = readFileSync(env, 'utf8');
    const edited = text.replace(/replicas: (\d+)/, (_, n: string) => `replicas: ${Number(n) + 5}`);
    expect(edited).not.toBe(text);
    writeFileSync(env, edited);
    const after = await planTree(ws.root);
    expect(after.files).not.toStrictEqual(before.files);
  });
});
