import type { PodView, TemplateLabels } from './pods.ts';
import { at, list, rec, sameNamespace, str, stringMap } from './read.ts';
import { mapSelects } from './selectors.ts';
import type { PolicyObject } from './types.ts';

/** The Service's selector, or undefined when it has none (ExternalName, or endpoints managed by hand). */
export function serviceSelector(service: PolicyObject): Readonly<Record<string, string>> | undefined {
  if (at(service.manifest, 'spec', 'type') === 'ExternalName') return undefined;
  const selector = stringMap(at(service.manifest, 'spec', 'selector'));
  return Object.keys(selector).length ? selector : undefined;
}

/**
 * The pods of `pods` that the Service, in `namespace`, selects; `applied` is the namespace of a pod
 * written without one, as in `namespaceOf`.
 */
export function selectedPods<T extends Pick<TemplateLabels, 'namespace' | 'labels'>>(
  service: PolicyObject,
  pods: readonly T[],
  namespace: string,
  applied = '',
): T[] {
  const selector = serviceSelector(service);
  if (!selector) return [];
  return pods.filter((p) => sameNamespace(p.namespace || applied, namespace) && mapSelects(selector, p.labels));
}

export interface ServicePort {
  readonly name?: string;
  readonly port?: number;
  readonly targetPort?: unknown;
}

export function servicePorts(service: PolicyObject): ServicePort[] {
  return list(at(service.manifest, 'spec', 'ports')).flatMap((p) => {
    const port = rec(p);
    if (!port) return [];
    const name = str(port.name);
    return [{ ...(name !== undefined && { name }), ...(typeof port.port === 'number' && { port: port.port }), targetPort: port.targetPort }];
  });
}

export function describePorts(ports: readonly ServicePort[]): string {
  return ports.map((p) => [p.port, p.name].filter((x) => x !== undefined).join('/')).join(', ') || 'none';
}

/** Container port names a pod serves on: app containers and native sidecars. */
export function containerPortNames(pod: PodView): Set<string> {
  const names = new Set<string>();
  for (const c of pod.containers) {
    if (c.group !== 'containers' && !c.sidecar) continue;
    for (const p of list(c.container.ports)) {
      const name = str(at(p, 'name'));
      if (name) names.add(name);
    }
  }
  return names;
}
