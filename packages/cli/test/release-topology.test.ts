import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editFile, strata, suiteWorkspace } from '@strata/testing/workspace';

// The committed topology pictures do not show images, so a release (set image, promote, or a bot
// editing images.json and running generate) leaves them, and check, as they were.
const DIGEST = `sha256:${'18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4'}`;

/** Runs strata in `root` and expects it to pass, showing its output when it does not. */
function okIn(root: string, args: string[]) {
  const r = strata(root, args);
  expect(r.status, `strata ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

/** Draws the committed pictures of staging and prod, as `npm run topology` does. */
function drawPictures(root: string): void {
  for (const env of ['staging', 'prod']) {
    okIn(root, ['graph', '--env', env, '--out', `docs/topology-${env}.svg`]);
    okIn(root, ['graph', '--env', env, '--output', 'mermaid', '--out', `docs/topology-${env}.mmd`]);
  }
}

describe('a release and the committed topology pictures', () => {
  const ws = suiteWorkspace(['tokenplace-relay'], { generate: true });
  const pictures = ['staging', 'prod'].flatMap((env) => [`docs/topology-${env}.svg`, `docs/topology-${env}.mmd`]);
  const snapshot = () => Object.fromEntries([...pictures, 'docs/topology.inputs'].map((f) => [f, readFileSync(join(ws.root, f), 'utf8')]));
  const ok = (args: string[]) => okIn(ws.root, args);

  it('draws the pictures, and check passes', () => {
    mkdirSync(join(ws.root, 'docs'));
    drawPictures(ws.root);
    ok(['check']);
  });

  it('set image and promote leave check green and the pictures as they were', () => {
    const before = snapshot();
    ok(['set', 'image', '--app', 'tokenplace-relay', '--env', 'staging', `:1.5.0@${DIGEST}`]);
    ok(['check']);
    ok(['promote', '--from', 'staging', '--to', 'prod']);
    expect(readFileSync(join(ws.root, 'overlays/prod/tokenplace-relay/kustomization.yaml'), 'utf8')).toContain(DIGEST);
    ok(['check']);
    expect(snapshot()).toStrictEqual(before);
  });

  it('a pin edited in images.json and generated, as a release bot does, leaves check green', () => {
    editFile(join(ws.root, 'apps/tokenplace-relay/images.json'), (t) => t.replace('"tag": "sha-3f9c2e1"', '"tag": "sha-4a0d3f2"'));
    ok(['generate']);
    ok(['check']);
  });

  it('a change the pictures show still fails check, naming the command that draws them again', () => {
    editFile(join(ws.root, 'apps/tokenplace-relay/src/env/staging.ts'), (t) => t.replace('port: 5010 }', 'port: 5011 }'));
    ok(['generate']);
    const r = strata(ws.root, ['check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('docs/topology-staging.svg: was drawn from other overlays or drawing code than the generated ones');
    expect(r.stderr.trim().split('\n').at(-1)).toBe('the topology pictures are out of date: run `npm run topology` and commit docs/');
    drawPictures(ws.root);
    ok(['check']);
  });
});

// An app whose image goes into a patch, not into `images:` (its canary runs the same repository
// with another pin): a release adds or removes that patch, and the pictures show neither.
describe('a release carried by a patch and the committed topology pictures', () => {
  const ws = suiteWorkspace(['llm-runner-router'], { generate: true });
  const patch = 'overlays/staging/llm-runner-router/deployment.llm-runner-router.patch.yaml';
  const ok = (args: string[]) => okIn(ws.root, args);

  it('set image and promote leave check green', () => {
    mkdirSync(join(ws.root, 'docs'));
    drawPictures(ws.root);
    ok(['check']);
    expect(existsSync(join(ws.root, patch))).toBe(false);
    ok(['set', 'image', '--app', 'llm-runner-router', '--env', 'staging', ':1.2.3']);
    // The pin went into a patch of its own, listed in the overlay's patches.
    expect(readFileSync(join(ws.root, patch), 'utf8')).toContain('image: ghcr.io/llm-runner/llm-runner-router:1.2.3');
    expect(readFileSync(join(ws.root, 'overlays/staging/llm-runner-router/kustomization.yaml'), 'utf8')).toContain(
      '  - path: deployment.llm-runner-router.patch.yaml',
    );
    ok(['check']);
    ok(['promote', '--from', 'dev', '--to', 'staging', '--app', 'llm-runner-router']);
    ok(['check']);
  });
});
