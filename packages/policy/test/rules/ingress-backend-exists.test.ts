import { describe, expect, it } from 'vitest';
import { ingressBackendExists } from '../../src/rules/ingress-backend-exists.ts';
import { check, manifest, service, summary, withoutNamespace } from '../support.ts';

const ingress = (port: Record<string, unknown>, name = 'web') =>
  manifest('networking.k8s.io/v1', 'Ingress', 'web', {
    spec: {
      ingressClassName: 'traefik',
      rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port } } }] } }],
    },
  });

describe('ingress-backend-exists', () => {
  it('stays quiet when the Service and its port exist, by name or number', () => {
    expect(check(ingressBackendExists, [service(), ingress({ name: 'http' }), ingress({ number: 80 })])).toStrictEqual([]);
  });

  it('reports a backend Service that is not in the set', () => {
    expect(summary(check(ingressBackendExists, [service(), ingress({ name: 'http' }, 'web-svc')]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.rules[0].http.paths[0].backend.service.name',
        message: 'The backend names Service "web-svc", which is not in the set: add the Service or fix the name.',
      },
    ]);
  });

  it('reports a port the Service does not have', () => {
    const found = check(ingressBackendExists, [service(), ingress({ number: 8080 }), ingress({ name: 'https' })]);
    expect(found.map((f) => [f.path, f.message])).toStrictEqual([
      ['spec.rules[0].http.paths[0].backend.service.port.number', 'Service "web" has no port 8080 (it has 80/http): use one of its ports.'],
      [
        'spec.rules[0].http.paths[0].backend.service.port.name',
        'Service "web" has no port named "https" (it has 80/http): use one of its port names.',
      ],
    ]);
  });

  it('checks the default backend', () => {
    const i = manifest('networking.k8s.io/v1', 'Ingress', 'web', {
      spec: { defaultBackend: { service: { name: 'missing', port: { number: 80 } } } },
    });
    expect(check(ingressBackendExists, [i])[0]?.path).toBe('spec.defaultBackend.service.name');
  });

  it('looks for the Service of an Ingress written without a namespace, applied as written, in that namespace only', () => {
    const asWritten = { applyNamespace: 'default' };
    const i = withoutNamespace(ingress({ name: 'http' }));
    expect(check(ingressBackendExists, [service(), i], asWritten).map((f) => f.path)).toStrictEqual([
      'spec.rules[0].http.paths[0].backend.service.name',
    ]);
    expect(check(ingressBackendExists, [withoutNamespace(service()), i], asWritten)).toStrictEqual([]);
    expect(check(ingressBackendExists, [service(), i])).toStrictEqual([]);
  });
});
