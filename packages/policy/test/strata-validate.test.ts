import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REQUESTS } from './csr-requests.ts';

const repo = join(import.meta.dirname, '..', '..', '..');

/** Argo Workflows' CRD as its minimal install ships it: the spec is whatever the controller reads. */
const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: workflows.argoproj.io
spec:
  group: argoproj.io
  names: {kind: Workflow, listKind: WorkflowList, plural: workflows, singular: workflow}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [metadata, spec]
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
            status: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

const workflow = (privileged: boolean) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: build
  namespace: ci
spec:
  entrypoint: main
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  templates:
    - name: main
      steps:
        - - name: compile
            template: compile
    - name: compile
      container:
        image: ghcr.io/acme/builder:1.4.2
        command: [make]
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
${privileged ? '          privileged: true\n' : ''}`;

/** Runs the real `strata validate` on a folder holding the CRD and the Workflow; its output with the folder and the timing left out. */
function validate(
  dir: string,
  privileged: boolean,
  text = workflow(privileged),
  name = privileged ? 'privileged' : 'plain',
): { status: number | null; lines: string[] } {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'crd.yaml'), CRD);
  writeFileSync(join(folder, 'workflow.yaml'), text);
  const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'validate', folder], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    // A run that never ends fails its test instead of stopping the suite.
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  const lines = `${r.stdout}${r.stderr}`
    .replaceAll(`${folder}/`, '')
    .replace(/ \(\d+(\.\d+)?m?s\)$/gm, '')
    .trimEnd()
    .split('\n');
  return { status: r.status, lines };
}

describe('strata validate on a folder with an Argo Workflow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-policy-workflow-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails a privileged step in one line at its file and line, naming the rule, and passes the same step unprivileged', () => {
    expect(validate(dir, true)).toStrictEqual({
      status: 1,
      lines: [
        'workflow.yaml:21: argoproj.io/v1alpha1/Workflow ci/build: spec.templates[1].container.securityContext.privileged: ' +
          'Container "compile" runs privileged, with full access to the node: remove securityContext.privileged or set it to false. [no-privileged]',
        'validate: Found 1 problem in 1 of 2 resources',
      ],
    });
    expect(validate(dir, false)).toStrictEqual({ status: 0, lines: ['validate: No problems in 2 resources'] });
  });

  it('fails a step that a podSpecPatch makes privileged at the line of the patch, naming the field inside it', () => {
    const patched = `${workflow(false)}      podSpecPatch: |
        containers:
          - name: main
            securityContext: {privileged: true}
`;
    expect(validate(dir, false, patched, 'patched')).toStrictEqual({
      status: 1,
      lines: [
        'workflow.yaml:21: argoproj.io/v1alpha1/Workflow ci/build: spec.templates[1].podSpecPatch.containers[0].securityContext.privileged: ' +
          'Container "main" runs privileged, with full access to the node: remove securityContext.privileged or set it to false. [no-privileged]',
        'validate: Found 1 problem in 1 of 2 resources',
      ],
    });
  });
});

describe('strata validate on a CertificateSigningRequest for system:masters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-policy-csr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (name: string, request: string, ...flags: string[]) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: ${name}}\nspec:\n  request: ${request}\n  signerName: kubernetes.io/kube-apiserver-client\n  usages: [client auth]\n`,
    );
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'validate', ...flags, file], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
      timeout: 120_000,
      killSignal: 'SIGKILL',
    });
    return {
      status: r.status,
      lines: `${r.stdout}${r.stderr}`
        .replaceAll(`${dir}/`, '')
        .replace(/ \(\d+(\.\d+)?m?s\)$/gm, '')
        .trimEnd()
        .split('\n'),
    };
  };

  it('refuses it at spec.request as every API server does, also with --no-policy, and passes a request for another group', () => {
    const refused = {
      status: 1,
      lines: [
        'evil.yaml:5: certificates.k8s.io/v1/CertificateSigningRequest evil: spec.request: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed: ' +
          'the API server refuses this request (CertificateSubjectRestriction admission); request a certificate for a group a RoleBinding grants what the client needs, without O=system:masters. [no-system-masters-csr]',
        'validate: Found 1 problem in 1 of 1 resource',
      ],
    };
    expect(run('evil', REQUESTS.masters)).toStrictEqual(refused);
    expect(run('evil', REQUESTS.masters, '--no-policy')).toStrictEqual(refused);
    expect(run('nodes', REQUESTS.nodes, '--no-policy')).toStrictEqual({ status: 0, lines: ['validate: No problems in 1 resource'] });
  });
});

describe('strata validate on a Deployment whose pods set what admission computes from classes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-policy-classes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses priority, preemptionPolicy and overhead at their fields with --no-policy, as every cluster refuses each pod', () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(
      file,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n' +
        '    metadata: {labels: {app: web}}\n    spec:\n      priority: 1000000\n      preemptionPolicy: Never\n      overhead: {cpu: 100m}\n' +
        '      containers: [{name: c, image: busybox}]\n',
    );
    const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), 'validate', '--no-policy', file], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
      timeout: 120_000,
      killSignal: 'SIGKILL',
    });
    expect(r.status).toBe(1);
    expect(
      `${r.stdout}${r.stderr}`
        .trimEnd()
        .split('\n')
        .map(
          (l) =>
            /^[^:]*web\.yaml:(\d+): apps\/v1\/Deployment default\/web: ([^:]+): .*\[(.*)\]$/.exec(l)?.slice(1).join(' ') ?? l.replace(/ \(.*\)$/, ''),
        ),
    ).toStrictEqual([
      '9 spec.template.spec.priority pod-fields-from-classes',
      '10 spec.template.spec.preemptionPolicy pod-fields-from-classes',
      '11 spec.template.spec.overhead pod-fields-from-classes',
      'validate: Found 3 problems in 1 of 1 resource',
    ]);
  });
});
