import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { knownKeys, nearest, unknownKeys, type KeyTree } from './keys.ts';
import { copyConfig, isPlainObject, mergeConfig, ownField, UNCOPYABLE_ADVICE, uncopyableValues, type Overrides } from './merge.ts';
import { nameProblem } from './names.ts';
import { ObjectError, toManifest, type KubeObject, type Manifest } from './objects.ts';
import { readsOf, runAppCode } from './app-code.ts';
import { appFileOf, defaultsFileOf, envFileOf, errorLocation, keyPosition, originOf, renderFileOf } from './sources.ts';
import { applyPins, parsePins, type ImagePaths } from './pins.ts';
import { ENVIRONMENTS, type Environment } from './environments.ts';

export interface RenderContext {
  /** The application name given to `defineApp`. */
  readonly app: string;
}

/**
 * An optional variant of an application (a GPU build, say) that overlays can switch on. It is emitted
 * as a Kustomize `Component`, so an overlay includes it with one line.
 */
export interface ComponentDefinition<C> {
  /** One sentence shown in the component's kustomization. */
  readonly description: string;
  /** The configuration the variant changes, deep-merged onto the defaults. */
  readonly overrides: Overrides<C>;
}

export interface EnvironmentDefinition<C, K extends string = string> {
  /** Typed differences from the defaults; objects merge deeply, arrays replace. */
  readonly config?: Overrides<C>;
  /** Components of the app that this environment includes. @default [] */
  readonly components?: readonly K[];
}

/** Policy settings of one application, read by `strata validate`. */
export interface PolicySettings {
  /** Rules this app is exempt from; each reason is printed next to the finding it excuses. */
  readonly exceptions?: readonly {
    readonly rule: string;
    readonly reason: string;
    /** Only objects of this kind. @default every kind */
    readonly kind?: string;
    /** Only objects with this name. @default every name */
    readonly name?: string;
    /** Only objects in this namespace. @default every namespace */
    readonly namespace?: string;
  }[];
  /** Every Deployment and StatefulSet must keep exactly one replica (unique node identity, say). */
  readonly singleReplica?: boolean;
  /**
   * The app belongs in Kubernetes' own namespaces (`default`, every `kube-` name), where
   * no-platform-namespace otherwise refuses its objects: `strata import --allow-system-namespace`
   * writes it for an app it let in there. @default false
   */
  readonly allowSystemNamespace?: boolean;
  /** Per-rule severity per env for this app, e.g. `{ 'require-probes': { dev: 'warning' } }`. */
  readonly severity?: Readonly<Record<string, Partial<Record<Environment, 'error' | 'warning' | 'off'>>>>;
}

export interface AppDefinition<C, K extends string = never> {
  /** Lower-case DNS label; also the folder name under base/ and overlays/<env>/. */
  readonly name: string;
  /** The full, typed configuration that base/ is rendered from. */
  readonly defaults: C;
  /** Optional variants that environments may include. */
  readonly components?: { readonly [P in K]: ComponentDefinition<C> };
  readonly envs: { readonly [E in Environment]: EnvironmentDefinition<C, K> };
  readonly policy?: PolicySettings;
  /**
   * Config keys that env files may set although `defaults` and the components leave them out:
   * optional fields, the fields of another member of a union, maps whose keys are free. `true`
   * accepts the key and anything below it; `[{ ... }]` declares the keys of a list's items (an empty
   * list in the defaults says nothing of them, and an env's object items in it are refused until they
   * are declared); `variants(tag, { value: { ...keys } })` declares a
   * union, whose tag must then be a listed value and whose keys those of that variant. An env key
   * that is in none of these is an error, since it would merge into nothing. @default {}
   */
  readonly optional?: KeyTree<C>;
  /**
   * Containers whose image is pinned per env in the app's `images.json`, each with the dot path of
   * its `ImageSource` in the configuration, e.g. `{ tensafe: 'image', postgres: 'postgres.image' }`.
   */
  readonly images?: ImagePaths;
  /** The app's `images.json`: per env, the image of each container; it wins over the env file. */
  readonly pins?: unknown;
  /** Turns a configuration into Kubernetes objects; must not depend on anything but `config`. */
  readonly render: (config: C, ctx: RenderContext) => readonly KubeObject[];
}

export interface App<C = unknown, K extends string = string> extends AppDefinition<C, K> {
  /** The merged configuration of an environment (defaults, then components, then the env). */
  configFor(env: Environment): C;
  /** The merged configuration of the defaults plus the given components. */
  configWith(components: readonly K[]): C;
  /** Plain manifests of base (no env given) or of an environment, validated by their models. */
  manifests(env?: Environment, components?: readonly K[]): Manifest[];
}

/** An error in rendering an app that already says where it is: shown as it is, with nothing added. */
export class RenderError extends Error {
  override readonly name = 'RenderError';
}

/** Declares an application: typed defaults, typed per-env differences and a render function. */
export function defineApp<C, K extends string = never>(definition: AppDefinition<C, K>): App<C, K> {
  const invalid = nameProblem(definition.name, 'dns-label');
  if (invalid) throw new Error(`app name ${invalid}`);
  const components = (definition.components ?? {}) as Partial<Record<K, ComponentDefinition<C>>>;
  // A component's name becomes a folder (base/<app>/components/<name>): checked before any path is made.
  for (const name of Object.keys(components)) {
    const problem = nameProblem(name, 'dns-label');
    if (problem) throw new Error(`app ${definition.name}: components[${JSON.stringify(name)}]: a component name ${problem.replace(/^"[^"]*" /, '')}`);
  }
  // Each call gives a config of its own: a render that sorts or pushes in place (`hosts.sort()`)
  // would otherwise change the defaults, and with them every env rendered after it.
  const configWith = (names: readonly K[]): C => copyConfig(mergedWith(names));
  const mergedWith = (names: readonly K[]): C => {
    let config = definition.defaults;
    for (const name of names) {
      const unknown = unknownComponent(definition.components, name);
      if (unknown) throw new Error(`app ${definition.name}: ${unknown}`);
      config = mergeConfig(config, components[name]!.overrides);
    }
    return config;
  };
  const paths = definition.images ?? {};
  const pins = definition.pins === undefined ? undefined : parsePins(definition.pins, `apps/${definition.name}/images.json`, paths);
  const configFor = (env: Environment): C => {
    const e = definition.envs[env];
    return copyConfig(applyPins(mergeConfig(mergedWith(e.components ?? []), e.config), pins, paths, env));
  };
  const app: App<C, K> = {
    ...definition,
    ...(pins ? { pins } : {}),
    configWith,
    configFor,
    manifests(env, names) {
      const used = env ? (definition.envs[env].components ?? []) : (names ?? []);
      const what = env ? `env ${env}` : used.length > 0 ? `component ${used.join(', ')}` : 'defaults';
      const where = `app ${definition.name} ${what}`;
      for (const name of used) {
        const unknown = unknownComponent(definition.components, name);
        if (unknown) throw new RenderError(`${where}: ${unknown}`);
      }
      const config = env ? configFor(env) : configWith(used);
      // The render, run as app code: what it reads is judged from the app's own folder.
      const renderWith = (given: C): readonly KubeObject[] => {
        const origin = originOf(app);
        const scope = { app: definition.name, doing: 'render', reads: readsOf(app), ...(origin ? { root: origin.root, dir: origin.dir } : {}) };
        return runAppCode(scope, () => definition.render(given, { app: definition.name }));
      };
      let objects: readonly KubeObject[];
      try {
        objects = renderWith(config);
      } catch (err) {
        throw thrownIn(app, where, err);
      }
      const wrong = resultProblem(objects);
      if (wrong) {
        const origin = originOf(app);
        throw new RenderError(
          `${origin ? `${renderFileOf(origin)}: ` : ''}${where}: render returned ${wrong}; render must be synchronous and return an array of Kubernetes objects`,
        );
      }
      const origin = originOf(app);
      const appDir = origin ? join(origin.root, origin.dir) : undefined;
      /**
       * Whether the render refuses the same field with the same value when the config field at
       * `path` holds another value: then the refused value does not come from that field (the render
       * wrote it itself, or took it from another), however alike the two are.
       */
      const refusedWithout = (refused: ObjectError, path: readonly (string | number)[]): boolean => {
        const changed = withValueAt(env ? configFor(env) : configWith(used), path, otherValue(refused.value));
        let again: readonly KubeObject[];
        try {
          again = renderWith(changed);
        } catch {
          return false; // the render reads that field: the refused value may well be its
        }
        if (resultProblem(again)) return false;
        return again.some((o) => {
          try {
            toManifest(o, where, appDir);
            return false;
          } catch (e) {
            return e instanceof ObjectError && e.object === refused.object && e.path === refused.path && Object.is(e.value, refused.value);
          }
        });
      };
      return objects.map((o) => {
        try {
          return toManifest(o, where, appDir);
        } catch (err) {
          if (!(err instanceof ObjectError)) throw err;
          throw locate(app as unknown as App, err, env, used, (path) => refusedWithout(err, path));
        }
      });
    },
  };
  return app;
}

/**
 * Why a name is no component of the app, or undefined when it is one. Only the app's own keys are
 * components: `constructor` or `toString` would otherwise be found on every object.
 */
function unknownComponent(components: object | undefined, name: unknown): string | undefined {
  if (typeof name === 'string' && components && Object.hasOwn(components, name)) return undefined;
  const known = Object.keys(components ?? {});
  const shown = typeof name === 'string' ? JSON.stringify(name) : String(name);
  return `unknown component ${shown}; ${known.length > 0 ? `known components: ${known.join(', ')}` : 'the app has no components'}`;
}

/** An exception thrown by render, with the place in the app's own files it was thrown from. */
function thrownIn(app: object, where: string, err: unknown): Error {
  if (err instanceof RenderError) return err;
  const origin = originOf(app);
  if (!(err instanceof Error)) {
    // A thrown object or string carries no stack: the render file is the one place to point at.
    const file = origin ? `${renderFileOf(origin)}: ` : '';
    return new RenderError(
      `${file}${where}: render threw a non-Error value: ${thrownValue(err)}; throw an Error (new Error('...')) so its line is shown`,
      {
        cause: err,
      },
    );
  }
  const message = err instanceof Error ? err.message.split('\n').join('; ') : String(err);
  const at = origin && errorLocation(err, join(origin.root, origin.dir));
  // An exit status set by the render is found after it returned, with no line of the app's to show.
  const prefix = at
    ? `${relative(origin.root, at.file)}:${at.line}:${at.column}: `
    : origin && err.name === 'AppExitError'
      ? `${renderFileOf(origin)}: `
      : '';
  return new RenderError(`${prefix}${where}: ${message}`, { cause: err });
}

/**
 * What is wrong with what a render returned, or undefined when it is an array of objects: the
 * objects' own fields are judged by their models after.
 */
function resultProblem(objects: unknown): string | undefined {
  if (typeof (objects as { then?: unknown } | null)?.then === 'function') return 'a Promise (an async render is not supported)';
  if (!Array.isArray(objects)) {
    if (objects !== null && typeof objects === 'object' && 'kind' in objects) return 'one object, not an array of them (return [object])';
    return thrownValue(objects);
  }
  const item = objects.findIndex((o) => o === null || typeof o !== 'object' || Array.isArray(o));
  if (item >= 0) return `${thrownValue(objects[item])} as item ${item}`;
  return undefined;
}

/** A thrown value that is not an Error, readable on one line: JSON when it has one, cut after 120 characters. */
function thrownValue(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // a cycle or a bigint: the plain string form below
  }
  if (text === undefined) {
    try {
      text = String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  text = text.split('\n').join(' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * An object's problem as `<file>: <config field>: <object>: <field>: <message>`: the config field
 * whose value the refused field holds, in the env file, component or defaults that set it. Without
 * such a field, the env file (or the app's file) and the object alone.
 */
function locate(
  app: App,
  err: ObjectError,
  env: Environment | undefined,
  components: readonly string[],
  refusedWithout: (path: readonly (string | number)[]) => boolean,
): Error {
  const origin = originOf(app);
  if (!origin) return new RenderError(err.message, { cause: err });
  const sources: { file: string; config: unknown }[] = [];
  if (env) sources.push({ file: envFileOf(origin, env), config: app.envs[env].config });
  for (const c of [...components].reverse())
    sources.push({ file: appFileOf(origin), config: (app.components as Record<string, ComponentDefinition<unknown>> | undefined)?.[c]?.overrides });
  sources.push({ file: defaultsFileOf(origin), config: app.defaults });
  const field = configField(
    sources,
    err.value,
    err.path
      .split(/[.[\]]/)
      .filter(Boolean)
      .at(-1),
  );
  const rest = `${err.object}: ${err.path}: ${err.reason}`;
  // A field that merely holds the same value (a port, a count, a word the render also writes) is
  // not named: the render is run again with another value there, and must then not refuse the same.
  if (!field || refusedWithout(field.path)) return new RenderError(`${env ? envFileOf(origin, env) : appFileOf(origin)}: ${rest}`, { cause: err });
  let at = '';
  try {
    const pos = keyPosition(
      readFileSync(join(origin.root, field.file), 'utf8'),
      field.path.filter((k): k is string => typeof k === 'string'),
      err.value,
    );
    if (pos) at = `:${pos.line}:${pos.column}`;
  } catch {
    // the file cannot be read: name it without a line
  }
  const dotted = field.path
    .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
    .join('')
    .slice(1);
  return new RenderError(`${field.file}${at}: ${dotted}: ${rest}`, { cause: err });
}

/** A value of the same type as `value` that no render would take for it. */
function otherValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value + 7_340_033 : 0;
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'bigint') return value + 7_340_033n;
  return `${String(value)}-strata-other`;
}

/** `config` with `value` at `path` (a config is a fresh copy, its own to change). */
function withValueAt<C>(config: C, path: readonly (string | number)[], value: unknown): C {
  if (path.length === 0) return value as C;
  let node = config as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = node?.[key];
    if (next === null || typeof next !== 'object') return config;
    node = next as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
  return config;
}

/** The one config field holding `value`, in the first source that has it (the env before the defaults). */
function configField(
  sources: readonly { file: string; config: unknown }[],
  value: unknown,
  last: string | undefined,
): { file: string; path: (string | number)[] } | undefined {
  if (value === undefined || value === null || typeof value === 'object') return undefined;
  for (const { file, config } of sources) {
    const hits: (string | number)[][] = [];
    const walk = (node: unknown, path: (string | number)[]) => {
      if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...path, i]));
      else if (isPlainObject(node)) for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
      else if (node === value) hits.push(path);
    };
    walk(config, []);
    if (hits.length === 0) continue;
    // Several fields hold the same value: the one named like the refused field, or none (a guess would mislead).
    const named = hits.filter((h) => h.at(-1) === last);
    const pick = hits.length === 1 ? hits[0] : named.length === 1 ? named[0] : undefined;
    return pick && { file, path: pick };
  }
  return undefined;
}

export interface EnvKeyProblem {
  /** The env, or undefined for a key of `envs` itself or of the definition. */
  readonly env?: Environment;
  /**
   * Where the key sits: the definition itself (`policy`, `components`, ...: the path starts at the
   * definition), its defaults (the path starts in them), `envs`, the env definition, or its config
   * (the usual case).
   */
  readonly in: 'app' | 'defaults' | 'envs' | 'env' | 'config';
  readonly path: readonly string[];
  readonly suggestion?: string;
  /** What is wrong with a key that is known: its value. Undefined for a key that is not known there. */
  readonly problem?: string;
  /** The keys known where the key sits, when there are few enough to list. */
  readonly known?: readonly string[];
}

const ENV_FIELDS = ['config', 'components'];

/**
 * The keys of a definition (`defineApp({...})`) and of its parts. The app object defineApp returns
 * holds the definition with its methods, so those are known too.
 */
const APP_FIELDS = ['name', 'defaults', 'components', 'envs', 'policy', 'optional', 'images', 'pins', 'render'];
const APP_METHODS = ['configFor', 'configWith', 'manifests'];
const POLICY_FIELDS = ['exceptions', 'singleReplica', 'allowSystemNamespace', 'severity'];
const EXCEPTION_FIELDS = ['rule', 'reason', 'kind', 'name', 'namespace'];
const COMPONENT_FIELDS = ['description', 'overrides'];
const LEVELS = ['error', 'warning', 'off'];

/** Keys of `value` that are not among `fields`, each with the one it was likely meant to be. */
function unknownFields(value: unknown, fields: readonly string[], path: readonly string[], also: readonly string[] = []): EnvKeyProblem[] {
  if (!isPlainObject(value)) return [];
  return Object.keys(value)
    .filter((key) => !fields.includes(key) && !also.includes(key))
    .map((key) => {
      const suggestion = nearest(key, fields);
      return { in: 'app' as const, path: [...path, key], known: fields, ...(suggestion ? { suggestion } : {}) };
    });
}

/**
 * The definition's own keys and those of its policy, exceptions and components: a misspelt one
 * (`singleReplca`, an exception's `nmae`, `pin`) would be dropped, turning a guard off, widening a
 * waiver to every object or losing the image pins, without a word.
 */
function definitionProblems(app: object): EnvKeyProblem[] {
  const a = app as Record<string, unknown>;
  const problems = unknownFields(a, APP_FIELDS, [], APP_METHODS);
  const at = (path: readonly string[], problem: string): EnvKeyProblem => ({ in: 'app', path, problem });
  const policy = a.policy;
  if (policy !== undefined && !isPlainObject(policy))
    problems.push(at(['policy'], 'must be an object (exceptions, singleReplica, allowSystemNamespace, severity)'));
  if (isPlainObject(policy)) {
    problems.push(...unknownFields(policy, POLICY_FIELDS, ['policy']));
    const exceptions = policy.exceptions;
    if (exceptions !== undefined && !Array.isArray(exceptions))
      problems.push(at(['policy', 'exceptions'], 'must be a list of exceptions such as [{ rule, kind, reason }]'));
    if (Array.isArray(exceptions))
      exceptions.forEach((e, i) => {
        const path = ['policy', 'exceptions', String(i)];
        if (!isPlainObject(e)) problems.push(at(path, 'must be an object such as { rule, kind, reason }'));
        else problems.push(...unknownFields(e, EXCEPTION_FIELDS, path));
      });
    for (const flag of ['singleReplica', 'allowSystemNamespace'])
      if (policy[flag] !== undefined && typeof policy[flag] !== 'boolean')
        problems.push(at(['policy', flag], `must be true or false; got ${JSON.stringify(policy[flag])}`));
    const severity = policy.severity;
    if (severity !== undefined && !isPlainObject(severity))
      problems.push(at(['policy', 'severity'], "must map rule ids to envs and levels, such as { 'require-probes': { dev: 'warning' } }"));
    if (isPlainObject(severity))
      for (const [rule, perEnv] of Object.entries(severity)) {
        const path = ['policy', 'severity', rule];
        if (!isPlainObject(perEnv)) {
          problems.push(at(path, `must map envs to levels, such as { dev: 'warning' }; got ${JSON.stringify(perEnv) ?? String(perEnv)}`));
          continue;
        }
        problems.push(...unknownFields(perEnv, ENVIRONMENTS, path));
        for (const [env, level] of Object.entries(perEnv))
          if ((ENVIRONMENTS as readonly string[]).includes(env) && !LEVELS.includes(level as string))
            problems.push(
              at([...path, env], `${JSON.stringify(level) ?? String(level)} is not a level; use ${LEVELS.map((l) => `'${l}'`).join(', ')}`),
            );
      }
  }
  const components = a.components;
  if (isPlainObject(components))
    for (const [name, c] of Object.entries(components)) {
      const path = ['components', name];
      if (!isPlainObject(c)) {
        problems.push(at(path, 'must be an object such as { description, overrides }'));
        continue;
      }
      const unknown = unknownFields(c, COMPONENT_FIELDS, path);
      problems.push(...unknown);
      // A misspelt description is said once, as the key it was meant to be.
      if (unknown.length === 0 && (typeof c.description !== 'string' || c.description.trim() === ''))
        problems.push(at(path, 'has no description: give it one sentence that says what including it does (its kustomization shows it)'));
    }
  return problems;
}

/**
 * Nulls of `override` that replace a value of `base`: the merge writes an override's null into the
 * output as it is (a prod overlay with `replicas: null`, the replica count gone), and `Overrides`
 * allows null only where the config type does. A key whose type allows it (`string | null`) is
 * declared `true` in `optional`, and may then be null.
 */
function nullsOver(base: unknown, override: unknown, optional: unknown, path: readonly string[] = []): { path: string[]; base: unknown }[] {
  if (!isPlainObject(override) || !isPlainObject(base) || optional === true) return [];
  const out: { path: string[]; base: unknown }[] = [];
  for (const [key, v] of Object.entries(override)) {
    const was = Object.hasOwn(base, key) ? base[key] : undefined;
    const declared = isPlainObject(optional) && Object.hasOwn(optional, key) ? optional[key] : undefined;
    if (v === null && was !== undefined && was !== null && declared !== true) out.push({ path: [...path, key], base: was });
    else out.push(...nullsOver(was, v, declared, [...path, key]));
  }
  return out;
}

/** A config value for a message: short JSON, cut after 40 characters. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Keys an app's envs set that its config does not have, and keys of the definition that it does not
 * take. The known config keys are those of `defaults`, of every component's overrides and of the
 * app's `optional` declaration: a misspelt key would otherwise merge into nothing, and the env would
 * silently keep the default. An env or component that sets a default to null is a problem too.
 */
export function envKeyProblems<C, K extends string>(app: App<C, K>): EnvKeyProblem[] {
  const problems: EnvKeyProblem[] = definitionProblems(app);
  // Every env is rendered from its definition: one left out (`envs: { dev, staging }`, which only a
  // type check catches, and strata runs the app's code without one) would fail every command with
  // the language's own error when that env is rendered.
  const envs = app.envs as unknown;
  const all = ENVIRONMENTS.join(', ');
  if (!isPlainObject(envs))
    problems.push({
      in: 'app',
      path: ['envs'],
      problem: `must map every env (${all}) to its definition, such as { dev, staging, prod }; got ${shown(envs)}`,
    });
  else
    for (const env of ENVIRONMENTS) {
      if (!Object.hasOwn(envs, env))
        problems.push({
          in: 'app',
          path: ['envs'],
          problem: `${env} is missing; every app defines ${all}: add ${env}, its definition ({ config, components }, {} for the defaults), as the others have`,
        });
      else if (!isPlainObject(envs[env]))
        problems.push({
          in: 'app',
          path: ['envs', env],
          problem: `must be an env definition ({ config, components }, {} for the defaults); got ${shown(envs[env])}`,
        });
    }
  for (const env of Object.keys(app.envs ?? {})) {
    if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
      const suggestion = nearest(env, ENVIRONMENTS);
      problems.push({ in: 'envs', path: [env], ...(suggestion ? { suggestion } : {}) });
    }
  }
  const components = Object.entries<ComponentDefinition<unknown>>((app.components ?? {}) as Record<string, ComponentDefinition<unknown>>).filter(
    ([, c]) => isPlainObject(c),
  );
  const known = knownKeys(
    app.defaults,
    components.map(([, c]) => c.overrides),
    app.optional,
  );
  for (const u of uncopyableValues(app.defaults)) problems.push({ in: 'defaults', path: u.path, problem: uncopyableProblem(u.what) });
  for (const [name, c] of components) {
    for (const u of uncopyableValues(c.overrides))
      problems.push({ in: 'app', path: ['components', name, 'overrides', ...u.path], problem: uncopyableProblem(u.what) });
    for (const n of nullsOver(app.defaults, c.overrides, app.optional))
      problems.push({ in: 'app', path: ['components', name, 'overrides', ...n.path], problem: nullProblem(n.base) });
    for (const path of prototypesSet(c.overrides))
      problems.push({ in: 'app', path: ['components', name, 'overrides', ...path], problem: PROTOTYPE_PROBLEM });
  }
  for (const env of ENVIRONMENTS) {
    const definition = app.envs?.[env] as unknown;
    if (!isPlainObject(definition)) continue;
    for (const key of Object.keys(definition)) {
      if (ENV_FIELDS.includes(key)) continue;
      const suggestion = nearest(key, ENV_FIELDS);
      problems.push({ env, in: 'env', path: [key], ...(suggestion ? { suggestion } : {}) });
    }

    const names = definition.components;
    if (Array.isArray(names))
      names.forEach((name, i) => {
        const problem = unknownComponent(app.components, name);
        if (problem) problems.push({ env, in: 'env', path: ['components', String(i)], problem });
      });
    let base: unknown = app.defaults;
    try {
      base = app.configWith((definition.components ?? []) as K[]);
    } catch {
      // an unknown component is reported when the env is rendered
    }
    for (const u of unknownKeys(known, definition.config, base)) problems.push({ env, in: 'config', ...u });
    for (const n of nullsOver(base, definition.config, app.optional))
      problems.push({ env, in: 'config', path: n.path, problem: nullProblem(n.base) });
    for (const path of prototypesSet(definition.config)) problems.push({ env, in: 'config', path, problem: PROTOTYPE_PROBLEM });
    for (const u of uncopyableValues(definition.config)) problems.push({ env, in: 'config', path: u.path, problem: uncopyableProblem(u.what) });
    problems.push(...pinnedImageProblems(app as unknown as App, env, definition.config));
    if (Array.isArray(names)) {
      names.forEach((name, i) => {
        const component =
          typeof name === 'string' && Object.hasOwn(app.components ?? {}, name) ? (app.components as Record<string, unknown>)[name] : undefined;
        if (!isPlainObject(component)) return;
        for (const p of pinnedImageProblems(app as unknown as App, env, component.overrides, `component ${name}`))
          problems.push({ ...p, in: 'env', path: ['components', String(i)] });
      });
    }
  }
  return problems;
}

/**
 * Images an env file (or a component it turns on, `setBy`) sets where images.json pins that env's
 * container: the pin wins, so the env's or the component's image would be dropped without a word.
 */
function pinnedImageProblems(app: App, env: Environment, config: unknown, setBy = 'the env file'): EnvKeyProblem[] {
  const pinned = isPlainObject(app.pins) ? app.pins[env] : undefined;
  if (!isPlainObject(pinned)) return [];
  const paths = app.images ?? {};
  const names = Object.keys(paths);
  const file = `${originOf(app)?.dir ?? `apps/${app.name}`}/images.json`;
  const problems: EnvKeyProblem[] = [];
  for (const container of Object.keys(pinned)) {
    const path = paths[container]?.split('.');
    if (!path) continue;
    let value: unknown = config;
    for (const key of path) value = isPlainObject(value) ? ownField(value, key) : undefined;
    if (value === undefined) continue;
    // `strata set image` picks the app's only container by itself; of several, it must be named.
    const which = names.length === 1 ? '' : ` --container ${container}`;
    problems.push({
      env,
      in: 'config',
      path,
      problem:
        setBy === 'the env file'
          ? `the image of env ${env} is pinned in ${file}, which wins over the env file: change it with \`strata set image --app ${app.name} --env ${env}${which} <repo>:<tag>\`, or remove the pin from ${file} and keep this`
          : `${setBy} sets the image of ${container} (${path.join('.')}), but env ${env} pins it in ${file}, which wins, so ${env} would run the pinned image and not the component's: pin the component's image with \`strata set image --app ${app.name} --env ${env}${which} <repo>:<tag>\`, or remove the pin from ${file}`,
    });
  }
  return problems;
}

/**
 * Objects of an override written with `__proto__: {...}`: in an object literal that sets the
 * object's prototype and is no key, so the merge takes the object for a value of its own and
 * replaces the default whole with an object that has none of its keys. Each as the path of its
 * `__proto__`. A class instance (its prototype has a constructor of its own) is a value as it is.
 */
function prototypesSet(override: unknown, path: readonly string[] = []): string[][] {
  if (override === null || typeof override !== 'object') return [];
  if (Array.isArray(override)) return override.flatMap((v, i) => prototypesSet(v, [...path, String(i)]));
  const proto: unknown = Object.getPrototypeOf(override);
  if (!isPlainObject(override))
    return proto !== null && typeof proto === 'object' && !Object.hasOwn(proto, 'constructor') ? [[...path, '__proto__']] : [];
  return Object.entries(override).flatMap(([k, v]) => prototypesSet(v, [...path, k]));
}

const PROTOTYPE_PROBLEM =
  "`__proto__:` in an object literal sets the object's prototype and is no key, so the merge would replace the whole default with an object without its keys; write the keys themselves, or ['__proto__'] for a key of that name";

const uncopyableProblem = (what: string) => `${what} is no config value: ${UNCOPYABLE_ADVICE}`;

const nullProblem = (base: unknown) =>
  `null would replace the default ${shown(base)} and be written out as null; remove the key to keep the default, or give a value`;
