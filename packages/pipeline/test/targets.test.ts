import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { unmatchedPatchTargets } from '../src/targets.ts';

const built: Manifest[] = [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } }];
const overlay = 'overlays/prod/web';

describe('patch targets that match nothing', () => {
  it('names a target that selects no built object, and not one that does', () => {
    const text = [
      'patches:',
      '  - path: a.yaml',
      '    target: {kind: Deployment, name: web}',
      '  - path: b.yaml',
      '    target: {kind: Deployment, name: old-web}',
    ].join('\n');
    expect(unmatchedPatchTargets(overlay, text, built)).toStrictEqual([
      'overlays/prod/web/kustomization.yaml: patches[1] (b.yaml): target {"kind":"Deployment","name":"old-web"} matches no object of the build; fix the target or remove the patch',
    ]);
  });

  it('reads a target key spelt with escapes in quotes, which kustomize reads as target', () => {
    const text = ['patches:', '  - path: b.yaml', '    "t\\x61rget": {kind: Deployment, name: old-web}'].join('\n');
    expect(unmatchedPatchTargets(overlay, text, built)).toHaveLength(1);
    // Unquoted, the escape is text: a key kustomize does not know, no target.
    expect(unmatchedPatchTargets(overlay, text.replace('"t\\x61rget"', 't\\x61rget'), built)).toStrictEqual([]);
  });

  it('finds nothing in patches by file alone', () => {
    expect(unmatchedPatchTargets(overlay, 'patches:\n  - path: deployment.web.patch.yaml\n', built)).toStrictEqual([]);
  });
});
