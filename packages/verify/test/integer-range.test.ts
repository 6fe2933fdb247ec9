import { describe, expect, it } from 'vitest';
import { readBuilt, verifyDocuments } from '../src/index.ts';
import { applyQuery } from '../src/verify.ts';
import { sharedServer } from './helpers.ts';

// A number that a built-in field's int32 or int64 cannot hold: kubectl apply's create and patch (what
// apply -k and Argo CD send) decode the object into its Go type and refuse it, while the server-side
// apply that verify's dry run sends converts it from unstructured and wraps it without a word.

/** A Deployment of one container, with `fields` (YAML lines) in its spec and `podField` in its pod's spec. */
const deployment = (name: string, fields: string, podField: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
${fields}
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      ${podField}
      containers: [{name: c, image: "nginx:1.27"}]
`;

const TEXT = `apiVersion: v1
kind: Service
metadata: {name: port, namespace: default}
spec:
  selector: {a: b}
  ports:
  - port: 4294967376
    targetPort: 8080
---
${deployment('web', '  replicas: 4294967297', 'activeDeadlineSeconds: 100000000000000000000')}---
${deployment('widest', '  replicas: 2147483647\n  progressDeadlineSeconds: 2147483647', 'terminationGracePeriodSeconds: 9007199254740993')}`;

const SERVICE = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'port', namespace: 'default' },
  spec: { selector: { a: 'b' }, ports: [{ port: 4294967376, targetPort: 8080 }] },
};

const WHY = 'kubectl apply (as apply -k and Argo CD apply) refuses it, where a server-side apply would keep another number';

describe('numbers past the int32 or int64 of a built-in field, on a real API server', () => {
  const server = sharedServer();

  it('are wrapped by a server-side apply and refused by the create kubectl apply sends', async () => {
    const applied = await server.client.request(
      'PATCH',
      `/api/v1/namespaces/default/services/port${applyQuery(true)}`,
      SERVICE,
      'application/apply-patch+yaml',
    );
    expect(applied.status).toBe(201);
    expect((applied.body as { spec: { ports: { port: number }[] } }).spec.ports[0]!.port).toBe(80);
    const created = await server.client.request('POST', '/api/v1/namespaces/default/services?dryRun=All', SERVICE);
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.body)).toMatch(
      /cannot unmarshal number 4294967376 into Go struct field ServicePort\.spec\.ports\.port of type int32/,
    );
  });

  it("are refused by verify at their field and line, in validate's words, and the widest numbers that fit pass", async () => {
    const r = await verifyDocuments(readBuilt(TEXT, 'input.yaml'), { server });
    expect(r.problems.map((p) => `${p.file}:${p.line}: ${p.kind} ${p.name}: ${p.path}: ${p.message} [${p.rule}]`)).toStrictEqual([
      `input.yaml:7: Service port: spec.ports[0].port: cannot decode a number 4294967376 as int32: ${WHY} [server-rejected]`,
      `input.yaml:14: Deployment web: spec.replicas: cannot decode a number 4294967297 as int32: ${WHY} [server-rejected]`,
      `input.yaml:19: Deployment web: spec.template.spec.activeDeadlineSeconds: cannot decode a number 100000000000000000000 as int64: ${WHY} [server-rejected]`,
    ]);
  });
});
