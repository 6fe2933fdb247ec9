import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { podsOf } from '@strata/policy';
import type { Problem } from '@strata/project';
import { verify } from '@strata/verify';
import type { DifferentialServer } from '../../policy/test/differential.ts';
import { BUILD_TIMEOUT } from '../../verify/test/helpers.ts';
import { suiteDifferential } from './apply-order.ts';
import { workloadsIn } from './pod-workloads.ts';
import { validate } from '../src/index.ts';

/**
 * The pod fields the Priority and RuntimeClass admission plugins compute from the classes of the
 * whole cluster, whichever app ships them: each env's classes are created for real in apply order
 * (its apps by name), as its cluster holds them, then the pod each workload makes (and each bare Pod)
 * is created (dry run); the plugins' refusals must be what `validate` (offline, over the env and for
 * one app's file alone) and `verify` say, pod by pod, in the plugins' words.
 */

const NS = 'prio';

const priorityClass = (name: string, value: number, extra: Record<string, unknown> = {}): Manifest =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra }) as Manifest;
const runtimeClass = (name: string, nodeSelector: Record<string, string>): Manifest =>
  ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler: 'runsc', scheduling: { nodeSelector } }) as Manifest;
const { deployment, pod } = workloadsIn(NS);

/** `<env>/<app>` -> its built output. */
const CORPUS: Record<string, readonly Manifest[]> = {
  // The platform's default class and a named one, in an app of their own.
  'dev/aa-platform': [priorityClass('platform-default', 1000, { globalDefault: true }), priorityClass('batch', 10, { preemptionPolicy: 'Never' })],
  // A second default, after the first in apply order and of a lower value: refused, so never the default.
  'dev/zz-late-default': [priorityClass('late-default', 5, { globalDefault: true })],
  // priority as `kubectl get -o yaml` prints it under no default: refused under the other app's default.
  'dev/web': [deployment('web', { priority: 0 })],
  'dev/web-right': [deployment('web-right', { priority: 1000 })],
  'dev/preempt': [deployment('preempt', { preemptionPolicy: 'Never' })],
  // The class of another app, by name.
  'dev/named': [deployment('named', { priorityClassName: 'batch', priority: 10, preemptionPolicy: 'Never' })],
  'dev/named-wrong': [deployment('named-wrong', { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' })],
  // Bare Pods, which a dry run judges only beside the default class created for real.
  'dev/bare': [pod('bare', { priority: 0 })],
  'dev/bare-right': [pod('bare-right', { priority: 1000 })],
  // No default in this env: 0 is right; a default the server refuses for its value is none.
  'staging/big': [priorityClass('big', 2_000_000_000, { globalDefault: true })],
  'staging/web': [deployment('web', { priority: 0 })],
  'staging/bare': [pod('bare', { priority: 0 })],
  // A RuntimeClass of another app, whose nodeSelector the pod contradicts.
  'prod/aa-runtime': [runtimeClass('gvisor', { sandbox: 'gvisor' })],
  'prod/sandboxed': [deployment('sandboxed', { runtimeClassName: 'gvisor', nodeSelector: { sandbox: 'none' } })],
  'prod/sandboxed-right': [deployment('sandboxed-right', { runtimeClassName: 'gvisor', nodeSelector: { sandbox: 'gvisor', zone: 'a' } })],
};

const isClass = (m: Manifest) => m.kind === 'PriorityClass' || m.kind === 'RuntimeClass';

/** [file, name, the admission plugin's words] of each workload (or Pod) whose pods the server refuses. */
async function realVerdicts(server: DifferentialServer): Promise<string[][]> {
  await server.namespace(NS);
  await server.server.whenReady();
  const refused: string[][] = [];
  for (const env of ['dev', 'staging', 'prod']) {
    const apps = Object.keys(CORPUS)
      .filter((k) => k.startsWith(`${env}/`))
      .sort();
    const created: Manifest[] = [];
    for (const app of apps)
      for (const m of CORPUS[app]!.filter(isClass)) {
        if ((await server.create(m, NS)).status < 300) created.push(m);
        // The Priority plugin finds the default class through an informer.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    for (const app of apps)
      for (const m of CORPUS[app]!.filter((x) => !isClass(x)))
        for (const p of podsOf([{ manifest: m, file: app }])) {
          const asPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${m.metadata.name}-x`, namespace: NS }, spec: p.spec } as Manifest;
          const r = await server.dryRun(asPod, NS);
          if (r.status >= 300) refused.push([`dist/${app}.yaml`, m.metadata.name, r.message.replace(/^pods "[^"]*" is forbidden: /, '')]);
        }
    for (const m of created) await server.remove(m, NS);
  }
  return refused;
}

/** The plugins' words in a problem's message. */
const WORDS =
  /the integer value of priority \(-?\d+\) must not be provided in pod spec; priority admission controller computed -?\d+ from the given PriorityClass name|the string value of PreemptionPolicy \(\w+\) must not be provided in pod spec; priority admission controller computed \w+ from the given PriorityClass name|conflict: runtimeClass\.scheduling\.nodeSelector\[[^\]]+\] = [^\s;:]*; pod\.spec\.nodeSelector\[[^\]]+\] = [^\s;:]*/;
const refusalsOf = (problems: readonly Problem[]) =>
  problems
    .filter((p) => p.severity === 'error' && WORDS.test(p.message))
    .map((p) => [p.file, p.name ?? '', WORDS.exec(p.message)![0]])
    .sort((a, b) => a.join().localeCompare(b.join()));

const suite = suiteDifferential(CORPUS, realVerdicts);

describe('pod fields from the classes of every app of the env, offline, in verify and on a real cluster', () => {
  it('the cluster computes a pod`s priority from the first default class created, and refuses the pods that say otherwise', () => {
    expect(suite.real).toStrictEqual([
      [
        'dist/dev/bare.yaml',
        'bare',
        'the integer value of priority (0) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
      ],
      [
        'dist/dev/named-wrong.yaml',
        'named-wrong',
        'the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
      ],
      [
        'dist/dev/preempt.yaml',
        'preempt',
        'the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
      ],
      [
        'dist/dev/web.yaml',
        'web',
        'the integer value of priority (0) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
      ],
      [
        'dist/prod/sandboxed.yaml',
        'sandboxed',
        'conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = none',
      ],
    ]);
  });

  it(
    "validate names the same pods in the plugins' words, over the env and for one app's file alone",
    async () => {
      const sorted = [...suite.real].sort((a, b) => a.join().localeCompare(b.join()));
      const offline = await validate(suite.repo, ['dist'], { policy: false });
      expect(refusalsOf(offline.problems)).toStrictEqual(sorted);
      const web = offline.problems.find((p) => p.name === 'web' && p.file === 'dist/dev/web.yaml')!;
      expect([web.path, web.rule]).toStrictEqual(['spec.template.spec.priority', 'pod-fields-from-classes']);
      expect(web.message).toContain('as the global default PriorityClass gives 1000');
      // One app's output alone is judged against the classes of every app of its env.
      const alone = await validate(suite.repo, ['dist/dev/web.yaml', 'dist/dev/web-right.yaml', 'dist/prod/sandboxed.yaml'], { policy: false });
      expect(refusalsOf(alone.problems)).toStrictEqual(
        sorted.filter(([file]) => file === 'dist/dev/web.yaml' || file === 'dist/prod/sandboxed.yaml'),
      );
    },
    BUILD_TIMEOUT,
  );

  it(
    'verify names the same pods, a bare Pod beside the default class created for real',
    async () => {
      const r = await verify(suite.repo, { server: suite.server.server });
      expect(refusalsOf(r.problems)).toStrictEqual([...suite.real].sort((a, b) => a.join().localeCompare(b.join())));
    },
    BUILD_TIMEOUT,
  );
});
