import { posix } from 'node:path';
import { containerLabel, podsOf, type PodView } from '../pods.ts';
import { at, finding, findObject, isBuiltinKind, isKind, list, nameOf, namespaceOf, ofKind, rec, sameNamespace, str } from '../read.ts';
import type { PolicyContext, PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'resolve-references';

type RefKind = 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim' | 'ServiceAccount';

interface Ref {
  readonly kind: RefKind;
  readonly name: string;
  readonly path: string;
  /** Who refers, for the message: `container "app"`, `volume "config"`. */
  readonly by: string;
  /** An optional reference does not stop the pod when its target is missing. */
  readonly optional: boolean;
  /** For configMapKeyRef / secretKeyRef: the key that must exist in the object. */
  readonly key?: string;
}

function collect(pod: PodView): Ref[] {
  const refs: Ref[] = [];
  const add = (kind: RefKind, source: unknown, field: string, path: string, by: string, key?: unknown): void => {
    const s = rec(source);
    const name = str(s?.[field]);
    if (!s || !name) return;
    refs.push({ kind, name, path: `${path}.${field}`, by, optional: s.optional === true, ...(typeof key === 'string' && { key }) });
  };
  for (const c of pod.containers) {
    const by = containerLabel(c);
    list(c.container.envFrom).forEach((e, i) => {
      add('ConfigMap', at(e, 'configMapRef'), 'name', `${c.path}.envFrom[${i}].configMapRef`, by);
      add('Secret', at(e, 'secretRef'), 'name', `${c.path}.envFrom[${i}].secretRef`, by);
    });
    list(c.container.env).forEach((e, i) => {
      const cm = at(e, 'valueFrom', 'configMapKeyRef');
      const secret = at(e, 'valueFrom', 'secretKeyRef');
      add('ConfigMap', cm, 'name', `${c.path}.env[${i}].valueFrom.configMapKeyRef`, by, at(cm, 'key'));
      add('Secret', secret, 'name', `${c.path}.env[${i}].valueFrom.secretKeyRef`, by, at(secret, 'key'));
    });
  }
  list(pod.spec.volumes).forEach((v, i) => {
    const path = `${pod.specPath}.volumes[${i}]`;
    const by = `volume "${str(at(v, 'name')) ?? i}"`;
    add('ConfigMap', at(v, 'configMap'), 'name', `${path}.configMap`, by);
    add('Secret', at(v, 'secret'), 'secretName', `${path}.secret`, by);
    add('PersistentVolumeClaim', at(v, 'persistentVolumeClaim'), 'claimName', `${path}.persistentVolumeClaim`, by);
    list(at(v, 'projected', 'sources')).forEach((s, j) => {
      add('ConfigMap', at(s, 'configMap'), 'name', `${path}.projected.sources[${j}].configMap`, by);
      add('Secret', at(s, 'secret'), 'name', `${path}.projected.sources[${j}].secret`, by);
    });
  });
  list(pod.spec.imagePullSecrets).forEach((s, i) => add('Secret', s, 'name', `${pod.specPath}.imagePullSecrets[${i}]`, 'imagePullSecrets'));
  // Every namespace has a "default" ServiceAccount; any other must be part of the set.
  const serviceAccountField = pod.spec.serviceAccountName !== undefined ? 'serviceAccountName' : 'serviceAccount';
  if (str(pod.spec[serviceAccountField]) !== 'default') add('ServiceAccount', pod.spec, serviceAccountField, pod.specPath, 'the pod');
  return refs;
}

/**
 * Names of Secrets that objects in the set will create once applied, each kind by its group too
 * (External Secrets', Sealed Secrets', cert-manager's: a `Certificate` of another group makes no
 * Secret here); `applied` as in `namespaceOf`.
 */
function producedSecrets(objects: readonly PolicyObject[], namespace: string, applied: string): Set<string> {
  const names = new Set<string>();
  for (const o of objects) {
    if (!sameNamespace(namespaceOf(o, applied), namespace)) continue;
    const m = o.manifest;
    const own = nameOf(o);
    const add = (name: string | undefined): void => {
      if (name !== undefined) names.add(name);
    };
    if (isKind(o, 'ExternalSecret', 'PushSecret')) add(str(at(m, 'spec', 'target', 'name')) ?? own);
    if (isKind(o, 'SealedSecret')) add(str(at(m, 'spec', 'template', 'metadata', 'name')) ?? own);
    if (isKind(o, 'Certificate')) {
      const secretName = str(at(m, 'spec', 'secretName'));
      if (secretName) names.add(secretName);
    }
  }
  return names;
}

/** A ConfigMap or Secret that a kustomization (or component) of the set generates. */
interface Generated {
  readonly kind: 'ConfigMap' | 'Secret';
  /** The generator's name: kustomize adds its prefix, suffix and hash and rewrites the references to this name. */
  readonly name: string;
  /** Where it lands: the kustomization's namespace, else the generator's own; '' where its kustomization's objects land. */
  readonly namespace: string;
  /** Its keys, when the generator shows them all (literals, files, env files that could be read); else undefined. */
  readonly keys?: ReadonlySet<string>;
  /** The kustomization's field that generates it, for a message. */
  readonly field: 'configMapGenerator' | 'secretGenerator';
  /** The kustomization's file. */
  readonly file: string;
  /** Its name as its kustomization builds it: with its name prefix and suffix, and `<hash>` where kustomize adds one. */
  readonly built: string;
}

/** The key of a `KEY=value` literal or of a `key=path` file source; undefined when it has none. */
function keyBefore(source: string): string | undefined {
  const at = source.indexOf('=');
  return at > 0 ? source.slice(0, at) : undefined;
}

/**
 * The keys of an env file as kustomize reads it: one `KEY=value`, or a bare `KEY` (its value from
 * the environment), per line; blank lines and `#` comments skipped, leading blanks trimmed.
 */
function envFileKeys(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((line) => line.trimStart())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => keyBefore(line) ?? line.trimEnd());
}

/**
 * The keys of one generator: those of its literals, its files (`key=path`, or the file's name) and
 * its env files; undefined when one of them cannot be known (an env file that cannot be read), or
 * when it merges into or replaces a generator of another kustomization (`behavior`).
 */
function generatorKeys(g: unknown, file: string, read: PolicyContext['readFile']): Set<string> | undefined {
  const behavior = str(at(g, 'behavior'));
  if (behavior !== undefined && behavior !== 'create') return undefined;
  const keys = new Set<string>();
  for (const literal of list(at(g, 'literals'))) {
    const key = typeof literal === 'string' ? keyBefore(literal) : undefined;
    if (key === undefined) return undefined;
    keys.add(key);
  }
  for (const source of list(at(g, 'files'))) {
    if (typeof source !== 'string') return undefined;
    keys.add(keyBefore(source) ?? posix.basename(source));
  }
  const envs = [...list(at(g, 'envs')), ...(at(g, 'env') !== undefined ? [at(g, 'env')] : [])];
  for (const env of envs) {
    const text = typeof env === 'string' && read ? read(file, env) : undefined;
    if (text === undefined) return undefined;
    for (const key of envFileKeys(text)) keys.add(key);
  }
  return keys;
}

/**
 * The ConfigMaps and Secrets that the kustomizations (and components) of the set generate: a folder
 * walk holds the kustomization, not what it makes. kustomize adds its name prefix, suffix and hash to
 * a generated name and rewrites the references to the generator's name in the objects it builds, so
 * the name as written is the one a reference uses. Two generators of one name in one namespace (a
 * base's and an overlay's) leave its keys unknown.
 */
function generatedObjects(objects: readonly PolicyObject[], read: PolicyContext['readFile']): Generated[] {
  const found: Generated[] = [];
  for (const o of objects) {
    const m = o.manifest;
    if (!m.apiVersion.startsWith('kustomize.config.k8s.io/') || (m.kind !== 'Kustomization' && m.kind !== 'Component')) continue;
    for (const [field, kind] of [
      ['configMapGenerator', 'ConfigMap'],
      ['secretGenerator', 'Secret'],
    ] as const) {
      for (const g of list(m[field])) {
        const name = str(at(g, 'name'));
        if (!name) continue;
        // The kustomization's namespace wins over the generator's own, as kustomize builds it.
        const namespace = str(m.namespace) ?? str(at(g, 'namespace')) ?? '';
        const keys = generatorKeys(g, o.file, read);
        const hashed = (at(g, 'options', 'disableNameSuffixHash') ?? at(m, 'generatorOptions', 'disableNameSuffixHash')) !== true;
        const built = `${str(m.namePrefix) ?? ''}${name}${str(m.nameSuffix) ?? ''}${hashed ? '-<hash>' : ''}`;
        found.push({ kind, name, namespace, field, file: o.file, built, ...(keys ? { keys } : {}) });
      }
    }
  }
  return found.map((g) => {
    if (!g.keys || !found.some((h) => h !== g && h.kind === g.kind && h.name === g.name && h.namespace === g.namespace)) return g;
    const { keys: _unknown, ...rest } = g;
    return rest;
  });
}

/** Kustomize's generator suffix: a dash and ten characters of the content hash. */
const HASH_SUFFIX = /-[a-z0-9]{10}$/;

/**
 * The suffix only kustomize's hash spells: ten hex digits with 0, 1, 3, a and e written g, h, k, m and
 * t (api/hasher encode), so a plain name ending in a date (`settings-2024120701`) is none.
 */
const KUSTOMIZE_HASH = /-[2456789bcdfghkmt]{10}$/;

/** When a ConfigMap is missing only because of its hash suffix, the reason to give. */
function hashHint(objects: readonly PolicyObject[], name: string, namespace: string, applied: string): string {
  const stem = name.replace(HASH_SUFFIX, '');
  // A ConfigMap named only by generateName has no name to compare until the server gives it one.
  const other = ofKind(objects, 'ConfigMap')
    .filter((o) => sameNamespace(namespaceOf(o, applied), namespace))
    .map(nameOf)
    .find((n) => n !== undefined && n !== name && n.replace(HASH_SUFFIX, '') === stem);
  if (other === undefined) return '';
  return HASH_SUFFIX.test(other)
    ? `; the set has the generated "${other}", so reference the generator's plain name "${stem}" in the same kustomization and let Kustomize add the suffix`
    : `; the set has "${other}", so drop the hand-written hash suffix and let Kustomize add it`;
}

/**
 * For a set applied as written (`PolicyContext.applyNamespace`): why what a kustomization of the set
 * generates under the name `name` resolves no reference of the set's own objects, and the fix, if it
 * generates one; '' otherwise. kustomize names it and rewrites the references to it only in the
 * objects it builds.
 */
function builtApart(generated: readonly Generated[], ref: Ref, pod: PodView, namespace: string, applied: string): string {
  const g = generated.find((x) => x.kind === ref.kind && x.name === ref.name);
  if (!g) return '';
  const lands = g.namespace || applied;
  // Named from the referring file's folder, as the person reads both files.
  const kustomization = posix.relative(posix.dirname(pod.object.file), g.file);
  return (
    `${kustomization} makes "${ref.name}" with its ${g.field} only for what it builds (as "${g.built}" in namespace "${lands}"), ` +
    `and this file, which it does not list, is applied as written, into namespace "${namespace}": list the file in its resources`
  );
}

/** A field of an object that names a ConfigMap, and the namespace it names when it says one. */
interface ConfigMapRef {
  readonly name: string;
  readonly namespace?: string;
  readonly path: string;
}

/**
 * The ConfigMap references of an object outside its metadata, each with its path (the field that
 * names the ConfigMap), gathered in one walk:
 * - `typed`: its `{kind: ConfigMap, name}` ones (Flux's `postBuild.substituteFrom` and `valuesFrom`,
 *   say), and with `nested` its `configMap: {name}` ones (an ExternalSecret's `templateFrom`);
 * - `named`, with `byKey` (a custom resource): its string fields whose key says it names a ConfigMap
 *   (`configMapName`, `configMap`, `settingsConfigMap`: "configmap" in any case), and each string of
 *   a list under such a key (`configMaps: [settings]`, at `configMaps[0]`) or `name` of an object of
 *   such a list (`configMaps: [{name: settings}]`, at `configMaps[0].name`), or `name` of a single
 *   object under such a key (`configMapRef: {name: settings}`, at `configMapRef.name`).
 * An optional one is left out: its target may be missing; so is a field beside a `kind` other than
 * ConfigMap, which names no ConfigMap (an object with `kind: ConfigMap` is a typed one).
 * Each list is in `named` where its key is in the walk, its strings and objects in their order.
 */
function configMapRefs(
  value: unknown,
  path: string,
  out: { readonly typed: ConfigMapRef[]; readonly named: ConfigMapRef[] },
  nested: boolean,
  byKey: boolean,
): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => configMapRefs(v, `${path}[${i}]`, out, nested, byKey));
    return;
  }
  const r = rec(value);
  if (!r) return;
  const name = str(r.name);
  if (path !== '' && r.kind === 'ConfigMap' && name && r.optional !== true)
    out.typed.push({ name, ...(str(r.namespace) && { namespace: str(r.namespace) }), path: `${path}.name` });
  // `configMap: {name}` (an ExternalSecret's templateFrom), where no pod template's volume is: those are the pods' references.
  const nestedName = nested ? str(rec(r.configMap)?.name) : undefined;
  if (nestedName && rec(r.configMap)?.optional !== true) out.typed.push({ name: nestedName, path: `${path}.configMap.name` });
  const byThisKey = byKey && r.optional !== true && !(path !== '' && r.kind !== undefined && r.kind !== 'ConfigMap');
  for (const [k, v] of Object.entries(r)) {
    if (path === '' && k === 'metadata') continue;
    const at = path ? `${path}.${k}` : k;
    if (byThisKey && /configmap/i.test(k)) {
      if (typeof v === 'string' && v !== '') out.named.push({ name: v, path: at });
      if (Array.isArray(v))
        v.forEach((e, i) => {
          if (typeof e === 'string' && e !== '') out.named.push({ name: e, path: `${at}[${i}]` });
          // An object of the list names its ConfigMap by `name`; one with `kind: ConfigMap` is a typed reference, reached below.
          const inner = nameField(e);
          if (inner) out.named.push({ name: inner, path: `${at}[${i}].name` });
        });
      // A single object names its ConfigMap by `name` too (`configMapRef: {name}`); `configMap: {name}` is a typed one where `nested` reads it.
      const single = nested && k === 'configMap' ? undefined : nameField(v);
      if (single) out.named.push({ name: single, path: `${at}.name` });
    }
    if (typeof v !== 'string') configMapRefs(v, at, out, nested, byKey);
  }
}

/** The `name` of an object under a key that says configMap, unless it is optional or says a `kind` (a typed reference, or no ConfigMap). */
function nameField(value: unknown): string | undefined {
  const o = rec(value);
  return o && o.kind === undefined && o.optional !== true ? str(o.name) : undefined;
}

/** The ConfigMap of the set that kustomize generated from the plain name `name`, with its hash suffix, if there is one. */
function suffixedOf(objects: readonly PolicyObject[], name: string, namespace: string, applied: string): string | undefined {
  return ofKind(objects, 'ConfigMap')
    .filter((c) => sameNamespace(namespaceOf(c, applied), namespace))
    .map(nameOf)
    .find((n) => n !== undefined && KUSTOMIZE_HASH.test(n) && n.replace(KUSTOMIZE_HASH, '') === name);
}

/**
 * Where kustomize's own nameReference config (v5.8.1; kind ConfigMap in
 * api/internal/konfig/builtinpluginconsts/namereference.go of sigs.k8s.io/kustomize/api v0.21.1)
 * writes the hash suffix into a pod's ConfigMap references: the pod spec of these kinds, matched by
 * kind alone, whatever the group (a Pod by version v1 too). Not a ReplicationController's, which it
 * does not list, and of each spec only the fields of KUSTOMIZE_POD_FIELDS.
 */
const KUSTOMIZE_POD_SPECS: ReadonlyMap<string, string> = new Map([
  ['Pod', 'spec'],
  ['PodTemplate', 'template.spec'],
  ...['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job'].map((k): [string, string] => [k, 'spec.template.spec']),
  ['CronJob', 'spec.jobTemplate.spec.template.spec'],
]);

/**
 * The ConfigMap references of a pod spec that kustomize's nameReference config lists for each kind of
 * KUSTOMIZE_POD_SPECS (from the same file): containers' and init containers' envFrom configMapRef and
 * env valueFrom configMapKeyRef, configMap volumes and projected volumes' configMap sources. Not
 * ephemeral containers', which it leaves as written.
 */
const KUSTOMIZE_POD_FIELDS =
  /^\.(?:(?:containers|initContainers)\[\d+\]\.(?:envFrom\[\d+\]\.configMapRef|env\[\d+\]\.valueFrom\.configMapKeyRef)|volumes\[\d+\]\.(?:configMap|projected\.sources\[\d+\]\.configMap))\.name$/;

/** Whether kustomize writes the hash suffix into the pod's ConfigMap reference at `path`. */
function kustomizeSuffixes(pod: PodView, path: string): boolean {
  const { kind, apiVersion } = pod.object.manifest;
  const spec = KUSTOMIZE_POD_SPECS.get(kind);
  if (spec === undefined || pod.specPath !== spec || (kind === 'Pod' && apiVersion.split('/').at(-1) !== 'v1')) return false;
  return path.startsWith(spec) && KUSTOMIZE_POD_FIELDS.test(path.slice(spec.length));
}

/** Why a field kustomize does not know names the generated ConfigMap `generated` without its suffix, and the fix. */
function unsuffixedMessage(name: string, generated: string): string {
  return (
    `ConfigMap "${name}" is not in the set, which has the generated "${generated}": kustomize adds the hash suffix only to the references it knows, not to this field, so it names a ConfigMap that does not exist; ` +
    'make the ConfigMap without a hash suffix (options.disableNameSuffixHash: true on its generator; in a strata app, a ConfigMap without the generator annotation), or teach kustomize the field with configurations:.'
  );
}

/**
 * Where an object names a ConfigMap that is missing only because kustomize gave the generated one its
 * hash suffix: kustomize adds it to the references in the fields it knows (Kubernetes' own kinds'), not
 * to a custom resource's `{kind: ConfigMap, name}`, nor to its string field, list of names, list of
 * `{name}` or single `{name}` that names a ConfigMap (`spec.configMapName`, `spec.configMaps`,
 * `spec.configMapRef`) unless `configurations:` teaches it the field, so the field names a ConfigMap that does not exist (Flux stops reconciling, an
 * operator finds no settings). Judged on a built set: a folder walk holds the generator, not its output.
 */
function unsuffixedReferences(
  objects: readonly PolicyObject[],
  applied: string,
  pods: readonly { readonly pod: PodView; readonly refs: readonly Ref[] }[],
): RuleFinding[] {
  const out: RuleFinding[] = [];
  // A pod's own references (a configMap volume, envFrom's configMapRef) are the pod check's: said once, there.
  const podPaths = new Map<PolicyObject, Set<string>>();
  for (const { pod, refs } of pods) {
    const paths = podPaths.get(pod.object) ?? new Set<string>();
    for (const ref of refs) paths.add(ref.path);
    podPaths.set(pod.object, paths);
  }
  for (const o of objects) {
    if (o.manifest.apiVersion.startsWith('kustomize.config.k8s.io/')) continue;
    const found = { typed: [] as ConfigMapRef[], named: [] as ConfigMapRef[] };
    // Only a custom resource's fields are read by their key: Kubernetes' own kinds name a ConfigMap where kustomize knows it.
    configMapRefs(o.manifest, '', found, !podPaths.has(o), !isBuiltinKind(o));
    const ofPods = podPaths.get(o);
    // The typed references first: the order the findings have always had.
    for (const ref of [...found.typed, ...found.named.filter((r) => !ofPods?.has(r.path))]) {
      const namespace = ref.namespace ?? namespaceOf(o, applied);
      if (findObject(objects, 'ConfigMap', ref.name, namespace, applied)) continue;
      const generated = suffixedOf(objects, ref.name, namespace, applied);
      if (generated === undefined) continue;
      out.push(finding(id, o, unsuffixedMessage(ref.name, generated), ref.path));
    }
  }
  return out;
}

function keysOf(object: PolicyObject, kind: RefKind): Set<string> {
  const fields = kind === 'Secret' ? ['data', 'stringData'] : ['data', 'binaryData'];
  return new Set(fields.flatMap((f) => Object.keys(rec(object.manifest[f]) ?? {})));
}

export const resolveReferences: Rule = {
  id,
  description:
    'ConfigMaps, PersistentVolumeClaims and ServiceAccounts a pod refers to exist in the set (or a kustomization in it generates them); Secrets exist or are produced by an ExternalSecret in it (else a warning); ' +
    'the key a pod reads of a ConfigMap or Secret (configMapKeyRef, secretKeyRef) is one it has, where the set shows its keys; ' +
    "a custom resource's {kind: ConfigMap, name} (Flux's substituteFrom, valuesFrom), configMap: {name} (an ExternalSecret's templateFrom) or string field whose key says configMap (spec.configMapName), alone or in a list (spec.configMaps), or name of an object in such a list (spec.configMaps[0].name) or under such a key (spec.configMapRef.name), or reference of its pod template (KEDA's ScaledJob: envFrom, configMapKeyRef, a configMap volume), or a ReplicationController's pod reference or an ephemeral container's, which kustomize does not rewrite either, does not name a generated ConfigMap without the hash suffix kustomize gave it.",
  defaultSeverity: 'error',
  check(objects, ctx) {
    const out: RuleFinding[] = [];
    const generated = generatedObjects(objects, ctx.readFile);
    // Applied as written, an object without a namespace lands in the one kubectl applies it into, and
    // a generated object exists only under the name and in the namespace its kustomization's build gives it.
    const applied = ctx.applyNamespace ?? '';
    const reaches = (g: Generated, name: string, namespace: string) =>
      applied === '' ? g.name === name && sameNamespace(g.namespace, namespace) : g.built === name && (g.namespace || applied) === namespace;
    // Each pod and its references, read once: the custom resources' check below needs them too.
    const pods = podsOf(objects).map((pod) => ({ pod, refs: collect(pod) }));
    for (const { pod, refs } of pods) {
      const namespace = pod.namespace || applied;
      // One missing object is one finding per workload, at its first reference, however often it is used.
      const reported = new Set<string>();
      for (const ref of refs) {
        const target = findObject(objects, ref.kind, ref.name, namespace, applied);
        if (target) {
          if (ref.key !== undefined && !ref.optional && !keysOf(target, ref.kind).has(ref.key)) {
            out.push(
              finding(
                id,
                pod.object,
                `${ref.kind} "${ref.name}" has no key "${ref.key}" that ${ref.by} reads: add the key or fix the reference.`,
                ref.path.replace(/\.name$/, '.key'),
              ),
            );
          }
          continue;
        }
        if (ref.optional) continue;
        const made = generated.filter((g) => g.kind === ref.kind && reaches(g, ref.name, namespace));
        if (made.length > 0) {
          // Its keys are checked where the generators show them all.
          const keys = made.every((g) => g.keys) ? new Set(made.flatMap((g) => [...g.keys!])) : undefined;
          if (ref.key !== undefined && keys && !keys.has(ref.key)) {
            out.push(
              finding(
                id,
                pod.object,
                `${ref.kind} "${ref.name}" has no key "${ref.key}" that ${ref.by} reads: add the key to the ${made[0]!.field} that makes it or fix the reference.`,
                ref.path.replace(/\.name$/, '.key'),
              ),
            );
          }
          continue;
        }
        if (reported.has(`${ref.kind}/${ref.name}`)) continue;
        reported.add(`${ref.kind}/${ref.name}`);
        if (ref.kind === 'Secret') {
          if (producedSecrets(objects, namespace, applied).has(ref.name)) continue;
          const apart = applied === '' ? '' : builtApart(generated, ref, pod, namespace, applied);
          out.push({
            ...finding(
              id,
              pod.object,
              `Secret "${ref.name}" used by ${ref.by} is neither in the set nor produced by an ExternalSecret in it: it must exist in the cluster before the pod starts, or add an ExternalSecret whose target is "${ref.name}"${apart && `; ${apart}`}.`,
              ref.path,
            ),
            // Out-of-band Secrets are legitimate; the build cannot see the cluster, so it only warns.
            severity: 'warning',
          });
          continue;
        }
        const apart = applied === '' ? '' : builtApart(generated, ref, pod, namespace, applied);
        // kustomize writes the suffix into the pod references its nameReference config lists: in a
        // custom resource's pod template (KEDA's ScaledJob), a ReplicationController's and ephemeral
        // containers' it leaves the plain name as written, unless a custom kind has the name and pod
        // spec of a listed one.
        const unknown = !kustomizeSuffixes(pod, ref.path);
        const suffixed = ref.kind === 'ConfigMap' && apart === '' && unknown ? suffixedOf(objects, ref.name, namespace, applied) : undefined;
        if (suffixed !== undefined) {
          out.push(finding(id, pod.object, unsuffixedMessage(ref.name, suffixed), ref.path));
          continue;
        }
        const fix =
          ref.kind === 'ConfigMap'
            ? apart || `add it (or its configMapGenerator) or fix the name${hashHint(objects, ref.name, namespace, applied)}`
            : ref.kind === 'PersistentVolumeClaim'
              ? 'add the claim, or use volumeClaimTemplates in a StatefulSet'
              : 'add the ServiceAccount or fix the name';
        out.push(finding(id, pod.object, `${ref.kind} "${ref.name}" used by ${ref.by} is not in the set: ${fix}.`, ref.path));
      }
    }
    out.push(...unsuffixedReferences(objects, applied, pods));
    return out;
  },
};
