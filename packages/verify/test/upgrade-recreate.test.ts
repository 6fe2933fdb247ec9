import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import {
  appliesServerSide,
  argoCdDeletesBeforeCreation,
  argoCdGoneBeforeNextSync,
  argoCdHookDeletePolicies,
  fluxForceRecreates,
  fluxForces,
  kubectlForceRecreates,
  verifyDocuments,
} from '../src/index.ts';
import {
  ANNOTATIONS_SIZE_LIMIT,
  argoCdTracked,
  clientSideApplyAnnotationsSize,
  LAST_APPLIED_ANNOTATION,
  lastAppliedConfiguration,
  type ArgoCdTrackingMethod,
} from '@strata/policy';
import { BUILD_TIMEOUT, builtDocs as docs, makeRepo, sharedServer, withConsumer } from './helpers.ts';

// Objects a sync deletes and creates anew instead of updating: Argo CD's hooks and Force=true, Flux's force.
const HOOK = 'argocd.argoproj.io/hook';
const POLICY = 'argocd.argoproj.io/hook-delete-policy';
const OPTIONS = 'argocd.argoproj.io/sync-options';
const FLUX = 'kustomize.toolkit.fluxcd.io/force';

const server = sharedServer();

const m = (annotations: Record<string, string>, labels?: Record<string, string>): Manifest => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'j', annotations, ...(labels ? { labels } : {}) },
});

/** A fixed-name Job run again by every release, its image the release's, with these annotations and labels. */
const job = (name: string, image: string, annotations: Record<string, string> = {}, labels?: Record<string, string>) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: 'recreate', annotations, ...(labels ? { labels } : {}) },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image, command: ['true'] }] } } },
});

/** `next` checked as an upgrade of `now` (each a list of objects), in the workspace `root` (its gitops.consumer). */
const upgrade = (now: readonly object[], next: readonly object[], root?: string) =>
  verifyDocuments(docs(next, 'next.yaml'), { server, ...(root ? { root } : {}), against: { name: 'now', docs: docs(now, 'now.yaml') } });

describe('hook delete policies, read as Argo CD reads them', () => {
  it('BeforeHookCreation when a hook names none or only names Argo CD does not know, Helm policies mapped and added to its own', () => {
    expect(argoCdHookDeletePolicies(m({ [HOOK]: 'PreSync' }))).toStrictEqual(['BeforeHookCreation']);
    expect(argoCdHookDeletePolicies(m({ [HOOK]: 'PreSync', [POLICY]: 'beforehookcreation, Bogus' }))).toStrictEqual(['BeforeHookCreation']);
    expect(argoCdHookDeletePolicies(m({ [HOOK]: 'PreSync', [POLICY]: ' HookFailed ,HookSucceeded,HookFailed' }))).toStrictEqual([
      'HookFailed',
      'HookSucceeded',
    ]);
    const helm = { 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-delete-policy': 'hook-succeeded,before-hook-creation' };
    expect(argoCdHookDeletePolicies(m(helm))).toStrictEqual(['HookSucceeded', 'BeforeHookCreation']);
    expect(argoCdHookDeletePolicies(m({ [HOOK]: 'Sync', [POLICY]: 'HookFailed', 'helm.sh/hook-delete-policy': 'hook-succeeded' }))).toStrictEqual([
      'HookFailed',
      'HookSucceeded',
    ]);
    // No hook, no policy: the annotation alone makes nothing a hook.
    expect(argoCdHookDeletePolicies(m({ [POLICY]: 'BeforeHookCreation' }))).toStrictEqual([]);
  });

  it('deletes a sync hook before creating it under BeforeHookCreation alone or among others, never a delete hook or a non-hook', () => {
    for (const policy of [undefined, 'BeforeHookCreation', 'HookFailed,BeforeHookCreation', 'HookSucceeded, BeforeHookCreation', 'Typo'])
      expect(argoCdDeletesBeforeCreation(m({ [HOOK]: 'PostSync', ...(policy ? { [POLICY]: policy } : {}) })), policy).toBe(true);
    expect(argoCdDeletesBeforeCreation(m({ 'helm.sh/hook': 'post-install' }))).toBe(true);
    const never: Record<string, string>[] = [{ [HOOK]: 'PreSync', [POLICY]: 'HookSucceeded' }, { [HOOK]: 'PostDelete' }, { [HOOK]: 'Skip' }, {}];
    for (const annotations of never) expect(argoCdDeletesBeforeCreation(m(annotations)), JSON.stringify(annotations)).toBe(false);
  });

  it('takes a deployed hook deleted once its sync succeeded (HookSucceeded) and a delete hook as gone, and HookFailed alone as kept', () => {
    const gone: Record<string, string>[] = [
      { [HOOK]: 'PreSync', [POLICY]: 'HookSucceeded' },
      { [HOOK]: 'PreSync', [POLICY]: 'HookSucceeded,HookFailed' },
      { 'helm.sh/hook': 'post-upgrade', 'helm.sh/hook-delete-policy': 'hook-succeeded' },
      { [HOOK]: 'PostDelete' },
      { 'helm.sh/hook': 'pre-delete' },
      // Only a sync that fails runs a SyncFail hook.
      { [HOOK]: 'SyncFail' },
      { [HOOK]: 'SyncFail', [POLICY]: 'HookFailed' },
    ];
    for (const annotations of gone) expect(argoCdGoneBeforeNextSync(m(annotations)), JSON.stringify(annotations)).toBe(true);
    const kept: Record<string, string>[] = [
      { [HOOK]: 'PreSync', [POLICY]: 'HookFailed' },
      { [HOOK]: 'PreSync' },
      { [HOOK]: 'PostSync', [POLICY]: 'HookFailed' },
      { [HOOK]: 'PostSync,SyncFail', [POLICY]: 'HookFailed' },
      { [HOOK]: 'Skip', [POLICY]: 'HookSucceeded' },
      {},
    ];
    for (const annotations of kept) expect(argoCdGoneBeforeNextSync(m(annotations)), JSON.stringify(annotations)).toBe(false);
  });

  it("reads Flux's force as a label or an annotation of either object, enabled in any case, never for a CRD or a Namespace", () => {
    expect(fluxForces(m({ [FLUX]: 'enabled' }))).toBe(true);
    expect(fluxForces(m({}, { [FLUX]: 'Enabled' }))).toBe(true);
    expect(fluxForces(m({}), m({ [FLUX]: 'ENABLED' }))).toBe(true);
    for (const value of ['disabled', 'true', '']) expect(fluxForces(m({ [FLUX]: value })), value).toBe(false);
    const ns: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', annotations: { [FLUX]: 'enabled' } } };
    expect(fluxForces(ns)).toBe(false);
  });

  it('takes an app with a CRD as applied server-side', () => {
    expect(appliesServerSide([m({})])).toBe(false);
    expect(
      appliesServerSide([m({}), { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'xs.x.io' } }]),
    ).toBe(true);
  });
});

describe('verify against what is deployed: an app Argo CD syncs server-side as one of its objects does not fit client-side apply', () => {
  const SIZED = 'sized';
  /** A ConfigMap of `n` bytes of data, the only large object of an app. */
  const filler = (name: string, n: number): Manifest => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: SIZED },
    data: { 'blob.txt': `<${'a'.repeat(n)}&` },
  });
  /** The largest filler of a ConfigMap of this name whose annotations fit client-side apply, by kubectl's copy. */
  const largest = (name: string): number => {
    let lo = 0;
    let hi = ANNOTATIONS_SIZE_LIMIT;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (clientSideApplyAnnotationsSize(filler(name, mid)) <= ANNOTATIONS_SIZE_LIMIT) lo = mid;
      else hi = mid;
    }
    return lo;
  };

  it(
    'recreates a Force=true object of an app whose largest object fits by one byte and not of one whose largest is one byte over, as the server judges kubectl apply',
    async () => {
      const under = largest('under');
      const over = largest('over') + 1;
      await server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SIZED } });
      // The server's verdict on kubectl apply's create of each, its last-applied-configuration written by kubectl's rules.
      const kubectlCreate = async (o: Manifest) => {
        const body = { ...o, metadata: { ...o.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: lastAppliedConfiguration(o) } } };
        const r = await server.client.request('POST', `/api/v1/namespaces/${SIZED}/configmaps?dryRun=All`, body);
        return r.status < 300 ? 'created' : (r.body as { message?: string }).message;
      };
      const tooLong = /metadata\.annotations: Too long: may not be more than 262144 bytes/;
      expect(await kubectlCreate(filler('under', under))).toBe('created');
      expect(await kubectlCreate(filler('under', under + 1))).toMatch(tooLong);
      expect(await kubectlCreate(filler('over', over - 1))).toBe('created');
      expect(await kubectlCreate(filler('over', over))).toMatch(tooLong);
      expect(appliesServerSide([filler('under', under)])).toBe(false);
      expect(appliesServerSide([filler('over', over)])).toBe(true);

      // Each app a file of its own: the large ConfigMap and a fixed-name Job under Force=true whose template changed.
      const app = (name: string, n: number, image: string) => [
        filler(name, n),
        { ...job(name, image), metadata: { name, namespace: SIZED, annotations: { [OPTIONS]: 'Force=true' } } },
      ];
      const release = (image: string, file: string) => [
        ...docs(app('under', under, image), `under-${file}`),
        ...docs(app('over', over, image), `over-${file}`),
      ];
      const r = await verifyDocuments(release('busybox:1.37', 'next.yaml'), {
        server,
        against: { name: 'now', docs: release('busybox:1.36', 'now.yaml') },
      });
      // Client-side apply's --force recreates the one; the other app is synced server-side, where Force=true alone updates.
      expect(r.problems.map((p) => [p.file, p.name, p.path, p.rule])).toStrictEqual([['over-next.yaml', 'over', 'spec.template', 'immutable-field']]);
      expect(r.problems[0]!.message).toMatch(/Force=true deletes and recreates it only under client-side apply, and Argo CD applies it server-side/);
      expect(r.notes).toHaveLength(1);
      expect(r.notes[0]).toMatch(/Argo CD's client-side apply deletes and recreates it .*: under-next\.yaml:\d+ under$/);
    },
    BUILD_TIMEOUT,
  );
});

describe("verify against what is deployed: what Argo CD's tracking writes into an object, by gitops.resourceTrackingMethod", () => {
  const NS = 'tracked';
  const big = (n: number): Manifest => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'big', namespace: NS },
    data: { blob: 'x'.repeat(n) },
  });
  const tracking = (method: ArgoCdTrackingMethod) => ({ application: 'big-dev', namespace: NS, method });

  it(
    'recreates a Force=true Job of an app whose large object fits client-side apply with the instance label (label tracking) and fails it where the tracking id annotation does not fit (annotation, the default, and annotation+label), as the server judges kubectl apply of each',
    async () => {
      // The largest ConfigMap that fits client-side apply as label tracking writes it in (the label goes into kubectl's copy only).
      let lo = 0;
      let hi = ANNOTATIONS_SIZE_LIMIT;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (clientSideApplyAnnotationsSize(argoCdTracked(big(mid), tracking('label'))) <= ANNOTATIONS_SIZE_LIMIT) lo = mid;
        else hi = mid;
      }
      const n = lo;
      await server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
      // The server's verdict on kubectl apply's create of the object as each tracking method has Argo CD write it.
      const kubectlCreate = async (method: ArgoCdTrackingMethod) => {
        const o = argoCdTracked(big(n), tracking(method));
        const annotations = { ...o.metadata.annotations, [LAST_APPLIED_ANNOTATION]: lastAppliedConfiguration(o) };
        const r = await server.client.request('POST', `/api/v1/namespaces/${NS}/configmaps?dryRun=All`, {
          ...o,
          metadata: { ...o.metadata, annotations },
        });
        return r.status < 300 ? 'created' : (r.body as { message?: string }).message;
      };
      const tooLong = /metadata\.annotations: Too long: may not be more than 262144 bytes/;
      expect(await kubectlCreate('label')).toBe('created');
      expect(await kubectlCreate('annotation')).toMatch(tooLong);
      expect(await kubectlCreate('annotation+label')).toMatch(tooLong);

      // The app big of dev, as its dist/dev/big.yaml: the ConfigMap and a fixed-name Job under Force=true whose template changed.
      const release = (image: string, file: string) =>
        docs([big(n), { ...job('big', image), metadata: { name: 'big', namespace: NS, annotations: { [OPTIONS]: 'Force=true' } } }], file);
      for (const method of [undefined, 'annotation', 'annotation+label', 'label'] as const) {
        const root = makeRepo({});
        try {
          writeFileSync(join(root, 'strata.config.json'), `${JSON.stringify({ gitops: method ? { resourceTrackingMethod: method } : {} })}\n`);
          const r = await verifyDocuments(release('busybox:1.37', 'dist/dev/big.yaml'), {
            server,
            root,
            against: { name: 'now', docs: release('busybox:1.36', 'now/dev/big.yaml') },
          });
          const said = method ?? 'unset';
          if (method === 'label') {
            // Client-side apply's --force deletes and recreates the Job.
            expect(r.problems, said).toStrictEqual([]);
            expect(r.notes, said).toHaveLength(1);
            expect(r.notes[0], said).toMatch(/Argo CD's client-side apply deletes and recreates it .*: dist\/dev\/big\.yaml:\d+ big$/);
          } else {
            // Synced server-side, where Force=true alone updates, and the update is refused.
            expect(
              r.problems.map((p) => [p.file, p.name, p.path, p.rule]),
              said,
            ).toStrictEqual([['dist/dev/big.yaml', 'big', 'spec.template', 'immutable-field']]);
            expect(r.problems[0]!.message, said).toMatch(
              /Force=true deletes and recreates it only under client-side apply, and Argo CD applies it server-side/,
            );
          }
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }
    },
    BUILD_TIMEOUT,
  );
});

describe('verify against what is deployed: Argo CD hooks', () => {
  it(
    'checks a fixed-name hook Job whose template changed as created when the sync deletes it first, or the deployed one is gone, and as an update otherwise',
    async () => {
      const hooks: Record<string, Record<string, string>> = {
        presync: { [HOOK]: 'PreSync' },
        listed: { [HOOK]: 'PreSync', [POLICY]: 'HookFailed,BeforeHookCreation' },
        helm: { 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-delete-policy': 'before-hook-creation' },
        succeeded: { [HOOK]: 'PostSync', [POLICY]: 'HookSucceeded' },
        postdelete: { [HOOK]: 'PostDelete' },
        failed: { [HOOK]: 'PostSync', [POLICY]: 'HookFailed' },
        plain: {},
      };
      const release = (image: string) => Object.entries(hooks).map(([name, annotations]) => job(name, image, annotations));
      const r = await upgrade(release('busybox:1.36'), release('busybox:1.37'));
      // HookFailed alone leaves a hook that succeeded in the cluster: the next sync updates it, refused.
      expect(r.problems.map((p) => [p.name, p.path, p.rule, p.severity])).toStrictEqual([
        ['failed', 'spec.template', 'immutable-field', 'error'],
        ['plain', 'spec.template', 'immutable-field', 'error'],
      ]);
      expect(r.notes).toStrictEqual([
        `3 objects changed since now in a way the server refuses on update (an immutable field), but Argo CD deletes the hooks before it creates them anew (${POLICY}: BeforeHookCreation, the default when none is named), so checked as created afresh: next.yaml:1 presync, next.yaml:18 listed, next.yaml:36 helm`,
      ]);
      // Those the sync deletes first, or that are gone before it, are no upgrades: two were checked as updates.
      expect(r).toMatchObject({ objects: 7, upgrades: 2 });
    },
    BUILD_TIMEOUT,
  );

  it(
    'deploys no SyncFail hook as the baseline, as only a sync that fails runs it, and a PostSync hook, which every sync that succeeds runs',
    async () => {
      // HookFailed keeps a hook that succeeded, so the next sync updates the one deployed, if there is one.
      const hooks: Record<string, Record<string, string>> = {
        'on-failure': { [HOOK]: 'SyncFail', [POLICY]: 'HookFailed' },
        'after-sync': { [HOOK]: 'PostSync', [POLICY]: 'HookFailed' },
        'after-either': { [HOOK]: 'PostSync,SyncFail', [POLICY]: 'HookFailed' },
      };
      const release = (image: string) => Object.entries(hooks).map(([name, annotations]) => job(name, image, annotations));
      const r = await upgrade(release('busybox:1.36'), release('busybox:1.37'));
      expect(r.problems.map((p) => [p.name, p.path, p.rule, p.severity])).toStrictEqual([
        ['after-sync', 'spec.template', 'immutable-field', 'error'],
        ['after-either', 'spec.template', 'immutable-field', 'error'],
      ]);
      // The SyncFail hook meets no deployed Job of its name: it is checked as created, as a failed sync creates it.
      expect(r.notes).toStrictEqual([]);
      expect(r).toMatchObject({ objects: 3, upgrades: 2 });
    },
    BUILD_TIMEOUT,
  );

  it(
    'still fails a hook refused as created, and a hook applied as an update where Flux applies the tree too',
    async () => {
      const bad = job('presync', 'busybox:1.37', { [HOOK]: 'PreSync' });
      bad.spec.template.spec.restartPolicy = 'Always';
      const r = await upgrade([job('presync', 'busybox:1.36', { [HOOK]: 'PreSync' })], [bad]);
      expect(r.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([['presync', 'spec.template.spec.restartPolicy', 'server-rejected']]);
      expect(r.notes).toStrictEqual([]);
      await withConsumer('both', async (root) => {
        const both = await upgrade(
          [job('presync', 'busybox:1.36', { [HOOK]: 'PreSync', [POLICY]: 'HookSucceeded' })],
          [job('presync', 'busybox:1.37', { [HOOK]: 'PreSync' })],
          root,
        );
        // Flux applies the hook as any object and keeps it: its update is refused.
        expect(both.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([['presync', 'spec.template', 'immutable-field']]);
      });
    },
    BUILD_TIMEOUT,
  );
});

describe('verify against what is deployed: Force=true alone, and what decides it', () => {
  it(
    'fails a changed Job template under Force=true alone where Argo CD applies it server-side, saying why, and passes it under the deployed Force=true,Replace=true',
    async () => {
      const crd = {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'gadgets.recreate.example.com' },
        spec: {
          group: 'recreate.example.com',
          scope: 'Namespaced',
          names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      };
      const own = (image: string) => job('own', image, { [OPTIONS]: 'Force=true,ServerSideApply=true' });
      const withCrd = (image: string) => job('with-crd', image, { [OPTIONS]: 'Force=true' });
      const wasReplaced = (image: string, options?: string) => job('was-replaced', image, options ? { [OPTIONS]: options } : {});
      const r = await upgrade(
        [own('busybox:1.36'), crd, withCrd('busybox:1.36'), wasReplaced('busybox:1.36', 'Force=true,Replace=true')],
        [own('busybox:1.37'), crd, withCrd('busybox:1.37'), wasReplaced('busybox:1.37')],
      );
      expect(r.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([
        ['own', 'spec.template', 'immutable-field'],
        ['with-crd', 'spec.template', 'immutable-field'],
      ]);
      for (const p of r.problems)
        expect(p.message).toMatch(/Force=true deletes and recreates it only under client-side apply, and Argo CD applies it server-side/);
      // Argo CD reads the deployed object's sync options too: it still replaces with force.
      expect(r.notes).toStrictEqual([
        `1 object changed since now in a way the server refuses on update (an immutable field), but Argo CD deletes and recreates it (${OPTIONS}: Force=true,Replace=true), so checked as created afresh: next.yaml:55 was-replaced`,
      ]);
    },
    BUILD_TIMEOUT,
  );
});

describe("verify against what is deployed: Flux's force", () => {
  it(
    'passes a changed Job template under kustomize.toolkit.fluxcd.io/force: enabled where Flux applies the tree, and fails it without',
    async () => {
      await withConsumer('flux', async (root) => {
        const release = (image: string) => [job('forced', image, {}, { [FLUX]: 'enabled' }), job('plain', image)];
        const r = await upgrade(release('busybox:1.36'), release('busybox:1.37'), root);
        expect(r.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([['plain', 'spec.template', 'immutable-field']]);
        expect(r.notes).toStrictEqual([
          `1 object changed since now in a way the server refuses on update (an immutable field), but Flux deletes and recreates it (${FLUX}: enabled), so checked as created afresh: next.yaml:1 forced`,
        ]);
        expect(r).toMatchObject({ objects: 2, upgrades: 1 });
      });
    },
    BUILD_TIMEOUT,
  );

  it(
    'passes it where Argo CD and Flux both apply the tree only when both recreate it',
    async () => {
      await withConsumer('both', async (root) => {
        const release = (image: string) => [
          job('both', image, { [OPTIONS]: 'Force=true,Replace=true', [FLUX]: 'enabled' }),
          job('flux-only', image, { [FLUX]: 'enabled' }),
        ];
        const r = await upgrade(release('busybox:1.36'), release('busybox:1.37'), root);
        expect(r.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([['flux-only', 'spec.template', 'immutable-field']]);
        expect(r.notes).toHaveLength(1);
        expect(r.notes[0]).toMatch(/Argo CD deletes and recreates it .*: next\.yaml:1 both$/);
      });
    },
    BUILD_TIMEOUT,
  );
});

describe('verify against what is deployed: a recreated PersistentVolumeClaim', () => {
  const claim = (storageClassName: string, annotations: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'claims', annotations },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '1Gi' } } },
  });

  it(
    'says that recreating it loses the data on its volume unless its PersistentVolume is retained, which Strata cannot see',
    async () => {
      const argo = await upgrade(
        [claim('slow', { [OPTIONS]: 'Force=true,Replace=true' })],
        [claim('fast', { [OPTIONS]: 'Force=true,Replace=true' })],
      );
      expect(argo.problems).toStrictEqual([]);
      expect(argo.notes).toHaveLength(1);
      expect(argo.notes[0]).toMatch(
        /^1 PersistentVolumeClaim changed since now .* but Argo CD deletes and recreates it \(argocd\.argoproj\.io\/sync-options: Force=true,Replace=true\), so checked as created afresh: next\.yaml:1 data; recreating a claim deletes its volume and the data on it .*unless the bound PersistentVolume's persistentVolumeReclaimPolicy is Retain.*Strata cannot see the PersistentVolume/,
      );
      await withConsumer('flux', async (root) => {
        const flux = await upgrade([claim('slow', { [FLUX]: 'enabled' })], [claim('fast', { [FLUX]: 'enabled' })], root);
        expect(flux.problems).toStrictEqual([]);
        expect(flux.notes[0]).toMatch(
          /^1 PersistentVolumeClaim .*Flux deletes and recreates it .*; recreating a claim deletes its volume and the data on it/,
        );
      });
    },
    BUILD_TIMEOUT,
  );
});

describe('verify against what is deployed: a force recreates only after a refusal it takes for an immutable field', () => {
  it("reads the refusals as kubectl apply --force and Flux's force read them", () => {
    const r = (code: number, reason: string | undefined, message = 'x') => ({ code, ...(reason ? { reason } : {}), message });
    for (const refusal of [r(422, 'Invalid'), r(409, 'Conflict'), r(422, undefined), r(409, 'Bogus'), r(500, 'Invalid')])
      expect(kubectlForceRecreates(refusal), JSON.stringify(refusal)).toBe(true);
    // AlreadyExists is a 409 of a reason apimachinery knows, so no conflict; Forbidden is no invalid object.
    for (const refusal of [r(403, 'Forbidden'), r(409, 'AlreadyExists'), r(422, 'Forbidden'), r(400, 'BadRequest'), r(500, 'InternalError')])
      expect(kubectlForceRecreates(refusal), JSON.stringify(refusal)).toBe(false);
    expect(fluxForceRecreates(r(403, 'Forbidden', 'admission webhook "x" denied the request: spec.size is immutable'))).toBe(true);
    expect(fluxForceRecreates(r(403, 'Forbidden', 'denied: an immutable field changed'))).toBe(true);
    expect(fluxForceRecreates(r(403, 'Forbidden', 'persistentvolumeclaims "data" is forbidden: Immutable'))).toBe(false);
  });

  // A bound claim grows: the server lets its requests change, and the PersistentVolumeClaimResize admission
  // refuses the growth (HTTP 403 Forbidden) as its StorageClass does not allow volume expansion. Neither
  // kubectl apply --force nor Flux recreates the claim after that refusal: the sync fails at it.
  const storageClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fixed' }, provisioner: 'example.com/disk' };
  const claim = (name: string, storage: string, annotations: Record<string, string>, storageClassName = 'fixed') => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'forced', annotations },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage } } },
  });

  it(
    'fails a claim whose growth admission forbids under Force=true alone, and passes one whose immutable class changed',
    async () => {
      const force = { [OPTIONS]: 'Force=true' };
      const r = await upgrade(
        [storageClass, claim('grows', '1Gi', force), claim('moves', '1Gi', force, 'fixed')],
        [storageClass, claim('grows', '2Gi', force), claim('moves', '1Gi', force, 'other')],
      );
      expect(r.problems.map((p) => [p.name, p.path, p.rule, p.severity])).toStrictEqual([
        ['grows', 'spec.resources.requests.storage', 'update-rejected', 'error'],
      ]);
      expect(r.problems[0]!.message).toMatch(
        /only dynamically provisioned pvc can be resized .*\(StorageClass fixed, next\.yaml:1, does not set allowVolumeExpansion: true\) \(as an update of what now deployed\); its argocd\.argoproj\.io\/sync-options Force=true \(kubectl apply --force\) deletes and recreates it only when the server refuses the update as Invalid or Conflict, and this refusal is HTTP 403 Forbidden: the sync fails at it$/,
      );
      // The class is immutable (HTTP 422 Invalid): kubectl apply --force deletes the claim and creates it anew.
      expect(r.notes).toHaveLength(1);
      expect(r.notes[0]).toMatch(
        /^1 PersistentVolumeClaim changed since now .*Argo CD's client-side apply deletes and recreates it .*: next\.yaml:\d+ moves;/,
      );
      // The StorageClass and the claim that grows are updated; the other claim is recreated.
      expect(r).toMatchObject({ objects: 3, upgrades: 2 });
    },
    BUILD_TIMEOUT,
  );

  it(
    "fails it likewise under Flux's force, where Flux applies the tree",
    async () => {
      await withConsumer('flux', async (root) => {
        const force = { [FLUX]: 'enabled' };
        const r = await upgrade([storageClass, claim('grows', '1Gi', force)], [storageClass, claim('grows', '2Gi', force)], root);
        expect(r.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([['grows', 'spec.resources.requests.storage', 'update-rejected']]);
        expect(r.problems[0]!.message).toMatch(
          /; its kustomize\.toolkit\.fluxcd\.io\/force: enabled makes Flux delete and recreate it only when the server refuses the update as Invalid or Conflict or says a field is immutable, and this refusal is HTTP 403 Forbidden: the apply fails at it$/,
        );
        expect(r.notes).toStrictEqual([]);
        // The StorageClass and the claim, both updated.
        expect(r).toMatchObject({ objects: 2, upgrades: 2 });
      });
    },
    BUILD_TIMEOUT,
  );
});
