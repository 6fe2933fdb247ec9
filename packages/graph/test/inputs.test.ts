import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEADER } from '@strata/emit';
import { topologyInputsHash } from '../src/index.ts';

// What a picture is drawn from, hashed without what no picture shows: images, and a patch that
// sets nothing else (with its line in the overlay's patches).
describe('the hash of a picture’s inputs', () => {
  const root = mkdtempSync(join(tmpdir(), 'strata-topology-inputs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = 'overlays/staging/web';
  const kustomization = (patches: string[]) =>
    `${HEADER}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../../base/web\n${
      patches.length > 0 ? `patches:\n${patches.map((p) => `  - path: ${p}\n`).join('')}` : ''
    }`;
  const patch = (extra = '') =>
    `${HEADER}apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n${extra}  template:\n    spec:\n      containers:\n        - name: web\n          image: registry.example/web:1.2.3\n`;
  const hashOf = (files: Record<string, string>) => topologyInputsHash(root, new Map(Object.entries(files)));
  const ingress = `${HEADER}apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  rules: []\n`;
  const without = hashOf({ [`${dir}/kustomization.yaml`]: kustomization(['ingress.web.patch.yaml']), [`${dir}/ingress.web.patch.yaml`]: ingress });

  it('leaves out a patch that sets only images, and its patches entry', () => {
    const withImagePatch = hashOf({
      [`${dir}/kustomization.yaml`]: kustomization(['deployment.web.patch.yaml', 'ingress.web.patch.yaml']),
      [`${dir}/deployment.web.patch.yaml`]: patch(),
      [`${dir}/ingress.web.patch.yaml`]: ingress,
    });
    expect(withImagePatch).toBe(without);
    // The only patch: the patches key it opened goes too.
    expect(
      hashOf({ [`${dir}/kustomization.yaml`]: kustomization(['deployment.web.patch.yaml']), [`${dir}/deployment.web.patch.yaml`]: patch() }),
    ).toBe(hashOf({ [`${dir}/kustomization.yaml`]: kustomization([]) }));
  });

  it('counts a patch that sets anything else, and an entry for a patch that is not there', () => {
    for (const extra of ['  replicas: 7\n', '  selector:\n    matchLabels:\n      tier: web\n', '  $patch: replace\n'])
      expect(
        hashOf({
          [`${dir}/kustomization.yaml`]: kustomization(['deployment.web.patch.yaml', 'ingress.web.patch.yaml']),
          [`${dir}/deployment.web.patch.yaml`]: patch(extra),
          [`${dir}/ingress.web.patch.yaml`]: ingress,
        }),
        extra,
      ).not.toBe(without);
    expect(
      hashOf({
        [`${dir}/kustomization.yaml`]: kustomization(['deployment.web.patch.yaml', 'ingress.web.patch.yaml']),
        [`${dir}/ingress.web.patch.yaml`]: ingress,
      }),
    ).not.toBe(without);
  });
});
