import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { runPolicy } from '../src/index.ts';
import { mountableSecrets } from '../src/rules/mountable-secrets.ts';
import { differentialServer } from './differential.ts';

/**
 * mountable-secrets against the API server with its ServiceAccount admission plugin on, as in every
 * cluster: the ServiceAccounts of the set are created for real (with the namespace's `default`, which
 * the controller manager would make), each pod is created (dry run), and the plugin's verdict is
 * compared with the rule's: refused or admitted, and for what.
 */

const NS = 'mountable';

const account = (name: string, extra: Record<string, unknown> = {}, enforce: string | undefined = 'true'): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: NS, ...(enforce === undefined ? {} : { annotations: { 'kubernetes.io/enforce-mountable-secrets': enforce } }) },
    ...extra,
  }) as Manifest;

const ACCOUNTS: Manifest[] = [
  account('locked', { secrets: [{ name: 'allowed' }], imagePullSecrets: [{ name: 'pull' }] }),
  account('open', { secrets: [{ name: 'allowed' }] }, undefined),
  account('off', { secrets: [{ name: 'allowed' }] }, 'false'),
  account('one', {}, '1'),
  account('default', { secrets: [{ name: 'allowed' }] }),
];

const volume = (secretName: string) => ({ volumes: [{ name: 's', secret: { secretName } }] });
const env = (name: string, group = 'containers') => ({
  [group]: [{ name: 'c', image: 'busybox', env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name, key: 'k' } } }] }],
});

const PODS: Record<string, Record<string, unknown>> = {
  'volume-allowed': { serviceAccountName: 'locked', ...volume('allowed') },
  'volume-other': { serviceAccountName: 'locked', ...volume('other') },
  'volume-not-enforced': { serviceAccountName: 'open', ...volume('other') },
  'volume-enforce-false': { serviceAccountName: 'off', ...volume('other') },
  'volume-enforce-1': { serviceAccountName: 'one', ...volume('other') },
  'default-account': volume('other'),
  'deprecated-field': { serviceAccount: 'locked', ...volume('other') },
  'env-allowed': { serviceAccountName: 'locked', ...env('allowed') },
  'env-other': { serviceAccountName: 'locked', ...env('other') },
  'init-env-other': {
    serviceAccountName: 'locked',
    initContainers: [{ name: 'i', image: 'busybox', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'other', key: 'k' } } }] }],
  },
  'env-from-other': { serviceAccountName: 'locked', containers: [{ name: 'c', image: 'busybox', envFrom: [{ secretRef: { name: 'other' } }] }] },
  'pull-allowed': { serviceAccountName: 'locked', imagePullSecrets: [{ name: 'pull' }] },
  'pull-other': { serviceAccountName: 'locked', imagePullSecrets: [{ name: 'allowed' }] },
  'projected-not-checked': {
    serviceAccountName: 'locked',
    volumes: [{ name: 'p', projected: { sources: [{ secret: { name: 'other' } }] } }],
  },
  'configmap-not-checked': { serviceAccountName: 'locked', volumes: [{ name: 'c', configMap: { name: 'other' } }] },
  'volume-then-pull': { serviceAccountName: 'locked', ...volume('other'), imagePullSecrets: [{ name: 'nope' }] },
};

const podOf = (name: string, spec: Record<string, unknown>): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  }) as Manifest;

type Verdict = { readonly admitted: true } | { readonly admitted: false; readonly reason: string };

const verdicts = new Map<string, Verdict>();

const server = differentialServer(
  [],
  async () => {
    await server.namespace(NS);
    for (const a of ACCOUNTS) {
      const r = await server.create(a, NS);
      if (r.status >= 300) throw new Error(`creating ServiceAccount ${a.metadata.name}: ${r.message}`);
    }
    // The plugin reads the accounts through an informer.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [name, spec] of Object.entries(PODS)) {
      const r = await server.dryRun(podOf(name, spec), NS);
      if (r.status < 300) verdicts.set(name, { admitted: true });
      else {
        if (r.status !== 403) throw new Error(`${name}: HTTP ${r.status} ${r.message}`);
        verdicts.set(name, { admitted: false, reason: r.message.replace(/^pods "[^"]*" is forbidden: /, '') });
      }
    }
  },
  { serviceAccountAdmission: true },
);

describe('mountable-secrets and the API server', () => {
  it('refuse and admit the same pods, for the same reason', () => {
    const differ: string[] = [];
    for (const [name, spec] of Object.entries(PODS)) {
      const theirs = verdicts.get(name)!;
      const findings = runPolicy(
        [...ACCOUNTS, podOf(name, spec)].map((manifest) => ({ manifest, file: 'set.yaml' })),
        {},
        [mountableSecrets],
      );
      const ours = findings.map((f) => f.message.split(': the API server refuses')[0]!);
      // The server names the first refusal only: it must be the rule's first.
      const same = theirs.admitted ? ours.length === 0 : ours[0] === theirs.reason;
      if (!same) differ.push(`${name}: server ${JSON.stringify(theirs)}, strata ${JSON.stringify(ours)}`);
    }
    expect(differ).toStrictEqual([]);
  });

  it('with a corpus the server both refuses and admits', () => {
    const admitted = [...verdicts.values()].filter((v) => v.admitted).length;
    expect(admitted).toBeGreaterThanOrEqual(6);
    expect(verdicts.size - admitted).toBeGreaterThanOrEqual(8);
  });
});
