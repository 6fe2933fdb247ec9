import { isDeepStrictEqual } from 'node:util';
import { isPlainObject, kubeDnsEgress, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '@strata/core';
import { Leaf, Ref, type Template } from './model.ts';

/**
 * A call of one of the core kit's blocks in render.ts, standing where the imported object holds
 * exactly what the block returns: the render's output stays the same, and the code says what the
 * values mean instead of restating them.
 */
export class KitCall {
  constructor(
    readonly fn: 'restrictedContainerSecurityContext' | 'restrictedPodSecurityContext' | 'kubeDnsEgress' | 'defaultDenyPolicy',
    /** The call's one argument (a template), or undefined for none. */
    readonly arg: Template | undefined,
  ) {}
}

/** Whether a template is a literal value the same in every env (no config, no computed name). */
function literalOnly(v: unknown): boolean {
  if (v instanceof Leaf || v instanceof Ref || v instanceof KitCall) return false;
  if (Array.isArray(v)) return v.every(literalOnly);
  if (isPlainObject(v)) return Object.values(v).every(literalOnly);
  return true;
}

const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Keeps only the options that differ from a block's defaults, so the call reads as what is special. */
const options = (o: Record<string, unknown>) => {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return Object.keys(out).length > 0 ? out : undefined;
};

/** `restrictedContainerSecurityContext(options)` when that returns exactly this context. */
function containerContext(v: Record<string, unknown>): KitCall | undefined {
  const caps = isPlainObject(v.capabilities) ? v.capabilities : {};
  const opts = options({
    user: v.runAsUser,
    group: v.runAsGroup,
    readOnlyRootFilesystem: v.readOnlyRootFilesystem === false ? false : undefined,
    bindLowPorts: Array.isArray(caps.add) && caps.add.length > 0 ? true : undefined,
    standalone: 'privileged' in v ? undefined : false,
  });
  try {
    if (isDeepStrictEqual(json(restrictedContainerSecurityContext(opts as never)), v)) return new KitCall('restrictedContainerSecurityContext', opts);
  } catch {
    // options the block refuses (root, say): the context stays as it is
  }
  return undefined;
}

/** `restrictedPodSecurityContext(identity)` when that returns exactly this context. */
function podContext(v: Record<string, unknown>): KitCall | undefined {
  const opts = options({
    user: v.runAsUser,
    group: v.runAsGroup === v.runAsUser ? undefined : v.runAsGroup,
    fsGroup: v.fsGroup === (v.runAsGroup ?? v.runAsUser) ? undefined : v.fsGroup,
  });
  try {
    if (isDeepStrictEqual(json(restrictedPodSecurityContext(opts as never)), v)) return new KitCall('restrictedPodSecurityContext', opts);
  } catch {
    // an identity the block refuses: the context stays as it is
  }
  return undefined;
}

const DNS = json(kubeDnsEgress());

/**
 * Replaces the parts of an object's template that a kit block produces exactly with calls of it:
 * restricted pod and container security contexts, the kube-dns egress rule, and a default-deny
 * NetworkPolicy as a whole (returned as the object's expression).
 */
export function useKit(kind: string, template: Record<string, Template>): { template: Record<string, Template>; whole?: KitCall } {
  const metadata = template.metadata;
  // defaultDenyPolicy takes the kit's ObjectMetadata: a name, labels, and maybe a namespace and annotations.
  const kitMetadata =
    isPlainObject(metadata) && 'labels' in metadata && Object.keys(metadata).every((k) => ['name', 'namespace', 'labels', 'annotations'].includes(k));
  if (
    kind === 'NetworkPolicy' &&
    kitMetadata &&
    isDeepStrictEqual(Object.keys(template).sort(), ['metadata', 'spec']) &&
    literalOnly(template.spec)
  ) {
    if (isDeepStrictEqual(template.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }))
      return { template, whole: new KitCall('defaultDenyPolicy', template.metadata) };
  }
  const walk = (v: unknown, key: string | undefined, parent: string | undefined): unknown => {
    if (Array.isArray(v)) {
      if (key === 'egress')
        return v.map((rule) =>
          literalOnly(rule) && isDeepStrictEqual(rule, DNS) ? new KitCall('kubeDnsEgress', undefined) : walk(rule, undefined, key),
        );
      return v.map((item) => walk(item, undefined, key));
    }
    if (!isPlainObject(v)) return v;
    if (key === 'securityContext' && literalOnly(v)) {
      // A container's context sits in a list of containers; the pod's beside that list.
      const call = parent === 'containers' || parent === 'initContainers' || parent === 'ephemeralContainers' ? containerContext(v) : podContext(v);
      if (call) return call;
    }
    // A list item is known by its list (a container by `containers`), an object by its key.
    return Object.fromEntries(Object.entries(v).map(([k, child]) => [k, walk(child, k, key ?? parent)]));
  };
  return { template: walk(template, undefined, undefined) as Record<string, Template> };
}
