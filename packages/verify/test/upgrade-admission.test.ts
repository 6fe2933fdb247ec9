import { describe, expect, it } from 'vitest';
import { configMapPolicy } from '../src/admission-policy.ts';
import { verifyDocuments } from '../src/index.ts';
import { BUILD_TIMEOUT, builtDocs as docs, sharedServer } from './helpers.ts';

// What the admission plugins make of the quotas and policies that are deployed now, when the build is checked as their upgrade.

const server = sharedServer();

/** `next` checked as an upgrade of `now` (each a list of objects). */
const upgrade = (now: readonly object[], next: readonly object[]) =>
  verifyDocuments(docs(next, 'next.yaml'), { server, against: { name: 'now', docs: docs(now, 'now.yaml') } });

const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const configMap = (name: string, ns: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { a: '1' } });

describe('verify against what is deployed: ResourceQuotas', () => {
  it(
    'says a deployed quota is not judged, as nothing counts what its namespace uses and the server enforces no quota until then',
    async () => {
      const quota = {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'few', namespace: 'quota' },
        spec: { hard: { 'count/configmaps': '1' } },
      };
      const now = [namespace('quota'), quota, configMap('one', 'quota')];
      const r = await upgrade(now, [...now, configMap('two', 'quota'), configMap('three', 'quota')]);
      // In a cluster the second and third ConfigMaps pass the quota's 1: the server lets them through here.
      expect(r.problems).toStrictEqual([]);
      expect(r.notes).toStrictEqual([
        '1 ResourceQuota of now not judged: the server enforces a quota only once the quota controller has counted what its namespace uses, ' +
          'and none runs here, so what the upgrade would add past its limits is not checked: now.yaml:6 few',
      ]);
    },
    BUILD_TIMEOUT,
  );
});

/** A policy, and its binding, that refuses every ConfigMap of namespace `ns` holding the key `forbidden`: made as verify makes its probe. */
const policy = (name: string, ns: string) =>
  configMapPolicy('ValidatingAdmissionPolicy', {
    name,
    namespace: ns,
    operations: ['CREATE', 'UPDATE'],
    rules: { validations: [{ expression: "!has(object.data) || !('forbidden' in object.data)", message: 'no forbidden key' }] },
  });

describe('verify against what is deployed: ValidatingAdmissionPolicies', () => {
  it(
    'judges the upgrade once the deployed policies are in force, every time, though the server loads new policies up to a second late; a refused update is worded as an update, a refused new object as the create it is',
    async () => {
      for (let i = 0; i < 6; i++) {
        const ns = `vap-${i}`;
        const now = [namespace(ns), ...policy(`no-forbidden-${i}`, ns), configMap('kept', ns)];
        const forbidden = (m: ReturnType<typeof configMap>) => ({ ...m, data: { forbidden: 'yes' } });
        const r = await upgrade(now, [...now.slice(0, -1), forbidden(configMap('kept', ns)), forbidden(configMap('bad', ns))]);
        const denied = `ValidatingAdmissionPolicy 'no-forbidden-${i}' with binding 'no-forbidden-${i}' denied request: no forbidden key`;
        expect(
          r.problems.map((p) => [p.name, p.rule, p.message]),
          `run ${i}`,
        ).toStrictEqual([
          ['kept', 'update-rejected', `${denied} (as an update of what now deployed)`],
          ['bad', 'server-rejected', `${denied} (as created beside what now deployed)`],
        ]);
        expect(r.upgrades, `run ${i}`).toBe(4);
      }
    },
    BUILD_TIMEOUT,
  );
});

/** A MutatingAdmissionPolicy, and its binding, that labels every ConfigMap created in namespace `ns` with a value no label may have. */
const mutating = (name: string, ns: string) =>
  configMapPolicy('MutatingAdmissionPolicy', {
    name,
    namespace: ns,
    operations: ['CREATE'],
    rules: {
      mutations: [
        {
          patchType: 'ApplyConfiguration',
          applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {'tier': 'not a label value'}}}" },
        },
      ],
    },
  });

describe('verify against what is deployed: MutatingAdmissionPolicies', () => {
  it(
    'judges the upgrade once the deployed mutating policies are in force, every time, so that what they change in an object is what the server validates',
    async () => {
      for (let i = 0; i < 6; i++) {
        const ns = `map-${i}`;
        const now = [namespace(ns), ...mutating(`bad-label-${i}`, ns)];
        const r = await upgrade(now, [...now, configMap('labelled', ns)]);
        // The label is the policy's, not the file's: a dry run before the policy is in force passes the ConfigMap.
        expect(
          r.problems.map((p) => [p.name, p.path, p.rule, p.message]),
          `run ${i}`,
        ).toStrictEqual([
          [
            'labelled',
            'metadata.labels',
            'server-rejected',
            expect.stringMatching(/^Invalid value: "not a label value": a valid label must be .* \(as created beside what now deployed\)$/),
          ],
        ]);
        expect(r.notes, `run ${i}`).toStrictEqual([]);
      }
    },
    BUILD_TIMEOUT,
  );
});
