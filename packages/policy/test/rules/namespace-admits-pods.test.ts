import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { blockingFindings, podSecurityRules, runPolicy, settingsProblems, type PolicyContext } from '../../src/index.ts';
import { namespaceAdmitsPods } from '../../src/rules/namespace-admits-pods.ts';
import { check, container, deployment, manifest, NS, objects, pod } from '../support.ts';

function namespace(labels: Record<string, string>, name = NS): Manifest {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}
const enforce = (level: string, version?: string) => ({
  'pod-security.kubernetes.io/enforce': level,
  ...(version !== undefined && { 'pod-security.kubernetes.io/enforce-version': version }),
});

/** A container with no securityContext: what restricted refuses and baseline admits. */
const plain = { name: 'web', image: 'nginx:1.27' };
const paths = (manifests: Manifest[]) => check(namespaceAdmitsPods, manifests).map((f) => f.path);

describe('namespace-admits-pods', () => {
  it('reports a pod that its namespace enforcing restricted refuses, naming the field, the namespace and its label', () => {
    const found = check(namespaceAdmitsPods, [
      namespace(enforce('restricted')),
      deployment('d', { pod: { securityContext: {}, containers: [plain] } }),
    ]);
    expect(found.map((f) => f.path)).toStrictEqual([
      'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
      'spec.template.spec.securityContext.runAsNonRoot',
      'spec.template.spec.securityContext.seccompProfile.type',
      'spec.template.spec.containers[0].securityContext.capabilities.drop',
    ]);
    expect(found[0]!.message).toBe(
      'Container "web" does not set allowPrivilegeEscalation: false; set it. Namespace shop enforces Pod Security restricted:latest ' +
        '(pod-security.kubernetes.io/enforce: restricted), so the API server refuses every pod this Deployment makes (allowPrivilegeEscalation != false).',
    );
  });

  it('stays an error in an env whose severities lower or turn off every Pod Security rule', () => {
    const severity = Object.fromEntries(podSecurityRules.map((r) => [r.id, { dev: 'off' as const }]));
    const ctx: PolicyContext = { env: 'dev', severity };
    const set = objects(
      namespace(enforce('baseline')),
      deployment('d', { pod: { containers: [container({ securityContext: { privileged: true } })] } }),
    );
    const blocking = blockingFindings(runPolicy(set, ctx, [...podSecurityRules, namespaceAdmitsPods]));
    expect(blocking.map((f) => [f.rule, f.path])).toStrictEqual([
      ['namespace-admits-pods', 'spec.template.spec.containers[0].securityContext.privileged'],
    ]);
  });

  it('cannot itself be lowered by a severity override, which is a settings mistake', () => {
    const ctx: PolicyContext = { env: 'dev', severity: { 'namespace-admits-pods': { dev: 'warning' } } };
    expect(settingsProblems(ctx).map((p) => p.path.join('.'))).toStrictEqual(['severity.namespace-admits-pods.dev']);
    expect(() => runPolicy([], ctx)).toThrow(/sets dev: "warning", but it cannot be lowered: the API server refuses what it reports/);
    expect(settingsProblems({ severity: { 'namespace-admits-pods': { prod: 'off' } } })).toHaveLength(1);
    expect(settingsProblems({ severity: { 'namespace-admits-pods': { prod: 'error' } } })).toStrictEqual([]);
  });

  it('judges each level as the admission does: baseline admits what only restricted refuses; privileged, no label and another namespace refuse nothing', () => {
    const privileged = container({ securityContext: { privileged: true } });
    const d = (c: Record<string, unknown>) => deployment('d', { pod: { securityContext: {}, containers: [c] } });
    expect(paths([namespace(enforce('baseline')), d(plain)])).toStrictEqual([]);
    expect(paths([namespace(enforce('baseline')), d(privileged)])).toStrictEqual(['spec.template.spec.containers[0].securityContext.privileged']);
    expect(paths([namespace(enforce('privileged')), d(privileged)])).toStrictEqual([]);
    expect(paths([namespace({}), d(privileged)])).toStrictEqual([]);
    expect(paths([namespace(enforce('restricted'), 'other'), d(privileged)])).toStrictEqual([]);
  });

  it('applies the checks of the pinned enforce-version, not the latest', () => {
    // Root in a user namespace: admitted since 1.35, refused before.
    const userNs = pod('p', { pod: { hostUsers: false, securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } } } });
    expect(paths([namespace(enforce('restricted', 'latest')), userNs])).toStrictEqual([]);
    expect(paths([namespace(enforce('restricted', 'v1.34')), userNs])).toStrictEqual(['spec.securityContext.runAsUser']);
    // A Windows pod is spared the Linux-only restricted checks since 1.25 only.
    const windows = pod('w', { pod: { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [plain] } });
    expect(paths([namespace(enforce('restricted', 'v1.25')), windows])).toStrictEqual([]);
    expect(paths([namespace(enforce('restricted', 'v1.24')), windows])).toStrictEqual([
      'spec.containers[0].securityContext.allowPrivilegeEscalation',
      'spec.securityContext.seccompProfile.type',
      'spec.containers[0].securityContext.capabilities.drop',
    ]);
    // Before 1.19 seccomp was an annotation, and the field went unread.
    const unconfined = pod('u', { pod: { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [plain] } });
    expect(paths([namespace(enforce('baseline', 'v1.18')), unconfined])).toStrictEqual([]);
    expect(paths([namespace(enforce('baseline', 'v1.19')), unconfined])).toStrictEqual(['spec.securityContext.seccompProfile.type']);
  });

  it('refuses a Namespace whose enforce labels the API server refuses, at the label', () => {
    const found = check(namespaceAdmitsPods, [namespace(enforce('Restricted', 'v1.x')), deployment()]);
    expect(found.map((f) => [f.object.manifest.kind, f.path])).toStrictEqual([
      ['Namespace', 'metadata.labels.pod-security.kubernetes.io/enforce'],
      ['Namespace', 'metadata.labels.pod-security.kubernetes.io/enforce-version'],
    ]);
    expect(found[0]!.message).toContain(
      '"Restricted" must be one of privileged, baseline, restricted: the API server refuses to create this Namespace',
    );
  });

  it('refuses a Namespace whose audit or warn labels, or any version label, the API server refuses, and a minor past int64', () => {
    const labels = {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.9223372036854775808',
      'pod-security.kubernetes.io/audit': 'Restricted',
      'pod-security.kubernetes.io/audit-version': 'v1.x',
      'pod-security.kubernetes.io/warn': 'bogus',
      'pod-security.kubernetes.io/warn-version': 'v2.0',
    };
    const found = check(namespaceAdmitsPods, [namespace(labels), deployment()]);
    expect(found.map((f) => [f.object.manifest.kind, f.path])).toStrictEqual(
      ['enforce-version', 'audit', 'audit-version', 'warn', 'warn-version'].map((l) => [
        'Namespace',
        `metadata.labels.pod-security.kubernetes.io/${l}`,
      ]),
    );
    expect(found[3]!.message).toContain('"bogus" must be one of privileged, baseline, restricted');
    expect(found[4]!.message).toContain('"v2.0" must be "latest" or "v1.x"');
    // The largest minor strconv.Atoi reads is a version, judged as a version later than every check.
    const largest = { ...labels, 'pod-security.kubernetes.io/enforce-version': 'v1.9223372036854775807' };
    const ok = Object.fromEntries(Object.entries(largest).filter(([k]) => !/audit|warn/.test(k)));
    expect(check(namespaceAdmitsPods, [namespace(ok), pod('p', { pod: { containers: [plain] } })]).map((f) => f.message)).toContainEqual(
      expect.stringContaining('enforces Pod Security restricted:v1.9223372036854775807'),
    );
  });

  it('judges every pod-bearing kind and a custom resource, but not a PodTemplate, which runs no pods', () => {
    const hostPid = { hostPID: true, containers: [plain] };
    const cronJob = manifest('batch/v1', 'CronJob', 'c', { spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: hostPid } } } } });
    const template = manifest('v1', 'PodTemplate', 't', { template: { spec: hostPid } });
    const rollout = manifest('argoproj.io/v1alpha1', 'Rollout', 'r', { spec: { template: { spec: hostPid } } });
    const found = check(namespaceAdmitsPods, [namespace(enforce('baseline')), cronJob, template, rollout]);
    expect(found.map((f) => [f.object.manifest.kind, f.path])).toStrictEqual([
      ['CronJob', 'spec.jobTemplate.spec.template.spec.hostPID'],
      ['Rollout', 'spec.template.spec.hostPID'],
    ]);
  });

  it('judges an Argo Workflow step for what it sets, not for what its controller may add', () => {
    const workflow = (c: Record<string, unknown>) =>
      manifest('argoproj.io/v1alpha1', 'Workflow', 'w', { spec: { entrypoint: 'main', templates: [{ name: 'main', container: c }] } });
    expect(paths([namespace(enforce('restricted')), workflow({ image: 'busybox:1.36' })])).toStrictEqual([]);
    expect(paths([namespace(enforce('restricted')), workflow({ image: 'busybox:1.36', securityContext: { privileged: true } })])).toStrictEqual([
      'spec.templates[0].container.securityContext.privileged',
    ]);
    const patched = manifest('argoproj.io/v1alpha1', 'Workflow', 'w', {
      spec: { entrypoint: 'main', podSpecPatch: '{"hostNetwork": true}', templates: [{ name: 'main', container: { image: 'busybox:1.36' } }] },
    });
    expect(paths([namespace(enforce('baseline')), patched])).toStrictEqual(['spec.podSpecPatch.hostNetwork']);
  });

  it('places an object written without a namespace where kubectl applies it', () => {
    const { namespace: _, ...metadata } = pod('p', { pod: { hostIPC: true } }).metadata;
    const bare = { ...pod('p', { pod: { hostIPC: true } }), metadata };
    expect(
      check(namespaceAdmitsPods, [namespace(enforce('baseline'), 'default'), bare], { applyNamespace: 'default' }).map((f) => f.path),
    ).toStrictEqual(['spec.hostIPC']);
    expect(check(namespaceAdmitsPods, [namespace(enforce('baseline'), 'default'), bare]).map((f) => f.path)).toStrictEqual([]);
  });
});
