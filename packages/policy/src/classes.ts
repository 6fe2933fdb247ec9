import type { PodView } from './pods.ts';

/** The PriorityClasses every API server creates at start. */
export const SYSTEM_PRIORITY_CLASSES: readonly string[] = ['system-cluster-critical', 'system-node-critical'];

/** A class a pod names, at its field. */
export interface ClassUse {
  readonly class: 'PriorityClass' | 'RuntimeClass';
  readonly className: string;
  /** `spec.template.spec.priorityClassName` */
  readonly path: string;
  /** Whose pods the server refuses, for the message: `this Pod`, `every pod this Deployment makes`. */
  readonly pods: string;
}

/** The PriorityClass and RuntimeClass a pod names (`priorityClassName`, `runtimeClassName`). */
export function classesNamed(pod: PodView): ClassUse[] {
  const out: ClassUse[] = [];
  for (const [field, kind] of [
    ['priorityClassName', 'PriorityClass'],
    ['runtimeClassName', 'RuntimeClass'],
  ] as const) {
    const name = pod.spec[field];
    if (typeof name !== 'string' || name === '') continue;
    out.push({
      class: kind,
      className: name,
      path: `${pod.specPath}.${field}`,
      pods: pod.isPod ? 'this Pod' : `every pod this ${pod.object.manifest.kind} makes`,
    });
  }
  return out;
}

/**
 * Whether a class a pod names is one its cluster has, and if not, how to say so: `created` holds the
 * classes of the cluster's objects (`Kind/name`), `declared` those the configuration says the
 * platform creates (undefined: unknown, so the cluster may hold it). Undefined when it resolves;
 * else the admission plugin's words, an error where the classes are declared, a warning that it
 * must exist in the cluster where they are not. `where` names the objects looked at; `config` the
 * configuration's key, as a person writes it.
 */
export function unknownClass(
  use: ClassUse,
  created: ReadonlySet<string>,
  declared: readonly string[] | undefined,
  where: string,
  config: string,
): { readonly message: string; readonly severity: 'error' | 'warning' } | undefined {
  const priority = use.class === 'PriorityClass';
  if (created.has(`${use.class}/${use.className}`) || (priority && SYSTEM_PRIORITY_CLASSES.includes(use.className))) return undefined;
  if (declared?.includes(use.className)) return undefined;
  const words = priority
    ? `no PriorityClass with name ${use.className} was found`
    : `pod rejected: RuntimeClass ${JSON.stringify(use.className)} not found`;
  const refuses = `the API server refuses ${use.pods} (${priority ? 'Priority' : 'RuntimeClass'} admission)`;
  return declared === undefined
    ? {
        message: `${words} among ${where}: it must exist in the cluster before the pods start, or ${refuses}; add the ${use.class} to the set, list it in ${config} if the platform creates it, or fix the name`,
        severity: 'warning',
      }
    : {
        message: `${words}: ${refuses}, as neither ${where} nor ${config} has it; add the ${use.class}, list it there, or fix the name`,
        severity: 'error',
      };
}
