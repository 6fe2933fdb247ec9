import { describe, expect, it } from 'vitest';
import { strata, suiteWorkspace } from '@strata/testing/workspace';

// Node reads an import's specifier as a URL: a plain path to a file of the checkout would be cut
// at a `#`, and refused for a `%2F`. A CI server names a checkout after its job and branch
// (Jenkins: `workspace/strata_feature%2Fx`), and git, kustomize and kubectl work from there.
describe('a checkout whose folder name holds # and %2F', () => {
  const ws = suiteWorkspace(['tokenplace-relay'], { folder: 'jenkins ü #1/strata_feature%2Fx' });

  it('runs every command, the apps loaded together', () => {
    const help = strata(ws.root, ['--help']);
    expect(help.stderr).toBe('');
    expect(help.stdout).toContain('Usage: strata');
    expect(help.status).toBe(0);
    for (const args of [['generate'], ['pipeline']]) {
      const r = strata(ws.root, args);
      // Loaded one by one (the slow way), they would say so in a warning.
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, `${args.join(' ')}: ${r.stdout}`).toBe(0);
    }
  }, 300_000);
});
