import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editFile, strata, suiteWorkspace, treeOf } from './workspace.ts';

const APP = 'tokenplace-relay';
const RENDER = `apps/${APP}/src/render.ts`;
const START = 'export function render(c: RelayConfig): KubeObject[] {\n';

/**
 * What app code does while it loads or renders is its own business only as far as its result: it
 * cannot end the run, write into the command's output, or change what the next render sees.
 */
describe('app code run by strata', () => {
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });
  /** Puts `code` at the start of the app's render function, until the test ends. */
  const inRender = (code: string) => {
    const file = join(ws.root, RENDER);
    const before = editFile(file, (t) => t.replace(START, `${START}  ${code}\n`));
    restore = () => writeFileSync(file, before);
  };

  it('a render that changes its config in place changes only its own render: no env sees what another added', () => {
    inRender(`(c.networkPolicy.extraEgress as unknown as { cidr: string; port: number }[]).push({ cidr: '10.9.9.9/32', port: 443 });`);
    const r = strata(ws.root, ['generate', '--app', APP]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const tree = treeOf(ws.root);
    const counts = Object.entries(tree).flatMap(([path, text]) => (text.includes('10.9.9.9') ? [[path, text.split('10.9.9.9').length - 1]] : []));
    // Every render added the rule once to its own config: base holds it once, and an overlay that
    // lists the env's own egress (dev's and prod's do) once too, never what the renders before it added.
    expect(Object.fromEntries(counts)).toStrictEqual({
      [`base/${APP}/networkpolicy.${APP}.yaml`]: 1,
      [`overlays/dev/${APP}/networkpolicy.${APP}.patch.yaml`]: 1,
      [`overlays/prod/${APP}/networkpolicy.${APP}.patch.yaml`]: 1,
    });
  });
});
