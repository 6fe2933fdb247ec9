import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redrawTopology } from '@strata/graph';
import { check, generate } from '../src/index.ts';
import { strata, tempWorkspace } from '@strata/testing/workspace';

// check tells a committed topology picture that the generated tree would not draw, by the hash of
// what it was drawn from (docs/topology.inputs), without drawing it.

describe('check and the committed topology pictures', () => {
  const ws = tempWorkspace(['tokenplace-relay']);
  afterAll(() => ws.dispose());
  const images = join(ws.root, 'apps/tokenplace-relay/images.json');
  const prodEnv = join(ws.root, 'apps/tokenplace-relay/src/env/prod.ts');
  const pictureDrift = async () => (await check(ws.root)).drift.filter((d) => d.file.startsWith('docs/')).map((d) => d.diff.replace(/;.*/, ''));
  const redraw = async () => {
    for (const [path, content] of await redrawTopology(ws.root)) writeFileSync(join(ws.root, path), content);
  };

  it('passes pictures drawn from the generated tree, and a workspace that keeps none', async () => {
    await generate(ws.root); // the env roots and gitops/ of this one app
    expect((await check(ws.root)).drift).toStrictEqual([]);
    mkdirSync(join(ws.root, 'docs'));
    writeFileSync(join(ws.root, 'docs/topology-prod.mmd'), 'flowchart LR\n');
    writeFileSync(join(ws.root, 'docs/topology-prod.svg'), '<svg/>\n');
    expect(await pictureDrift()).toStrictEqual([
      'docs/topology-prod.svg: has no line in docs/topology.inputs, so what it was drawn from is unknown',
      'docs/topology-prod.mmd: has no line in docs/topology.inputs, so what it was drawn from is unknown',
    ]);
    await redraw();
    expect(readFileSync(join(ws.root, 'docs/topology-prod.mmd'), 'utf8')).toContain('tokenplace-relay · namespace');
    expect((await check(ws.root)).drift).toStrictEqual([]);
  });

  it('reports the pictures of an env whose generated tree changed, before and after generate, until they are drawn again', async () => {
    writeFileSync(
      prodEnv,
      readFileSync(prodEnv, 'utf8').replace("addresses: ['10.40.0.11', '10.40.0.12']", "addresses: ['10.40.0.11', '10.40.0.13']"),
    );
    const stale = [
      'docs/topology-prod.svg: was drawn from other overlays or drawing code than the generated ones',
      'docs/topology-prod.mmd: was drawn from other overlays or drawing code than the generated ones',
    ];
    // Compared with what the code generates, not with the committed tree.
    expect(await pictureDrift()).toStrictEqual(stale);
    await generate(ws.root);
    const after = await check(ws.root);
    expect(after.drift.map((d) => d.file)).toStrictEqual(['docs/topology-prod.svg', 'docs/topology-prod.mmd']);
    expect(after.drift[0]!.diff).toBe(
      `${stale[0]}; run \`npm run topology\` (after \`npx strata generate\`) and commit the pictures and docs/topology.inputs`,
    );
    await redraw();
    expect((await check(ws.root)).drift).toStrictEqual([]);
  });

  it('passes pictures that a changed image pin leaves as they were: the pictures show no images', async () => {
    writeFileSync(images, readFileSync(images, 'utf8').replace('"digest": "sha256:4f6d', '"digest": "sha256:5f6d'));
    await generate(ws.root);
    expect(readFileSync(join(ws.root, 'overlays/prod/tokenplace-relay/kustomization.yaml'), 'utf8')).toContain('sha256:5f6d');
    expect((await check(ws.root)).drift).toStrictEqual([]);
    expect([...(await redrawTopology(ws.root)).keys()]).toStrictEqual([]);
  });

  it('reports a picture edited by hand, and knows one that strata graph --out draws again', async () => {
    const mmd = join(ws.root, 'docs/topology-prod.mmd');
    const drawn = readFileSync(mmd, 'utf8');
    writeFileSync(mmd, drawn.replace('flowchart LR', 'flowchart TB'));
    expect(await pictureDrift()).toStrictEqual([
      'docs/topology-prod.mmd: is not the picture drawn from its inputs (edited, or drawn without docs/topology.inputs)',
    ]);
    const r = strata(ws.root, ['graph', '--env', 'prod', '--output', 'mermaid', '--out', 'docs/topology-prod.mmd']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(mmd, 'utf8')).toBe(drawn);
    expect((await check(ws.root)).drift).toStrictEqual([]);
  });

  it('leaves out files without the generated header: a note beside the overlays changes no picture', async () => {
    const notes = ['base/tokenplace-relay/NOTES.md', 'overlays/prod/tokenplace-relay/NOTES.md', 'overlays/prod/README.md'];
    for (const f of notes) writeFileSync(join(ws.root, f), 'notes kept by hand\n');
    try {
      expect((await check(ws.root)).drift).toStrictEqual([]);
      expect((await check(ws.root, {}, { cache: false })).drift).toStrictEqual([]);
      // Drawn again with the notes there, the pictures and what they were drawn from stay as they are.
      expect([...(await redrawTopology(ws.root)).keys()]).toStrictEqual([]);
    } finally {
      for (const f of notes) rmSync(join(ws.root, f));
    }
  });
});
