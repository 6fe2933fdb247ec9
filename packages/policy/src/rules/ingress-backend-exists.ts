import { at, finding, findObject, list, namespaceOf, ofKind, rec, str } from '../read.ts';
import { describePorts, servicePorts } from '../services.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'ingress-backend-exists';

function backends(ingress: PolicyObject): { backend: unknown; path: string }[] {
  const out: { backend: unknown; path: string }[] = [];
  const spec = rec(ingress.manifest.spec) ?? {};
  if (spec.defaultBackend) out.push({ backend: spec.defaultBackend, path: 'spec.defaultBackend' });
  list(spec.rules).forEach((r, i) =>
    list(at(r, 'http', 'paths')).forEach((p, j) => out.push({ backend: at(p, 'backend'), path: `spec.rules[${i}].http.paths[${j}].backend` })),
  );
  return out;
}

export const ingressBackendExists: Rule = {
  id,
  description: 'Every Ingress backend names a Service in the set and a port that Service has, by number or by name.',
  defaultSeverity: 'error',
  check(objects, ctx) {
    const applied = ctx.applyNamespace ?? '';
    const out: RuleFinding[] = [];
    for (const ingress of ofKind(objects, 'Ingress')) {
      for (const { backend, path } of backends(ingress)) {
        const name = str(at(backend, 'service', 'name'));
        // Resource backends point at custom objects a controller serves; nothing to resolve here.
        if (!name) continue;
        const service = findObject(objects, 'Service', name, namespaceOf(ingress, applied), applied);
        if (!service) {
          out.push(
            finding(
              id,
              ingress,
              `The backend names Service "${name}", which is not in the set: add the Service or fix the name.`,
              `${path}.service.name`,
            ),
          );
          continue;
        }
        // An ExternalName Service forwards any port and need not list them.
        if (at(service.manifest, 'spec', 'type') === 'ExternalName') continue;
        const ports = servicePorts(service);
        const number = at(backend, 'service', 'port', 'number');
        const portName = at(backend, 'service', 'port', 'name');
        if (number !== undefined && !ports.some((p) => p.port === number)) {
          out.push(
            finding(
              id,
              ingress,
              `Service "${name}" has no port ${String(number)} (it has ${describePorts(ports)}): use one of its ports.`,
              `${path}.service.port.number`,
            ),
          );
        } else if (portName !== undefined && !ports.some((p) => p.name === portName)) {
          out.push(
            finding(
              id,
              ingress,
              `Service "${name}" has no port named "${String(portName)}" (it has ${describePorts(ports)}): use one of its port names.`,
              `${path}.service.port.name`,
            ),
          );
        }
      }
    }
    return out;
  },
};
