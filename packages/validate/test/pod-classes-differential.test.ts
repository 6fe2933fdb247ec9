import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { podsOf } from '@strata/policy';
import type { Problem } from '@strata/project';
import { verify } from '@strata/verify';
import type { DifferentialServer } from '../../policy/test/differential.ts';
import { BUILD_TIMEOUT } from '../../verify/test/helpers.ts';
import { validate } from '../src/index.ts';
import { suiteDifferential } from './apply-order.ts';
import { workloadsIn } from './pod-workloads.ts';

/**
 * The PriorityClass and RuntimeClass a pod names: each env's classes are created for real (those
 * Argo CD applies, and the server accepts), as its cluster holds them, with the one the platform
 * makes (`kubernetes.priorityClasses` of the workspace's strata.config.json); then the pod each
 * workload's controller makes is created (dry run) and the Priority and RuntimeClass admission
 * plugins' verdict compared, document by document, with what `validate` and `verify` say at the
 * field: refused pods, and only those, are named, in the plugins' words.
 */

const NS = 'classes';

const priorityClass = (name: string, value: number, annotations?: Record<string, string>): Manifest =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name, ...(annotations ? { annotations } : {}) }, value }) as Manifest;
const runtimeClass = (name: string): Manifest =>
  ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler: 'runsc' }) as Manifest;
const { podSpec, deployment, pod } = workloadsIn(NS);
const cronJob = (name: string, spec: Record<string, unknown>): Manifest =>
  ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { spec: podSpec({ restartPolicy: 'Never', ...spec }) } } } },
  }) as Manifest;

/** The PriorityClass the platform makes in every cluster, which strata.config.json lists. */
const PLATFORM = priorityClass('platform', 5);

/** `<env>/<app>` -> its built output. */
const CORPUS: Record<string, readonly Manifest[]> = {
  'dev/classes': [priorityClass('high', 1000), runtimeClass('gvisor')],
  // Classes of another app of the env.
  'dev/web': [deployment('web', { priorityClassName: 'high', runtimeClassName: 'gvisor' })],
  'dev/cron': [cronJob('cron', { priorityClassName: 'high' })],
  // Typos: refused. The PriorityClass is an error (strata.config.json lists the platform's), the
  // RuntimeClass a warning (it lists none: the cluster may have it).
  'dev/typo': [deployment('typo', { priorityClassName: 'hihg' })],
  'dev/rt-typo': [deployment('rt-typo', { runtimeClassName: 'gvisr' })],
  // Built in, made by the platform, or none named.
  'dev/system': [deployment('system', { priorityClassName: 'system-node-critical' })],
  'dev/platform': [deployment('platform-user', { priorityClassName: 'platform' })],
  'dev/empty': [deployment('empty', { priorityClassName: '' })],
  // A class Argo CD never applies is not in the cluster.
  'dev/skipclass': [priorityClass('skipped', 7, { 'argocd.argoproj.io/hook': 'Skip' })],
  'dev/uses-skipped': [deployment('uses-skipped', { priorityClassName: 'skipped' })],
  // A class the server refuses (above a user class's maximum value) is not either.
  'prod/big': [priorityClass('too-big', 2_000_000_000)],
  'prod/uses-big': [deployment('uses-big', { priorityClassName: 'too-big' })],
  // A class of another env is another cluster's.
  'staging/web': [deployment('web', { priorityClassName: 'high' })],
  'staging/rt': [deployment('rt', { runtimeClassName: 'gvisor' })],
  // A bare Pod and the class of its own app.
  'prod/own': [priorityClass('prod-only', 3), pod('own', { priorityClassName: 'prod-only' })],
};

const isClass = (m: Manifest) => m.kind === 'PriorityClass' || m.kind === 'RuntimeClass';
const skipped = (m: Manifest) => m.metadata.annotations?.['argocd.argoproj.io/hook'] === 'Skip';

/** [file, name, the admission plugin's words] of each workload (or Pod) whose pods the server refuses. */
async function realVerdicts(server: DifferentialServer): Promise<string[][]> {
  await server.namespace(NS);
  await server.server.whenReady();
  const refused: string[][] = [];
  await server.create(PLATFORM, NS);
  for (const env of ['dev', 'staging', 'prod']) {
    const apps = Object.keys(CORPUS)
      .filter((k) => k.startsWith(`${env}/`))
      .sort();
    const created: Manifest[] = [];
    for (const app of apps)
      for (const m of CORPUS[app]!.filter((x) => isClass(x) && !skipped(x))) if ((await server.create(m, NS)).status < 300) created.push(m);
    // The admission plugins read the classes through informers.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const app of apps)
      for (const m of CORPUS[app]!.filter((x) => !isClass(x))) {
        for (const p of podsOf([{ manifest: m, file: app }])) {
          const asPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${m.metadata.name}-x`, namespace: NS }, spec: p.spec } as Manifest;
          const r = await server.dryRun(asPod, NS);
          if (r.status >= 300) refused.push([`dist/${app}.yaml`, m.metadata.name, r.message.replace(/^pods "[^"]*" is forbidden: /, '')]);
        }
      }
    for (const m of created) await server.remove(m, NS);
  }
  return refused;
}

/** The refusals of pod-class-exists among a run's problems, as [file, name, the plugin's words]. */
const refusalsOf = (problems: readonly Problem[]) =>
  problems.filter((p) => p.rule === 'pod-class-exists').map((p) => [p.file, p.name ?? '', p.message.replace(/( among |: the API server).*$/, '')]);

const suite = suiteDifferential(CORPUS, realVerdicts, {
  files: { 'strata.config.json': `${JSON.stringify({ kubernetes: { priorityClasses: ['platform'] } }, null, 2)}\n` },
});

describe('the classes pods name, offline, in verify and on a real cluster', () => {
  it('the cluster refuses the pods of every workload that names a class it does not hold', () => {
    expect(suite.real).toStrictEqual([
      ['dist/dev/rt-typo.yaml', 'rt-typo', 'pod rejected: RuntimeClass "gvisr" not found'],
      ['dist/dev/typo.yaml', 'typo', 'no PriorityClass with name hihg was found'],
      ['dist/dev/uses-skipped.yaml', 'uses-skipped', 'no PriorityClass with name skipped was found'],
      ['dist/staging/rt.yaml', 'rt', 'pod rejected: RuntimeClass "gvisor" not found'],
      ['dist/staging/web.yaml', 'web', 'no PriorityClass with name high was found'],
      ['dist/prod/uses-big.yaml', 'uses-big', 'no PriorityClass with name too-big was found'],
    ]);
  });

  it(
    "validate names the same pods at the field, in the plugins' words: an error for a PriorityClass (the config lists the platform's), a warning for a RuntimeClass",
    async () => {
      const offline = await validate(suite.repo, ['dist'], { policy: false });
      const sorted = (rows: string[][]) => [...rows].sort((a, b) => a.join().localeCompare(b.join()));
      expect(sorted(refusalsOf(offline.problems))).toStrictEqual(sorted(suite.real));
      const found = offline.problems.filter((p) => p.rule === 'pod-class-exists');
      expect(found.map((p) => [p.name, p.path, p.severity])).toStrictEqual([
        ['rt-typo', 'spec.template.spec.runtimeClassName', 'warning'],
        ['typo', 'spec.template.spec.priorityClassName', 'error'],
        ['uses-skipped', 'spec.template.spec.priorityClassName', 'error'],
        ['uses-big', 'spec.template.spec.priorityClassName', 'error'],
        ['rt', 'spec.template.spec.runtimeClassName', 'warning'],
        ['web', 'spec.template.spec.priorityClassName', 'error'],
      ]);
      expect(found.find((p) => p.name === 'rt-typo')!.message).toContain('it must exist in the cluster before the pods start');
      // Judged against every app of its env also when one app's output is given alone.
      const alone = await validate(suite.repo, ['dist/dev/web.yaml', 'dist/staging/web.yaml'], { policy: false });
      expect(refusalsOf(alone.problems)).toStrictEqual([['dist/staging/web.yaml', 'web', 'no PriorityClass with name high was found']]);
    },
    BUILD_TIMEOUT,
  );

  it(
    'verify names the same workloads, whose dry runs make no pod',
    async () => {
      const r = await verify(suite.repo, { server: suite.server.server });
      const sorted = (rows: string[][]) => [...rows].sort((a, b) => a.join().localeCompare(b.join()));
      expect(sorted(refusalsOf(r.problems))).toStrictEqual(sorted(suite.real));
    },
    BUILD_TIMEOUT,
  );
});
