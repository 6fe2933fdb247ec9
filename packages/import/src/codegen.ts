import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { ENVIRONMENTS, formatPins, groupOf, isPlainObject, ownField, setOwnField, type Environment, type ImagePins } from '@strata/core';
import { parseImage } from '@strata/emit';
import { Leaf, Ref, type Model, type ModelObject } from './model.ts';
import { KitCall, useKit } from './kit.ts';
import { IMPORTED_REASON, type ImportedException } from './policy.ts';

/** Where the model classes are looked up: this package depends on every model package an app may use. */
export const MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');
const MODEL_PACKAGES = [
  'kubernetes-models',
  '@kubernetes-models/cert-manager',
  '@kubernetes-models/external-secrets',
  '@kubernetes-models/keda',
  '@kubernetes-models/prometheus-operator',
  '@kubernetes-models/traefik',
  '@kubernetes-models/argo-cd',
];

/** The module of a kind's typed model (`kubernetes-models/apps/v1/Deployment`), or undefined when Strata has none. */
export function modelModule(apiVersion: string, kind: string): { pkg: string; spec: string } | undefined {
  const group = groupOf(apiVersion);
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  const sub = group ? `${group}/${version}/${kind}` : `v1/${kind}`;
  if (!group && apiVersion !== 'v1') return undefined;
  for (const pkg of MODEL_PACKAGES) {
    const dir = join(MODULES, pkg);
    if (!existsSync(dir)) continue;
    if (existsSync(join(realpathSync(dir), `${sub}.js`))) return { pkg, spec: `${pkg}/${sub}` };
  }
  return undefined;
}

// Fields whose values are enumerations in the models: typed as the literals seen, so they stay assignable.
const ENUMS = new Set([
  'type',
  'protocol',
  'pathType',
  'imagePullPolicy',
  'restartPolicy',
  'operator',
  'effect',
  'dnsPolicy',
  'concurrencyPolicy',
  'policyTypes',
  'accessModes',
  'volumeMode',
  'whenUnsatisfiable',
  'creationPolicy',
  'deletionPolicy',
  'kind',
  'sessionAffinity',
  'externalTrafficPolicy',
  'internalTrafficPolicy',
  'podManagementPolicy',
  'reclaimPolicy',
  'scope',
]);

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
// `__proto__: v` (quoted too) in an object literal sets the object's prototype, and the key is
// lost; `['__proto__']: v` makes it a field, as it is in the source.
const key = (k: string) => (k === '__proto__' ? `[${quote(k)}]` : IDENT.test(k) ? k : quote(k));
const access = (path: readonly string[]) => path.map((p) => (IDENT.test(p) && p !== '__proto__' ? `.${p}` : `[${quote(p)}]`)).join('');

/**
 * A string literal that evaluates to `s`: long text with line breaks as a template literal, whose
 * lines stay readable. A template turns CR and CRLF into LF, so a CR is written as an escape.
 */
export function quote(s: string): string {
  if (s.includes('\n') && s.length > 40) return `\`${s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${').replace(/\r/g, '\\r')}\``;
  return `'${s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')}'`;
}

const WIDTH = 140;

/** A JS expression for a value, on one line when it fits, else one entry per line. */
function print(
  value: unknown,
  indent: string,
  atom: (v: unknown) => string | undefined,
  spread?: (k: string, v: unknown) => string | undefined,
): string {
  const own = atom(value);
  if (own !== undefined) return own;
  if (typeof value === 'string') return quote(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = value.map((v) => print(v, inner, atom, spread));
    const flat = `[${items.join(', ')}]`;
    if (flat.length + indent.length <= WIDTH && !flat.includes('\n')) return flat;
    return `[\n${items.map((i) => `${inner}${i},`).join('\n')}\n${indent}]`;
  }
  if (isPlainObject(value)) {
    const entries = ordered(value).map(([k, v]) => spread?.(k, v) ?? `${key(k)}: ${print(v, inner, atom, spread)}`);
    if (entries.length === 0) return '{}';
    const flat = `{ ${entries.join(', ')} }`;
    if (flat.length + indent.length <= WIDTH && !flat.includes('\n')) return flat;
    return `{\n${entries.map((e) => `${inner}${e},`).join('\n')}\n${indent}}`;
  }
  throw new Error(`cannot write ${String(value)} as code`);
}

// Kustomize writes keys in alphabetical order; the code reads better with the identity first.
const FIRST = ['metadata', 'name', 'namespace', 'labels', 'annotations', 'image', 'spec'];
const ordered = (value: Record<string, unknown>) =>
  Object.entries(value).sort(
    ([a], [b]) => (FIRST.includes(a) ? FIRST.indexOf(a) : FIRST.length) - (FIRST.includes(b) ? FIRST.indexOf(b) : FIRST.length),
  );

const literal = (value: unknown, indent = '') => print(value, indent, () => undefined);

/** The value most envs have; prod's when they all differ. */
function majority(values: Record<Environment, unknown>): unknown {
  const counts = new Map<string, number>();
  for (const env of ENVIRONMENTS) counts.set(JSON.stringify(values[env]), (counts.get(JSON.stringify(values[env])) ?? 0) + 1);
  const best = Math.max(...counts.values());
  const env = [...ENVIRONMENTS].reverse().find((e) => counts.get(JSON.stringify(values[e])) === best)!;
  return values[env];
}

/** A TypeScript type for the values a leaf takes. */
function typeOf(values: readonly unknown[], field: string): string {
  const parts: string[] = [];
  const nonNull = values.filter((v) => v !== null && v !== undefined);
  if (nonNull.length < values.length) parts.push('null');
  const strings = nonNull.filter((v): v is string => typeof v === 'string');
  if (strings.length > 0) parts.unshift(ENUMS.has(field) ? [...new Set(strings)].map(quote).join(' | ') : 'string');
  if (nonNull.some((v) => typeof v === 'number')) parts.unshift('number');
  if (nonNull.some((v) => typeof v === 'boolean')) parts.unshift('boolean');
  const arrays = nonNull.filter(Array.isArray);
  if (arrays.length > 0) {
    const items = arrays.flat();
    const item = items.length > 0 ? typeOf(items, field) : 'never';
    parts.unshift(/[|&]/.test(item) ? `(${item})[]` : `${item}[]`);
  }
  const objects = nonNull.filter(isPlainObject);
  if (objects.length > 0) {
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
    const fields = keys.map((k) => {
      const has = objects.filter((o) => Object.hasOwn(o, k));
      return `readonly ${key(k)}${has.length < objects.length ? '?' : ''}: ${typeOf(
        has.map((o) => o[k]),
        k,
      )}`;
    });
    parts.unshift(fields.length === 0 ? 'Record<string, never>' : `{ ${fields.join('; ')} }`);
  }
  return parts.length > 0 ? parts.join(' | ') : 'unknown';
}

/** Whether a template holds a key `__proto__` anywhere, config values included. */
function holdsProtoKey(value: unknown): boolean {
  if (value instanceof Leaf) return Object.values(value.values).some(holdsProtoKey);
  if (Array.isArray(value)) return value.some(holdsProtoKey);
  if (!isPlainObject(value)) return false;
  return Object.hasOwn(value, '__proto__') || Object.values(value).some(holdsProtoKey);
}

/** What differs from `base` in `value`: objects field by field, anything else whole; undefined when nothing does. */
function difference(base: unknown, value: unknown): unknown {
  if (isDeepStrictEqual(base, value)) return undefined;
  if (isPlainObject(base) && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const d = difference(ownField(base, k), v);
      if (d !== undefined) setOwnField(out, k, d);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
}

/**
 * The declaration in `optional` of what `values` hold, down to the items of their lists: `true` for a
 * scalar (or values of more than one shape), an object's keys, `[...]` a list's items. The env
 * files' keys are checked against it, as the items of the defaults' lists say less (an empty list
 * nothing at all, and an env whose items have other keys would be refused).
 */
function itemKeys(values: readonly unknown[]): unknown {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length > 0 && present.every(Array.isArray)) {
    const item = itemKeys(present.flat());
    return item === true ? true : [item];
  }
  if (present.length > 0 && present.every(isPlainObject)) {
    const out: Record<string, unknown> = {};
    for (const k of new Set(present.flatMap((o) => Object.keys(o))))
      setOwnField(out, k, itemKeys(present.filter((o) => Object.hasOwn(o, k)).map((o) => o[k])));
    return out;
  }
  return true;
}

function setAt(tree: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const p of path.slice(0, -1)) {
    if (!isPlainObject(node[p])) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

const PIN_TAG = /^[\w][\w.-]{0,127}$/;
const PIN_DIGEST = /^sha256:[a-f0-9]{64}$/;

interface ImageValue {
  readonly repository: string;
  readonly tag?: string | null;
  readonly digest?: string | null;
}

export interface GeneratedApp {
  /** Files by path relative to apps/<name>/. */
  readonly files: Map<string, string>;
  /** Model packages the app imports, for its package.json. */
  readonly packages: string[];
}

/** Writes the app's sources: config, env files, render, app, images.json, package.json, test and README. */
export function generateApp(
  name: string,
  model: Model,
  exceptions: readonly ImportedException[] = [],
  options: { readonly allowSystemNamespace?: boolean } = {},
): GeneratedApp {
  const leaves = model.leaves;
  const images = leaves.filter((l) => l.kind === 'image');
  const parsed = (l: Leaf, env: Environment) => parseImage(l.values[env] as string);
  // images.json takes the pins when every image of every env has a tag or digest it accepts.
  const pinned =
    images.length > 0 &&
    images.every((l) =>
      ENVIRONMENTS.every((e) => {
        const p = parsed(l, e);
        return (
          (p.tag !== undefined || p.digest !== undefined) &&
          (p.tag === undefined || PIN_TAG.test(p.tag)) &&
          (p.digest === undefined || PIN_DIGEST.test(p.digest))
        );
      }),
    );
  const imageValue = (l: Leaf, env: Environment): ImageValue => {
    const p = parsed(l, env);
    return pinned
      ? { repository: p.repo, ...(p.tag ? { tag: p.tag } : {}), ...(p.digest ? { digest: p.digest } : {}) }
      : { repository: p.repo, tag: p.tag ?? null, digest: p.digest ?? null };
  };
  const valueOf = (l: Leaf, env: Environment): unknown => (l.kind === 'image' ? imageValue(l, env) : l.values[env]);

  // The config: one leaf per path (shared leaves hold the same values).
  const byPath = new Map<string, Leaf>();
  for (const l of leaves) if (!byPath.has(l.path.join('\u0000'))) byPath.set(l.path.join('\u0000'), l);
  const unique = [...byPath.values()];
  const defaults: Record<string, unknown> = {};
  const types: Record<string, unknown> = {};
  const envConfig = Object.fromEntries(ENVIRONMENTS.map((e) => [e, {} as Record<string, unknown>])) as Record<Environment, Record<string, unknown>>;
  const optional: Record<string, unknown> = {};
  for (const l of unique) {
    const values = Object.fromEntries(ENVIRONMENTS.map((e) => [e, valueOf(l, e)])) as Record<Environment, unknown>;
    const base = majority(values);
    setAt(defaults, l.path, base);
    const field = l.names[0] ?? '';
    setAt(
      types,
      l.path,
      l.kind === 'image'
        ? pinned
          ? 'ImageSource'
          : '{ readonly repository: string; readonly tag: string | null; readonly digest: string | null }'
        : typeOf(Object.values(values), field),
    );
    for (const env of ENVIRONMENTS) {
      if (l.kind === 'image' && pinned) continue;
      const d = difference(base, values[env]);
      if (d !== undefined) setAt(envConfig[env], l.path, d);
    }
    // Keys an env may set that the defaults leave out (a digest, fields of a value that is null by default).
    if (l.kind === 'image' && pinned) setAt(optional, l.path, 'IMAGE_SOURCE_KEYS');
    else if (Object.values(values).some((v) => isPlainObject(v) || v === null)) setAt(optional, l.path, true);
    else {
      // A list an env sets whole: its items' keys, for the items of another env than the defaults' (or of an empty list).
      const items = itemKeys(Object.values(values));
      if (items !== true) setAt(optional, l.path, items);
    }
  }
  const pins: Record<string, Record<string, ImageValue>> = {};
  if (pinned) {
    const pinKeys = new Map<string, Leaf>();
    for (const l of images) pinKeys.set(l.path[1]!, l);
    for (const env of ENVIRONMENTS) {
      // Only the images that differ from the defaults: the file says what each env pins.
      for (const [k, l] of pinKeys) {
        const v = imageValue(l, env);
        if (!isDeepStrictEqual(v, (defaults.images as Record<string, unknown>)[k])) (pins[env] ??= {})[k] = v;
      }
    }
  }

  const printType = (t: unknown, indent: string): string => {
    if (typeof t === 'string') return t;
    const inner = `${indent}  `;
    return `{\n${Object.entries(t as Record<string, unknown>)
      .map(([k, v]) => `${inner}readonly ${key(k)}: ${printType(v, inner)};`)
      .join('\n')}\n${indent}}`;
  };

  const files = new Map<string, string>();
  const usesImageSource = pinned;
  files.set(
    'src/config.ts',
    `${usesImageSource ? "import type { ImageSource } from '@strata/core';\n\n" : ''}/** What differs between the envs of ${name}, as imported: everything else is written once, in render.ts. */
export interface Config ${printType(types, '')}

/** The values most envs share; each env file holds only its differences. */
export const defaults: Config = ${literal(defaults)};
`,
  );
  for (const env of ENVIRONMENTS) {
    const config = envConfig[env];
    const body = Object.keys(config).length > 0 ? literal({ config }) : '{}';
    files.set(
      `src/env/${env}.ts`,
      `import type { EnvironmentDefinition } from '@strata/core';
import type { Config } from '../config.ts';

/** ${env}: ${Object.keys(config).length > 0 ? 'what differs from the defaults' : 'the defaults'}${pinned && pins[env] ? '; its images are pinned in images.json' : ''}. */
export const ${env}: EnvironmentDefinition<Config> = ${body};
`,
    );
  }

  // render.ts: one typed object per imported object, optional ones behind their switch.
  const classes = new Map<string, string>();
  const packages = new Set<string>();
  const className = (o: ModelObject) => {
    const m = modelModule(o.apiVersion, o.kind);
    // A model copies its fields by assignment, which drops a key `__proto__`: such an object is
    // written as a plain object, which keeps it.
    if (!m || holdsProtoKey(o.template)) return undefined;
    const taken = [...classes.entries()].find(([, spec]) => spec === m.spec);
    if (taken) return taken[0];
    let local = o.kind;
    for (let i = 2; classes.has(local); i++) local = `${o.kind}${i}`;
    classes.set(local, m.spec);
    packages.add(m.pkg);
    return local;
  };
  let usesGenerated = false;
  const kitUsed = new Set<string>();
  const atom = (v: unknown): string | undefined => {
    if (v instanceof KitCall) {
      kitUsed.add(v.fn);
      return `${v.fn}(${v.arg === undefined ? '' : print(v.arg, '      ', atom, optionalField)})`;
    }
    if (v instanceof Ref) return v.to === 'namespace' ? 'c.namespace' : `name(${quote(v.base)})`;
    if (v instanceof Leaf) {
      if (v.kind === 'image') return `ref(c${access(v.path)})`;
      return `c${access(v.path)}${v.nullable ? ' ?? undefined' : ''}`;
    }
    return undefined;
  };
  // A field that some envs lack is there only when its config value is not null.
  const optionalField = (k: string, v: unknown): string | undefined =>
    v instanceof Leaf && v.kind === 'value' && v.nullable ? `...(c${access(v.path)} === null ? {} : { ${key(k)}: c${access(v.path)} })` : undefined;
  const objects = model.objects.map((o) => {
    const kit = useKit(o.kind, o.template);
    const sw = leaves.find((l) => l.kind === 'switch' && l.group === o.group && l.names[1] === o.kind);
    if (kit.whole && !o.generated) return { sw, expr: atom(kit.whole)! };
    const cls = className(o);
    let fields = kit.template;
    if (o.generated) {
      // The marker that makes emit write a configMapGenerator, so the ConfigMap keeps its hash suffix.
      usesGenerated = true;
      const metadata = fields.metadata as Record<string, unknown>;
      // Annotations that differ as a whole per env (a leaf) are spread in beside the marker.
      const own = metadata.annotations;
      const annotations = isPlainObject(own) ? own : own === undefined ? {} : { '[SPREAD]': own };
      fields = { ...fields, metadata: { ...metadata, annotations: { ...annotations, '[GENERATED]': 'configmap' } } };
    }
    const spreadOrOptional = (k: string, v: unknown) => (k === '[SPREAD]' ? `...(${atom(v) ?? literal(v)})` : optionalField(k, v));
    const body = print(fields, '    ', atom, spreadOrOptional).replace(/'\[GENERATED\]'/g, '[GENERATED_ANNOTATION]');
    const expr = cls ? `new ${cls}(${body})` : `{ apiVersion: ${quote(o.apiVersion)}, kind: ${quote(o.kind)}, ...${body} }`;
    return { sw, expr };
  });
  const prefixLeaf = leaves.find((l) => l.kind === 'namePrefix');
  const suffixLeaf = leaves.find((l) => l.kind === 'nameSuffix');
  const imports = [
    usesGenerated || kitUsed.size > 0
      ? `import { ${[...(usesGenerated ? ['GENERATED_ANNOTATION'] : []), ...[...kitUsed].sort(), 'type KubeObject'].join(', ')} } from '@strata/core';`
      : "import type { KubeObject } from '@strata/core';",
    ...[...classes.entries()]
      .sort(([, a], [, b]) => a.localeCompare(b))
      .map(([local, spec]) =>
        spec.endsWith(`/${local}`)
          ? `import { ${local} } from '${spec}';`
          : `import { ${spec.slice(spec.lastIndexOf('/') + 1)} as ${local} } from '${spec}';`,
      ),
    "import type { Config } from './config.ts';",
  ];
  const helpers = [
    ...(model.usesName
      ? [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated app's own template literal, written as text
          `  // Kustomize's namePrefix and nameSuffix of each env, and every reference to a renamed object.\n  const name = (base: string) => \`${prefixLeaf ? '${c.namePrefix}' : ''}\${base}${suffixLeaf ? '${c.nameSuffix}' : ''}\`;`,
        ]
      : []),
    ...(images.length > 0
      ? [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated app's own template literal, written as text
          "  const ref = (i: { readonly repository: string; readonly tag?: string | null; readonly digest?: string | null }) => `${i.repository}${i.tag ? `:${i.tag}` : ''}${i.digest ? `@${i.digest}` : ''}`;",
        ]
      : []),
  ];
  files.set(
    'src/render.ts',
    `${imports.join('\n')}

/** The objects of ${name}, imported from its Kustomize or YAML sources; what differs per env comes from \`c\`. */
export function render(c: Config): KubeObject[] {
${helpers.length > 0 ? `${helpers.join('\n')}\n` : ''}  const objects: KubeObject[] = [
${objects
  .filter((o) => !o.sw)
  .map((o) => `    ${o.expr},`)
  .join('\n')}
  ];
${objects
  .filter((o) => o.sw)
  .map((o) => `  if (c${access(o.sw!.path)}) {\n    objects.push(${o.expr});\n  }\n`)
  .join('')}  return objects;
}
`,
  );

  const imagePaths = Object.fromEntries(images.map((l) => [l.path[1]!, `images.${l.path[1]}`]));
  const optionalText =
    Object.keys(optional).length > 0 ? `  optional: ${literal(optional, '  ').replace(/'IMAGE_SOURCE_KEYS'/g, 'IMAGE_SOURCE_KEYS')},\n` : '';
  // The app was let into Kubernetes' own namespaces, which no-platform-namespace refuses for every app that does not say so.
  const systemText = options.allowSystemNamespace
    ? "    // Imported with --allow-system-namespace: the app belongs in Kubernetes' own namespaces.\n    allowSystemNamespace: true,\n"
    : '';
  const exceptionsText =
    exceptions.length > 0
      ? `    exceptions: [\n${exceptions.map((e) => `      { rule: ${quote(e.rule)}, kind: ${quote(e.kind)}${e.name !== undefined ? `, name: ${quote(e.name)}` : ''}, reason: IMPORTED },`).join('\n')}\n    ],\n`
      : '';
  const policyText = systemText || exceptionsText ? `  policy: {\n${systemText}${exceptionsText}  },\n` : '';
  files.set(
    'src/app.ts',
    `import { defineApp${optionalText.includes('IMAGE_SOURCE_KEYS') ? ', IMAGE_SOURCE_KEYS' : ''} } from '@strata/core';
import { defaults } from './config.ts';
import { dev } from './env/dev.ts';
import { prod } from './env/prod.ts';
import { staging } from './env/staging.ts';
import { render } from './render.ts';
${pinned ? "import pins from '../images.json';\n" : ''}${exceptionsText ? `\n// The policy findings of the original, kept so that it deploys as it did: harden with the kit, then delete them.\nconst IMPORTED = ${quote(IMPORTED_REASON)};\n` : ''}
/** ${name}: imported by \`strata import\`; edit config.ts and env/*.ts, then \`npx strata generate\`. */
export const app = defineApp({
  name: ${quote(name)},
  defaults,
${pinned ? `  // Image pins per env live in images.json, which \`strata set image\` and \`strata promote\` edit.\n  images: ${literal(imagePaths, '  ')},\n  pins,\n` : ''}${optionalText}  envs: { dev, staging, prod },
${policyText}  render,
});
`,
  );
  if (pinned) files.set('images.json', formatPins(pins as ImagePins));
  files.set('test/app.test.ts', testFile(name, model));
  return { files, packages: [...packages].sort() };
}

/** A test like the seed apps': each env builds, with the kustomize of the repository, to what was imported. */
function testFile(name: string, model: Model): string {
  const expected = Object.fromEntries(
    ENVIRONMENTS.map((env) => {
      const objects = model.expected[env];
      const workloads = objects.filter((m) => isPlainObject(m.spec) && isPlainObject((m.spec as Record<string, unknown>).template));
      return [
        env,
        {
          objects: objects.map((m) => `${m.kind}/${m.metadata.name}`).sort(),
          replicas: Object.fromEntries(
            workloads
              .filter((m) => typeof (m.spec as Record<string, unknown>).replicas === 'number')
              .map((m) => [`${m.kind}/${m.metadata.name}`, (m.spec as Record<string, unknown>).replicas]),
          ),
          images: [...new Set(workloads.flatMap((m) => JSON.stringify(m).match(/"image":"[^"]+"/g) ?? []).map((s) => s.slice(9, -1)))].sort(),
        },
      ];
    }),
  );
  return `import { beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Manifest } from '@strata/core';
import { buildApp } from '@strata/testing';

const APP = ${quote(name)};
const ENVS: Environment[] = ['dev', 'staging', 'prod'];

// What each env built to when the app was imported (generated names without their hash suffix).
const expected = ${literal(expected)};

const built = {} as Record<Environment, Manifest[]>;
beforeAll(async () => {
  for (const env of ENVS) built[env] = await buildApp(APP, env);
});

// A generated ConfigMap's name carries the hash of its content; the expectations name it without.
const spec = (m: Manifest) => (m.spec ?? {}) as { replicas?: unknown; template?: unknown };
const id = (m: Manifest, env: Environment) => {
  const plain = \`\${m.kind}/\${m.metadata.name.replace(/-[a-z0-9]{10}$/, '')}\`;
  return m.kind === 'ConfigMap' && expected[env].objects.includes(plain) ? plain : \`\${m.kind}/\${m.metadata.name}\`;
};

describe.each(ENVS)(\`\${APP} in %s (kustomize build output)\`, (env) => {
  it('holds the objects it was imported with', () => {
    expect(built[env].map((m) => id(m, env)).sort()).toStrictEqual(expected[env].objects);
  });

  it('runs the replicas and images it was imported with', () => {
    const workloads = built[env].filter((m) => spec(m).template !== undefined);
    const replicas = Object.fromEntries(workloads.filter((m) => typeof spec(m).replicas === 'number').map((m) => [id(m, env), spec(m).replicas]));
    expect(replicas).toStrictEqual(expected[env].replicas);
    const images = [...new Set(workloads.flatMap((m) => JSON.stringify(m).match(/"image":"[^"]+"/g) ?? []).map((s) => s.slice(9, -1)))].sort();
    expect(images).toStrictEqual(expected[env].images);
  });

  it('holds no Secret values', () => {
    expect(built[env].filter((m) => m.kind === 'Secret' && (m as { data?: object }).data)).toStrictEqual([]);
  });
});
`;
}
