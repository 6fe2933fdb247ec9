import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strata, suiteWorkspace } from '@strata/testing/workspace';

// A picture of an env that lacks an app would be wrong documentation: graph refuses to draw an env
// with an overlay that does not build, naming it, and leaves the committed picture as it was.
describe('strata graph with an overlay that does not build', () => {
  const ws = suiteWorkspace(['tokenplace-relay', 'tensafe'], { generate: true });
  const picture = () => readFileSync(join(ws.root, 'docs/topology-prod.svg'), 'utf8');
  const inputs = () => readFileSync(join(ws.root, 'docs/topology.inputs'), 'utf8');

  it('fails in one line naming the overlay, writes nothing, and draws on stdout nothing', () => {
    mkdirSync(join(ws.root, 'docs'));
    expect(strata(ws.root, ['graph', '--env', 'prod', '--out', 'docs/topology-prod.svg']).status).toBe(0);
    const before = { picture: picture(), inputs: inputs() };
    appendFileSync(join(ws.root, 'overlays/prod/tokenplace-relay/kustomization.yaml'), '  - : [\n');
    for (const args of [
      ['graph', '--env', 'prod', '--out', 'docs/topology-prod.svg'],
      ['graph', '--env', 'prod', '--output', 'mermaid'],
    ]) {
      const r = strata(ws.root, args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^strata: overlays\/prod\/tokenplace-relay: kustomize build failed, so the topology of prod cannot be drawn whole: .+; fix the overlay \(npx strata generate rewrites a generated one\) and draw again$/,
      );
    }
    expect({ picture: picture(), inputs: inputs() }).toStrictEqual(before);
  });
});
