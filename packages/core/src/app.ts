import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { knownKeys, nearest, unknownKeys, type KeyTree } from './keys.ts';
import { isPlainObject, mergeConfig, type Overrides } from './merge.ts';
import { nameProblem } from './names.ts';
import { ObjectError, toManifest, type KubeObject, type Manifest } from './objects.ts';
import { appFileOf, defaultsFileOf, envFileOf, errorLocation, keyPosition, originOf } from './sources.ts';
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
  readonly exceptions?: readonly { readonly rule: string; readonly reason: string; readonly kind?: string; readonly name?: string }[];
  /** Every Deployment and StatefulSet must keep exactly one replica (unique node identity, say). */
  readonly singleReplica?: boolean;
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
   * accepts the key and anything below it. An env key that is in none of these is an error, since
   * it would merge into nothing. @default {}
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
  const configWith = (names: readonly K[]): C => {
    let config = definition.defaults;
    for (const name of names) {
      const component = components[name];
      if (!component) throw new Error(`app ${definition.name}: unknown component "${name}"`);
      config = mergeConfig(config, component.overrides);
    }
    return config;
  };
  const paths = definition.images ?? {};
  const pins = definition.pins === undefined ? undefined : parsePins(definition.pins, `apps/${definition.name}/images.json`, paths);
  const configFor = (env: Environment): C => {
    const e = definition.envs[env];
    return applyPins(mergeConfig(configWith(e.components ?? []), e.config), pins, paths, env);
  };
  const app: App<C, K> = {
    ...definition,
    ...(pins ? { pins } : {}),
    configWith,
    configFor,
    manifests(env, names) {
      const used = env ? (definition.envs[env].components ?? []) : (names ?? []);
      const config = env ? configFor(env) : configWith(used);
      const what = env ? `env ${env}` : used.length > 0 ? `component ${used.join(', ')}` : 'defaults';
      const where = `app ${definition.name} ${what}`;
      let objects: readonly KubeObject[];
      try {
        objects = definition.render(config, { app: definition.name });
      } catch (err) {
        throw thrownIn(app, where, err);
      }
      return objects.map((o) => {
        try {
          return toManifest(o, where);
        } catch (err) {
          if (!(err instanceof ObjectError)) throw err;
          throw locate(app as unknown as App, err, env, used);
        }
      });
    },
  };
  return app;
}

/** An exception thrown by render, with the place in the app's own files it was thrown from. */
function thrownIn(app: object, where: string, err: unknown): Error {
  if (err instanceof RenderError) return err;
  const origin = originOf(app);
  const message = err instanceof Error ? err.message.split('\n').join('; ') : String(err);
  const at = origin && errorLocation(err, join(origin.root, origin.dir));
  const prefix = at ? `${relative(origin.root, at.file)}:${at.line}:${at.column}: ` : '';
  return new RenderError(`${prefix}${where}: ${message}`, { cause: err });
}

/**
 * An object's problem as `<file>: <config field>: <object>: <field>: <message>`: the config field
 * whose value the refused field holds, in the env file, component or defaults that set it. Without
 * such a field, the env file (or the app's file) and the object alone.
 */
function locate(app: App, err: ObjectError, env: Environment | undefined, components: readonly string[]): Error {
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
  if (!field) return new RenderError(`${env ? envFileOf(origin, env) : appFileOf(origin)}: ${rest}`, { cause: err });
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
  /** The env, or undefined for a key of `envs` itself. */
  readonly env?: Environment;
  /** Where the key sits: `envs`, the env definition, or its config (the usual case). */
  readonly in: 'envs' | 'env' | 'config';
  readonly path: readonly string[];
  readonly suggestion?: string;
}

const ENV_FIELDS = ['config', 'components'];

/**
 * Keys an app's envs set that its config does not have. The known keys are those of `defaults`,
 * of every component's overrides and of the app's `optional` declaration: a misspelt key would
 * otherwise merge into nothing, and the env would silently keep the default.
 */
export function envKeyProblems<C, K extends string>(app: App<C, K>): EnvKeyProblem[] {
  const problems: EnvKeyProblem[] = [];
  for (const env of Object.keys(app.envs ?? {})) {
    if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
      const suggestion = nearest(env, ENVIRONMENTS);
      problems.push({ in: 'envs', path: [env], ...(suggestion ? { suggestion } : {}) });
    }
  }
  const overrides = Object.values<ComponentDefinition<unknown>>((app.components ?? {}) as Record<string, ComponentDefinition<unknown>>).map(
    (c) => c.overrides,
  );
  const known = knownKeys(app.defaults, overrides, app.optional);
  for (const env of ENVIRONMENTS) {
    const definition = app.envs?.[env] as unknown;
    if (!isPlainObject(definition)) continue;
    for (const key of Object.keys(definition)) {
      if (ENV_FIELDS.includes(key)) continue;
      const suggestion = nearest(key, ENV_FIELDS);
      problems.push({ env, in: 'env', path: [key], ...(suggestion ? { suggestion } : {}) });
    }
    for (const u of unknownKeys(known, definition.config)) problems.push({ env, in: 'config', ...u });
  }
  return problems;
}
