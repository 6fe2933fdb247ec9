import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServers, readBuilt, startServer, type Server } from '../src/index.ts';
import { applyQuery } from '../src/verify.ts';
import { BUILD_TIMEOUT, crd, deployment } from './helpers.ts';

/**
 * verify sends `fieldValidation=Ignore`: for an apply, Strict (and Warn, the default) only adds a
 * second, strict decoding of the body, which can find nothing but duplicate keys, and verify's bodies
 * are JSON.stringify of parsed objects, which has none. Unknown fields, wrong types and every other
 * refusal come from the typed apply itself. This proves it on the real server: each object below,
 * sent as verify sends it and with Strict, gets the same answer.
 */
const CRD = crd('fields.example.com', 'Probe', [
  {
    name: 'v1',
    served: true,
    storage: true,
    schema: {
      openAPIV3Schema: {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            'x-kubernetes-validations': [{ rule: 'self.size <= 10', message: 'size is at most 10' }],
            properties: {
              size: { type: 'integer' },
              port: { 'x-kubernetes-int-or-string': true },
              free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              template: {
                type: 'object',
                'x-kubernetes-embedded-resource': true,
                properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
              },
              items: {
                type: 'array',
                'x-kubernetes-list-type': 'map',
                'x-kubernetes-list-map-keys': ['name'],
                items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, value: { type: 'string' } } },
              },
            },
          },
        },
      },
    },
  },
]);

const NS = 'field-validation';
const probe = (spec: object, extra: object = {}) => ({
  apiVersion: 'fields.example.com/v1',
  kind: 'Probe',
  metadata: { name: 'p', namespace: NS },
  spec,
  ...extra,
});
const container = (c: object) => deployment('web', NS, { container: c });

/** [what it shows, the object, where it is applied] */
const CASES: [string, Record<string, unknown>, string][] = [
  ['a valid Deployment', deployment('web', NS) as Record<string, unknown>, `/apis/apps/v1/namespaces/${NS}/deployments/web`],
  [
    'an unknown field in a container',
    container({ imagePullPolicyy: 'Always' }) as Record<string, unknown>,
    `/apis/apps/v1/namespaces/${NS}/deployments/web`,
  ],
  // One unknown field each: with several, which of them the server names varies from request to request.
  [
    'an unknown field at the root',
    { ...(deployment('web', NS) as Record<string, unknown>), extra: 1 },
    `/apis/apps/v1/namespaces/${NS}/deployments/web`,
  ],
  [
    'an unknown field in metadata',
    { ...(deployment('web', NS) as Record<string, unknown>), metadata: { name: 'web', namespace: NS, colour: 'red' } },
    `/apis/apps/v1/namespaces/${NS}/deployments/web`,
  ],
  [
    'a string for an integer',
    { ...(deployment('web', NS) as { spec: object }), spec: { ...(deployment('web', NS) as { spec: object }).spec, replicas: 'three' } },
    `/apis/apps/v1/namespaces/${NS}/deployments/web`,
  ],
  ['a number for a string', container({ image: 5 }) as Record<string, unknown>, `/apis/apps/v1/namespaces/${NS}/deployments/web`],
  [
    'a list for an object',
    { ...(deployment('web', NS) as { spec: object }), spec: { ...(deployment('web', NS) as { spec: object }).spec, selector: [] } },
    `/apis/apps/v1/namespaces/${NS}/deployments/web`,
  ],
  [
    'a malformed quantity',
    container({ resources: { requests: { cpu: '100mm' } } }) as Record<string, unknown>,
    `/apis/apps/v1/namespaces/${NS}/deployments/web`,
  ],
  [
    'two containers with one name',
    {
      ...(deployment('web', NS) as Record<string, unknown>),
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'app', image: 'a' },
              { name: 'app', image: 'b' },
            ],
          },
        },
      },
    },
    `/apis/apps/v1/namespaces/${NS}/deployments/web`,
  ],
  [
    'a missing selector',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'a' }] } } },
    },
    `/apis/apps/v1/namespaces/${NS}/deployments/web`,
  ],
  [
    'a value outside an enum',
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { type: 'Balancer', ports: [{ port: 80 }] } },
    `/api/v1/namespaces/${NS}/services/web`,
  ],
  [
    'a number in ConfigMap data',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: NS }, data: { a: 1 } },
    `/api/v1/namespaces/${NS}/configmaps/c`,
  ],
  [
    'an invalid name',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_A_Name', namespace: NS } },
    `/api/v1/namespaces/${NS}/configmaps/Not_A_Name`,
  ],
  [
    'a deprecated kind (a warning)',
    { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e', namespace: NS } },
    `/api/v1/namespaces/${NS}/endpoints/e`,
  ],
  [
    'a status where the kind has none',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's', namespace: NS }, status: { x: 1 } },
    `/api/v1/namespaces/${NS}/configmaps/s`,
  ],
  [
    'a valid custom resource',
    probe({
      size: 1,
      port: 'http',
      free: { any: { thing: [1] } },
      template: { apiVersion: 'v1', kind: 'X', metadata: { name: 'x' }, spec: { a: 'b' } },
    }),
    `/apis/fields.example.com/v1/namespaces/${NS}/probes/p`,
  ],
  ['an unknown field of a custom resource', probe({ sise: 1 }), `/apis/fields.example.com/v1/namespaces/${NS}/probes/p`],
  ['an unknown field at the root of a custom resource', probe({ size: 1 }, { extra: true }), `/apis/fields.example.com/v1/namespaces/${NS}/probes/p`],
  [
    'an unknown field in metadata of a custom resource',
    { ...probe({ size: 1 }), metadata: { name: 'p', namespace: NS, colour: 'red' } },
    `/apis/fields.example.com/v1/namespaces/${NS}/probes/p`,
  ],
  ['a wrong type in a custom resource', probe({ size: 'big', port: [] }), `/apis/fields.example.com/v1/namespaces/${NS}/probes/p`],
  [
    'an unknown field in an embedded resource',
    probe({ template: { apiVersion: 'v1', kind: 'X', metadata: { name: 'x', colour: 'red' } } }),
    `/apis/fields.example.com/v1/namespaces/${NS}/probes/p`,
  ],
  [
    'a duplicate list-map key in a custom resource',
    probe({ items: [{ name: 'a' }, { name: 'a', value: 'b' }] }),
    `/apis/fields.example.com/v1/namespaces/${NS}/probes/p`,
  ],
  ['a broken CEL rule', probe({ size: 11 }), `/apis/fields.example.com/v1/namespaces/${NS}/probes/p`],
];

let server: Server;

beforeAll(async () => {
  server = await startServer(await ensureServers());
  const { client } = server;
  await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const crd = await client.request(
    'PATCH',
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD.metadata.name}?fieldManager=test&force=true`,
    CRD,
    'application/apply-patch+yaml',
  );
  expect(crd.status).toBe(201);
  for (;;) {
    const r = await client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD.metadata.name}`);
    const conditions = (r.body as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

/** The answer as far as verify reads it: the status, the warnings and, for a refusal, the whole Status. */
async function answer(path: string, body: string) {
  const r = await server.client.request('PATCH', path, body, 'application/apply-patch+yaml', { bodyOnSuccess: false });
  return { status: r.status, warnings: r.warnings, ...(r.status >= 300 ? { body: r.body } : {}) };
}

describe('the field validation verify asks for', () => {
  it.each(CASES)('answers %s as Strict does', async (_, object, path) => {
    const body = JSON.stringify(object);
    const strict = await answer(`${path}?fieldManager=strata-verify&force=true&fieldValidation=Strict&dryRun=All`, body);
    expect(await answer(`${path}${applyQuery(true)}`, body)).toStrictEqual(strict);
  });

  it('is asked for: refusals are still found', async () => {
    expect(applyQuery(true)).toMatch(/fieldValidation=Ignore/);
    const refused = await Promise.all(CASES.map(([, object, path]) => answer(`${path}${applyQuery(true)}`, JSON.stringify(object))));
    // Everything but the valid objects and the deprecated kind is refused.
    expect(refused.map((r) => r.status < 300)).toStrictEqual(CASES.map(([what]) => /^a valid|deprecated/.test(what)));
    expect(refused.find((_, i) => CASES[i]![0].includes('deprecated'))!.warnings).toStrictEqual([
      'v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice',
    ]);
  });

  it('only differs from Strict on duplicate keys, which the reader refuses before anything is sent', async () => {
    // The one thing the strict second decoding finds: a body with a key twice, which JSON.stringify cannot write.
    const path = `/api/v1/namespaces/${NS}/configmaps/twice`;
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice","namespace":"field-validation"},"data":{"a":"1","a":"2"}}';
    expect((await answer(`${path}?fieldManager=strata-verify&force=true&fieldValidation=Strict&dryRun=All`, body)).status).toBe(400);
    // In a file, dist/ or any other, the reader refuses it, naming the file, so it never reaches the server.
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\ndata:\n  a: "1"\n  a: "2"\n';
    expect(() => readBuilt(text, 'dist/dev/twice.yaml')).toThrow(/^dist\/dev\/twice\.yaml: not valid YAML \(duplicated mapping key/);
  });
});
