import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';

// The libraries hand their warnings back (onWarning); the command prints each as one line.
describe('warnings from the libraries', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = tempWorkspace([APP]);
    // Throws on its first evaluation only: in the bundle of all apps, not when loaded on its own.
    const file = join(ws.root, 'apps', APP, 'src', 'app.ts');
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}
const seen = globalThis as { strataLoadOnce?: number };
seen.strataLoadOnce = (seen.strataLoadOnce ?? 0) + 1;
if (seen.strataLoadOnce === 1) throw new Error('only the first load fails');
`,
    );
  });
  afterAll(() => ws.dispose());

  it('prints apps that load only one by one as a warning line on stderr', () => {
    // Two envs that differ: the apps are loaded (and warned of) once, then compared.
    const r = strata(ws.root, ['diff', '--from', 'dev', '--to', 'staging']);
    expect(r.stderr).toContain('warning: apps loaded one by one, as loading them together failed: only the first load fails\n');
    // Not as a process warning of Node's.
    expect(r.stderr).not.toContain('Warning:');
    expect(r.stdout).toMatch(/^diff dev -> staging: .* changed in \d+ resources/m);
    expect(r.status).toBe(1);
  });
});
