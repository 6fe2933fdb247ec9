import { isPlainObject, type Manifest } from '@strata/core';
import { clashesInOrder, holderPlace, type Clash, type Holder } from './clashes.ts';

/** A node port a Service takes when it is created, and the field the server names when it is taken already. */
export interface NodePortAsked {
  readonly port: number;
  /** `spec.ports[i].nodePort` or `spec.healthCheckNodePort` */
  readonly path: string;
}

/**
 * The node ports a Service asks for by number, as kube-apiserver's allocator takes them when it
 * creates the Service (pkg/registry/core/service/storage/alloc.go): one pool of port numbers per
 * cluster, whatever the protocol, so a UDP port and another Service's TCP port of the same number
 * clash. Within the Service, entries of the same `port` (53 for TCP and for UDP, say) share one node
 * port, taken once and named at the first of them; the server itself refuses any other repeat. Only
 * NodePort and LoadBalancer Services take node ports, and a health check node port only a
 * LoadBalancer with externalTrafficPolicy Local. Ports left for the server to choose are not listed.
 */
export function nodePortsAsked(m: Manifest): NodePortAsked[] {
  if (m.apiVersion !== 'v1' || m.kind !== 'Service' || !isPlainObject(m.spec)) return [];
  const spec = m.spec;
  const out: NodePortAsked[] = [];
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    const ports = (Array.isArray(spec.ports) ? spec.ports : []).map((p) => (isPlainObject(p) ? p : {}));
    const asked = (p: Record<string, unknown>) => (typeof p.nodePort === 'number' && p.nodePort !== 0 ? p.nodePort : 0);
    // A LoadBalancer told not to allocate node ports still takes the ones asked for.
    const allocates = spec.type === 'NodePort' || spec.allocateLoadBalancerNodePorts !== false;
    const byServicePort = new Map<unknown, number>();
    ports.forEach((p, i) => {
      if (asked(p) === 0 && !allocates) return;
      const taken = byServicePort.get(p.port);
      if (taken === undefined) {
        // The first entry of a `port` takes the node port the first entry of that port asks for.
        const np = asked(ports.find((q) => q.port === p.port && asked(q) !== 0) ?? {});
        byServicePort.set(p.port, np);
        if (np !== 0) out.push({ port: np, path: `spec.ports[${i}].nodePort` });
      } else if (asked(p) !== 0 && asked(p) !== taken) out.push({ port: asked(p), path: `spec.ports[${i}].nodePort` });
    });
  }
  const health = spec.healthCheckNodePort;
  if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' && typeof health === 'number' && health !== 0) {
    out.push({ port: health, path: 'spec.healthCheckNodePort' });
  }
  return out;
}

/** A node port one object asks for that an earlier one holds. */
export type NodePortClash<T> = Clash<T, NodePortAsked>;

/**
 * The node ports taken already when `items` (the Services of one cluster) are created one after
 * another in their order: the first to ask keeps a port. A Service refused for one of its ports is
 * not created, so it holds none of them; every port of it that is taken is reported. `askedOf` says
 * which node ports an item asks for (`nodePortsAsked` of its manifest); `same` tells when a later
 * item is the same object again (applied as an update of it, so it takes no port from it). A Service
 * that asks one number twice itself (a health check node port equal to one of its node ports) is
 * refused by the server's verdict on it alone (the server field checks, a dry run), not here: give
 * only the Services those accept.
 */
export const nodePortClashes = <T, A extends NodePortAsked = NodePortAsked>(
  items: readonly T[],
  askedOf: (item: T) => readonly A[],
  same: (a: T, b: T) => boolean,
): Clash<T, A>[] => clashesInOrder(items, askedOf, (a) => String(a.port), same, 'every');

/** The Service that keeps a node port, as a refusal names it: its namespace and name, and the file and line of its field. */
export type NodePortHolder = Holder;

/**
 * The refusal of a node port that an earlier Service of the cluster holds, in the words the server
 * gives when it creates the later Service (a field error for a port; for the health check's, the
 * cause of an internal error), naming the Service that keeps it. A holder in `askerFile`, the file
 * of the refused Service, is named by its line alone: the problem names that file already, as the
 * person typed it, which a file name in the message could not follow.
 */
export function nodePortTakenMessage(asked: NodePortAsked, holder: NodePortHolder, askerFile?: string): string {
  const words =
    asked.path === 'spec.healthCheckNodePort'
      ? `failed to allocate requested HealthCheck NodePort ${asked.port}: provided port is already allocated`
      : `Invalid value: ${asked.port}: provided port is already allocated`;
  const who = `${holder.namespace ? `${holder.namespace}/` : ''}${holder.name ?? ''}`;
  return `${words} (to Service ${who}, ${holderPlace(holder, askerFile)}, applied first: the cluster creates that one and refuses this one; a dry run lets both through)`;
}
