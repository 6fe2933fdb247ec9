import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { runPolicy } from '../src/index.ts';
import { podFieldsFromClasses } from '../src/rules/pod-fields-from-classes.ts';
import { differentialServer } from './differential.ts';

/**
 * pod-fields-from-classes against the API server: each pod is created (dry run) on a server that holds
 * the same PriorityClasses and RuntimeClasses as the set Strata judges, and the Priority and
 * RuntimeClass admission plugins' verdict is compared with the rule's: refused or admitted, and for
 * what.
 */

const CLASSES: Manifest[] = [
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'Never' } as Manifest,
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: 10, globalDefault: true } as Manifest,
  {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'kata' },
    handler: 'kata',
    overhead: { podFixed: { cpu: '250m', memory: '120Mi' } },
  } as Manifest,
  { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'runc' }, handler: 'runc' } as Manifest,
  {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'gvisor' },
    handler: 'runsc',
    scheduling: { nodeSelector: { sandbox: 'gvisor', 'kubernetes.io/arch': 'amd64' }, tolerations: [{ key: 'sandbox', operator: 'Exists' }] },
  } as Manifest,
  {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'kata-pinned' },
    handler: 'kata',
    overhead: { podFixed: { cpu: '250m' } },
    scheduling: { nodeSelector: { pool: 'kata' } },
  } as Manifest,
  {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'tolerating' },
    handler: 'runc',
    scheduling: { tolerations: [{ operator: 'Exists' }] },
  } as Manifest,
];

const PODS: Record<string, Record<string, unknown>> = {
  'priority-without-class': { priority: 1000000 },
  'priority-zero-under-default': { priority: 0 },
  'priority-of-default': { priority: 10 },
  'preemption-without-class': { preemptionPolicy: 'Never' },
  'preemption-of-default': { preemptionPolicy: 'PreemptLowerPriority' },
  'class-values': { priorityClassName: 'high', priority: 1000, preemptionPolicy: 'Never' },
  'class-other-priority': { priorityClassName: 'high', priority: 999 },
  'class-other-preemption': { priorityClassName: 'high', preemptionPolicy: 'PreemptLowerPriority' },
  'system-class-value': { priorityClassName: 'system-node-critical', priority: 2000001000 },
  'system-class-other': { priorityClassName: 'system-cluster-critical', priority: 2000001000 },
  'overhead-without-class': { overhead: { cpu: '100m' } },
  'overhead-of-class': { runtimeClassName: 'kata', overhead: { cpu: '0.25', memory: '120Mi' } },
  'overhead-other': { runtimeClassName: 'kata', overhead: { cpu: '200m' } },
  'overhead-part': { runtimeClassName: 'kata', overhead: { cpu: '250m' } },
  'overhead-empty': { runtimeClassName: 'kata', overhead: {} },
  'class-overhead-alone': { runtimeClassName: 'kata' },
  'overhead-class-without': { runtimeClassName: 'runc', overhead: { cpu: '100m' } },
  'overhead-empty-without-class': { overhead: {} },
  'selector-conflict': { runtimeClassName: 'gvisor', nodeSelector: { sandbox: 'none' } },
  'selector-dotted-key-conflict': { runtimeClassName: 'gvisor', nodeSelector: { 'kubernetes.io/arch': 'arm64', sandbox: 'gvisor' } },
  'selector-two-conflicts': { runtimeClassName: 'gvisor', nodeSelector: { sandbox: 'runc', 'kubernetes.io/arch': 'arm64' } },
  'selector-empty-value': { runtimeClassName: 'gvisor', nodeSelector: { sandbox: '' } },
  'selector-same': { runtimeClassName: 'gvisor', nodeSelector: { sandbox: 'gvisor', zone: 'a' } },
  'selector-other-keys': { runtimeClassName: 'gvisor', nodeSelector: { zone: 'a', Sandbox: 'none' } },
  'selector-empty': { runtimeClassName: 'gvisor', nodeSelector: {} },
  'selector-without-class': { nodeSelector: { sandbox: 'none' } },
  'selector-class-without-selector': { runtimeClassName: 'tolerating', nodeSelector: { sandbox: 'none' } },
  'selector-class-without-scheduling': { runtimeClassName: 'runc', nodeSelector: { sandbox: 'none' } },
  'selector-and-overhead': { runtimeClassName: 'kata-pinned', overhead: { cpu: '1' }, nodeSelector: { pool: 'runc' } },
  'selector-with-overhead-of-class': { runtimeClassName: 'kata-pinned', overhead: { cpu: '250m' }, nodeSelector: { pool: 'runc' } },
};

const podOf = (name: string, spec: Record<string, unknown>): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  }) as Manifest;

type Verdict = { readonly admitted: true } | { readonly admitted: false; readonly reasons: readonly string[] };

const verdicts = new Map<string, Verdict>();

const server = differentialServer([], async () => {
  const client = server.server.client;
  for (const c of CLASSES) {
    const plural = c.kind === 'PriorityClass' ? 'priorityclasses' : 'runtimeclasses';
    const r = await client.request('POST', `/apis/${c.apiVersion}/${plural}`, c);
    if (r.status >= 300) throw new Error(`creating ${c.kind} ${c.metadata.name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }
  for (const [name, spec] of Object.entries(PODS)) {
    const r = await client.request('POST', '/api/v1/namespaces/default/pods?dryRun=All', podOf(name, spec));
    if (r.status < 300) verdicts.set(name, { admitted: true });
    else {
      const message = String((r.body as { message?: unknown }).message);
      if (r.status !== 403) throw new Error(`${name}: HTTP ${r.status} ${message}`);
      verdicts.set(name, { admitted: false, reasons: [message.replace(/^pods "[^"]*" is forbidden: /, '')] });
    }
  }
});

describe('pod-fields-from-classes and the API server', () => {
  it('refuse and admit the same pods, for the same reason', () => {
    const differ: string[] = [];
    for (const [name, spec] of Object.entries(PODS)) {
      const theirs = verdicts.get(name)!;
      const findings = runPolicy(
        [...CLASSES, podOf(name, spec)].map((manifest) => ({ manifest, file: 'set.yaml' })),
        {},
        [podFieldsFromClasses],
      );
      // The server names the first refusal only; it must be one the rule names.
      const ours = findings.map((f) => f.message.split(': the API server refuses')[0]!);
      const same = theirs.admitted ? ours.length === 0 : ours.includes(theirs.reasons[0]!);
      if (!same) differ.push(`${name}: server ${JSON.stringify(theirs)}, strata ${JSON.stringify(ours)}`);
    }
    expect(differ).toStrictEqual([]);
  });

  it('with a corpus the server both refuses and admits', () => {
    const admitted = [...verdicts.values()].filter((v) => v.admitted).length;
    expect(admitted).toBeGreaterThanOrEqual(5);
    expect(verdicts.size - admitted).toBeGreaterThanOrEqual(8);
  });
});
