import { describe, expect, it } from 'vitest';
import { verifyDocuments } from '../src/index.ts';
import { builtDocs as docs, sharedServer } from './helpers.ts';

const namespace = (labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'psa', labels } });

/** A Deployment whose pods run with no securityContext: baseline admits them, restricted refuses them. */
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'psa' },
  spec: {
    selector: { matchLabels: { app: 'a' } },
    template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
  },
};

const refusals = (r: Awaited<ReturnType<typeof verifyDocuments>>) =>
  r.problems.filter((p) => p.severity === 'error').map((p) => [p.rule, p.kind, p.path, p.line]);

describe("verify and the Pod Security level of a workload's namespace", () => {
  const server = sharedServer();

  it('fails a Deployment that the server admits but whose every pod its namespace enforcing restricted refuses, at the fields', async () => {
    const r = await verifyDocuments(docs([namespace({ 'pod-security.kubernetes.io/enforce': 'restricted' }), deployment], 'all.yaml'), { server });
    // At the line of the field, else of the map that would hold it: the pod's spec, the container.
    expect(refusals(r)).toStrictEqual([
      ['namespace-admits-pods', 'Deployment', 'spec.template.spec.securityContext.runAsNonRoot', 21],
      ['namespace-admits-pods', 'Deployment', 'spec.template.spec.securityContext.seccompProfile.type', 21],
      ['namespace-admits-pods', 'Deployment', 'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation', 23],
      ['namespace-admits-pods', 'Deployment', 'spec.template.spec.containers[0].securityContext.capabilities.drop', 23],
    ]);
    expect(r.problems[0]?.message).toContain(
      'Namespace psa enforces Pod Security restricted:latest (pod-security.kubernetes.io/enforce: restricted)',
    );
    const baseline = await verifyDocuments(docs([namespace({ 'pod-security.kubernetes.io/enforce': 'baseline' }), deployment], 'all.yaml'), {
      server,
    });
    expect(refusals(baseline)).toStrictEqual([]);
  });

  it('judges the pods by the namespace deployed at the ref when the output holds none, and by the output’s own when it does', async () => {
    const deployed = docs([namespace({ 'pod-security.kubernetes.io/enforce': 'restricted' })], 'deployed.yaml');
    const r = await verifyDocuments(docs([deployment], 'next.yaml'), { server, against: { name: 'main', docs: deployed } });
    expect(refusals(r).map(([rule, kind]) => [rule, kind])).toStrictEqual(Array(4).fill(['namespace-admits-pods', 'Deployment']));
    expect(r.problems.find((p) => p.rule === 'namespace-admits-pods')?.message).toContain(
      'Namespace psa, as deployed at main, enforces Pod Security restricted:latest',
    );
    const relaxed = await verifyDocuments(docs([namespace({ 'pod-security.kubernetes.io/enforce': 'baseline' }), deployment], 'next.yaml'), {
      server,
      against: { name: 'main', docs: deployed },
    });
    expect(refusals(relaxed)).toStrictEqual([]);
  });
});

describe('verify and the pod fields that admission computes from classes', () => {
  const server = sharedServer();

  it('fails a Deployment whose pods set priority, preemptionPolicy or overhead themselves, at the fields, though its dry run passes', async () => {
    const spec = { ...deployment.spec.template.spec, priority: 1000000, preemptionPolicy: 'Never', overhead: { cpu: '100m' } };
    const bad = {
      ...deployment,
      metadata: { name: 'd', namespace: 'default' },
      spec: { ...deployment.spec, template: { ...deployment.spec.template, spec } },
    };
    const r = await verifyDocuments(docs([bad], 'all.yaml'), { server });
    expect(refusals(r).map(([rule, kind, path]) => [rule, kind, path])).toStrictEqual([
      ['pod-fields-from-classes', 'Deployment', 'spec.template.spec.priority'],
      ['pod-fields-from-classes', 'Deployment', 'spec.template.spec.preemptionPolicy'],
      ['pod-fields-from-classes', 'Deployment', 'spec.template.spec.overhead'],
    ]);
    const classed = {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'top' },
      value: 1000000,
      preemptionPolicy: 'Never',
    };
    const named = {
      ...bad,
      spec: {
        ...bad.spec,
        template: { ...bad.spec.template, spec: { ...deployment.spec.template.spec, priorityClassName: 'top', priority: 1000000 } },
      },
    };
    expect(refusals(await verifyDocuments(docs([classed, named], 'all.yaml'), { server }))).toStrictEqual([]);
  });
});

describe('verify and the Secrets a ServiceAccount lets its pods use', () => {
  const server = sharedServer();

  it('fails a Pod and a Deployment that use a Secret their enforcing ServiceAccount does not list, at the field, which its server never checks', async () => {
    const account = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'locked', namespace: 'psa', annotations: { 'kubernetes.io/enforce-mountable-secrets': 'true' } },
      secrets: [{ name: 'allowed' }],
    };
    const spec = { ...deployment.spec.template.spec, serviceAccountName: 'locked', volumes: [{ name: 's', secret: { secretName: 'other' } }] };
    const bad = { ...deployment, spec: { ...deployment.spec, template: { ...deployment.spec.template, spec } } };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'psa' }, spec };
    const r = await verifyDocuments(docs([account, bad, pod], 'all.yaml'), { server });
    expect(refusals(r).map(([rule, kind, path]) => [rule, kind, path])).toStrictEqual([
      ['mountable-secrets', 'Deployment', 'spec.template.spec.volumes[0].secret.secretName'],
      ['mountable-secrets', 'Pod', 'spec.volumes[0].secret.secretName'],
    ]);
    const allowed = { ...account, secrets: [{ name: 'allowed' }, { name: 'other' }] };
    expect(refusals(await verifyDocuments(docs([allowed, bad, pod], 'all.yaml'), { server }))).toStrictEqual([]);
  });
});
