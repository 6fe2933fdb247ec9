import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServers, startServer, verify, type Problem, type Server, type VerifyResult } from '../src/index.ts';
import { deployment, makeRepo, workspaceRoot } from './helpers.ts';

// On a fresh clone the first test to ask builds the server binaries (minutes, once).
const BUILD_TIMEOUT = 15 * 60_000;

// One server and one verify run for the whole file: each case is its own overlay of one repository.
let server: Server;
let repo: string;
let result: VerifyResult;
const of = (app: string): Problem[] => result.problems.filter((p) => p.file === `overlays/dev/${app}`);
const errorsOf = (app: string) => of(app).filter((p) => p.severity === 'error');

beforeAll(async () => {
  server = await startServer(await ensureServers(workspaceRoot));
  repo = makeRepo({
    'dev/valid': [
      deployment('web', 'valid', { container: { resources: { requests: { cpu: '100m', memory: '64Mi' } } } }),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'valid' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    ],
    'dev/unknown-field': [deployment('web', 'unknown-field', { container: { imagePullPolicyy: 'Always' } })],
    'dev/quantity': [deployment('web', 'quantity', { container: { resources: { requests: { cpu: '100mm' } } } })],
    'dev/enum': [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'enum' }, spec: { type: 'Balancer', selector: { app: 'web' }, ports: [{ port: 80 }] } },
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
    'dev/missing-crd': [{ apiVersion: 'widgets.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'missing-crd' }, spec: { size: 1 } }],
  });
  result = await verify(repo, { server });
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('verify against a real API server', () => {
  it('accepts valid objects and counts every object it sent', () => {
    expect(of('valid')).toStrictEqual([]);
    expect(result.objects).toBe(7);
    expect(Object.keys(result.phases)).toStrictEqual(['build', 'crds', 'namespaces', 'apply']);
  });

  it('rejects an unknown field with its path', () => {
    expect(errorsOf('unknown-field')).toStrictEqual([
      {
        file: 'overlays/dev/unknown-field',
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
      { kind: 'Deployment', name: 'web', path: 'spec.template.spec.containers[name="app"].resources.requests.cpu', rule: 'server-rejected' },
    ]);
    expect(errorsOf('quantity')[0]!.message).toMatch(/^"100mm" is not a quantity .*; the server says: /);
  });

  it('rejects a value outside an enum with its path', () => {
    expect(errorsOf('enum')).toMatchObject([{ kind: 'Service', name: 'web', path: 'spec.type', rule: 'server-rejected' }]);
    expect(errorsOf('enum')[0]!.message).toMatch(/Unsupported value: "Balancer"/);
  });

  it('rejects a custom resource that breaks a CEL rule of its CRD', () => {
    expect(errorsOf('cel')).toMatchObject([{ apiVersion: 'traefik.io/v1alpha1', kind: 'ServersTransport', name: 'backend', path: 'spec.rootCAs[0]' }]);
    expect(errorsOf('cel')[0]!.message).toMatch(/RootCA cannot have both Secret and ConfigMap defined/);
  });

  it('names the CRD that is not installed', () => {
    expect(errorsOf('missing-crd')).toMatchObject([{ kind: 'Widget', name: 'w', rule: 'missing-crd' }]);
    expect(errorsOf('missing-crd')[0]!.message).toMatch(/no CustomResourceDefinition for Widget in group widgets\.example\.com/);
  });
});
