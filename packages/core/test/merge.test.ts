import { describe, expect, it } from 'vitest';
import { ConfigValueError, copyConfig, defineApp, mergeConfig, uncopyableValues } from '../src/index.ts';

interface Config {
  replicas: number;
  image: { repository: string; tag?: string };
  hosts: string[];
  limits: { cpu: string; memory: string };
}

const defaults: Config = { replicas: 1, image: { repository: 'r', tag: '1' }, hosts: ['a', 'b'], limits: { cpu: '1', memory: '1Gi' } };

describe('mergeConfig', () => {
  it('merges nested objects key by key and keeps the untouched keys', () => {
    expect(mergeConfig(defaults, { limits: { cpu: '2' } })).toStrictEqual({ ...defaults, limits: { cpu: '2', memory: '1Gi' } });
  });
  it('replaces arrays whole instead of merging them by index', () => {
    expect(mergeConfig(defaults, { hosts: ['c'] }).hosts).toStrictEqual(['c']);
  });
  it('replaces scalars and ignores explicit undefined', () => {
    expect(mergeConfig(defaults, { replicas: 3, image: { tag: undefined } })).toStrictEqual({ ...defaults, replicas: 3 });
  });
  it('keeps a key __proto__ (a ConfigMap key) as a field, and never sets a prototype from it', () => {
    const base: Record<string, Record<string, unknown>> = { data: { a: '1' } };
    const out = mergeConfig(base, { data: { ['__proto__']: 'x' } });
    expect(Object.entries(out.data!)).toStrictEqual([
      ['a', '1'],
      ['__proto__', 'x'],
    ]);
    const nested = mergeConfig(base, { data: { ['__proto__']: { polluted: true } } });
    expect(Object.keys(nested.data!)).toStrictEqual(['a', '__proto__']);
    expect(Object.getPrototypeOf(nested.data)).toBe(Object.prototype);
    expect('polluted' in nested.data!).toBe(false);
    // Set over a base that has it.
    expect(Object.entries(mergeConfig(out, { data: { ['__proto__']: 'y' } }).data!)).toStrictEqual([
      ['a', '1'],
      ['__proto__', 'y'],
    ]);
  });
  it('does not modify its inputs', () => {
    const before = structuredClone(defaults);
    mergeConfig(defaults, { limits: { cpu: '9' }, hosts: [] });
    expect(defaults).toStrictEqual(before);
  });
});

describe('defineApp', () => {
  const app = defineApp<Config, 'big'>({
    name: 'demo',
    defaults,
    components: { big: { description: 'more of everything', overrides: { replicas: 5 } } },
    envs: { dev: {}, staging: { config: { replicas: 2 } }, prod: { components: ['big'], config: { image: { tag: '2' } } } },
    render: (c) => [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'demo' }, data: { replicas: String(c.replicas), tag: c.image.tag ?? '' } } as never,
    ],
  });

  it('merges defaults, then components, then the env', () => {
    expect(app.configFor('dev')).toStrictEqual(defaults);
    expect(app.configFor('staging').replicas).toBe(2);
    expect(app.configFor('prod')).toStrictEqual({ ...defaults, replicas: 5, image: { repository: 'r', tag: '2' } });
  });
  it('renders plain manifests per env', () => {
    expect(app.manifests('prod')).toStrictEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'demo' }, data: { replicas: '5', tag: '2' } },
    ]);
  });
  it('rejects a name that cannot be a folder and a DNS label', () => {
    expect(() => defineApp({ ...app, name: 'Not_Valid' })).toThrow(/app name "Not_Valid" must be a DNS-1123 label/);
  });
  it('names the app and env when a rendered object fails its model validation', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    const broken = defineApp<Config>({
      name: 'broken',
      defaults,
      envs: { dev: {}, staging: {}, prod: {} },
      render: (c) => [new Deployment({ metadata: { name: 'x' }, spec: { replicas: String(c.replicas) as never, selector: {}, template: {} } })],
    });
    expect(() => broken.manifests('prod')).toThrow(/app broken env prod: apps\/v1\/Deployment x: .*replicas/);
  });
});

describe('copyConfig', () => {
  it('copies Maps, Sets and Dates as what they are, sharing nothing with the original', () => {
    const at = new Date(5);
    const original = { byName: new Map([['a', { n: 1 }]]), seen: new Set(['x']), at, list: [{ k: 1 }] };
    const copy = copyConfig(original);
    expect(copy).toStrictEqual(original);
    expect(copy.byName).not.toBe(original.byName);
    expect(copy.byName.get('a')).not.toBe(original.byName.get('a'));
    expect(copy.seen).not.toBe(original.seen);
    expect(copy.at).not.toBe(at);
    expect(copy.list[0]).not.toBe(original.list[0]);
  });
  it('refuses a function or a class instance, naming its key path, as it would be shared by every copy', () => {
    class Client {}
    expect(() => copyConfig({ a: { b: [new Client()] } })).toThrow(ConfigValueError);
    expect(() => copyConfig({ a: { b: [new Client()] } })).toThrow(/^a\.b\.0: an instance of Client is no config value: each render gets a copy/);
    expect(() => copyConfig({ hook: () => 1 })).toThrow(/^hook: a function is no config value/);
  });
  it('finds every value that cannot be copied, a cycle included, with its path', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(uncopyableValues({ ok: new Map([['m', { f: () => 1 }]]), cyclic, url: new URL('https://x') })).toStrictEqual([
      { path: ['ok', 'm', 'f'], what: 'a function' },
      { path: ['cyclic', 'self'], what: 'a reference to a value that holds it (a cycle)' },
      { path: ['url'], what: 'an instance of URL' },
    ]);
  });
});
