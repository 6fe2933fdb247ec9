import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { runPolicy } from '../src/index.ts';
import { POD_SECURITY_LABELS } from '../src/pod-security-admission.ts';
import { namespaceAdmitsPods } from '../src/rules/namespace-admits-pods.ts';
import { differentialServer } from './differential.ts';

/**
 * namespace-admits-pods against the API server on the Pod Security labels of a Namespace: each value
 * of the corpus is put, alone, on each of the six labels the PodSecurity admission reads (enforce,
 * audit, warn and their versions), and a few Namespaces carry several bad ones at once. Each is
 * created (dry run); the server's refusal, label by label in its words, is compared with what the rule
 * reports of the same Namespace. Every value is a valid label value, so that what refuses it is the
 * PodSecurity admission and not the label syntax checked before it.
 */

/** Levels and versions, and what is almost one: case, padding zeros, other majors, minors past int64. */
const VALUES = [
  'privileged',
  'baseline',
  'restricted',
  'Restricted',
  'RESTRICTED',
  'Baseline',
  'bogus',
  '',
  'restricted1',
  'base-line',
  'r',
  'latest',
  'Latest',
  'LATEST',
  'latest1',
  'v1.0',
  'v1.00',
  'v1.01',
  'v1.7',
  'v1.36',
  'v1.99',
  'v1.9223372036854775807',
  'v1.9223372036854775808',
  'v1.18446744073709551616',
  'v1.99999999999999999999',
  `v1.${'9'.repeat(60)}`,
  'v2.0',
  'v0.1',
  'v1',
  'v1.x',
  '1.30',
  'v1.30.0',
  'V1.30',
  'v1.3-0',
  'v1.3_0',
  'v01.30',
  'v1.-1',
  'v1..1',
  'vv1.1',
  'v1.1a',
  'v1.1e3',
] as const;

/** Namespaces with several labels at once, some of them bad. */
const SETS: readonly Readonly<Record<string, string>>[] = [
  {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/warn': 'Restricted',
  },
  {
    'pod-security.kubernetes.io/enforce': 'Baseline',
    'pod-security.kubernetes.io/enforce-version': 'v1.9223372036854775808',
    'pod-security.kubernetes.io/audit': 'bogus',
    'pod-security.kubernetes.io/audit-version': 'v1.x',
    'pod-security.kubernetes.io/warn': '',
    'pod-security.kubernetes.io/warn-version': 'v2.0',
  },
  {
    'pod-security.kubernetes.io/enforce': 'baseline',
    'pod-security.kubernetes.io/enforce-version': 'v1.9223372036854775807',
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/audit-version': 'latest',
    'pod-security.kubernetes.io/warn': 'privileged',
    'pod-security.kubernetes.io/warn-version': 'v1.0',
  },
  { 'pod-security.kubernetes.io/audit-version': 'v1.00', 'pod-security.kubernetes.io/warn-version': 'Latest', other: 'x' },
];

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const cases = [...POD_SECURITY_LABELS.flatMap(({ label }) => VALUES.map((value) => ({ [label]: value }))), ...SETS];

const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/** What is refused, one line a label in the server's words (`label: Invalid value: "v": reason`), sorted; empty when created. */
type Verdict = readonly string[];

const verdicts: Verdict[] = [];

async function serverVerdict(labels: Readonly<Record<string, string>>, i: number): Promise<Verdict> {
  const r = await server.server.client.request('POST', '/api/v1/namespaces?dryRun=All', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: `labels-${i}`, labels },
  });
  if (r.status < 300) return [];
  const body = record(r.body);
  const causes = (record(body.details).causes ?? []) as { field?: string; message?: string }[];
  if (r.status !== 422 || causes.length === 0) throw new Error(`${JSON.stringify(labels)}: HTTP ${r.status} ${String(body.message)}`);
  return causes
    .map((c) => {
      const label = /^metadata\.labels\[(.+)\]$/.exec(c.field ?? '')?.[1];
      if (!label?.startsWith('pod-security.kubernetes.io/'))
        throw new Error(`${JSON.stringify(labels)}: not a Pod Security refusal: ${c.field}: ${c.message}`);
      return `${label}: ${c.message}`;
    })
    .sort();
}

function strataVerdict(labels: Readonly<Record<string, string>>): Verdict {
  const namespace: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'labels', labels: { ...labels } } };
  return runPolicy([{ manifest: namespace, file: 'namespace.yaml' }], {}, [namespaceAdmitsPods])
    .map((f) => {
      const label = f.path?.replace(/^metadata\.labels\./, '');
      const m = /^Label [^ ]+: ("(?:[^"\\]|\\.)*") (.+?): the API server refuses to create this Namespace/.exec(f.message);
      if (!m || f.object.manifest.kind !== 'Namespace' || f.severity !== 'error') throw new Error(`not a label refusal: ${f.path}: ${f.message}`);
      return `${label}: Invalid value: ${m[1]}: ${m[2]}`;
    })
    .sort();
}

const server = differentialServer([], async () => {
  for (let i = 0; i < cases.length; i += 8)
    await Promise.all(cases.slice(i, i + 8).map(async (labels, j) => (verdicts[i + j] = await serverVerdict(labels, i + j))));
});

describe('namespace-admits-pods and the API server on Pod Security labels', () => {
  it('refuse and admit the same Namespaces, label by label, in the same words', () => {
    const differ: string[] = [];
    cases.forEach((labels, i) => {
      const theirs = verdicts[i]!;
      const ours = strataVerdict(labels);
      if (JSON.stringify(ours) !== JSON.stringify(theirs))
        differ.push(`${JSON.stringify(labels)}: server ${JSON.stringify(theirs)}, strata ${JSON.stringify(ours)}`);
    });
    expect(differ).toStrictEqual([]);
  });

  it('with a corpus of valid label values that each of the six labels both refuses and takes', () => {
    for (const value of VALUES) expect([value, value.length <= 63 && LABEL_VALUE.test(value)]).toStrictEqual([value, true]);
    for (const { label } of POD_SECURITY_LABELS) {
      const alone = cases.map((labels, i) => ({ labels, verdict: verdicts[i]! })).filter(({ labels }) => Object.keys(labels).join() === label);
      expect(alone.filter((c) => c.verdict.length === 0).length).toBeGreaterThanOrEqual(3);
      expect(alone.filter((c) => c.verdict.length > 0).length).toBeGreaterThanOrEqual(10);
    }
    // The largest minor Go's strconv.Atoi reads is taken, the next is not.
    const enforceVersion = (value: string) => verdicts[cases.findIndex((c) => c['pod-security.kubernetes.io/enforce-version'] === value)]!;
    expect(enforceVersion('v1.9223372036854775807')).toStrictEqual([]);
    expect(enforceVersion('v1.9223372036854775808')).toHaveLength(1);
  });
});
