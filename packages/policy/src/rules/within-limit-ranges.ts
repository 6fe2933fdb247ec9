import { podsOf, type ContainerView, type PodView } from '../pods.ts';
import { addQuantities, quantityMilliValue, quantityOf, quantityString, quantityValue, type Quantity } from '../quantity.ts';
import { at, finding, isKind, list, namespaceOf, nameOf, rec, str } from '../read.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'within-limit-ranges';

/** A resource's quantity, and the LimitRange whose default set it, if one did. */
interface Value {
  readonly q: Quantity;
  readonly from?: string;
}
type Resources = Map<string, Value>;
type Quantities = ReadonlyMap<string, Quantity>;

/** One item of a LimitRange's `spec.limits`, with the defaults the API server gives it when it creates the LimitRange. */
interface Item {
  /** Its index in `spec.limits`. */
  readonly at: number;
  readonly type: string;
  readonly min: Quantities;
  readonly max: Quantities;
  readonly default: Quantities;
  readonly defaultRequest: Quantities;
  readonly maxLimitRequestRatio: Quantities;
  /** The field of the item each default of `default` and `defaultRequest` comes from, as the server fills them in. */
  readonly defaultFrom: ReadonlyMap<string, Source>;
  readonly defaultRequestFrom: ReadonlyMap<string, Source>;
}
type Source = 'default' | 'defaultRequest' | 'max' | 'min';

interface Range {
  readonly object: PolicyObject;
  readonly name: string;
  readonly namespace: string;
  readonly items: readonly Item[];
}

/** The quantities of a resource list, in the order written; one the server cannot read is left to the checks of fields. */
function quantities(value: unknown): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(rec(value) ?? {})) {
    const q = quantityOf(v);
    if (q) out.set(k, q);
  }
  return out;
}

const cmp = (a: Quantity, b: Quantity) => (a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0);

/** An item as the server stores it: for a Container, `default` from `max`, `defaultRequest` from `default`, then from `min` (SetDefaults_LimitRangeItem). */
function itemOf(value: unknown, index: number): Item {
  const type = str(at(value, 'type')) ?? '';
  const min = quantities(at(value, 'min'));
  const max = quantities(at(value, 'max'));
  const defaults = quantities(at(value, 'default'));
  const defaultRequest = quantities(at(value, 'defaultRequest'));
  const defaultFrom = new Map<string, Source>([...defaults.keys()].map((k) => [k, 'default']));
  const defaultRequestFrom = new Map<string, Source>([...defaultRequest.keys()].map((k) => [k, 'defaultRequest']));
  if (type === 'Container') {
    for (const [k, q] of max)
      if (!defaults.has(k)) {
        defaults.set(k, q);
        defaultFrom.set(k, 'max');
      }
    for (const [k, q] of defaults)
      if (!defaultRequest.has(k)) {
        defaultRequest.set(k, q);
        defaultRequestFrom.set(k, defaultFrom.get(k)!);
      }
    for (const [k, q] of min)
      if (!defaultRequest.has(k)) {
        defaultRequest.set(k, q);
        defaultRequestFrom.set(k, 'min');
      }
  }
  return {
    at: index,
    type,
    min,
    max,
    default: defaults,
    defaultRequest,
    maxLimitRequestRatio: quantities(at(value, 'maxLimitRequestRatio')),
    defaultFrom,
    defaultRequestFrom,
  };
}

/**
 * Whether the server refuses to create the LimitRange (ValidateLimitRange): a type twice, a default on
 * a Pod item, a claim item without a storage bound, a ratio under 1, or bounds out of order. A refused
 * one limits nothing; its own problem is reported by the checks of fields.
 */
function refused(items: readonly Item[]): boolean {
  const types = new Set<string>();
  for (const item of items) {
    if (types.has(item.type)) return true;
    types.add(item.type);
    if (item.type === 'Pod' && (item.default.size > 0 || item.defaultRequest.size > 0)) return true;
    if (item.type === 'PersistentVolumeClaim' && !item.min.has('storage') && !item.max.has('storage')) return true;
    const one: Quantity = { nano: 1_000_000_000n, format: 'DecimalSI' };
    if ([...item.maxLimitRequestRatio.values()].some((r) => cmp(r, one) < 0)) return true;
    const keys = new Set([...item.min.keys(), ...item.max.keys(), ...item.default.keys(), ...item.defaultRequest.keys()]);
    for (const k of keys) {
      const [lo, hi, d, dr] = [item.min.get(k), item.max.get(k), item.default.get(k), item.defaultRequest.get(k)];
      const over = (a: Quantity | undefined, b: Quantity | undefined) => a !== undefined && b !== undefined && cmp(a, b) > 0;
      if (over(lo, hi) || over(lo, dr) || over(dr, hi) || over(dr, d) || over(lo, d) || over(d, hi)) return true;
    }
  }
  return false;
}

function rangeOf(object: PolicyObject, applied: string): Range | undefined {
  const items = list(at(object.manifest, 'spec', 'limits')).map((v, i) => itemOf(v, i));
  if (refused(items)) return undefined;
  return { object, name: nameOf(object) ?? '', namespace: namespaceOf(object, applied), items };
}

/** The LimitRanges in the namespace of `o`, in name order (the order their defaults are given in); a namespace unknown is one only within its file. */
function rangesOf(ranges: readonly Range[], o: PolicyObject, applied: string): Range[] {
  const namespace = namespaceOf(o, applied);
  return ranges
    .filter((r) => r.namespace === namespace && (namespace !== '' || r.object.file === o.file))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What the server compares: thousandths, unless a value is too large for them (requestLimitEnforcedValues). */
const MAX_MILLI = 9_223_372_036_854_775n;
function comparable(...qs: Quantity[]): bigint[] {
  const values = qs.map(quantityValue);
  return values.every((v) => v <= MAX_MILLI) ? qs.map(quantityMilliValue) : values;
}
const ZERO: Quantity = { nano: 0n, format: 'DecimalSI' };

/** A refusal of the plugin: its words, the field it is about, and the LimitRange whose default made the value it quotes. */
interface Refusal {
  readonly words: string;
  readonly field: 'requests' | 'limits';
  readonly key: string;
  readonly from?: string;
}

const shown = (v: Value) => quantityString(v.q);

/** minConstraint, maxConstraint and limitRequestRatioConstraint of plugin/pkg/admission/limitranger, in its words. */
function constraints(type: string, item: Item, requests: ReadonlyMap<string, Value>, limits: ReadonlyMap<string, Value>): Refusal[] {
  const out: Refusal[] = [];
  for (const [k, enforced] of item.min) {
    const req = requests.get(k);
    const lim = limits.get(k);
    const [r, l, e] = comparable(req?.q ?? ZERO, lim?.q ?? ZERO, enforced);
    const head = `minimum ${k} usage per ${type} is ${quantityString(enforced)}`;
    if (!req) out.push({ words: `${head}.  No request is specified`, field: 'requests', key: k });
    else if (r! < e!) out.push({ words: `${head}, but request is ${shown(req)}`, field: 'requests', key: k, ...from(req) });
    else if (lim && l! < e!) out.push({ words: `${head}, but limit is ${shown(lim)}`, field: 'limits', key: k, ...from(lim) });
  }
  for (const [k, enforced] of item.max) {
    const req = requests.get(k);
    const lim = limits.get(k);
    const [r, l, e] = comparable(req?.q ?? ZERO, lim?.q ?? ZERO, enforced);
    const head = `maximum ${k} usage per ${type} is ${quantityString(enforced)}`;
    if (type === 'PersistentVolumeClaim') {
      // maxRequestConstraint: a claim's storage limit is no input of the user's.
      if (!req) out.push({ words: `${head}.  No request is specified`, field: 'requests', key: k });
      else if (r! > e!) out.push({ words: `${head}, but request is ${shown(req)}`, field: 'requests', key: k });
    } else if (!lim) out.push({ words: `${head}.  No limit is specified`, field: 'limits', key: k });
    else if (l! > e!) out.push({ words: `${head}, but limit is ${shown(lim)}`, field: 'limits', key: k, ...from(lim) });
    else if (req && r! > e!) out.push({ words: `${head}, but request is ${shown(req)}`, field: 'requests', key: k, ...from(req) });
  }
  for (const [k, enforced] of item.maxLimitRequestRatio) {
    const req = requests.get(k);
    const lim = limits.get(k);
    const [r, l] = comparable(req?.q ?? ZERO, lim?.q ?? ZERO, enforced);
    const head = `${k} max limit to request ratio per ${type} is ${quantityString(enforced)}`;
    if (!req || r === 0n) out.push({ words: `${head}, but no request is specified or request is 0`, field: 'requests', key: k });
    else if (!lim || l === 0n) out.push({ words: `${head}, but no limit is specified or limit is 0`, field: 'limits', key: k });
    else {
      // float64 arithmetic, as the plugin's.
      const ratio = Number(l) / Number(r);
      const value = quantityValue(enforced);
      const [observed, bound] = value <= MAX_MILLI ? [ratio * 1000, Number(quantityMilliValue(enforced))] : [ratio, Number(value)];
      if (observed > bound) out.push({ words: `${head}, but provided ratio is ${ratio.toFixed(6)}`, field: 'limits', key: k, ...from(lim) });
    }
  }
  return out;
}

const from = (v: Value) => (v.from ? { from: v.from } : {});

/** A default a LimitRange gives a container, and the field of the LimitRange it comes from. */
interface Default {
  readonly q: Quantity;
  readonly path: string;
  readonly source: Source;
}

/** The defaults a LimitRange gives a container's limits and requests (defaultContainerResourceRequirements: a later Container item's replace an earlier one's). */
function containerDefaults(r: Range): { limits: Map<string, Default>; requests: Map<string, Default> } {
  const out = { limits: new Map<string, Default>(), requests: new Map<string, Default>() };
  const path = (item: Item, source: Source, k: string) => `spec.limits[${item.at}].${source}${k.includes('.') ? '' : `.${k}`}`;
  for (const item of r.items.filter((i) => i.type === 'Container')) {
    for (const [k, q] of item.defaultRequest) {
      const source = item.defaultRequestFrom.get(k)!;
      out.requests.set(k, { q, source, path: path(item, source, k) });
    }
    for (const [k, q] of item.default) {
      const source = item.defaultFrom.get(k)!;
      out.limits.set(k, { q, source, path: path(item, source, k) });
    }
  }
  return out;
}

/** The resources a container has once created: its own, requests defaulted to its limits (SetDefaults_Pod), then each LimitRange's defaults where it has none. */
function containerResources(c: ContainerView, ranges: readonly Range[]): { requests: Resources; limits: Resources } {
  const own = (field: string): Resources => new Map([...quantities(at(c.container, 'resources', field))].map(([k, q]) => [k, { q }]));
  const limits = own('limits');
  const requests = own('requests');
  for (const [k, v] of limits) if (!requests.has(k)) requests.set(k, { q: v.q });
  for (const r of ranges) {
    const defaults = containerDefaults(r);
    for (const [k, { q }] of defaults.limits) if (!limits.has(k)) limits.set(k, { q, from: r.name });
    for (const [k, { q }] of defaults.requests) if (!requests.has(k)) requests.set(k, { q, from: r.name });
  }
  return { requests, limits };
}

/**
 * Two LimitRanges of one namespace that give a container different defaults for one resource: the
 * LimitRanger admission plugin gives each container the defaults of the LimitRanges in the order its
 * informer lists them, which is not defined, so which default a container gets is not either. Said
 * at the field of the later of the two in name order (the order the other verdicts of this rule give
 * the defaults in), where it is one of `own`, so that a pair of LimitRanges of two apps is said once.
 * Defaults of equal quantities are one default, however written.
 */
function conflictingDefaults(ranges: readonly Range[], own: ReadonlySet<PolicyObject>, rule: string): RuleFinding[] {
  const out: RuleFinding[] = [];
  const derived = (d: Default, written: Source) => (d.source === written ? '' : ` (from its ${d.source})`);
  for (const later of ranges) {
    if (!own.has(later.object)) continue;
    const mine = containerDefaults(later);
    if (mine.limits.size === 0 && mine.requests.size === 0) continue;
    for (const earlier of ranges) {
      const sameNamespace = earlier.namespace === later.namespace && (later.namespace !== '' || earlier.object.file === later.object.file);
      if (!sameNamespace || !(earlier.name < later.name)) continue;
      const theirs = containerDefaults(earlier);
      // A default request made of the default limit is said with it.
      const said = new Set<string>();
      for (const field of ['limits', 'requests'] as const)
        for (const [k, d] of mine[field]) {
          const other = theirs[field].get(k);
          if (!other || cmp(other.q, d.q) === 0 || said.has(d.path)) continue;
          said.add(d.path);
          const [written, container] =
            field === 'limits'
              ? (['default', `a container that sets no ${k} limit`] as const)
              : (['defaultRequest', `a container that sets neither a ${k} request nor a limit`] as const);
          out.push(
            finding(
              rule,
              later.object,
              `LimitRange ${later.name} gives ${container} ${quantityString(d.q)}${derived(d, written)} by default, and LimitRange ${earlier.name} of namespace ${later.namespace || '(the one it is applied in)'} gives it ${quantityString(other.q)}${derived(other, written)}: the LimitRanger admission gives the default of the one it lists first, in an order that is not defined, so such a container gets either. Give the default in one LimitRange only, or make them agree.`,
              d.path,
            ),
          );
        }
    }
  }
  return out;
}

/** Resources whose request may be below its limit; the others (hugepages, extended resources) must be equal, which a workload's own validation already demands. */
const OVERCOMMITTED = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** The pod's requests or limits for Pod items: podRequests / podLimits of the plugin (sidecars add up, init containers count at their peak), pod-level resources over them. */
function podTotals(
  pod: PodView,
  each: ReadonlyMap<ContainerView, { requests: Resources; limits: Resources }>,
  field: 'requests' | 'limits',
): Resources {
  const add = (into: Resources, list: ReadonlyMap<string, Value>) => {
    for (const [k, v] of list) {
      const had = into.get(k);
      into.set(k, had ? { q: addQuantities(had.q, v.q) } : { q: v.q });
    }
  };
  const max = (into: Resources, list: ReadonlyMap<string, Value>) => {
    for (const [k, v] of list) {
      const had = into.get(k);
      if (!had || cmp(v.q, had.q) > 0) into.set(k, { q: v.q });
    }
  };
  const total: Resources = new Map();
  for (const [c, r] of each) if (c.group === 'containers') add(total, r[field]);
  const sidecars: Resources = new Map();
  const init: Resources = new Map();
  for (const [c, r] of each) {
    if (c.group !== 'initContainers') continue;
    if (c.sidecar) {
      add(total, r[field]);
      add(sidecars, r[field]);
      max(init, sidecars);
    } else {
      const tmp: Resources = new Map();
      add(tmp, r[field]);
      add(tmp, sidecars);
      max(init, tmp);
    }
  }
  max(total, init);
  // Pod-level resources (PodLevelResources, on since 1.34) replace the sums for cpu and memory.
  for (const [k, q] of quantities(at(pod.spec, 'resources', field))) if (k === 'cpu' || k === 'memory') total.set(k, { q });
  return total;
}

/**
 * Pods and claims the LimitRanger admission plugin refuses (plugin/pkg/admission/limitranger, on in
 * every cluster), against the LimitRanges of their namespace in the set and its cluster: each pod's
 * containers get the LimitRanges' defaults first (`default` a missing limit, `defaultRequest` a
 * missing request, a limit alone its request), then the `min`, `max` and `maxLimitRequestRatio` of
 * Container items are checked for every container and init container, those of Pod items for the
 * pod's totals, and a claim's storage request against PersistentVolumeClaim items. The plugin limits
 * Pods alone: a workload is admitted and every pod it makes is refused, so pod templates are judged
 * as the pods their controllers make, as are a StatefulSet's claim templates.
 */
export const withinLimitRanges: Rule = {
  id,
  description:
    "No pod a workload makes (every pod-bearing kind) nor claim falls outside a LimitRange of its namespace (min, max, maxLimitRequestRatio of its containers or the pod, storage of a claim) once the LimitRange's defaults are given, which the LimitRanger admission refuses in every cluster; nor do two LimitRanges of a namespace give a container different defaults for one resource, which the plugin applies in an undefined order. Its severity cannot be lowered.",
  defaultSeverity: 'error',
  fixedSeverity: true,
  check(objects, ctx) {
    const applied = ctx.applyNamespace ?? '';
    const ranges = [...objects, ...(ctx.limitRanges ?? [])].filter((o) => isKind(o, 'LimitRange')).flatMap((o) => rangeOf(o, applied) ?? []);
    if (ranges.length === 0) return [];
    const out: RuleFinding[] = conflictingDefaults(ranges, new Set(objects), id);
    const say = (o: PolicyObject, isPod: boolean, words: string, range: string | undefined, path: string, defaulted?: string) => {
      const kind = o.manifest.kind;
      const what = isPod
        ? `this ${kind}`
        : `every ${kind === 'StatefulSet' && path.includes('volumeClaimTemplates') ? 'claim' : 'pod'} this ${kind} makes, though it admits the ${kind} itself`;
      const by = range
        ? `LimitRange ${range} of namespace ${namespaceOf(o, applied) || '(the one it is applied in)'}`
        : 'the defaults of its LimitRanges';
      const given = defaulted ? ` (the value LimitRange ${defaulted} gives by default)` : '';
      out.push(
        finding(
          id,
          o,
          `${words}${given}: the API server refuses ${what} (LimitRanger admission, ${by}). Set the resources within the LimitRange, or change the LimitRange.`,
          path,
        ),
      );
    };
    for (const pod of podsOf(objects)) {
      const mine = rangesOf(ranges, pod.object, applied);
      if (mine.length === 0) continue;
      const containers = pod.containers.filter((c) => c.group !== 'ephemeralContainers');
      const each = new Map(containers.map((c) => [c, containerResources(c, mine)] as const));
      const at = (c: ContainerView, field: string, key: string) => `${c.path}.resources.${field}${key.includes('.') ? '' : `.${key}`}`;
      // A default that leaves a request over its limit makes the pod invalid before the plugin checks it (ValidateResourceRequirements).
      let invalid = false;
      for (const [c, { requests, limits }] of each) {
        for (const [k, req] of requests) {
          const lim = limits.get(k);
          if (!lim || !OVERCOMMITTED.has(k) || cmp(req.q, lim.q) <= 0 || (!req.from && !lim.from)) continue;
          invalid = true;
          say(
            pod.object,
            pod.isPod,
            // The field as the pod made from a template has it.
            `spec${c.path.slice(pod.specPath.length)}.resources.requests: Invalid value: "${shown(req)}": must be less than or equal to ${k} limit of ${shown(lim)}`,
            undefined,
            at(c, req.from ? 'limits' : 'requests', k),
            lim.from ?? req.from,
          );
        }
      }
      if (invalid) continue;
      for (const r of mine)
        for (const item of r.items) {
          if (item.type === 'Container')
            for (const [c, { requests, limits }] of each)
              for (const refusal of constraints('Container', item, requests, limits))
                say(pod.object, pod.isPod, refusal.words, r.name, at(c, refusal.field, refusal.key), refusal.from);
          if (item.type === 'Pod') {
            const requests = podTotals(pod, each, 'requests');
            const limits = podTotals(pod, each, 'limits');
            for (const refusal of constraints('Pod', item, requests, limits))
              say(pod.object, pod.isPod, refusal.words, r.name, `${pod.specPath}.containers`);
          }
        }
    }
    // Claims, and the claims a StatefulSet makes from its templates. One without a storage request is refused by the server's own checks first.
    const claims = objects.flatMap((o) => {
      if (isKind(o, 'PersistentVolumeClaim')) return [{ o, isPod: true, spec: at(o.manifest, 'spec'), path: 'spec' }];
      if (isKind(o, 'StatefulSet'))
        return list(at(o.manifest, 'spec', 'volumeClaimTemplates')).map((t, i) => ({
          o,
          isPod: false,
          spec: at(t, 'spec'),
          path: `spec.volumeClaimTemplates[${i}].spec`,
        }));
      return [];
    });
    for (const { o, isPod, spec, path } of claims) {
      const requests = new Map([...quantities(at(spec, 'resources', 'requests'))].map(([k, q]) => [k, { q }] as const));
      if (!requests.has('storage')) continue;
      for (const r of rangesOf(ranges, o, applied))
        for (const item of r.items.filter((i) => i.type === 'PersistentVolumeClaim'))
          for (const refusal of constraints('PersistentVolumeClaim', item, requests, new Map()))
            say(o, isPod, refusal.words, r.name, `${path}.resources.requests${refusal.key.includes('.') ? '' : `.${refusal.key}`}`);
    }
    return out;
  },
};
