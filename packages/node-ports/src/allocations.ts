import { isPlainObject, type Manifest } from '@strata/core';
import { clashesInOrder, holderPlace, type Clash, type Holder } from './clashes.ts';

/**
 * Something only one object of a cluster may hold, which an object asks for when it is created
 * (besides node ports, see `nodePortsAsked`): a Service's cluster IP, and being the cluster's one
 * default PriorityClass.
 */
export interface Allocation {
  /** Which pool: a cluster IP, or the default PriorityClass. */
  readonly pool: 'cluster-ip' | 'default-priority-class';
  /** What is held in the pool: the IP in its canonical form; '' for the default class. */
  readonly key: string;
  /** The field the refusal is placed at: `spec.clusterIP`, `spec.clusterIPs[1]`, `globalDefault`. */
  readonly path: string;
  /** For a cluster IP: every IP the Service asks for, as the server lists them in its refusal. */
  readonly ips?: readonly string[];
  /** For a cluster IP: the IP as written. */
  readonly ip?: string;
}

/**
 * An IP as the allocator holds it: an IPv6 address compressed and in lower case (`fd00:0::A` and
 * `fd00::a` are one address), an IPv4 address as written (the server refuses other spellings of one,
 * such as leading zeros, on its own).
 */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

/**
 * What an object asks its cluster for when it is created, of which the cluster holds one each: the
 * cluster IPs a Service names (`spec.clusterIPs`, else `spec.clusterIP`; not `None`, which asks for
 * none, nor an ExternalName Service's), as kube-apiserver's allocator takes them
 * (pkg/registry/core/service/storage/alloc.go), and the default of a PriorityClass with
 * `globalDefault: true`, of which the Priority admission plugin lets a cluster have one.
 */
export function allocationsAsked(m: Manifest): Allocation[] {
  if (m.apiVersion === 'v1' && m.kind === 'Service' && isPlainObject(m.spec)) {
    const spec = m.spec;
    if (spec.type === 'ExternalName') return [];
    const listed = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.filter((ip): ip is string => typeof ip === 'string') : [];
    const ips = listed.length > 0 ? listed : typeof spec.clusterIP === 'string' ? [spec.clusterIP] : [];
    if (ips.length === 0 || ips[0] === 'None' || ips[0] === '') return [];
    const written = Array.isArray(spec.clusterIPs) && listed.length > 0;
    return ips.flatMap((ip, i): Allocation[] =>
      ip === '' || ip === 'None'
        ? []
        : [
            {
              pool: 'cluster-ip',
              key: canonicalIp(ip),
              // The field the person wrote: clusterIP for the first IP when it is there.
              path: i === 0 && (typeof spec.clusterIP === 'string' || !written) ? 'spec.clusterIP' : `spec.clusterIPs[${i}]`,
              ips,
              ip,
            },
          ],
    );
  }
  if (m.kind === 'PriorityClass' && m.apiVersion.startsWith('scheduling.k8s.io/') && m.globalDefault === true)
    return [{ pool: 'default-priority-class', key: '', path: 'globalDefault' }];
  return [];
}

/** One thing an object asks for that an earlier object of the cluster holds. */
export type AllocationClash<T> = Clash<T, Allocation>;

/**
 * What is taken already when `items` (the objects of one cluster) are created one after another in
 * their order: the first to ask keeps a cluster IP, or the place of default PriorityClass. An object
 * refused is not created and holds nothing it asked for; the server names the first taken thing
 * only, and so is it reported. `askedOf` gives what an item asks for (`allocationsAsked` of its
 * manifest); `same` tells when a later item is the same object again (applied as an update of it,
 * so it takes nothing from itself).
 */
export const allocationClashes = <T, A extends Allocation = Allocation>(
  items: readonly T[],
  askedOf: (item: T) => readonly A[],
  same: (a: T, b: T) => boolean,
): Clash<T, A>[] => clashesInOrder(items, askedOf, (a) => `${a.pool}\0${a.key}`, same, 'first');

/** The object that holds what another asks for, as a refusal names it: its namespace and name, and the file and line of its field. */
export type AllocationHolder = Holder;

/**
 * The refusal of what an earlier object of the cluster holds, in the words the server gives when it
 * creates the later object (for a cluster IP, the allocator's field error; for a second default
 * PriorityClass, the Priority admission plugin's), naming the object that holds it. A holder in
 * `askerFile`, the file of the refused object, is named by its line alone, as for node ports.
 */
export function allocationTakenMessage(asked: Allocation, holder: AllocationHolder, askerFile?: string): string {
  const who = `${holder.namespace ? `${holder.namespace}/` : ''}${holder.name ?? ''}`;
  const where = holderPlace(holder, askerFile);
  if (asked.pool === 'default-priority-class')
    return `PriorityClass ${holder.name ?? ''} is already marked as default. Only one default can exist (${where}, applied first: the cluster creates that one and refuses this one; a dry run lets both through; keep globalDefault on one PriorityClass of the cluster)`;
  return `Invalid value: ${JSON.stringify(asked.ips ?? [asked.ip])}: failed to allocate IP ${asked.ip}: provided IP is already allocated (to Service ${who}, ${where}, applied first: the cluster creates that one and refuses this one; a dry run lets both through)`;
}
