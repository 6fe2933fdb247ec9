import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { ObjectMetadata } from './metadata.ts';

export interface ServiceMonitorOptions {
  /** Labels of the Services whose endpoints are scraped. */
  readonly selector: Readonly<Record<string, string>>;
  /** Name of the Service port that serves the metrics. */
  readonly port: string;
  /** @default '/metrics' */
  readonly path?: string;
  /** @default '30s' */
  readonly interval?: string;
  /** @default Prometheus's own (10s) */
  readonly scrapeTimeout?: string;
  /**
   * The `release` label that kube-prometheus-stack's Prometheus selects ServiceMonitors by; `false`
   * for a Prometheus that selects them otherwise.
   * @default 'kube-prometheus-stack'
   */
  readonly release?: string | false;
  /**
   * Whether `namespaceSelector` names the monitor's own namespace. That is where Prometheus Operator
   * looks when it is left out; naming it shows the scope in the manifest.
   * @default true
   */
  readonly namespaceSelector?: boolean;
}

/** A Prometheus Operator ServiceMonitor that scrapes one named port of the selected Services. */
export function serviceMonitor(metadata: ObjectMetadata, options: ServiceMonitorOptions): ServiceMonitor {
  const { selector, port, path = '/metrics', interval = '30s', scrapeTimeout, release = 'kube-prometheus-stack', namespaceSelector = true } = options;
  if (namespaceSelector && !metadata.namespace) {
    throw new Error(
      `ServiceMonitor ${metadata.name}: namespaceSelector names the monitor's namespace, and it has none; give the metadata a namespace or pass namespaceSelector: false.`,
    );
  }
  return new ServiceMonitor({
    metadata: { ...metadata, labels: { ...metadata.labels, ...(release === false ? {} : { release }) } },
    spec: {
      selector: { matchLabels: { ...selector } },
      ...(namespaceSelector && metadata.namespace ? { namespaceSelector: { matchNames: [metadata.namespace] } } : {}),
      endpoints: [{ port, path, interval, ...(scrapeTimeout ? { scrapeTimeout } : {}) }],
    },
  });
}
