import { describe, expectTypeOf, it } from 'vitest';
import { defineApp, variants, type EnvironmentDefinition, type KeyTree, type Overrides } from '../src/index.ts';

interface Config {
  replicas: number;
  image: { repository: string; tag?: string };
  hosts: readonly string[];
}
const defaults: Config = { replicas: 1, image: { repository: 'r' }, hosts: [] };

describe('typed env config', () => {
  it('accepts a partial override at any depth', () => {
    const prod: EnvironmentDefinition<Config> = { config: { image: { tag: '2' } } };
    expectTypeOf(prod.config).toEqualTypeOf<Overrides<Config> | undefined>();
  });

  it('rejects a misspelt key', () => {
    // @ts-expect-error `replica` is not a config key
    const bad: EnvironmentDefinition<Config> = { config: { replica: 2 } };
    void bad;
  });

  it('rejects a misspelt nested key', () => {
    // @ts-expect-error `tags` is not a key of image
    const bad: EnvironmentDefinition<Config> = { config: { image: { tags: '2' } } };
    void bad;
  });

  it('rejects a wrong type', () => {
    // @ts-expect-error replicas is a number
    const bad: EnvironmentDefinition<Config> = { config: { replicas: '2' } };
    void bad;
  });

  it('rejects an array merged element-wise: arrays replace whole', () => {
    // @ts-expect-error hosts must be a whole array
    const bad: EnvironmentDefinition<Config> = { config: { hosts: { 0: 'a' } } };
    void bad;
  });

  it('rejects an unknown environment and an unknown component', () => {
    defineApp<Config, 'gpu'>({
      name: 'x',
      defaults,
      components: { gpu: { description: 'gpu', overrides: { replicas: 2 } } },
      // @ts-expect-error `qa` is not an environment
      envs: { dev: {}, staging: {}, prod: { components: ['gpu'] }, qa: {} },
      render: () => [],
    });
    defineApp<Config, 'gpu'>({
      name: 'x',
      defaults,
      components: { gpu: { description: 'gpu', overrides: {} } },
      // @ts-expect-error `cpu` is not a component of this app
      envs: { dev: { components: ['cpu'] }, staging: {}, prod: {} },
      render: () => [],
    });
  });
});

describe('optional config keys', () => {
  it("are declared with the config's own key names, of every member of a union", () => {
    type Upstream = { mode: 'name'; host: string } | { mode: 'ips'; addresses: string[] };
    interface WithUnion {
      upstream: Upstream;
      image: { repository: string; tag?: string };
    }
    const render = () => [];
    const envs = { dev: {}, staging: {}, prod: {} };
    defineApp<WithUnion>({
      name: 'x',
      defaults: { upstream: { mode: 'name', host: 'h' }, image: { repository: 'r' } },
      optional: { upstream: { addresses: true }, image: { tag: true } },
      envs,
      render,
    });
    defineApp<WithUnion>({
      name: 'x',
      defaults: { upstream: { mode: 'name', host: 'h' }, image: { repository: 'r' } },
      // @ts-expect-error `tags` is not a key of image
      optional: { image: { tags: true } },
      envs,
      render,
    });
  });
});

describe('typed optional declarations', () => {
  type Upstream = { readonly mode: 'name'; readonly host: string } | { readonly mode: 'ips'; readonly addresses: readonly string[] };
  interface Shaped {
    readonly upstream: Upstream;
    readonly rules: readonly { readonly port: number; readonly protocol?: 'TCP' | 'UDP' }[];
  }
  const shaped: Shaped = { upstream: { mode: 'name', host: 'h' }, rules: [] };
  const app = (optional: KeyTree<Shaped>) =>
    defineApp<Shaped>({ name: 'x', defaults: shaped, optional, envs: { dev: {}, staging: {}, prod: {} }, render: () => [] });

  it('accepts the keys of a list item and the variants of a union', () => {
    app({ rules: [{ port: true, protocol: true }], upstream: variants('mode', { name: { host: true }, ips: { addresses: true } }) });
  });

  it('rejects a misspelt key of a list item', () => {
    // @ts-expect-error `protocl` is not a key of a rule
    app({ rules: [{ protocl: true }] });
  });

  it('rejects variants that leave out a variant, or a key of one, or are told apart by a key that is not a tag', () => {
    // @ts-expect-error the `ips` variant is not declared
    app({ upstream: variants('mode', { name: { host: true }, Ips: { addresses: true } }) });
    // @ts-expect-error the `name` variant's `host` is not declared
    app({ upstream: variants('mode', { name: {}, ips: { addresses: true } }) });
    // @ts-expect-error `host` is not a key every variant shares
    app({ upstream: variants('host', { h: {} }) });
  });
});
