import { describe, expect, it } from 'vitest';
import { verifyDocuments } from '../src/index.ts';
import { BUILD_TIMEOUT, builtDocs as docs, sharedServer } from './helpers.ts';

// The LimitRanges the Pods an upgrade creates, and the pods its workloads make, meet: those the
// cluster holds once the upgrade is applied, the ones it creates or changes beside the deployed ones
// it leaves, never the deployed revision's alone.

const server = sharedServer();

const upgrade = (now: readonly object[], next: readonly object[]) =>
  verifyDocuments(docs(next, 'next.yaml'), { server, against: { name: 'now', docs: docs(now, 'now.yaml') } });

const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const limitRange = (name: string, ns: string, max: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name, namespace: ns },
  spec: { limits: [{ type: 'Container', max }] },
});
const containers = (limits: Record<string, string>) => [{ name: 'c', image: 'busybox', resources: { limits } }];
const pod = (name: string, ns: string, limits: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: containers(limits) },
});
const deployment = (name: string, ns: string, limits: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: containers(limits) } },
  },
});

const exists = async (path: string) => (await server.client.request('GET', path)).status === 200;

describe('verify against what is deployed: the LimitRanges of the upgrade', () => {
  it(
    'admits a Pod and a workload within the max the upgrade raises its LimitRange to, and refuses those over it, as the cluster judges them once the LimitRange is changed',
    async () => {
      const now = [namespace('raised'), limitRange('lr', 'raised', { memory: '512Mi' }), pod('kept', 'raised', { memory: '256Mi' })];
      const next = [
        namespace('raised'),
        limitRange('lr', 'raised', { memory: '1Gi' }),
        pod('kept', 'raised', { memory: '256Mi' }),
        pod('grown', 'raised', { memory: '768Mi' }),
        deployment('grown', 'raised', { memory: '768Mi' }),
        pod('over', 'raised', { memory: '2Gi' }),
        deployment('over', 'raised', { memory: '2Gi' }),
      ];
      const r = await upgrade(now, next);
      expect(r.problems.filter((p) => p.severity === 'error').map((p) => [p.kind, p.name, p.path, p.message.replace(/: the .*$/, '')])).toStrictEqual(
        [
          ['Pod', 'over', undefined, 'pods "over" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi'],
          ['Deployment', 'over', 'spec.template', 'maximum memory usage per Container is 1Gi, but limit is 2Gi'],
        ],
      );
      // The server is left as it was found.
      expect(await exists('/api/v1/namespaces/raised/limitranges/lr')).toBe(false);
    },
    BUILD_TIMEOUT,
  );

  it(
    "refuses at its template a workload whose pods a deployed LimitRange refuses that the build no longer ships, as the cluster keeps it; the build's own LimitRanges say nothing of it",
    async () => {
      const now = [namespace('dropped'), limitRange('tight', 'dropped', { cpu: '100m' })];
      const next = [namespace('dropped'), deployment('busy', 'dropped', { cpu: '2' }), deployment('idle', 'dropped', { cpu: '50m' })];
      const r = await upgrade(now, next);
      expect(r.problems.filter((p) => p.severity === 'error').map((p) => [p.kind, p.name, p.path, p.rule, p.message])).toStrictEqual([
        [
          'Deployment',
          'busy',
          'spec.template',
          'server-rejected',
          "maximum cpu usage per Container is 100m, but limit is 2: the Deployment is admitted, but every pod it makes is refused (LimitRanger admission, by a LimitRange of namespace dropped); set its containers' resources within the LimitRange, or change the LimitRange (as created beside what now deployed)",
        ],
      ]);
      expect(await exists('/api/v1/namespaces/dropped/limitranges/tight')).toBe(false);
    },
    BUILD_TIMEOUT,
  );
});
