import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { podFieldsFromClasses } from '../../src/rules/pod-fields-from-classes.ts';
import { check, deployment, manifest, pod, summary } from '../support.ts';

const priorityClass = (name: string, value: number, extra: Record<string, unknown> = {}): Manifest =>
  manifest('scheduling.k8s.io/v1', 'PriorityClass', name, { value, ...extra }, undefined);
const runtimeClass = (name: string, podFixed?: Record<string, string>): Manifest =>
  manifest('node.k8s.io/v1', 'RuntimeClass', name, { handler: 'runsc', ...(podFixed && { overhead: { podFixed } }) }, undefined);

const kinds = (spec: Record<string, unknown>): Manifest[] => [
  pod('p', { pod: spec }),
  deployment('d', { pod: spec }),
  manifest('apps/v1', 'StatefulSet', 's', {
    spec: { serviceName: 's', selector: {}, template: { spec: { containers: [{ name: 'c', image: 'x' }], ...spec } } },
  }),
  manifest('apps/v1', 'DaemonSet', 'ds', { spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'x' }], ...spec } } } }),
  manifest('batch/v1', 'CronJob', 'cj', {
    spec: {
      schedule: '@daily',
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Never', ...spec } } } },
    },
  }),
];

describe('pod-fields-from-classes', () => {
  it('refuses priority, preemptionPolicy and overhead set without a class, at the field of every pod-bearing kind, in the admission plugins words', () => {
    const found = check(podFieldsFromClasses, kinds({ priority: 1000000, preemptionPolicy: 'Never', overhead: { cpu: '100m' } }));
    expect(found.map((f) => `${f.object.manifest.kind} ${f.path}`)).toStrictEqual(
      [
        ['Pod', 'spec'],
        ['Deployment', 'spec.template.spec'],
        ['StatefulSet', 'spec.template.spec'],
        ['DaemonSet', 'spec.template.spec'],
        ['CronJob', 'spec.jobTemplate.spec.template.spec'],
      ].flatMap(([kind, at]) => ['priority', 'preemptionPolicy', 'overhead'].map((f) => `${kind} ${at}.${f}`)),
    );
    expect(summary(found.filter((f) => f.object.manifest.kind === 'Deployment'))).toStrictEqual([
      {
        name: 'd',
        path: 'spec.template.spec.priority',
        message:
          'the integer value of priority (1000000) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name: ' +
          'the API server refuses every pod this Deployment makes (Priority admission), as a pod that names no PriorityClass gets 0. Remove priority and name a PriorityClass with the value in priorityClassName.',
      },
      {
        name: 'd',
        path: 'spec.template.spec.preemptionPolicy',
        message:
          'the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name: ' +
          'the API server refuses every pod this Deployment makes (Priority admission), as a pod that names no PriorityClass gets PreemptLowerPriority. Remove preemptionPolicy and name a PriorityClass with preemptionPolicy: Never in priorityClassName.',
      },
      {
        name: 'd',
        path: 'spec.template.spec.overhead',
        message:
          'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead: the API server refuses every pod this Deployment makes (RuntimeClass admission), as it names no RuntimeClass. ' +
          'Remove overhead and name a RuntimeClass that defines it (overhead.podFixed) in runtimeClassName.',
      },
    ]);
  });

  it('admits the values the classes give, as the plugins do: the named class, the global default, a system class, 0 and PreemptLowerPriority with none', () => {
    const classes = [
      priorityClass('high', 1000, { preemptionPolicy: 'Never' }),
      priorityClass('low', 10, { globalDefault: true }),
      runtimeClass('kata', { cpu: '250m', memory: '120Mi' }),
    ];
    expect(
      check(podFieldsFromClasses, [
        ...classes,
        pod('named', { pod: { priorityClassName: 'high', priority: 1000, preemptionPolicy: 'Never' } }),
        pod('default', { pod: { priority: 10, preemptionPolicy: 'PreemptLowerPriority' } }),
        pod('system', { pod: { priorityClassName: 'system-node-critical', priority: 2000001000 } }),
        pod('overhead', { pod: { runtimeClassName: 'kata', overhead: { cpu: '0.25', memory: '120Mi' } } }),
        pod('empty', { pod: { runtimeClassName: 'kata', overhead: {} } }),
      ]),
    ).toStrictEqual([]);
    expect(check(podFieldsFromClasses, [pod('none', { pod: { priority: 0, preemptionPolicy: 'PreemptLowerPriority' } })])).toStrictEqual([]);
  });

  it('refuses values other than the classes give, naming the class', () => {
    const found = check(podFieldsFromClasses, [
      priorityClass('high', 1000),
      priorityClass('low', 10, { globalDefault: true }),
      runtimeClass('kata', { cpu: '250m' }),
      runtimeClass('runc'),
      pod('named', { pod: { priorityClassName: 'high', priority: 999, preemptionPolicy: 'Never' } }),
      pod('default', { pod: { priority: 0 } }),
      pod('overhead', { pod: { runtimeClassName: 'kata', overhead: { cpu: '200m' } } }),
      pod('plain', { pod: { runtimeClassName: 'runc', overhead: { cpu: '200m' } } }),
    ]);
    expect(
      found.map(
        (f) =>
          `${f.object.manifest.metadata.name} ${f.path}: ${f.message.split(': the API server')[0]} / ${/as ([^.]*)\./.exec(f.message)?.[1] ?? ''}`,
      ),
    ).toStrictEqual([
      'named spec.priority: the integer value of priority (999) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name / PriorityClass high gives 1000',
      'named spec.preemptionPolicy: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name / PriorityClass high gives PreemptLowerPriority',
      'default spec.priority: the integer value of priority (0) must not be provided in pod spec; priority admission controller computed 10 from the given PriorityClass name / the global default PriorityClass gives 10',
      "overhead spec.overhead: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead / ",
      'plain spec.overhead: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead / RuntimeClass runc defines no overhead',
    ]);
  });

  it("refuses a nodeSelector key the RuntimeClass's scheduling.nodeSelector gives another value, at that key, and admits what it merges", () => {
    const gvisor = manifest('node.k8s.io/v1', 'RuntimeClass', 'gvisor', {
      handler: 'runsc',
      scheduling: { nodeSelector: { sandbox: 'gvisor', 'kubernetes.io/arch': 'amd64' }, tolerations: [{ key: 'sandbox', operator: 'Exists' }] },
    });
    const found = check(podFieldsFromClasses, [
      gvisor,
      deployment('conflict', { pod: { runtimeClassName: 'gvisor', nodeSelector: { sandbox: 'none', 'kubernetes.io/arch': 'amd64', zone: 'a' } } }),
      pod('both', { pod: { runtimeClassName: 'gvisor', nodeSelector: { sandbox: '', 'kubernetes.io/arch': 'arm64' } } }),
      pod('same', { pod: { runtimeClassName: 'gvisor', nodeSelector: { sandbox: 'gvisor', zone: 'a' } } }),
      pod('empty', { pod: { runtimeClassName: 'gvisor', nodeSelector: {} } }),
      pod('no-class', { pod: { nodeSelector: { sandbox: 'none' } } }),
      pod('cluster-class', { pod: { runtimeClassName: 'from-cluster', nodeSelector: { sandbox: 'none' } } }),
    ]);
    expect(found.map((f) => `${f.object.manifest.metadata.name} ${f.path}: ${f.message.split(': the API server')[0]}`)).toStrictEqual([
      'conflict spec.template.spec.nodeSelector.sandbox: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = none',
      'both spec.nodeSelector.sandbox: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = ',
      'both spec.nodeSelector.kubernetes.io/arch: conflict: runtimeClass.scheduling.nodeSelector[kubernetes.io/arch] = amd64; pod.spec.nodeSelector[kubernetes.io/arch] = arm64',
    ]);
    expect(found[0]!.message).toBe(
      'conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = none: the API server refuses every pod this Deployment makes (RuntimeClass admission), ' +
        'as RuntimeClass gvisor runs its pods only on nodes labelled sandbox=gvisor. Remove nodeSelector.sandbox; the RuntimeClass sets it.',
    );
  });

  it("takes the cluster's classes that ctx.classes gives, in order: the first default created is the default, and a class the server refuses is none", () => {
    const elsewhere = [
      priorityClass('too-big', 2_000_000_000, { globalDefault: true }),
      priorityClass('platform-default', 1000, { globalDefault: true }),
      priorityClass('later-lower', 5, { globalDefault: true }),
      priorityClass('batch', 10, { preemptionPolicy: 'Never' }),
    ].map((manifest) => ({ manifest, file: 'dist/dev/platform.yaml' }));
    const found = check(
      podFieldsFromClasses,
      [
        pod('zero', { pod: { priority: 0 } }),
        pod('right', { pod: { priority: 1000 } }),
        pod('batch', { pod: { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' } }),
      ],
      { classes: elsewhere },
    );
    expect(found.map((f) => `${f.object.manifest.metadata.name} ${f.path}: ${f.message.split(': the API server')[0]}`)).toStrictEqual([
      'zero spec.priority: the integer value of priority (0) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
      'batch spec.preemptionPolicy: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
    ]);
  });

  it('leaves alone what a class of the cluster decides, and a PodTemplate, which runs no pods', () => {
    expect(
      check(podFieldsFromClasses, [
        pod('cluster-class', { pod: { priorityClassName: 'from-cluster', priority: 5, preemptionPolicy: 'Never' } }),
        pod('cluster-runtime', { pod: { runtimeClassName: 'from-cluster', overhead: { cpu: '1' } } }),
        manifest('v1', 'PodTemplate', 't', { template: { spec: { containers: [{ name: 'c', image: 'x' }], priority: 5 } } }),
      ]),
    ).toStrictEqual([]);
  });
});
