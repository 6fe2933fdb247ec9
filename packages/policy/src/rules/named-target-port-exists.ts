import { podsOf } from '../pods.ts';
import { at, finding, list, namespaceOf, ofKind, str } from '../read.ts';
import { containerPortNames, selectedPods } from '../services.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'named-target-port-exists';

export const namedTargetPortExists: Rule = {
  id,
  description: "A Service's string targetPort is the name of a container port of a pod it selects.",
  defaultSeverity: 'error',
  check(objects, ctx) {
    const applied = ctx.applyNamespace ?? '';
    const pods = podsOf(objects);
    const out: RuleFinding[] = [];
    for (const service of ofKind(objects, 'Service')) {
      const selected = selectedPods(service, pods, namespaceOf(service, applied), applied);
      // A Service that selects nothing is service-selects-pods' finding; nothing to compare here.
      if (selected.length === 0) continue;
      const names = new Set(selected.flatMap((p) => [...containerPortNames(p)]));
      list(at(service.manifest, 'spec', 'ports')).forEach((port, i) => {
        const target = at(port, 'targetPort');
        if (typeof target !== 'string' || /^\d+$/.test(target) || names.has(target)) return;
        const label = str(at(port, 'name')) ?? String(at(port, 'port') ?? i);
        const known = names.size ? [...names].sort().join(', ') : 'none';
        out.push(
          finding(
            id,
            service,
            `Service port "${label}" targets the container port name "${target}", which no selected pod declares (they declare: ${known}): name a container port "${target}" or change targetPort.`,
            `spec.ports[${i}].targetPort`,
          ),
        );
      });
    }
    return out;
  },
};
