import { at, displayName, finding, list, namespaceOf, ofKind, sameNamespace, str, stringMap } from '../read.ts';
import { formatLabels, labelSelectorMatches } from '../selectors.ts';
import { describePorts, servicePorts } from '../services.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'service-monitor-selects-service';

/**
 * Whether the ServiceMonitor looks for Services in this namespace (its own unless namespaceSelector
 * says otherwise); `applied` as in `namespaceOf`.
 */
function watches(monitor: PolicyObject, namespace: string, applied: string): boolean {
  const selector = at(monitor.manifest, 'spec', 'namespaceSelector');
  if (at(selector, 'any') === true) return true;
  const names = list(at(selector, 'matchNames')).map(String);
  if (names.length) return names.some((n) => sameNamespace(n, namespace));
  return sameNamespace(namespaceOf(monitor, applied), namespace);
}

export const serviceMonitorSelectsService: Rule = {
  id,
  description: "A ServiceMonitor's selector matches the labels of a Service in the set, and each endpoint's port name is a port of that Service.",
  defaultSeverity: 'error',
  check(objects, ctx) {
    const applied = ctx.applyNamespace ?? '';
    const out: RuleFinding[] = [];
    const services = ofKind(objects, 'Service');
    for (const monitor of ofKind(objects, 'ServiceMonitor')) {
      const selector = at(monitor.manifest, 'spec', 'selector');
      // ServiceMonitors match the Service's own labels, not its pod selector: a common mix-up.
      const matched = services.filter(
        (s) => watches(monitor, namespaceOf(s, applied), applied) && labelSelectorMatches(selector, stringMap(s.manifest.metadata.labels)),
      );
      if (matched.length === 0) {
        const wanted = formatLabels(stringMap(at(selector, 'matchLabels')));
        out.push(
          finding(
            id,
            monitor,
            `The ServiceMonitor selects no Service: none in the namespaces it watches has the labels ${wanted}, so fix spec.selector or the Service's metadata.labels.`,
            'spec.selector',
          ),
        );
        continue;
      }
      list(at(monitor.manifest, 'spec', 'endpoints')).forEach((e, i) => {
        const port = str(at(e, 'port'));
        if (!port || matched.some((s) => servicePorts(s).some((p) => p.name === port))) return;
        const first = matched[0];
        const theirs =
          matched.length === 1 && first ? `Service "${displayName(first)}" (ports ${describePorts(servicePorts(first))})` : 'the selected Services';
        out.push(
          finding(
            id,
            monitor,
            `Endpoint port "${port}" is not a port name of ${theirs}: name the Service port "${port}" or use one of its names.`,
            `spec.endpoints[${i}].port`,
          ),
        );
      });
    }
    return out;
  },
};
