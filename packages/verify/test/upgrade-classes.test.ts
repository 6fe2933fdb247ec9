import { describe, expect, it } from 'vitest';
import { verifyDocuments } from '../src/index.ts';
import { BUILD_TIMEOUT, builtDocs as docs, sharedServer } from './helpers.ts';

// The PriorityClasses and RuntimeClasses a Pod meets when an upgrade creates it: those the cluster
// has from what is deployed, and those the upgrade creates before it.

const server = sharedServer();

const upgrade = (now: readonly object[], next: readonly object[]) =>
  verifyDocuments(docs(next, 'next.yaml'), { server, against: { name: 'now', docs: docs(now, 'now.yaml') } });

const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const priorityClass = (name: string) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 1000 });
const runtimeClass = (name: string) => ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler: 'runsc' });
const pod = (name: string, ns: string, classes: { priorityClassName?: string; runtimeClassName?: string }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...classes },
});

/** The server's words without the object it names. */
const words = (message: string) => message.replace(/^\S+ "[^"]*" is (forbidden|invalid): /, '');
const exists = async (path: string) => (await server.client.request('GET', path)).status === 200;

describe('verify against what is deployed: the classes a Pod names', () => {
  it(
    'admits a Pod that names a PriorityClass and a RuntimeClass the deployed revision has and the build no longer ships, as the cluster keeps them',
    async () => {
      const now = [namespace('kept-classes'), priorityClass('kept-high'), runtimeClass('kept-gvisor')];
      const next = [namespace('kept-classes'), pod('classed', 'kept-classes', { priorityClassName: 'kept-high', runtimeClassName: 'kept-gvisor' })];
      const r = await upgrade(now, next);
      expect(r.problems).toStrictEqual([]);
      // The server is left as it was found.
      expect(await exists('/apis/scheduling.k8s.io/v1/priorityclasses/kept-high')).toBe(false);
      expect(await exists('/apis/node.k8s.io/v1/runtimeclasses/kept-gvisor')).toBe(false);
    },
    BUILD_TIMEOUT,
  );

  it(
    'admits a Pod that names a PriorityClass and a RuntimeClass the upgrade creates, as the cluster has them when the Pod comes, and refuses one that names a class neither has',
    async () => {
      const now = [namespace('new-classes')];
      const next = [
        namespace('new-classes'),
        priorityClass('new-high'),
        runtimeClass('new-gvisor'),
        pod('classed', 'new-classes', { priorityClassName: 'new-high', runtimeClassName: 'new-gvisor' }),
        pod('typo', 'new-classes', { priorityClassName: 'new-hihg' }),
      ];
      const r = await upgrade(now, next);
      expect(r.problems.map((p) => [p.name, p.rule, words(p.message)])).toStrictEqual([
        ['typo', 'server-rejected', 'no PriorityClass with name new-hihg was found'],
      ]);
      expect(await exists('/apis/scheduling.k8s.io/v1/priorityclasses/new-high')).toBe(false);
      expect(await exists('/apis/node.k8s.io/v1/runtimeclasses/new-gvisor')).toBe(false);
    },
    BUILD_TIMEOUT,
  );

  it(
    'judges the priority of a Pod that names no PriorityClass by the global default class the upgrade creates, as the Priority plugin computes it',
    async () => {
      const now = [namespace('new-default')];
      const next = [
        namespace('new-default'),
        { ...priorityClass('new-default'), globalDefault: true },
        { ...pod('zero', 'new-default', {}), spec: { ...pod('zero', 'new-default', {}).spec, priority: 0 } },
        { ...pod('right', 'new-default', {}), spec: { ...pod('right', 'new-default', {}).spec, priority: 1000 } },
      ];
      const r = await upgrade(now, next);
      expect(r.problems.map((p) => [p.name, p.rule, words(p.message)])).toStrictEqual([
        [
          'zero',
          'server-rejected',
          'the integer value of priority (0) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
        ],
      ]);
      expect(await exists('/apis/scheduling.k8s.io/v1/priorityclasses/new-default')).toBe(false);
    },
    BUILD_TIMEOUT,
  );
});
