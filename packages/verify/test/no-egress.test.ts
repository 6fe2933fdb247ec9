import { createServer, type Server as NetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureServers, readBuilt, startServer, verifyDocuments, type Server } from '../src/index.ts';
import { crd as namedCrd } from './helpers.ts';

const BUILD_TIMEOUT = 20 * 60_000;

/**
 * Manifests that ask the API server to call out: a CRD whose versions convert through a webhook at
 * a URL, admission webhooks at a URL and at a Service that names an outside host, and an APIService
 * served by such a Service. `at` is where every one of them points.
 */
function callingOut(at: string, port: number) {
  const crd = namedCrd(
    'calls.example.com',
    'Widget',
    ['v1', 'v2'].map((name) => ({
      name,
      served: true,
      storage: name === 'v2',
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    })),
    { conversion: { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: `${at}/convert` } } } },
  );
  const widget = { apiVersion: 'calls.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' }, spec: { secret: 'data' } };
  const outside = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'outside', namespace: 'shop' },
    spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ port }] },
  };
  const hook = (kind: string) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name: `shop-${kind.toLowerCase()}` },
    webhooks: [{ url: `${at}/admit` }, { service: { name: 'outside', namespace: 'shop', port } }].map((clientConfig, i) => ({
      name: `hook${i}.shop.example.com`,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      clientConfig,
      rules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'], scope: '*' }],
    })),
  });
  const apiService = {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: 'v1.calls.example.org' },
    spec: {
      group: 'calls.example.org',
      version: 'v1',
      service: { name: 'outside', namespace: 'shop', port },
      insecureSkipTLSVerify: true,
      groupPriorityMinimum: 1000,
      versionPriority: 15,
    },
  };
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: { a: '1' } };
  return { crd, widget, outside, hooks: [hook('MutatingWebhookConfiguration'), hook('ValidatingWebhookConfiguration')], apiService, configMap };
}

describe('verify never lets the API server reach out to what the input names', () => {
  let server: Server;
  let listener: NetServer;
  let port = 0;
  const connections: string[] = [];

  beforeAll(async () => {
    listener = createServer((socket) => {
      connections.push(`${socket.remoteAddress}:${socket.remotePort}`);
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    server = await startServer(await ensureServers());
  }, BUILD_TIMEOUT);
  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => listener?.close(resolve));
  });

  it('installs a CRD with its conversion webhook replaced, says so, and converts nothing through the URL', async () => {
    const o = callingOut(`https://127.0.0.1:${port}`, port);
    const text = [o.crd, o.widget].map((x) => stringify(x)).join('---\n');
    const r = await verifyDocuments(readBuilt(text, 'conv.yaml'), { server });
    expect(r.problems).toStrictEqual([]);
    expect(r.notes).toStrictEqual([
      expect.stringMatching(
        /^1 CRD installed without its conversion webhook \(spec\.conversion\.strategy: None\), so that the server calls out to nothing: conv\.yaml:\d+ widgets\.calls\.example\.com; /,
      ),
    ]);
    const crd = await server.client.request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.calls.example.com');
    expect((crd.body as { spec: { conversion: unknown } }).spec.conversion).toStrictEqual({ strategy: 'None' });
    expect(connections).toStrictEqual([]);
  });

  it('still reports what the server refuses in a conversion webhook', async () => {
    const o = callingOut(`http://127.0.0.1:${port}`, port);
    const crd = { ...o.crd, metadata: { name: 'gizmos.calls.example.com' } };
    crd.spec = { ...crd.spec, names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo', listKind: 'GizmoList' } };
    const r = await verifyDocuments(readBuilt(stringify(crd), 'conv.yaml'), { server });
    // The server names the field by its internal name.
    expect(r.problems.map((p) => [p.path, p.rule, p.message])).toStrictEqual([
      ['spec.conversion.webhookClientConfig.url', 'server-rejected', expect.stringContaining("'https' is the only allowed URL scheme")],
    ]);
    expect(r.notes).toStrictEqual([]);
    expect(connections).toStrictEqual([]);
  });

  it('starts a server whose own calls out go nowhere, to a URL or through a Service, whatever is created on it', async () => {
    const o = callingOut(`https://127.0.0.1:${port}`, port);
    const path = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
    const outside = await server.client.request('POST', '/api/v1/namespaces/shop/services', o.outside);
    expect(outside.status).toBe(201);
    try {
      for (const webhook of o.hooks[1]!.webhooks) {
        const hook = { ...o.hooks[1]!, webhooks: [webhook] };
        expect((await server.client.request('POST', path, hook)).status).toBe(201);
        try {
          // The server takes a new webhook configuration into use within a moment.
          let said = '';
          for (let i = 0; i < 100 && !said.includes('failed calling webhook'); i++) {
            if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
            const probe = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' } };
            said = JSON.stringify((await server.client.request('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', probe)).body);
          }
          expect(said).toMatch(/failed calling webhook .*no-egress\.sock/);
        } finally {
          await server.client.request('DELETE', `${path}/${hook.metadata.name}`);
        }
      }
    } finally {
      await server.client.request('DELETE', '/api/v1/namespaces/shop/services/outside');
    }
    expect(connections).toStrictEqual([]);
  });

  it('deploys the objects it checks an upgrade against without webhooks or APIServices that call out', async () => {
    const o = callingOut(`https://127.0.0.1:${port}`, port);
    const deployed = readBuilt([o.outside, ...o.hooks, o.apiService, o.configMap].map((x) => stringify(x)).join('---\n'), 'deployed.yaml');
    const now = { ...o.configMap, data: { a: '2' } };
    const docs = readBuilt([o.outside, ...o.hooks, o.apiService, now].map((x) => stringify(x)).join('---\n'), 'now.yaml');
    const r = await verifyDocuments(docs, { server, against: { name: 'deployed', docs: deployed } });
    expect(r.problems).toStrictEqual([]);
    // Given the server time to reach out, as the APIService's availability check would.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(connections).toStrictEqual([]);
    for (const path of [
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/shop-mutatingwebhookconfiguration',
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/shop-validatingwebhookconfiguration',
      '/apis/apiregistration.k8s.io/v1/apiservices/v1.calls.example.org',
    ])
      expect((await server.client.request('GET', path)).status).toBe(404);
  });
});
