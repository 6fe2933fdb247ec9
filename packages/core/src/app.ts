import { mergeConfig, type Overrides } from './merge.ts';
import { toManifest, type KubeObject, type Manifest } from './objects.ts';

/** The environments every application is deployed to, in promotion order. */
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

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

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Declares an application: typed defaults, typed per-env differences and a render function. */
export function defineApp<C, K extends string = never>(definition: AppDefinition<C, K>): App<C, K> {
  if (!DNS_LABEL.test(definition.name) || definition.name.length > 63) {
    throw new Error(`app name "${definition.name}" must be a lower-case DNS label (a-z, 0-9 and "-", at most 63 characters)`);
  }
  const components = (definition.components ?? {}) as Partial<Record<K, ComponentDefinition<C>>>;
  const configWith = (names: readonly K[]): C => {
    let config = definition.defaults;
    for (const name of names) {
      const component = components[name];
      if (!component) throw new Error(`app ${definition.name}: unknown component "${name}"`);
      config = mergeConfig(config, component.overrides);
    }
    return config;
  };
  const configFor = (env: Environment): C => {
    const e = definition.envs[env];
    return mergeConfig(configWith(e.components ?? []), e.config);
  };
  return {
    ...definition,
    configWith,
    configFor,
    manifests(env, names) {
      const config = env ? configFor(env) : configWith(names ?? []);
      const objects = definition.render(config, { app: definition.name });
      return objects.map((o) => toManifest(o, `app ${definition.name}${env ? ` env ${env}` : ''}`));
    },
  };
}
