import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import type { ArgoCdTrackingMethod } from '@strata/core/argocd';
import { ANNOTATIONS_SIZE_LIMIT, ARGOCD_INSTALLATION_ID_ANNOTATION, argoCdTracked, clientSideApplyAnnotationsSize, rules } from '@strata/policy';
import { parseSettings, syncPlan } from '../src/index.ts';

// An app's Application syncs server-side exactly when one of its objects would not fit client-side
// apply, which is what the policy rule fit-client-side-apply refuses: one rule, never two answers.

const rule = rules.find((r) => r.id === 'fit-client-side-apply')!;
const refusedByPolicy = (m: Manifest) => rule.check([{ manifest: m, file: 'dist/dev/big.yaml' }], {}).length > 0;
const serverSide = (m: Manifest) => syncPlan('big', [m]).syncOptions.includes('ServerSideApply=true');

/** A ConfigMap with `data` bytes of data and an `annotation` bytes long annotation. */
const configMap = (data: number, annotation: number): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'big', namespace: 'big', ...(annotation > 0 ? { annotations: { 'example.test/note': 'n'.repeat(annotation) } } : {}) },
  data: { blob: 'x'.repeat(data) },
});

/** The same ConfigMap with its data sized so that client-side apply makes its annotations exactly `size` bytes. */
function sized(size: number, annotation: number): Manifest {
  const fixed = clientSideApplyAnnotationsSize(configMap(0, annotation));
  const m = configMap(size - fixed, annotation);
  expect(clientSideApplyAnnotationsSize(m)).toBe(size);
  return m;
}

describe('ServerSideApply=true in the Argo CD Application', () => {
  it('is set exactly for the objects the policy finds too large for client-side apply, on the limit and one byte past it', () => {
    const cases = [
      { m: sized(ANNOTATIONS_SIZE_LIMIT, 0), over: false },
      { m: sized(ANNOTATIONS_SIZE_LIMIT + 1, 0), over: true },
      { m: sized(ANNOTATIONS_SIZE_LIMIT, 100_000), over: false },
      { m: sized(ANNOTATIONS_SIZE_LIMIT + 1, 100_000), over: true },
    ];
    for (const { m, over } of cases) {
      expect(refusedByPolicy(m)).toBe(over);
      expect(serverSide(m)).toBe(over);
    }
  });

  it('counts the annotations kubectl keeps beside its copy of the object: a 180 KB object with a 100 KB annotation syncs server-side', () => {
    const m = configMap(80_000, 100_000);
    // As JSON the object is well under the limit; its annotation is counted twice, in itself and in the copy.
    expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThan(ANNOTATIONS_SIZE_LIMIT);
    expect(refusedByPolicy(m)).toBe(true);
    expect(serverSide(m)).toBe(true);
  });

  it('agrees with the policy on data that kubectl writes longer (escaped) or that takes several bytes a character', () => {
    for (const char of ['<', '\u2028', 'é', '😀'])
      for (const length of [20_000, 28_000, 29_000, 43_000, 44_000, 87_000, 88_000]) {
        const m: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob: char.repeat(length / char.length) } };
        expect(serverSide(m)).toBe(refusedByPolicy(m));
      }
  });

  it('keeps client-side apply for small objects, and syncs a CRD server-side whatever its size', () => {
    expect(serverSide(configMap(10, 10))).toBe(false);
    const crd: Manifest = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.toys.example.test' },
    };
    expect(serverSide(crd)).toBe(true);
  });
});

describe("Argo CD's tracking id, counted in ServerSideApply=true", () => {
  it('counts the tracking annotation Argo CD writes into the object and into its copy, on the limit and one byte past it', () => {
    // The Application big-dev (app big in dev) tracks ConfigMap big/big as big-dev:/ConfigMap:big/big: kubectl
    // counts the annotation itself, and again in its copy as "key":"value", with a comma beside another.
    const key = 'argocd.argoproj.io/tracking-id';
    const value = 'big-dev:/ConfigMap:big/big';
    const inDev = (m: Manifest) => syncPlan('big', [m], undefined, 'dev').syncOptions.includes('ServerSideApply=true');
    for (const annotation of [0, 100_000]) {
      const added = 2 * (key.length + value.length) + 5 + (annotation > 0 ? 1 : 0);
      const fits = sized(ANNOTATIONS_SIZE_LIMIT - added, annotation);
      expect(inDev(fits)).toBe(false);
      const over = sized(ANNOTATIONS_SIZE_LIMIT - added + 1, annotation);
      expect(inDev(over)).toBe(true);
      // kubectl apply -k adds no tracking id: the policy and a plan for no env let it fit.
      expect(refusedByPolicy(over)).toBe(false);
      expect(serverSide(over)).toBe(false);
    }
  });

  it('writes in what each tracking method writes, and nothing into a CRD', () => {
    const m: Manifest = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } };
    const application = `${'a'.repeat(62)}-dev`;
    expect(argoCdTracked(m, { application: 'web-dev', namespace: 'shop' }).metadata).toStrictEqual({
      name: 'web',
      annotations: { 'argocd.argoproj.io/tracking-id': 'web-dev:apps/Deployment:shop/web' },
    });
    expect(argoCdTracked(m, { application, namespace: 'shop', method: 'annotation+label' }).metadata).toStrictEqual({
      name: 'web',
      annotations: { 'argocd.argoproj.io/tracking-id': `${application}:apps/Deployment:shop/web` },
      // Cut to 63 bytes, then to its last letter or digit.
      labels: { 'app.kubernetes.io/instance': 'a'.repeat(62) },
    });
    expect(argoCdTracked(m, { application, namespace: 'shop', method: 'label' }).metadata).toStrictEqual({
      name: 'web',
      labels: { 'app.kubernetes.io/instance': application },
    });
    const crd: Manifest = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a.b.c' } };
    expect(argoCdTracked(crd, { application: 'x', namespace: 'y' })).toBe(crd);
  });
});

describe('gitops.resourceTrackingMethod, counted in ServerSideApply=true', () => {
  it('counts what each tracking method writes: an object that fits with the instance label alone syncs server-side under annotation tracking (the default) and annotation+label, client-side under label tracking', () => {
    const tracking = (method: ArgoCdTrackingMethod) => ({ application: 'big-dev', namespace: 'big', method });
    // The largest object that fits client-side apply as label tracking writes it (the label in kubectl's copy only).
    let lo = 0;
    let hi = ANNOTATIONS_SIZE_LIMIT;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (clientSideApplyAnnotationsSize(argoCdTracked(configMap(mid, 0), tracking('label'))) <= ANNOTATIONS_SIZE_LIMIT) lo = mid;
      else hi = mid;
    }
    const m = configMap(lo, 0);
    const plan = (method?: ArgoCdTrackingMethod) => syncPlan('big', [m], undefined, 'dev', method).syncOptions.includes('ServerSideApply=true');
    expect(plan('label')).toBe(false);
    expect(plan('annotation')).toBe(true);
    expect(plan('annotation+label')).toBe(true);
    expect(plan()).toBe(true);
    expect(syncPlan('big', [configMap(lo + 1, 0)], undefined, 'dev', 'label').syncOptions).toContain('ServerSideApply=true');
  });

  it('is read from the gitops settings into the plan of every env, and a method Argo CD does not know is refused', () => {
    const settings = { repoURL: 'https://git.example.com/x.git', targetRevision: 'main' };
    expect(parseSettings({ ...settings, resourceTrackingMethod: 'annotation+label' })).toStrictEqual({
      ...settings,
      resourceTrackingMethod: 'annotation+label',
    });
    expect(parseSettings(settings)).toStrictEqual(settings);
    expect(() => parseSettings({ ...settings, resourceTrackingMethod: 'Label' })).toThrow(
      'gitops.resourceTrackingMethod: "Label" is not an Argo CD tracking method; write the clusters\' application.resourceTrackingMethod of argocd-cm, one of "annotation", "label", "annotation+label" (did you mean "label"?)',
    );
  });
});

describe('gitops.installationID, counted in ServerSideApply=true', () => {
  it("counts the installation-id annotation Argo CD's annotation tracking writes where argocd-cm sets an installationID: an object that fits with the tracking id alone syncs server-side once it is set, and label tracking writes none", () => {
    const tracking = { application: 'big-dev', namespace: 'big' };
    // The largest object that fits client-side apply with the tracking id alone.
    let lo = 0;
    let hi = ANNOTATIONS_SIZE_LIMIT;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (clientSideApplyAnnotationsSize(argoCdTracked(configMap(mid, 0), tracking)) <= ANNOTATIONS_SIZE_LIMIT) lo = mid;
      else hi = mid;
    }
    const m = configMap(lo, 0);
    const plan = (method: ArgoCdTrackingMethod | undefined, installationID?: string) =>
      syncPlan('big', [m], undefined, 'dev', method, installationID).syncOptions.includes('ServerSideApply=true');
    expect(plan(undefined)).toBe(false);
    expect(plan(undefined, 'cluster-one')).toBe(true);
    expect(plan('annotation', 'cluster-one')).toBe(true);
    expect(plan('annotation+label', 'cluster-one')).toBe(true);
    // Argo CD writes it as the annotation, in the object and in kubectl's copy of it.
    expect(argoCdTracked(m, { ...tracking, installationID: 'cluster-one' }).metadata.annotations).toStrictEqual({
      [ARGOCD_INSTALLATION_ID_ANNOTATION]: 'cluster-one',
      'argocd.argoproj.io/tracking-id': 'big-dev:/ConfigMap:big/big',
    });
    expect(argoCdTracked(m, { ...tracking, method: 'label', installationID: 'cluster-one' }).metadata.annotations).toBeUndefined();
    // One the manifest carries is taken away where the installation has no ID, as Argo CD does.
    const carried = configMap(lo, 0);
    carried.metadata.annotations = { [ARGOCD_INSTALLATION_ID_ANNOTATION]: 'elsewhere' };
    expect(argoCdTracked(carried, tracking).metadata.annotations).toStrictEqual({ 'argocd.argoproj.io/tracking-id': 'big-dev:/ConfigMap:big/big' });
  });

  it('is read from the gitops settings, and a value Argo CD cannot take is refused', () => {
    const settings = { repoURL: 'https://git.example.com/x.git', targetRevision: 'main' };
    expect(parseSettings({ ...settings, installationID: 'cluster-one' })).toStrictEqual({ ...settings, installationID: 'cluster-one' });
    expect(() => parseSettings({ ...settings, installationID: '' })).toThrow(
      'gitops.installationID: "" is not an Argo CD installation ID; write the clusters\' installationID of argocd-cm, a non-empty string, or leave the key out where it sets none',
    );
  });
});
