import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { podsOf } from '@strata/policy';
import type { Problem } from '@strata/project';
import { verify } from '@strata/verify';
import type { DifferentialServer } from '../../policy/test/differential.ts';
import { BUILD_TIMEOUT } from '../../verify/test/helpers.ts';
import { validate } from '../src/index.ts';
import { suiteDifferential } from './apply-order.ts';

/**
 * The LimitRanges of an env and the pods and claims of its apps: each env's LimitRanges are created
 * for real, then each Pod and claim, and the pod each workload's controller makes from its template
 * (the claims a StatefulSet makes from its claim templates), are dry-run in their namespace, once
 * before the LimitRanges exist and once after. What the server refuses only once they exist is what
 * the LimitRanger admission refuses; it must be exactly what `within-limit-ranges` refuses offline,
 * document by document, in the plugin's words. `verify` must name the same workloads, at their
 * templates, whose own dry runs pass.
 */

const NS = 'lim';

const limitRange = (name: string, limits: object[]): Manifest =>
  ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace: NS }, spec: { limits } }) as Manifest;
type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
const c = (name: string, resources?: Resources, extra: object = {}) => ({ name, image: 'busybox', ...(resources ? { resources } : {}), ...extra });
const spec = (containers: object[], extra: object = {}) => ({ containers, ...extra });
const pod = (name: string, podSpec: object, namespace = NS): Manifest =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: podSpec }) as Manifest;
const deployment = (name: string, podSpec: object): Manifest =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec } },
  }) as Manifest;
const job = (name: string, podSpec: object): Manifest =>
  ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { template: { spec: { restartPolicy: 'Never', ...podSpec } } },
  }) as Manifest;
const cronJob = (name: string, podSpec: object): Manifest =>
  ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', ...podSpec } } } } },
  }) as Manifest;
const claimSpec = (storage?: string) => ({ accessModes: ['ReadWriteOnce'], resources: storage ? { requests: { storage } } : {} });
const claim = (name: string, storage?: string): Manifest =>
  ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: NS }, spec: claimSpec(storage) }) as Manifest;
const statefulSet = (name: string, storage: string): Manifest =>
  ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: spec([c('c', { limits: { memory: '64Mi', cpu: '100m' } })]) },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: claimSpec(storage) }],
    },
  }) as Manifest;
const namespace = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as Manifest;

/**
 * An app whose LimitRange is written without a namespace, as `helm template` and vendor manifests
 * write them: Argo CD creates it in its Application's destination, the namespace most of the app's
 * objects name (FENCED here), where it limits the pods of the env's other apps.
 */
const FENCED = 'fenced';
const bareRange: Manifest = {
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name: 'bare' },
  spec: { limits: [{ type: 'Container', max: { memory: '256Mi' } }] },
} as Manifest;
const settings: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: FENCED }, data: { a: 'b' } } as Manifest;
/** Where a sync creates a LimitRange of `app`: its own namespace, or its Application's destination for one that names none. */
const placedIn = (app: string, r: Manifest) => r.metadata.namespace ?? (app === 'dev/quota' ? FENCED : NS);

/** `<env>/<app>` -> its built output. Each refused document breaks one LimitRange, so that the server's one answer is the one expected. */
const CORPUS: Record<string, readonly Manifest[]> = {
  // Several LimitRanges in one namespace, of another app of the env than the pods they limit.
  'dev/platform': [
    namespace(NS),
    namespace('free'),
    limitRange('containers', [
      {
        type: 'Container',
        max: { memory: '1Gi', cpu: '2' },
        min: { cpu: '10m' },
        default: { memory: '512Mi' },
        defaultRequest: { memory: '256Mi' },
        maxLimitRequestRatio: { cpu: '4' },
      },
    ]),
    limitRange('pods', [{ type: 'Pod', max: { memory: '1536Mi' } }]),
    limitRange('claims', [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '5Gi' } }]),
  ],
  'dev/pods': [
    // Quantities written many ways, at the bound and past it.
    pod('gi-at-max', spec([c('c', { limits: { memory: '1Gi', cpu: '500m' } })])),
    pod('mi-at-max', spec([c('c', { limits: { memory: '1024Mi', cpu: '0.5' } })])),
    pod('bytes-at-max', spec([c('c', { limits: { memory: '1073741824', cpu: '1' } })])),
    pod('bytes-over', spec([c('c', { limits: { memory: '1073741825', cpu: '1' } })])),
    pod('exponent-ok', spec([c('c', { limits: { memory: '1e9', cpu: '1' } })])),
    pod('exponent-over', spec([c('c', { limits: { memory: '1.2e9', cpu: '1' } })])),
    pod('cpu-over', spec([c('c', { limits: { memory: '64Mi', cpu: '2001m' } })])),
    // The Pod item sums the containers; an init container counts at its peak, a sidecar adds up.
    pod('pod-sum-over', spec([c('a', { limits: { memory: '1Gi', cpu: '1' } }), c('b', { limits: { memory: '1Gi', cpu: '1' } })])),
    pod(
      'init-peak-ok',
      spec([c('a', { limits: { memory: '512Mi', cpu: '1' } }), c('b', { limits: { memory: '512Mi', cpu: '1' } })], {
        initContainers: [c('i', { limits: { memory: '1Gi', cpu: '1' } })],
      }),
    ),
    pod(
      'sidecar-sum-over',
      spec([c('a', { limits: { memory: '512Mi', cpu: '1' } }), c('b', { limits: { memory: '512Mi', cpu: '1' } })], {
        initContainers: [c('s', { limits: { memory: '768Mi', cpu: '1' } }, { restartPolicy: 'Always' })],
      }),
    ),
    pod(
      'init-over',
      spec([c('a', { limits: { memory: '64Mi', cpu: '1' } })], { initContainers: [c('i', { limits: { memory: '1100Mi', cpu: '1' } })] }),
    ),
    // Defaults: none given passes; a request over the default limit is invalid once defaulted.
    pod('defaults-only', spec([c('c')])),
    pod('default-makes-invalid', spec([c('c', { requests: { memory: '768Mi' } })])),
    // The default cpu limit (the max, 2) over a request of 500m is a ratio of 4: exactly at the bound.
    pod('default-ratio-at', spec([c('c', { requests: { cpu: '500m' } })])),
    pod('default-ratio-over', spec([c('c', { requests: { cpu: '499m' } })])),
    pod('under-min', spec([c('c', { limits: { memory: '64Mi', cpu: '5m' } })])),
    // Another namespace is not limited.
    pod('elsewhere', spec([c('c', { limits: { memory: '8Gi', cpu: '8' } })]), 'free'),
  ],
  'dev/workloads': [
    deployment('ratio-at', spec([c('c', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } })])),
    deployment('ratio-over', spec([c('c', { requests: { cpu: '0.249', memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } })])),
    deployment('template-over', spec([c('c', { limits: { memory: '1200Mi', cpu: '1' } })])),
    job('job-under-min', spec([c('c', { limits: { cpu: '1m', memory: '64Mi' } })])),
    cronJob('cron-default-invalid', spec([c('c', { requests: { memory: '1Gi' } })])),
    statefulSet('sts-claim-over', '10Gi'),
    statefulSet('sts-claim-ok', '2Gi'),
  ],
  'dev/claims': [claim('claim-small', '500Mi'), claim('claim-bytes-ok', '1073741824'), claim('claim-over', '6Gi'), claim('claim-no-request')],
  'dev/quota': [namespace(FENCED), settings, bareRange],
  'dev/fenced': [
    pod('fenced-over', spec([c('c', { limits: { memory: '512Mi', cpu: '1' } })]), FENCED),
    pod('fenced-ok', spec([c('c', { limits: { memory: '256Mi', cpu: '1' } })]), FENCED),
  ],
  // Another env is another cluster: no LimitRange there.
  'staging/workloads': [namespace(NS), deployment('template-over', spec([c('c', { limits: { memory: '2Gi', cpu: '1' } })]))],
};

/** What each document makes that the LimitRanger judges: itself, the pods of its templates, the claims of a StatefulSet's claim templates. */
function madeOf(m: Manifest, file: string): Manifest[] {
  if (m.kind === 'PersistentVolumeClaim') return [m];
  const claims =
    m.kind === 'StatefulSet'
      ? ((m.spec as { volumeClaimTemplates: { spec: object }[] }).volumeClaimTemplates ?? []).map(
          (t) =>
            ({
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              metadata: { name: `data-${m.metadata.name}-0`, namespace: NS },
              spec: t.spec,
            }) as Manifest,
        )
      : [];
  const pods = podsOf([{ manifest: m, file }]).map(
    (p) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${m.metadata.name}-x`, namespace: p.namespace }, spec: p.spec }) as Manifest,
  );
  // A StatefulSet's pods are within every range; its claims are what it is here for.
  return m.kind === 'StatefulSet' ? claims : pods;
}

const isSetup = (m: Manifest) => m.kind === 'Namespace' || m.kind === 'LimitRange';

/** [file, name, the server's words] of each document whose pods or claims the LimitRanges of its env make the server refuse. */
async function realVerdicts(server: DifferentialServer): Promise<string[][]> {
  await server.server.whenReady();
  for (const ns of [NS, 'free', FENCED]) await server.namespace(ns);
  const refused: string[][] = [];
  for (const env of ['dev', 'staging']) {
    const apps = Object.keys(CORPUS)
      .filter((k) => k.startsWith(`${env}/`))
      .sort();
    const judged = apps.flatMap((app) => CORPUS[app]!.filter((m) => !isSetup(m)).map((m) => ({ file: `dist/${app}.yaml`, m, made: madeOf(m, app) })));
    const before = new Map<Manifest, number[]>();
    for (const { made } of judged) for (const x of made) before.set(x, [(await server.dryRun(x, x.metadata.namespace!)).status]);
    const ranges = apps.flatMap((app) => CORPUS[app]!.filter((m) => m.kind === 'LimitRange').map((r) => ({ r, ns: placedIn(app, r) })));
    for (const { r, ns } of ranges) expect((await server.create(r, ns)).status).toBeLessThan(300);
    // The admission plugin reads them through an informer.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const { file, m, made } of judged)
      for (const x of made) {
        const r = await server.dryRun(x, x.metadata.namespace!);
        if (r.status >= 300 && before.get(x)![0]! < 300)
          refused.push([file, m.metadata.name, r.message.replace(/^\S+ "[^"]*" is (forbidden|invalid): /, '')]);
      }
    for (const { r, ns } of ranges) await server.remove(r, ns);
  }
  return refused;
}

/** The refusals of within-limit-ranges among a run's problems, as [file, name, the plugin's words]. */
const refusalsOf = (problems: readonly Problem[]) =>
  problems
    .filter((p) => p.rule === 'within-limit-ranges')
    .map((p) => [p.file, p.name ?? '', p.message.replace(/( \(the value LimitRange \S+ gives by default\))?: the API server refuses .*$/, '')]);

const sorted = (rows: string[][]) => [...rows].sort((a, b) => a.join().localeCompare(b.join()));

const suite = suiteDifferential(CORPUS, realVerdicts);

describe('the LimitRanges of an env, offline, in verify and on a real cluster', () => {
  it('the cluster refuses the pods and claims outside a LimitRange of their namespace, once its defaults are given', () => {
    expect(sorted(suite.real)).toStrictEqual(
      sorted([
        ['dist/dev/pods.yaml', 'bytes-over', 'maximum memory usage per Container is 1Gi, but limit is 1073741825'],
        ['dist/dev/pods.yaml', 'exponent-over', 'maximum memory usage per Container is 1Gi, but limit is 1200e6'],
        ['dist/dev/pods.yaml', 'cpu-over', 'maximum cpu usage per Container is 2, but limit is 2001m'],
        ['dist/dev/pods.yaml', 'pod-sum-over', 'maximum memory usage per Pod is 1536Mi, but limit is 2Gi'],
        ['dist/dev/pods.yaml', 'sidecar-sum-over', 'maximum memory usage per Pod is 1536Mi, but limit is 1792Mi'],
        ['dist/dev/pods.yaml', 'init-over', 'maximum memory usage per Container is 1Gi, but limit is 1100Mi'],
        [
          'dist/dev/pods.yaml',
          'default-makes-invalid',
          'spec.containers[0].resources.requests: Invalid value: "768Mi": must be less than or equal to memory limit of 512Mi',
        ],
        ['dist/dev/pods.yaml', 'default-ratio-over', 'cpu max limit to request ratio per Container is 4, but provided ratio is 4.008016'],
        ['dist/dev/pods.yaml', 'under-min', 'minimum cpu usage per Container is 10m, but request is 5m'],
        ['dist/dev/workloads.yaml', 'ratio-over', 'cpu max limit to request ratio per Container is 4, but provided ratio is 4.016064'],
        ['dist/dev/workloads.yaml', 'template-over', 'maximum memory usage per Container is 1Gi, but limit is 1200Mi'],
        ['dist/dev/workloads.yaml', 'job-under-min', 'minimum cpu usage per Container is 10m, but request is 1m'],
        [
          'dist/dev/workloads.yaml',
          'cron-default-invalid',
          'spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi',
        ],
        ['dist/dev/workloads.yaml', 'sts-claim-over', 'maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi'],
        ['dist/dev/claims.yaml', 'claim-small', 'minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi'],
        ['dist/dev/claims.yaml', 'claim-over', 'maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 6Gi'],
        ['dist/dev/fenced.yaml', 'fenced-over', 'maximum memory usage per Container is 256Mi, but limit is 512Mi'],
      ]),
    );
  });

  it(
    "validate refuses exactly those documents, in the plugin's words, at the field, also when one app's output is given alone",
    async () => {
      const offline = await validate(suite.repo, ['dist'], { policy: false });
      expect(sorted(refusalsOf(offline.problems))).toStrictEqual(sorted(suite.real));
      const found = offline.problems.filter((p) => p.rule === 'within-limit-ranges');
      expect(found.every((p) => p.severity === 'error')).toBe(true);
      const at = (name: string) => found.find((p) => p.name === name)!;
      expect(at('template-over').path).toBe('spec.template.spec.containers[0].resources.limits.memory');
      expect(at('template-over').message).toContain('every pod this Deployment makes, though it admits the Deployment itself');
      expect(at('template-over').message).toContain('LimitRange containers of namespace lim');
      expect(at('init-over').path).toBe('spec.initContainers[0].resources.limits.memory');
      expect(at('claim-small').path).toBe('spec.resources.requests.storage');
      expect(at('cron-default-invalid').message).toContain('(the value LimitRange containers gives by default)');
      // Judged against the LimitRanges of another app of its env when its output is given alone.
      const alone = await validate(suite.repo, ['dist/dev/workloads.yaml', 'dist/staging/workloads.yaml'], { policy: false });
      expect(sorted(refusalsOf(alone.problems))).toStrictEqual(sorted(suite.real.filter(([file]) => file === 'dist/dev/workloads.yaml')));
      // Against another app's LimitRange written without a namespace, in its Application's destination.
      const fenced = await validate(suite.repo, ['dist/dev/fenced.yaml'], { policy: false });
      expect(refusalsOf(fenced.problems)).toStrictEqual(suite.real.filter(([file]) => file === 'dist/dev/fenced.yaml'));
      expect(fenced.problems.find((p) => p.name === 'fenced-over')?.message).toContain('LimitRange bare of namespace fenced');
    },
    BUILD_TIMEOUT,
  );

  it(
    'verify names the same workloads at their pod and claim templates, whose own dry runs pass, and the same Pods and claims',
    async () => {
      const r = await verify(suite.repo, { server: suite.server.server });
      const ours = r.problems.filter((p) => p.severity === 'error' && p.file !== 'dist/dev/platform.yaml');
      const refused = sorted(
        [...new Set(ours.filter((p) => p.name !== 'claim-no-request').map((p) => `${p.file} ${p.name}`))].map((k) => k.split(' ')),
      );
      // verify places an object written without a namespace in its Application's destination, where
      // Argo CD applies it: the fenced app's pod meets the LimitRange there, as on the real cluster.
      expect(refused).toStrictEqual(sorted(suite.real.map(([file, name]) => [file!, name!])));
      expect(refused).toContainEqual(['dist/dev/fenced.yaml', 'fenced-over']);
      const template = ours.find((p) => p.name === 'template-over')!;
      expect(template.path).toBe('spec.template');
      expect(template.message).toContain('maximum memory usage per Container is 1Gi, but limit is 1200Mi');
      expect(template.message).toContain('the Deployment is admitted, but every pod it makes is refused');
      const claims = ours.find((p) => p.name === 'sts-claim-over')!;
      expect(claims.path).toBe('spec.volumeClaimTemplates[0]');
      expect(claims.message).toContain(
        'maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi: the StatefulSet is admitted, but every claim it makes of this template is refused',
      );
    },
    BUILD_TIMEOUT,
  );
});
