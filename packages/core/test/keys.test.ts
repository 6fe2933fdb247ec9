import { describe, expect, it } from 'vitest';
import { defineApp, envKeyProblems, IMAGE_SOURCE_KEYS, nearest, type EnvironmentDefinition, type ImageSource } from '../src/index.ts';

type Indirection = { readonly mode: 'name'; readonly host: string } | { readonly mode: 'ips'; readonly addresses: readonly string[] };

interface Config {
  readonly replicas: number;
  readonly image: ImageSource;
  readonly resources: { readonly cpu: string; readonly memory: string };
  readonly gpus?: number;
  readonly upstream: Indirection;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly hosts: readonly { readonly name: string }[];
}

const defaults: Config = {
  replicas: 1,
  image: { repository: 'r' },
  resources: { cpu: '1', memory: '1Gi' },
  upstream: { mode: 'name', host: 'h' },
  podLabels: { app: 'x' },
  hosts: [{ name: 'a' }],
};

/** Env definitions as they arrive at run time: esbuild drops the types, so nothing checked them. */
const untyped = (e: object) => e as EnvironmentDefinition<Config, 'big'>;

const appWith = (prod: object, optional = {}) =>
  defineApp<Config, 'big'>({
    name: 'demo',
    defaults,
    optional,
    components: { big: { description: 'more', overrides: { gpus: 2 } } },
    envs: { dev: {}, staging: {}, prod: untyped(prod) },
    render: () => [],
  });

describe('env keys the config does not have', () => {
  it('finds a misspelt key and the known key it was meant to be', () => {
    expect(envKeyProblems(appWith({ config: { replicaz: 3 } }))).toStrictEqual([
      { env: 'prod', in: 'config', path: ['replicaz'], suggestion: 'replicas' },
    ]);
    expect(envKeyProblems(appWith({ config: { resources: { cpus: '2' } } }))).toStrictEqual([
      { env: 'prod', in: 'config', path: ['resources', 'cpus'], suggestion: 'cpu' },
    ]);
  });

  it('knows the keys of the defaults, of every component and of the optional declaration', () => {
    expect(envKeyProblems(appWith({ config: { gpus: 1, replicas: 2, resources: { cpu: '2' } } }))).toStrictEqual([]);
    expect(envKeyProblems(appWith({ config: { image: { tag: '2' } } })).map((p) => p.path)).toStrictEqual([['image', 'tag']]);
    expect(envKeyProblems(appWith({ config: { image: { tag: '2' } } }, { image: IMAGE_SOURCE_KEYS }))).toStrictEqual([]);
    // Another member of a union, declared by name; a map with free keys, declared with `true`.
    const optional = { upstream: { addresses: true }, podLabels: true } as const;
    expect(
      envKeyProblems(appWith({ config: { upstream: { mode: 'ips', addresses: ['10.0.0.1'] }, podLabels: { team: 'a' } } }, optional)),
    ).toStrictEqual([]);
  });

  it('does not look inside values an override replaces whole (arrays, scalars)', () => {
    expect(envKeyProblems(appWith({ config: { hosts: [{ name: 'b', extra: 1 }] } }))).toStrictEqual([]);
  });

  it('finds misspelt fields of an env definition and unknown envs', () => {
    expect(envKeyProblems(appWith({ confg: { replicas: 3 } }))).toStrictEqual([{ env: 'prod', in: 'env', path: ['confg'], suggestion: 'config' }]);
    const app = appWith({});
    const withQa = { ...app, envs: { ...app.envs, prd: {} } } as typeof app;
    expect(envKeyProblems(withQa)).toStrictEqual([{ in: 'envs', path: ['prd'], suggestion: 'prod' }]);
  });

  it('suggests only a key that is close enough to be a misspelling', () => {
    expect(nearest('replicaz', ['replicas', 'resources'])).toBe('replicas');
    expect(nearest('colour', ['replicas', 'resources'])).toBeUndefined();
  });
});
