import { podsOf } from '../pods.ts';
import { parseQuantity } from '../quantity.ts';
import { at, finding, nameOf, rec, str, type Rec } from '../read.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'pod-fields-from-classes';

const PREEMPT_LOWER = 'PreemptLowerPriority';

interface PriorityClass {
  readonly value: number;
  readonly preemptionPolicy: string;
}

/** The classes every API server creates at start, whatever the set holds. */
const SYSTEM_PRIORITY_CLASSES: ReadonlyMap<string, PriorityClass> = new Map([
  ['system-cluster-critical', { value: 2_000_000_000, preemptionPolicy: PREEMPT_LOWER }],
  ['system-node-critical', { value: 2_000_001_000, preemptionPolicy: PREEMPT_LOWER }],
]);

/** The highest value a PriorityClass of a user may have (scheduling.HighestUserDefinablePriority). */
const HIGHEST_USER_PRIORITY = 1_000_000_000;

const isApi = (o: PolicyObject, group: string, kind: string) => o.manifest.kind === kind && o.manifest.apiVersion.startsWith(`${group}/`);

/** A nodeSelector value as the server reads it into a string map: null is the empty string. */
const selectorValue = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** Two resource lists alike as the server compares them (Semantic.DeepEqual: quantities by value, an empty list as none). */
function sameResources(a: Rec, b: Rec): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => k in b && parseQuantity(a[k]) !== undefined && parseQuantity(a[k]) === parseQuantity(b[k]));
}

/**
 * Pod fields that admission fills in from a class and refuses when a pod sets them otherwise, in every
 * cluster: `priority` and `preemptionPolicy` (the Priority plugin computes them from the PriorityClass
 * that `priorityClassName` names, else from the global default class, else 0 and PreemptLowerPriority),
 * `overhead` (the RuntimeClass plugin copies it from the RuntimeClass that `runtimeClassName` names)
 * and `nodeSelector` (that plugin merges the class's `scheduling.nodeSelector` into it, and refuses a
 * key the pod gives another value). A workload is admitted and then every pod its controller makes is
 * refused. The classes are the set's and those of its cluster that `ctx.classes` gives (the other apps
 * of its env): a class neither holds (one the platform makes) is not judged here, its value is not known.
 */
export const podFieldsFromClasses: Rule = {
  id,
  description:
    'No pod template sets priority, preemptionPolicy, overhead or a nodeSelector key other than the PriorityClass or RuntimeClass it names gives, which admission refuses for every pod in every cluster. Its severity cannot be lowered.',
  defaultSeverity: 'error',
  fixedSeverity: true,
  check(objects, ctx) {
    const priorityClasses = new Map<string, PriorityClass>(SYSTEM_PRIORITY_CLASSES);
    let globalDefault: PriorityClass | undefined;
    const runtimeClasses = new Map<string, Rec>();
    // The cluster's classes in the order it creates them (the set's own among them), else the set's.
    const given = new Set(ctx.classes?.map((c) => c.manifest));
    for (const o of [...(ctx.classes ?? []), ...objects.filter((o) => !given.has(o.manifest))]) {
      const name = nameOf(o);
      if (name === undefined) continue;
      if (isApi(o, 'scheduling.k8s.io', 'PriorityClass') && typeof o.manifest.value === 'number' && !priorityClasses.has(name)) {
        // The server refuses a class of another value than a user's may have, or of a system- name: the cluster never has it.
        if (o.manifest.value > HIGHEST_USER_PRIORITY || name.startsWith('system-')) continue;
        const pc = { value: o.manifest.value, preemptionPolicy: str(o.manifest.preemptionPolicy) ?? PREEMPT_LOWER };
        priorityClasses.set(name, pc);
        // The first default created is the cluster's: the Priority plugin refuses every later one.
        if (o.manifest.globalDefault === true && globalDefault === undefined) globalDefault = pc;
      }
      if (isApi(o, 'node.k8s.io', 'RuntimeClass') && !runtimeClasses.has(name)) runtimeClasses.set(name, o.manifest);
    }
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      const what = pod.isPod ? 'this Pod' : `every pod this ${pod.object.manifest.kind} makes`;
      const refuses = (plugin: string) => `the API server refuses ${what} (${plugin} admission)`;
      const className = str(pod.spec.priorityClassName) || undefined;
      const priorityClass =
        className === undefined ? (globalDefault ?? { value: 0, preemptionPolicy: PREEMPT_LOWER }) : priorityClasses.get(className);
      const from =
        className === undefined
          ? globalDefault
            ? 'the global default PriorityClass gives'
            : 'a pod that names no PriorityClass gets'
          : `PriorityClass ${className} gives`;
      const priority = pod.spec.priority;
      if (priorityClass && typeof priority === 'number' && priority !== priorityClass.value)
        out.push(
          finding(
            id,
            pod.object,
            `the integer value of priority (${priority}) must not be provided in pod spec; priority admission controller computed ${priorityClass.value} from the given PriorityClass name: ${refuses('Priority')}, as ${from} ${priorityClass.value}. Remove priority and name a PriorityClass with the value in priorityClassName.`,
            `${pod.specPath}.priority`,
          ),
        );
      const preemption = str(pod.spec.preemptionPolicy);
      if (priorityClass && preemption !== undefined && preemption !== priorityClass.preemptionPolicy)
        out.push(
          finding(
            id,
            pod.object,
            `the string value of PreemptionPolicy (${preemption}) must not be provided in pod spec; priority admission controller computed ${priorityClass.preemptionPolicy} from the given PriorityClass name: ${refuses('Priority')}, as ${from} ${priorityClass.preemptionPolicy}. Remove preemptionPolicy and name a PriorityClass with preemptionPolicy: ${preemption} in priorityClassName.`,
            `${pod.specPath}.preemptionPolicy`,
          ),
        );
      const runtimeName = str(pod.spec.runtimeClassName) || undefined;
      if (runtimeName !== undefined && !runtimeClasses.has(runtimeName)) continue;
      const runtimeClass = runtimeName === undefined ? undefined : runtimeClasses.get(runtimeName);
      // The plugin merges the class's nodeSelector into the pod's, and refuses a key the pod gives another value.
      const podSelector = rec(pod.spec.nodeSelector);
      const classSelector = rec(at(runtimeClass, 'scheduling', 'nodeSelector'));
      if (podSelector && classSelector)
        for (const [key, value] of Object.entries(classSelector)) {
          if (!(key in podSelector) || selectorValue(podSelector[key]) === selectorValue(value)) continue;
          out.push(
            finding(
              id,
              pod.object,
              `conflict: runtimeClass.scheduling.nodeSelector[${key}] = ${selectorValue(value)}; pod.spec.nodeSelector[${key}] = ${selectorValue(podSelector[key])}: ${refuses('RuntimeClass')}, as RuntimeClass ${runtimeName} runs its pods only on nodes labelled ${key}=${selectorValue(value)}. Remove nodeSelector.${key}; the RuntimeClass sets it.`,
              `${pod.specPath}.nodeSelector.${key}`,
            ),
          );
        }
      const overhead = pod.spec.overhead;
      if (overhead === undefined || overhead === null) continue;
      const classOverhead = runtimeClass?.overhead;
      const fix = 'Remove overhead and name a RuntimeClass that defines it (overhead.podFixed) in runtimeClassName.';
      if (classOverhead === undefined || classOverhead === null)
        out.push(
          finding(
            id,
            pod.object,
            `pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead: ${refuses('RuntimeClass')}, as ${runtimeName === undefined ? 'it names no RuntimeClass' : `RuntimeClass ${runtimeName} defines no overhead`}. ${fix}`,
            `${pod.specPath}.overhead`,
          ),
        );
      else {
        const own = rec(overhead) ?? {};
        if (Object.keys(own).length > 0 && !sameResources(own, rec(at(classOverhead, 'podFixed')) ?? {}))
          out.push(
            finding(
              id,
              pod.object,
              `pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead: ${refuses('RuntimeClass')}, which copies RuntimeClass ${runtimeName}'s overhead.podFixed into the pod. Remove overhead; the RuntimeClass sets it.`,
              `${pod.specPath}.overhead`,
            ),
          );
      }
    }
    return out;
  },
};
