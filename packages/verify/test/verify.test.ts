import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureServers, readBuilt, startServer, verify, verifyDocuments, type Problem, type Server, type VerifyResult } from '../src/index.ts';
import { UsageError } from '@strata/project';
import { BUILD_TIMEOUT, deployment, lineOf, makeRepo, sizeCrd } from './helpers.ts';

const GADGET_CRD = sizeCrd('toys.example.com', 'Gadget');

/** A Job with only a generateName, as an Argo CD PreSync hook unless `hook` is false. */
const hookJob = (namespace: string, spec: object, hook = true) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { generateName: 'migrate-', namespace, ...(hook ? { annotations: { 'argocd.argoproj.io/hook': 'PreSync' } } : {}) },
  spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'busybox:1.36', command: ['true'] }] } } },
});

// One server and one verify run for the whole file: each case is its own overlay of one repository.
let server: Server;
let repo: string;
let result: VerifyResult;
const of = (app: string): Problem[] => result.problems.filter((p) => p.file === `dist/dev/${app}.yaml`);
const errorsOf = (app: string) => of(app).filter((p) => p.severity === 'error');

beforeAll(async () => {
  server = await startServer(await ensureServers());
  repo = makeRepo({
    'dev/valid': [
      deployment('web', 'valid', { container: { resources: { requests: { cpu: '100m', memory: '64Mi' } } } }),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'valid' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    ],
    'dev/unknown-field': [deployment('web', 'unknown-field', { container: { imagePullPolicyy: 'Always' } })],
    'dev/quantity': [deployment('web', 'quantity', { container: { resources: { requests: { cpu: '100mm' } } } })],
    'dev/enum': [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'enum' },
        spec: { type: 'Balancer', selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    ],
    // traefik's ServersTransport CRD (packages/schemas/crds) has a CEL rule on each rootCAs item.
    'dev/cel': [
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'ServersTransport',
        metadata: { name: 'backend', namespace: 'cel' },
        spec: { rootCAs: [{ secret: 'ca', configMap: 'ca' }] },
      },
    ],
    'dev/missing-crd': [
      { apiVersion: 'widgets.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'missing-crd' }, spec: { size: 1 } },
    ],
    // Gateway API's standard CRDs ship with Strata.
    'dev/gateway': [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'web', namespace: 'gateway' },
        spec: { gatewayClassName: 'shared', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'shop', namespace: 'gateway' },
        spec: { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: [{ name: 'shop', port: 8080 }] }] },
      },
    ],
    // Jobs named by their generateName: an Argo CD hook (created anew by every sync), one with a
    // field the schema does not have, and one that is no hook, which kubectl apply and Argo CD refuse.
    'dev/hook': [hookJob('hook', { backoffLimit: 2 })],
    'dev/hook-typo': [hookJob('hook-typo', { backoffLimitt: 2 })],
    'dev/unnamed': [hookJob('unnamed', { backoffLimit: 2 }, false)],
    // A CRD of the project's own, in its crds/ folder (what strata crd add keeps).
    'dev/own-crd': [
      { apiVersion: 'toys.example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'own-crd' }, spec: { size: 1 } },
      { apiVersion: 'toys.example.com/v1', kind: 'Gadget', metadata: { name: 'typo', namespace: 'own-crd' }, spec: { sise: 1 } },
    ],
  });
  mkdirSync(join(repo, 'crds'));
  writeFileSync(join(repo, 'crds', 'toys.example.com_gadgets.yaml'), stringify(GADGET_CRD));
  result = await verify(repo, { server });
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('verify against a real API server', () => {
  it('accepts valid objects and counts every object it sent', () => {
    expect(of('valid')).toStrictEqual([]);
    expect(result.objects).toBe(14);
    expect(Object.keys(result.phases)).toStrictEqual(['read', 'crds', 'namespaces', 'apply']);
  });

  it('rejects an unknown field with its path', () => {
    expect(errorsOf('unknown-field')).toStrictEqual([
      {
        file: 'dist/dev/unknown-field.yaml',
        line: lineOf(repo, 'dist/dev/unknown-field.yaml', 'imagePullPolicyy'),
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'unknown-field',
        name: 'web',
        path: 'spec.template.spec.containers[name="app"].imagePullPolicyy',
        message: 'field not declared in schema',
        rule: 'server-rejected',
        severity: 'error',
      },
    ]);
  });

  it('rejects a malformed quantity that kubeconform lets through, with its path', () => {
    expect(errorsOf('quantity')).toMatchObject([
      {
        kind: 'Deployment',
        name: 'web',
        line: lineOf(repo, 'dist/dev/quantity.yaml', '100mm'),
        path: 'spec.template.spec.containers[name="app"].resources.requests.cpu',
        rule: 'server-rejected',
      },
    ]);
    expect(errorsOf('quantity')[0]!.message).toMatch(/^"100mm" is not a quantity .*; the server says: /);
  });

  it('rejects a value outside an enum with its path', () => {
    expect(errorsOf('enum')).toMatchObject([{ kind: 'Service', name: 'web', path: 'spec.type', rule: 'server-rejected' }]);
    expect(errorsOf('enum')[0]!.message).toMatch(/Unsupported value: "Balancer"/);
  });

  it('rejects a custom resource that breaks a CEL rule of its CRD', () => {
    expect(errorsOf('cel')).toMatchObject([
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'ServersTransport',
        name: 'backend',
        path: 'spec.rootCAs[0]',
        line: lineOf(repo, 'dist/dev/cel.yaml', 'rootCAs:') + 1,
      },
    ]);
    expect(errorsOf('cel')[0]!.message).toMatch(/RootCA cannot have both Secret and ConfigMap defined/);
  });

  it('judges an Argo CD hook named by its generateName as Argo CD sends it, and refuses generateName alone on any other object', () => {
    expect(of('hook')).toStrictEqual([]);
    expect(errorsOf('hook-typo')).toStrictEqual([
      {
        file: 'dist/dev/hook-typo.yaml',
        line: lineOf(repo, 'dist/dev/hook-typo.yaml', 'backoffLimitt'),
        apiVersion: 'batch/v1',
        kind: 'Job',
        namespace: 'hook-typo',
        name: 'migrate-*',
        path: 'spec.backoffLimitt',
        message: 'field not declared in schema',
        rule: 'server-rejected',
        severity: 'error',
      },
    ]);
    expect(errorsOf('unnamed')).toMatchObject([{ kind: 'Job', name: 'migrate-*', path: 'metadata.name', rule: 'server-rejected' }]);
    expect(errorsOf('unnamed')[0]!.message).toMatch(
      /^an object needs metadata\.name to be applied: kubectl apply refuses generateName alone, and Argo CD takes it only on a hook/,
    );
  });

  it('names the CRD that is not installed', () => {
    expect(errorsOf('missing-crd')).toMatchObject([{ kind: 'Widget', name: 'w', rule: 'missing-crd' }]);
    expect(errorsOf('missing-crd')[0]!.message).toMatch(/no CustomResourceDefinition for Widget in group widgets\.example\.com/);
  });

  it('installs the shipped Gateway API CRDs for a Gateway and an HTTPRoute', () => {
    expect(errorsOf('gateway')).toStrictEqual([]);
  });

  it("installs the project's own CRDs from crds/ and rejects an unknown field of them", () => {
    expect(errorsOf('own-crd')).toMatchObject([{ kind: 'Gadget', name: 'typo', path: 'spec.sise', message: 'field not declared in schema' }]);
  });
});

describe('verify of the built output', () => {
  it('refuses to run without it, and says how to make it', async () => {
    const bare = makeRepo({ 'dev/web': [deployment('web', 'bare')] });
    rmSync(`${bare}/dist`, { recursive: true });
    await expect(verify(bare, { server })).rejects.toThrow(/^dist\/dev\/web\.yaml not found: verify checks the built output; run `npm run build`/);
    rmSync(bare, { recursive: true, force: true });
  });

  it('refuses to verify nothing, a repository without any app, saying how to give it input, unless allowEmpty', async () => {
    const none = makeRepo({});
    try {
      await expect(verify(none, { server })).rejects.toThrow(
        new UsageError(
          'nothing to verify: no app has an overlay in overlays/dev, overlays/staging, overlays/prod; name the files, folders or - (stdin) to verify, or pass --allow-empty where nothing is expected',
        ),
      );
      await expect(verify(none, { server, env: 'dev' })).rejects.toThrow(/^nothing to verify: no app has an overlay in overlays\/dev; /);
      const allowed = await verify(none, { server, allowEmpty: true });
      expect(allowed.problems).toStrictEqual([]);
      expect(allowed.objects).toBe(0);
    } finally {
      rmSync(none, { recursive: true, force: true });
    }
  });

  it('refuses a built file that holds no object while its overlay builds into some, and says how to build it again', async () => {
    const emptied = makeRepo({ 'dev/web': [deployment('web', 'emptied')], 'dev/api': [deployment('api', 'emptied')] });
    writeFileSync(join(emptied, 'dist/dev/web.yaml'), '');
    try {
      await expect(verify(emptied, { server })).rejects.toThrow(
        new Error(
          'dist/dev/web.yaml: holds no Kubernetes objects, but overlays/dev/web builds into 1; build it again with `npx strata build` (or `npx strata pipeline`)',
        ),
      );
    } finally {
      rmSync(emptied, { recursive: true, force: true });
    }
  });

  it('takes an empty built file whose overlay builds into nothing: an app may render no object in an env', async () => {
    const none = makeRepo({ 'dev/web': [deployment('web', 'none')], 'dev/api': [deployment('api', 'none')] });
    // What generate writes for an env in which the app renders nothing: a patch deleting each object of its base.
    writeFileSync(
      join(none, 'overlays/dev/web/kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: ['object-0.yaml'],
        patches: [
          { patch: stringify({ $patch: 'delete', apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'none' } }) },
        ],
      }),
    );
    writeFileSync(join(none, 'dist/dev/web.yaml'), '');
    try {
      const r = await verify(none, { server });
      expect(r.problems).toStrictEqual([]);
      expect(r.objects).toBe(1);
    } finally {
      rmSync(none, { recursive: true, force: true });
    }
  });
});

describe('verifyDocuments on any manifests', () => {
  // One file as a person would hand it over: no namespaces, a CRD of its own and its resources.
  const text = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'fast' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'Balancer', ports: [{ port: 80 }] } },
    sizeCrd('example.com', 'Gadget'),
    { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'small' }, spec: { size: 1 } },
    { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'big', namespace: 'gadgets' }, spec: { size: 'big' } },
  ]
    .map((o) => stringify(o))
    .join('---\n');
  let found: VerifyResult;

  beforeAll(async () => {
    found = await verifyDocuments(readBuilt(text, 'input.yaml'), { server });
  });

  const line = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('installs the CRD it is handed and checks its resources against it, with the line of the field', () => {
    expect(found.problems.filter((p) => p.kind === 'Gadget')).toMatchObject([
      {
        file: 'input.yaml',
        line: line('size: big'),
        kind: 'Gadget',
        namespace: 'gadgets',
        name: 'big',
        path: 'spec.size',
        rule: 'server-rejected',
        severity: 'error',
      },
    ]);
    expect(found.objects).toBe(5);
  });

  it('creates the namespace that only custom resources use, once their CRD is in', async () => {
    // gadgets holds nothing but a Gadget: its namespace is created after the built-in kinds' ones.
    expect(found.problems.filter((p) => p.namespace === 'gadgets').map((p) => p.path)).toStrictEqual(['spec.size']);
    expect((await server.client.request('GET', '/api/v1/namespaces/gadgets')).status).toBe(200);
  });

  it('places objects without a namespace in the default test namespace and names no namespace for them', async () => {
    expect(found.problems.filter((p) => p.kind === 'Service')).toMatchObject([
      { file: 'input.yaml', line: line('type: Balancer'), kind: 'Service', name: 'web', path: 'spec.type', rule: 'server-rejected' },
    ]);
    expect(found.problems.find((p) => p.kind === 'Service')).not.toHaveProperty('namespace');
    expect(found.problems.filter((p) => p.kind === 'ConfigMap')).toStrictEqual([]);
    expect((await server.client.request('GET', '/api/v1/namespaces/strata-verify')).status).toBe(200);
  });

  it('places them in the namespace it is asked to use instead', async () => {
    const docs = readBuilt(stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } }), 'cm.yaml');
    const r = await verifyDocuments(docs, { server, defaultNamespace: 'elsewhere' });
    expect(r.problems).toStrictEqual([]);
    expect((await server.client.request('GET', '/api/v1/namespaces/elsewhere')).status).toBe(200);
  });

  it('sends an object that several files carry once, and reports its refusal at each of them', async () => {
    const bad = deployment('web', 'same', { container: { imagePullPolicyy: 'Always' } });
    const docs = ['a.yaml', 'b.yaml'].flatMap((file) => readBuilt(`# ${file}\n${stringify(bad)}`, file));
    const r = await verifyDocuments(docs, { server });
    expect(r.objects).toBe(2);
    expect(r.problems.map((p) => [p.file, p.line, p.path, p.rule])).toStrictEqual([
      ['a.yaml', 1 + lineOf2(stringify(bad), 'imagePullPolicyy'), 'spec.template.spec.containers[name="app"].imagePullPolicyy', 'server-rejected'],
      ['b.yaml', 1 + lineOf2(stringify(bad), 'imagePullPolicyy'), 'spec.template.spec.containers[name="app"].imagePullPolicyy', 'server-rejected'],
    ]);
  });
});

describe('verify of objects in a namespace no cluster can hold', () => {
  const RFC1123 =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  const long = 'n'.repeat(64);
  // Two files as a person would hand them over: the second places objects in namespaces the server
  // refuses to create, beside objects it judges as usual.
  const first = stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: 'shop' }, data: { a: 'b' } });
  const second = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two', namespace: 'Default' }, data: { a: 'b' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'Balancer', ports: [{ port: 80 }] } },
    deployment('api', 'Default', { container: { imagePullPolicyy: 'Always' } }),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'three', namespace: long } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'four', namespace: 'shop' }, data: { a: 'b' } },
  ]
    .map((o) => stringify(o))
    .join('---\n');
  const lines = second.split('\n');
  /** The 1-based line of the nth line of the second file that contains `needle`. */
  const nth = (needle: string, n = 1) => {
    let seen = 0;
    return lines.findIndex((l) => l.includes(needle) && ++seen === n) + 1;
  };

  it("refuses each at its metadata.namespace in the server's words for that namespace, and judges every other object", async () => {
    const r = await verifyDocuments([...readBuilt(first, 'cr.yaml'), ...readBuilt(second, 'ns-mismatch.yaml')], { server });
    expect(r.problems.map((p) => [p.file, p.line, p.kind, p.namespace, p.name, p.path, p.message, p.rule])).toStrictEqual([
      [
        'ns-mismatch.yaml',
        nth('namespace: Default'),
        'ConfigMap',
        'Default',
        'two',
        'metadata.namespace',
        `Invalid value: "Default": ${RFC1123}`,
        'server-rejected',
      ],
      [
        'ns-mismatch.yaml',
        nth('type: Balancer'),
        'Service',
        'shop',
        'web',
        'spec.type',
        expect.stringMatching(/^Unsupported value: "Balancer"/),
        'server-rejected',
      ],
      [
        'ns-mismatch.yaml',
        nth('namespace: Default', 2),
        'Deployment',
        'Default',
        'api',
        'metadata.namespace',
        `Invalid value: "Default": ${RFC1123}`,
        'server-rejected',
      ],
      [
        'ns-mismatch.yaml',
        nth(long),
        'Secret',
        long,
        'three',
        'metadata.namespace',
        `Invalid value: "${long}": must be no more than 63 characters`,
        'server-rejected',
      ],
    ]);
    expect(r.objects).toBe(6);
    expect((await server.client.request('GET', '/api/v1/namespaces/shop')).status).toBe(200);
  });

  it('refuses a default namespace that is no namespace name as a usage mistake, before anything is sent', async () => {
    const docs = readBuilt(first, 'cr.yaml');
    await expect(verifyDocuments(docs, { server, defaultNamespace: 'Default' })).rejects.toThrow(UsageError);
    await expect(verifyDocuments(docs, { server, defaultNamespace: 'Default' })).rejects.toThrow(/default namespace "Default": not a namespace name/);
  });
});

const lineOf2 = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
