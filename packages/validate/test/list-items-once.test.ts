import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { validate } from '../src/index.ts';

/**
 * An item of another kind in a typed list (a ConfigMap in a DeploymentList) is judged twice: kubectl
 * validates it as the list's element kind and refuses the list, and kubeconform validates it as
 * what it is. A field both refuse is one defect: it is reported once, in one line that gives both
 * reasons; fields only one of them refuses are each reported on their own.
 */
const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-list-items-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = `apiVersion: apps/v1
kind: DeploymentList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm, namespace: default}
  dat: {a: "1"}
- apiVersion: v1
  kind: Service
  metadata: {name: svc, namespace: default}
  spec:
    ports:
    - port: "80"
`;

describe('an item of another kind in a typed list', () => {
  it('is reported once at a field that both its own schema and the list refuse, with both reasons', async () => {
    const file = join(dir, 'list.yaml');
    writeFileSync(file, LIST);
    const r = await validate(repo, [file], { policy: false });
    const errors = r.problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => [p.line, p.kind, p.path, p.rule])).toStrictEqual([
      // dat: unknown to a Deployment and to a ConfigMap alike, one problem.
      [7, 'DeploymentList', 'items[0].dat', 'schema'],
      // A Service's spec is no DeploymentSpec (the list's: no selector, no template), and its port
      // is no integer (its own).
      [11, 'DeploymentList', 'items[1].spec', 'schema'],
      [11, 'DeploymentList', 'items[1].spec', 'schema'],
      [12, 'DeploymentList', 'items[1].spec.ports', 'schema'],
      [13, 'Service', 'spec.ports[0].port', 'schema'],
    ]);
    expect(errors[0]!.message).toBe(
      'ValidationError(DeploymentList.items[0]): unknown field "dat" in io.k8s.api.apps.v1.Deployment; kubectl validates every item of a DeploymentList as a Deployment and refuses the list (this item is a ConfigMap): put it in a list of kind List, or in a document of its own; as the ConfigMap it is, it is refused too: unknown field (not in the schema); check its spelling and indentation',
    );
    expect(errors[1]!.message).toContain('missing required field "selector"');
    expect(errors[2]!.message).toContain('missing required field "template"');
    for (const p of errors) expect(p.message).not.toContain('\n');
  });
});

describe('an item of a custom resource list', () => {
  // The shipped Issuer schema writes the secret reference its DNS solvers repeat once, as a
  // definition: kubectl's words still name the field by its path in the Issuer.
  it('names a field in a subschema the CRD repeats by its path, as kubectl does, for an item of another kind', async () => {
    const file = join(dir, 'issuers.yaml');
    writeFileSync(
      file,
      `apiVersion: cert-manager.io/v1
kind: IssuerList
items:
- apiVersion: cert-manager.io/v1
  kind: ClusterIssuer
  metadata: {name: dns}
  spec:
    acme:
      server: https://acme.example.com/directory
      privateKeySecretRef: {name: key}
      solvers:
      - dns01:
          digitalocean:
            tokenSecretRef: {name: token, nme: typo}
`,
    );
    const r = await validate(repo, [file], { policy: false });
    const errors = r.problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => [p.line, p.kind, p.path])).toStrictEqual([
      [14, 'IssuerList', 'items[0].spec.acme.solvers[0].dns01.digitalocean.tokenSecretRef.nme'],
    ]);
    expect(errors[0]!.message).toContain('unknown field "nme" in io.cert-manager.v1.Issuer.spec.acme.solvers.dns01.digitalocean.tokenSecretRef');
    expect(errors[0]!.message).not.toContain('shared.');
  });
});
