import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const decoder = join(dirname(fileURLToPath(import.meta.url)), '..', 'decoder');
const hasGo = spawnSync('go', ['version']).status === 0;

// The decoder's own Go tests: its one-pass scanner against the pattern it stands for, the JSON it
// answers with against the decoded maps, and a repeated chunk answered as its first reading.
describe.skipIf(!hasGo)("the decoder's Go tests", () => {
  it('pass', () => {
    const r = spawnSync('go', ['test', '.'], { cwd: decoder, env: { ...process.env, CGO_ENABLED: '0' }, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  }, 600_000);
});
