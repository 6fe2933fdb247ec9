import { describe, expect, it } from 'vitest';
import { serviceMonitorSelectsService } from '../../src/rules/service-monitor-selects-service.ts';
import { LABELS, check, manifest, service, summary, withoutNamespace } from '../support.ts';

const monitor = (selector: unknown, port = 'http', namespaceSelector?: unknown) =>
  manifest('monitoring.coreos.com/v1', 'ServiceMonitor', 'web', {
    spec: { selector, endpoints: [{ port, path: '/metrics', interval: '30s' }], ...(namespaceSelector !== undefined && { namespaceSelector }) },
  });

describe('service-monitor-selects-service', () => {
  it('stays quiet when the selector matches a Service that has the endpoint port', () => {
    expect(check(serviceMonitorSelectsService, [service(), monitor({ matchLabels: LABELS })])).toStrictEqual([]);
    expect(
      check(serviceMonitorSelectsService, [
        service(),
        monitor({ matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['web'] }] }),
      ]),
    ).toStrictEqual([]);
  });

  it('reports a selector that matches no Service labels', () => {
    expect(summary(check(serviceMonitorSelectsService, [service(), monitor({ matchLabels: { app: 'web' } })]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.selector',
        message:
          "The ServiceMonitor selects no Service: none in the namespaces it watches has the labels app=web, so fix spec.selector or the Service's metadata.labels.",
      },
    ]);
  });

  it('reports an endpoint port name the Service does not have', () => {
    const [f] = check(serviceMonitorSelectsService, [service(), monitor({ matchLabels: LABELS }, 'metrics')]);
    expect(f?.path).toBe('spec.endpoints[0].port');
    expect(f?.message).toBe(
      'Endpoint port "metrics" is not a port name of Service "web" (ports 80/http): name the Service port "metrics" or use one of its names.',
    );
  });

  it('looks only in the namespaces the namespaceSelector names', () => {
    expect(check(serviceMonitorSelectsService, [service(), monitor({ matchLabels: LABELS }, 'http', { matchNames: ['monitoring'] })])).toHaveLength(
      1,
    );
    expect(check(serviceMonitorSelectsService, [service(), monitor({ matchLabels: LABELS }, 'http', { any: true })])).toStrictEqual([]);
  });

  it('looks for Services from a ServiceMonitor written without a namespace, applied as written, in that namespace only', () => {
    const asWritten = { applyNamespace: 'default' };
    const own = withoutNamespace(monitor({ matchLabels: LABELS }));
    expect(check(serviceMonitorSelectsService, [service(), own], asWritten).map((f) => f.path)).toStrictEqual(['spec.selector']);
    expect(check(serviceMonitorSelectsService, [withoutNamespace(service()), own], asWritten)).toStrictEqual([]);
    expect(check(serviceMonitorSelectsService, [service(), own])).toStrictEqual([]);
  });
});
