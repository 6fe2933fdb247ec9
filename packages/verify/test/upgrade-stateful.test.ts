import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { verify, verifyDocuments } from '../src/index.ts';
import { BUILD_TIMEOUT, builtDocs as docs, crd, makeRepo, sharedServer } from './helpers.ts';

// Updates of the objects that hold data or an API: a claim's volume, a StatefulSet's claims, a CRD.
const server = sharedServer();

/** `now` checked as an upgrade of `deployed`, each a list of objects. */
async function upgraded(deployed: readonly object[], now: readonly object[]) {
  return verifyDocuments(docs(now, 'now.yaml'), { server, against: { name: 'deployed', docs: docs(deployed, 'deployed.yaml') } });
}

/** The problems of `now` checked as an upgrade of `deployed`. */
const upgrade = async (deployed: readonly object[], now: readonly object[]) => (await upgraded(deployed, now)).problems;

const claim = (name: string, storage: string, storageClassName = 'standard') => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'claims' },
  spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage } } },
});

describe('verify against what is deployed: PersistentVolumeClaims, as bound claims', () => {
  it("passes a claim that grows, as a cluster expands a bound claim, saying that the cluster's StorageClass must allow it", async () => {
    const r = await upgraded([claim('cache', '100Gi')], [claim('cache', '200Gi')]);
    expect(r.problems).toStrictEqual([]);
    expect(r.notes).toStrictEqual([
      "1 PersistentVolumeClaim grows since deployed, checked as the bound claims of a StorageClass that allows volume expansion: now.yaml:1 cache; their StorageClass is the cluster's, not in the input, and the cluster refuses the growth unless it sets allowVolumeExpansion: true",
    ]);
  });

  it('judges the growth of a claim whose StorageClass is in the input by its allowVolumeExpansion', async () => {
    const storageClass = (name: string, allowVolumeExpansion?: boolean) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name },
      provisioner: 'example.com/disk',
      ...(allowVolumeExpansion === undefined ? {} : { allowVolumeExpansion }),
    });
    const r = await upgraded(
      [storageClass('fixed'), storageClass('elastic', true), claim('a', '1Gi', 'fixed'), claim('b', '1Gi', 'elastic')],
      [storageClass('fixed'), storageClass('elastic', true), claim('a', '2Gi', 'fixed'), claim('b', '2Gi', 'elastic')],
    );
    expect(r.problems).toMatchObject([{ name: 'a', path: 'spec.resources.requests.storage', rule: 'update-rejected', severity: 'error' }]);
    expect(r.problems[0]!.message).toMatch(
      /must support resize \(StorageClass fixed, now\.yaml:1, does not set allowVolumeExpansion: true\) \(as an update of what deployed deployed\)$/,
    );
    expect(r.notes).toStrictEqual([]);
  });

  it('refuses a claim that shrinks in the server words, on one line, as an update refusal', async () => {
    const problems = await upgrade([claim('data', '20Gi')], [claim('data', '15Gi')]);
    expect(problems).toMatchObject([
      {
        file: 'now.yaml',
        kind: 'PersistentVolumeClaim',
        name: 'data',
        path: 'spec.resources.requests.storage',
        rule: 'update-rejected',
        severity: 'error',
      },
    ]);
    expect(problems[0]!.message).toBe('Forbidden: field can not be less than status.capacity (as an update of what deployed deployed)');
  });

  it('refuses a changed storage class on one line naming the change, and says that recreating the claim loses its data', async () => {
    const problems = await upgrade([claim('logs', '10Gi', 'slow')], [claim('logs', '10Gi', 'fast')]);
    expect(problems).toMatchObject([{ kind: 'PersistentVolumeClaim', name: 'logs', path: 'spec', rule: 'immutable-field', severity: 'error' }]);
    const message = problems[0]!.message;
    expect(message).not.toMatch(/\n/);
    expect(message).toMatch(
      /^Forbidden: spec is immutable after creation except resources\.requests and volumeAttributesClassName for bound claims \(changed: "StorageClassName": "slow" -> "fast"\) \(changed since deployed, /,
    );
    expect(message).toMatch(/deleting PersistentVolumeClaim claims\/logs to recreate it deletes its volume and the data on it/);
    expect(message).not.toMatch(/short outage/);
  });

  it('says of a StatefulSet whose retention policy deletes its claims that recreating it loses their data', async () => {
    const statefulSet = (tier: string) => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'claims' },
      spec: {
        serviceName: 'db',
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' },
        selector: { matchLabels: { app: 'db', tier } },
        template: { metadata: { labels: { app: 'db', tier } }, spec: { containers: [{ name: 'db', image: 'postgres:17' }] } },
      },
    });
    const problems = await upgrade([statefulSet('a')], [statefulSet('b')]);
    expect(problems).toMatchObject([{ kind: 'StatefulSet', name: 'db', rule: 'immutable-field', severity: 'error' }]);
    expect(problems[0]!.message).toMatch(/whenDeleted is Delete, so deleting it deletes its claims and the data on them: set it to Retain first/);
    expect(problems[0]!.message).not.toMatch(/short outage/);
  });
});

/** A Widget CRD of `group`: `scope`, the `versions` it serves, the last of them stored. */
const widgets = (group: string, versions: readonly string[], scope = 'Namespaced') =>
  crd(
    group,
    'Widget',
    versions.map((name, i) => ({
      name,
      served: true,
      storage: i === versions.length - 1,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
    })),
    { scope },
  );

const widget = (group: string, version: string, size: unknown = 1) => ({
  apiVersion: `${group}/${version}`,
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'widgets' },
  spec: { size },
});

describe('verify against what is deployed: CRDs, as updates of the deployed ones', () => {
  it('refuses a CRD whose scope changes, as an immutable field whose recreation deletes every object of it', async () => {
    const group = 'scope.example.com';
    const problems = await upgrade([widgets(group, ['v1'])], [widgets(group, ['v1'], 'Cluster')]);
    expect(problems).toMatchObject([
      {
        file: 'now.yaml',
        kind: 'CustomResourceDefinition',
        name: `widgets.${group}`,
        path: 'spec.scope',
        rule: 'immutable-field',
        severity: 'error',
      },
    ]);
    expect(problems[0]!.message).toMatch(/^Invalid value: "Cluster": field is immutable \(changed since deployed, .*deletes every object of it/);
  });

  it('refuses a CRD that drops a version status.storedVersions holds, and checks the objects against the new CRD', async () => {
    const group = 'stored.example.com';
    const problems = await upgrade([widgets(group, ['v1alpha1']), widget(group, 'v1alpha1')], [widgets(group, ['v1']), widget(group, 'v1', 'big')]);
    expect(problems.filter((p) => p.severity === 'error')).toMatchObject([
      { kind: 'CustomResourceDefinition', path: 'status.storedVersions[0]', rule: 'update-rejected' },
      { kind: 'Widget', path: 'spec.size', rule: 'server-rejected' },
    ]);
    expect(problems[0]!.message).toMatch(/^Invalid value: "v1alpha1": missing from spec\.versions; v1alpha1 was previously a storage version/);
  });

  it('passes an unchanged CRD and a CRD that adds a version, with objects of the new version', async () => {
    const same = 'same.example.com';
    const added = 'added.example.com';
    const problems = await upgrade(
      [widgets(same, ['v1']), widget(same, 'v1'), widgets(added, ['v1']), widget(added, 'v1')],
      [widgets(same, ['v1']), widget(same, 'v1', 2), widgets(added, ['v1', 'v2']), widget(added, 'v2', 2)],
    );
    expect(problems).toStrictEqual([]);
  });
});

describe('verify against what is deployed: a CRD that several envs build, each against its own env', () => {
  it(
    "refuses one env's CRD change against that env's baseline though another env's differs, and checks a CRD new to an env as created",
    async () => {
      const changed = 'per-env.example.com';
      const added = 'new-in-prod.example.com';
      const repo = makeRepo({
        'dev/widgets': [widgets(changed, ['v1'], 'Cluster'), widgets(added, ['v1'])],
        'prod/widgets': [widgets(changed, ['v1', 'v2']), widgets(added, ['v1'], 'Cluster')],
      });
      try {
        // Deployed: both envs hold the first CRD, namespaced with v1; only dev holds the second.
        const deployed = join(repo, '.deployed');
        for (const [env, objects] of Object.entries({
          dev: [widgets(changed, ['v1']), widgets(added, ['v1'])],
          prod: [widgets(changed, ['v1'])],
        })) {
          mkdirSync(join(deployed, env), { recursive: true });
          writeFileSync(join(deployed, env, 'widgets.yaml'), objects.map((o) => stringify(o)).join('---\n'));
        }
        const r = await verify(repo, { against: '.deployed', server });
        // Dev's scope change is refused although prod's CRD (v2 added) is an upgrade the server takes;
        // prod's cluster-scoped second CRD is new there, not a change of dev's.
        expect(r.problems.filter((p) => p.severity === 'error').map((p) => [p.file, p.name, p.path, p.rule])).toStrictEqual([
          ['dist/dev/widgets.yaml', `widgets.${changed}`, 'spec.scope', 'immutable-field'],
        ]);
      } finally {
        rmSync(repo, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT,
  );
});
