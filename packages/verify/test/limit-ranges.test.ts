import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { verifyDocuments } from '../src/index.ts';
import { builtDocs as docs, sharedServer } from './helpers.ts';

/**
 * LimitRanges of the set and the Pods and claims they limit: the corpus is applied for real, in its
 * order, as a sync applies it (its LimitRanges first exist, then what they limit is created), and
 * the objects the real server refuses must be those verify refuses, document by document, for the
 * same reason.
 */

const limitRange = (name: string, namespace: string, limits: object[]): Manifest =>
  ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace }, spec: { limits } }) as Manifest;
const pod = (name: string, namespace: string, resources?: object): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }] },
  }) as Manifest;
const claim = (name: string, namespace: string, storage: string): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
  }) as Manifest;
const namespace = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as Manifest;

const CORPUS: Manifest[] = [
  namespace('limited'),
  namespace('free'),
  namespace('broken'),
  limitRange('lr', 'limited', [
    { type: 'Container', max: { cpu: '100m' }, min: { memory: '4Mi' } },
    { type: 'PersistentVolumeClaim', max: { storage: '1Gi' } },
  ]),
  // Over the maximum: refused.
  pod('over', 'limited', { limits: { cpu: '2' } }),
  // Within it, and none given: the maximum becomes its default limit.
  pod('within', 'limited', { limits: { cpu: '50m' } }),
  pod('none', 'limited'),
  // A request over the limit the LimitRange defaults to: the defaulted pod is invalid.
  pod('request-over-default', 'limited', { requests: { cpu: '200m' } }),
  // Under the minimum memory.
  pod('under', 'limited', { requests: { memory: '1Mi' }, limits: { memory: '1Mi' } }),
  claim('big', 'limited', '5Gi'),
  claim('small', 'limited', '500Mi'),
  // Another namespace is not limited.
  pod('elsewhere', 'free', { limits: { cpu: '2' } }),
  // A LimitRange whose default is over its max is refused itself, and limits nothing.
  limitRange('contradicts', 'broken', [{ type: 'Container', default: { cpu: '2' }, max: { cpu: '1' } }]),
  pod('unlimited', 'broken', { limits: { cpu: '2' } }),
];

const words = (message: string) => message.replace(/^\S+ "[^"]*" is (forbidden|invalid): /, '');

describe('verify and the LimitRanges of the set', () => {
  const server = sharedServer();

  it('refuses the Pods and claims a LimitRange of the set forbids, as a real apply does, and passes the rest', async () => {
    const r = await verifyDocuments(docs(CORPUS, 'all.yaml'), { server });
    const ours = r.problems.filter((p) => p.severity === 'error').map((p) => [p.name ?? '', p.message]);

    // The real thing, on the same server once verify has left it as it found it: created in order.
    const client = server.client;
    const real: string[][] = [];
    const made: string[] = [];
    for (const m of CORPUS) {
      const ns = m.metadata.namespace;
      const plural = { Namespace: 'namespaces', LimitRange: 'limitranges', Pod: 'pods', PersistentVolumeClaim: 'persistentvolumeclaims' }[m.kind]!;
      const base = ns ? `/api/v1/namespaces/${ns}/${plural}` : `/api/v1/${plural}`;
      const res = await client.request('POST', base, m);
      if (res.status === 409 && m.kind === 'Namespace') continue;
      if (res.status >= 300) real.push([m.metadata.name, words(String((res.body as { message?: unknown }).message))]);
      else {
        made.push(`${base}/${m.metadata.name}`);
        if (m.kind === 'LimitRange') await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    for (const path of made.reverse()) await client.request('DELETE', path);

    expect(real.map(([name]) => name)).toStrictEqual(['over', 'request-over-default', 'under', 'big', 'contradicts']);
    expect([...new Set(ours.map(([name]) => name))].sort()).toStrictEqual(real.map(([name]) => name).sort());
    for (const [name, message] of real) {
      const mine = ours.filter(([n]) => n === name).map(([, m]) => m);
      expect(
        mine.some((m) => message!.includes(m!.replace(/ \(.*\)$/, '')) || m!.includes(message!)),
        `${name}: server "${message}", verify ${JSON.stringify(mine)}`,
      ).toBe(true);
    }
  });

  it('refuses at its template a workload the server admits whose pods a LimitRange of its namespace refuses, and passes one whose pods it admits', async () => {
    const deployment = (name: string, resources: object): Manifest =>
      ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: 'limited' },
        spec: {
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox', resources }] } },
        },
      }) as Manifest;
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'limited' },
      spec: {
        schedule: '0 0 * * *',
        jobTemplate: {
          spec: {
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '2' } } }] } },
          },
        },
      },
    } as Manifest;
    const set = [
      namespace('limited'),
      limitRange('lr', 'limited', [{ type: 'Container', max: { cpu: '100m' } }]),
      deployment('over', { limits: { cpu: '2' } }),
      deployment('within', { limits: { cpu: '50m' } }),
      cronJob,
      // The same workload where no LimitRange is: admitted, pods and all.
      namespace('free'),
      { ...deployment('over', { limits: { cpu: '2' } }), metadata: { name: 'over', namespace: 'free' } } as Manifest,
    ];
    const r = await verifyDocuments(docs(set, 'all.yaml'), { server });
    expect(r.problems.filter((p) => p.severity === 'error').map((p) => [p.kind, p.namespace, p.name, p.path, p.rule, p.message])).toStrictEqual([
      [
        'Deployment',
        'limited',
        'over',
        'spec.template',
        'server-rejected',
        "maximum cpu usage per Container is 100m, but limit is 2: the Deployment is admitted, but every pod it makes is refused (LimitRanger admission, by a LimitRange of namespace limited); set its containers' resources within the LimitRange, or change the LimitRange",
      ],
      [
        'CronJob',
        'limited',
        'nightly',
        'spec.jobTemplate.spec.template',
        'server-rejected',
        "maximum cpu usage per Container is 100m, but limit is 2: the CronJob is admitted, but every pod it makes is refused (LimitRanger admission, by a LimitRange of namespace limited); set its containers' resources within the LimitRange, or change the LimitRange",
      ],
    ]);
    // And leaves the server as it found it: the LimitRange is gone again.
    expect((await server.client.request('GET', '/api/v1/namespaces/limited/limitranges/lr')).status).toBe(404);
  });

  it("places an object of built output that names no namespace where Argo CD applies it, its app's destination, and judges it against that namespace's LimitRanges whichever app ships them", async () => {
    const unplaced = (m: Manifest): Manifest => {
      const { namespace: _, ...metadata } = m.metadata;
      return { ...m, metadata } as Manifest;
    };
    // quota ships the LimitRange of shop; shop's objects name no namespace, so its Application's
    // destination is the app's name, shop; other's LimitRange names none either: it is in other.
    const built = [
      ...docs([namespace('shop'), limitRange('lr', 'shop', [{ type: 'Container', max: { cpu: '100m' } }])], 'dist/dev/quota.yaml'),
      ...docs([unplaced(limitRange('tight', 'other', [{ type: 'Container', max: { cpu: '10m' } }]))], 'dist/dev/other.yaml'),
      ...docs(
        [unplaced(pod('over', 'shop', { limits: { cpu: '2' } })), unplaced(pod('within', 'shop', { limits: { cpu: '50m' } }))],
        'dist/dev/shop.yaml',
      ),
    ];
    const r = await verifyDocuments(built, { server });
    const ours = r.problems.filter((p) => p.severity === 'error').map((p) => [p.file, p.kind, p.name, words(p.message)]);

    // The real thing: each object created where Argo CD applies it, in the order of the files.
    const client = server.client;
    const real: string[][] = [];
    const made: string[] = [];
    // Argo CD creates an Application's destination (CreateNamespace=true); verify left them there.
    for (const ns of ['shop', 'other']) expect([201, 409]).toContain((await client.request('POST', '/api/v1/namespaces', namespace(ns))).status);
    for (const [m, ns] of [
      [limitRange('lr', 'shop', [{ type: 'Container', max: { cpu: '100m' } }]), 'shop'],
      [unplaced(limitRange('tight', 'other', [{ type: 'Container', max: { cpu: '10m' } }])), 'other'],
      [unplaced(pod('over', 'shop', { limits: { cpu: '2' } })), 'shop'],
      [unplaced(pod('within', 'shop', { limits: { cpu: '50m' } })), 'shop'],
    ] as const) {
      const base = `/api/v1/namespaces/${ns}/${m.kind === 'Pod' ? 'pods' : 'limitranges'}`;
      const res = await client.request('POST', base, m);
      if (res.status >= 300) real.push([m.metadata.name, words(String((res.body as { message?: unknown }).message))]);
      else {
        made.push(`${base}/${m.metadata.name}`);
        if (m.kind === 'LimitRange') await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    for (const path of made.reverse()) await client.request('DELETE', path);

    expect(real).toStrictEqual([['over', 'maximum cpu usage per Container is 100m, but limit is 2']]);
    expect(ours).toStrictEqual([['dist/dev/shop.yaml', 'Pod', 'over', 'maximum cpu usage per Container is 100m, but limit is 2']]);
  });

  it('admits a Pod that names a PriorityClass or RuntimeClass of its env, which the cluster has when the Pod comes, and refuses one that names none', async () => {
    const classes = [
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'verify-high' }, value: 1000 },
      { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'verify-gvisor' }, handler: 'runsc' },
    ];
    const pods = [
      {
        ...pod('classed', 'free'),
        spec: { containers: [{ name: 'c', image: 'busybox' }], priorityClassName: 'verify-high', runtimeClassName: 'verify-gvisor' },
      },
      { ...pod('typo', 'free'), spec: { containers: [{ name: 'c', image: 'busybox' }], priorityClassName: 'verify-hihg' } },
    ];
    const r = await verifyDocuments(docs([namespace('free'), ...classes, ...pods], 'all.yaml'), { server });
    expect(r.problems.filter((p) => p.severity === 'error').map((p) => [p.name, words(p.message)])).toStrictEqual([
      ['typo', 'no PriorityClass with name verify-hihg was found'],
    ]);
    // And leaves the server as it found it: the classes are gone again.
    expect((await server.client.request('GET', '/apis/scheduling.k8s.io/v1/priorityclasses/verify-high')).status).toBe(404);
  });
});
