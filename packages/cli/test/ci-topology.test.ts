import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from '@strata/testing/workspace';

// The CI gate compares the committed topology pictures (docs/topology-*) as check does: by the hash
// of what each was drawn from (docs/topology.inputs), nothing drawn. A stale picture is drift.
const APP = 'tokenplace-relay';
const STALE = 'docs/topology-prod.mmd: was drawn from other overlays or drawing code than the generated ones';
const EDITED = 'docs/topology-prod.mmd: is not the picture drawn from its inputs (edited, or drawn without docs/topology.inputs)';
const REDRAW = 'run `npm run topology` (after `npx strata generate`) and commit the pictures and docs/topology.inputs';

describe('strata ci and the committed topology pictures', () => {
  const ws = tempWorkspace([APP]);
  const picture = join(ws.root, 'docs/topology-prod.mmd');
  const prodEnv = join(ws.root, 'apps', APP, 'src/env/prod.ts');
  const draw = () => expect(strata(ws.root, ['graph', '--env', 'prod', '--output', 'mermaid', '--out', 'docs/topology-prod.mmd']).status).toBe(0);
  const ci = (...args: string[]) => strata(ws.root, ['ci', ...args], undefined, { CI: 'true' });
  beforeAll(() => {
    expect(strata(ws.root, ['generate']).status).toBe(0);
    mkdirSync(join(ws.root, 'docs'));
    writeFileSync(picture, 'flowchart LR\n');
    draw();
  }, 120_000);
  afterAll(() => ws.dispose());

  it('passes pictures drawn from the generated tree, for an app rendered afresh and for one reused', { timeout: 300_000 }, () => {
    const fresh = ci('--no-cache');
    expect(fresh.stdout).toMatch(/^ci: passed: /m);
    expect(fresh.status).toBe(0);
    const reused = ci();
    expect(reused.stdout).toMatch(/1 of 1 app unchanged since the last run, reused/);
    expect(reused.stdout).toMatch(/^ci: passed: /m);
    expect(reused.status).toBe(0);
  });

  it('fails on a picture edited by hand, as drift, with nothing built or applied, and says how to draw it again', { timeout: 300_000 }, () => {
    const drawn = readFileSync(picture, 'utf8');
    writeFileSync(picture, drawn.replace('flowchart LR', 'flowchart TB'));
    try {
      const r = ci();
      expect(r.stdout.split('\n')).toContain(`${EDITED}; ${REDRAW}`);
      expect(r.stdout).toMatch(/^ci: failed: 1 topology picture is not what the generated tree draws; nothing was written, built or applied/m);
      expect(r.stdout).not.toMatch(/^build: /m);
      expect(r.stderr).toContain('the topology pictures are out of date: run `npm run topology` and commit docs/');
      expect(r.status).toBe(1);
      const json = ci('--output', 'json');
      const report = JSON.parse(json.stdout) as { problems: { file: string; rule: string; message: string }[] };
      expect(report.problems).toStrictEqual([
        {
          file: 'docs/topology-prod.mmd',
          rule: 'drift',
          severity: 'error',
          message: `${EDITED.slice('docs/topology-prod.mmd: '.length)}; ${REDRAW}`,
        },
      ]);
      expect(json.status).toBe(1);
      // The frozen pipeline that ci runs says so in one line; a pipeline that may change the tree leaves the pictures to `npm run topology`.
      const frozen = strata(ws.root, ['pipeline', '--frozen']);
      expect(frozen.stderr.trim()).toBe(
        'strata: the committed topology pictures are out of date (docs/topology-prod.mmd): run `npm run topology` and commit docs/',
      );
      expect(frozen.status).toBe(1);
      expect(strata(ws.root, ['pipeline', '--no-frozen']).status).toBe(0);
    } finally {
      writeFileSync(picture, drawn);
    }
  });

  it('fails on a picture of an env whose generated tree changed, the app reused or not, until it is drawn again', { timeout: 300_000 }, () => {
    writeFileSync(
      prodEnv,
      readFileSync(prodEnv, 'utf8').replace("addresses: ['10.40.0.11', '10.40.0.12']", "addresses: ['10.40.0.11', '10.40.0.13']"),
    );
    // The tree is generated anew and the cache written, so ci reuses the app; the picture is what is left behind.
    expect(strata(ws.root, ['pipeline', '--no-frozen']).stdout).toMatch(/^generate: [1-9]\d* written/m);
    const r = ci();
    expect(r.stdout.split('\n')).toContain(`${STALE}; ${REDRAW}`);
    expect(r.status).toBe(1);
    expect(ci('--no-cache').stdout.split('\n')).toContain(`${STALE}; ${REDRAW}`);
    draw();
    expect(ci().status).toBe(0);
  });
});
