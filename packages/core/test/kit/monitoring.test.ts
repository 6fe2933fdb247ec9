import { describe, expect, it } from 'vitest';
import { appMetadata, serviceMonitor } from '../../src/index.ts';

const meta = appMetadata({ app: 'shop', component: 'web', namespace: 'shop' });

describe('serviceMonitor', () => {
  it('scrapes /metrics on the named port every 30s, in its own namespace, for kube-prometheus-stack', () => {
    const monitor = serviceMonitor(meta.of('shop'), { selector: meta.selector, port: 'http' });
    expect(monitor.metadata?.labels).toStrictEqual({ ...meta.labels, release: 'kube-prometheus-stack' });
    expect(monitor.spec).toStrictEqual({
      selector: { matchLabels: meta.selector },
      namespaceSelector: { matchNames: ['shop'] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
    });
    expect(() => monitor.validate()).not.toThrow();
  });

  it('takes path, interval, timeout and release from the options', () => {
    const monitor = serviceMonitor(meta.of('shop'), {
      selector: meta.selector,
      port: 'metrics',
      path: '/m',
      interval: '1m',
      scrapeTimeout: '10s',
      release: 'prom',
    });
    expect(monitor.spec.endpoints).toStrictEqual([{ port: 'metrics', path: '/m', interval: '1m', scrapeTimeout: '10s' }]);
    expect(monitor.metadata?.labels?.release).toBe('prom');
  });

  it('leaves out the release label and the namespace selector when told', () => {
    const monitor = serviceMonitor(meta.of('shop'), { selector: meta.selector, port: 'http', release: false, namespaceSelector: false });
    expect(monitor.metadata?.labels).toStrictEqual(meta.labels);
    expect(monitor.spec).not.toHaveProperty('namespaceSelector');
  });

  it('refuses to name the namespace of a monitor that has none, and says what to do', () => {
    expect(() => serviceMonitor(appMetadata({ app: 'shop' }).of('shop'), { selector: {}, port: 'http' })).toThrow(
      "ServiceMonitor shop: namespaceSelector names the monitor's namespace, and it has none; give the metadata a namespace or pass namespaceSelector: false.",
    );
  });
});
