import { describe, expect, it } from 'vitest';
import { defineApp, envKeyProblems, IMAGE_SOURCE_KEYS, nearest, variants, type EnvironmentDefinition, type ImageSource } from '../src/index.ts';

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

  it('looks inside each item of a list, knowing an item by the items of the defaults or by `[{ ... }]` in optional', () => {
    expect(envKeyProblems(appWith({ config: { hosts: [{ name: 'b' }, { nmae: 'c' }] } }))).toStrictEqual([
      { env: 'prod', in: 'config', path: ['hosts', '1', 'nmae'], suggestion: 'name' },
    ]);
    // An empty list in the defaults says nothing of its items: they are declared `[{ ... }]` in optional.
    const empty = (rules: object, optional = {}) =>
      envKeyProblems(
        defineApp<Config & { readonly rules: readonly { readonly port: number; readonly protocol?: 'TCP' | 'UDP' }[] }>({
          name: 'demo',
          defaults: { ...defaults, rules: [] },
          optional,
          envs: { dev: {}, staging: {}, prod: { config: { rules } } as never },
          render: () => [],
        }),
      );
    expect(empty([{ port: 53, protocl: 'UDP' }], { rules: [{ port: true, protocol: true }] })).toStrictEqual([
      { env: 'prod', in: 'config', path: ['rules', '0', 'protocl'], suggestion: 'protocol' },
    ]);
    expect(empty([{ port: 53, protocol: 'UDP' }], { rules: [{ port: true, protocol: true }] })).toStrictEqual([]);
  });

  it('refuses object items of a list whose item keys nothing declares, once per list, saying what to declare in optional', () => {
    type Rule = { readonly port: number; readonly protocol?: 'TCP' | 'UDP'; readonly peers: readonly { readonly cidr: string }[] };
    const problems = (config: object, optional = {}, components = {}) =>
      envKeyProblems(
        defineApp<
          Config & { readonly rules: readonly Rule[]; readonly names: readonly string[]; readonly matrix: readonly (readonly Rule[])[] },
          'dns'
        >({
          name: 'demo',
          defaults: { ...defaults, rules: [], names: [], matrix: [] },
          optional,
          components: components as never,
          envs: { dev: {}, staging: {}, prod: { config } as never },
          render: () => [],
        }),
      );
    const declare =
      "nothing says which keys its items take (the defaults' list is empty), so a misspelt one would merge into nothing; declare them, as the item type names them, in defineApp's optional: ";
    // A misspelt key is refused as the list's, since nothing tells it from a right one; the declaration names the keys the env wrote.
    expect(problems({ rules: [{ port: 53 }, { port: 5010, protcol: 'UDP' }] })).toStrictEqual([
      { env: 'prod', in: 'config', path: ['rules'], problem: `${declare}{ rules: [{ port: true, protcol: true }] }` },
    ]);
    // A list of strings has no keys to misspell; an empty list none at all.
    expect(problems({ names: ['a', 'b'], rules: [] })).toStrictEqual([]);
    // A list of lists, and a list inside the items of a known list, are declared where they sit.
    expect(problems({ matrix: [[{ port: 1 }]] })).toStrictEqual([
      { env: 'prod', in: 'config', path: ['matrix'], problem: `${declare}{ matrix: [[{ port: true }]] }` },
    ]);
    expect(problems({ rules: [{ port: 1, peers: [{ cidr: '10.0.0.0/8' }] }] }, { rules: [{ port: true, peers: true }] })).toStrictEqual([]);
    const dns = { dns: { description: 'dns', overrides: { rules: [{ port: 53, peers: [] }] } } };
    expect(
      problems(
        {
          rules: [
            { port: 1, peers: [] },
            { port: 2, peers: [{ cidr: '10.0.0.0/8' }] },
          ],
        },
        {},
        dns,
      ),
    ).toStrictEqual([{ env: 'prod', in: 'config', path: ['rules', '1', 'peers'], problem: `${declare}{ rules: [{ peers: [{ cidr: true }] }] }` }]);
    // Items a component writes say what an item holds, as the defaults' items do.
    expect(
      problems({ rules: [{ port: 53, protocl: 'UDP' }] }, {}, { dns: { description: 'dns', overrides: { rules: [{ port: 53, protocol: 'UDP' }] } } }),
    ).toStrictEqual([{ env: 'prod', in: 'config', path: ['rules', '0', 'protocl'], suggestion: 'protocol' }]);
  });

  it('knows the variants of a union declared with variants(): the tag must name one, and only its keys are taken', () => {
    const optional = { upstream: variants('mode', { name: { host: true }, ips: { addresses: true } }) };
    const problems = (upstream: object) =>
      envKeyProblems(appWith({ config: { upstream } }, optional)).map(({ path, problem }) => ({ path, problem }));
    expect(problems({ mode: 'ips', addresses: ['10.0.0.1'] })).toStrictEqual([]);
    expect(problems({ host: 'other' })).toStrictEqual([]);
    expect(problems({ mode: 'Ips', addresses: ['10.0.0.1'] })).toStrictEqual([
      { path: ['upstream', 'mode'], problem: `"Ips" is not a variant of upstream; use 'name', 'ips'; did you mean 'ips'?` },
    ]);
    expect(problems({ mode: 'ips', addresses: ['10.0.0.1'], host: 'h' })).toStrictEqual([
      { path: ['upstream', 'host'], problem: "not a key of the 'ips' variant of upstream (mode: 'ips'); its keys: mode, addresses" },
    ]);
    // Without a tag of its own the override is of the variant the defaults chose.
    expect(problems({ addresses: ['10.0.0.1'] })).toStrictEqual([
      { path: ['upstream', 'addresses'], problem: "not a key of the 'name' variant of upstream (mode: 'name'); its keys: mode, host" },
    ]);
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

describe('env keys named like the properties every object has', () => {
  it('are not keys of the config unless the config has them', () => {
    expect(envKeyProblems(appWith({ config: { constructor: 3, toString: 'x' } })).map((p) => p.path)).toStrictEqual([['constructor'], ['toString']]);
    expect(envKeyProblems(appWith({ config: { resources: { hasOwnProperty: '1' } } })).map((p) => p.path)).toStrictEqual([
      ['resources', 'hasOwnProperty'],
    ]);
  });
});

describe('components an env names', () => {
  it.each([
    'gpux',
    'constructor',
    'toString',
    'valueOf',
    '__proto__',
    'hasOwnProperty',
  ])('a name that is no component of the app (%s, even one every object has) is a problem at its place in the env', (name) => {
    const app = appWith({ components: ['big', name] });
    expect(envKeyProblems(app)).toStrictEqual([
      { env: 'prod', in: 'env', path: ['components', '1'], problem: `unknown component "${name}"; known components: big` },
    ]);
    expect(() => app.configWith([name as 'big'])).toThrow(`app demo: unknown component "${name}"; known components: big`);
    expect(() => app.manifests('prod')).toThrow(`app demo env prod: unknown component "${name}"; known components: big`);
  });

  it('says so when the app has no components at all, and takes the ones it has', () => {
    const bare = defineApp<Config>({
      name: 'bare',
      defaults,
      envs: { dev: {}, staging: {}, prod: untyped({ components: ['big'] }) as EnvironmentDefinition<Config, never> },
      render: () => [],
    });
    expect(envKeyProblems(bare).map((p) => p.problem)).toStrictEqual(['unknown component "big"; the app has no components']);
    expect(envKeyProblems(appWith({ components: ['big'] }))).toStrictEqual([]);
  });
});

describe('a null in an env that replaces a default', () => {
  it('is a problem at its key, saying to remove it or give a value: the merge would write the null out', () => {
    expect(envKeyProblems(appWith({ config: { replicas: null } }))).toStrictEqual([
      {
        env: 'prod',
        in: 'config',
        path: ['replicas'],
        problem: 'null would replace the default 1 and be written out as null; remove the key to keep the default, or give a value',
      },
    ]);
    expect(envKeyProblems(appWith({ config: { resources: { memory: null } } })).map((p) => [p.path, p.problem?.split(' and ')[0]])).toStrictEqual([
      [['resources', 'memory'], 'null would replace the default "1Gi"'],
    ]);
  });

  it('is a problem over a value a component of the env sets, and in a component over the defaults', () => {
    expect(envKeyProblems(appWith({ components: ['big'], config: { gpus: null } })).map((p) => p.path)).toStrictEqual([['gpus']]);
    const app = defineApp<Config, 'big'>({
      name: 'demo',
      defaults,
      components: { big: { description: 'more', overrides: { replicas: null as unknown as number } } },
      envs: { dev: {}, staging: {}, prod: {} },
      render: () => [],
    });
    expect(envKeyProblems(app).map((p) => [p.in, p.path])).toStrictEqual([['app', ['components', 'big', 'overrides', 'replicas']]]);
  });

  it('is allowed where there is no default to replace, or where the app declares the key `true` in optional (a type that allows null)', () => {
    expect(envKeyProblems(appWith({ config: { gpus: null } }, { gpus: true }))).toStrictEqual([]);
    expect(envKeyProblems(appWith({ config: { replicas: null } }, { replicas: true }))).toStrictEqual([]);
    expect(envKeyProblems(appWith({ config: { replicas: 2 } }))).toStrictEqual([]);
  });
});

describe('keys of the definition', () => {
  /** A definition as it arrives at run time: esbuild drops the types, so nothing checked its keys. */
  const define = (extra: Record<string, unknown>) =>
    defineApp({ name: 'demo', defaults, envs: { dev: {}, staging: {}, prod: {} }, render: () => [], ...extra } as Parameters<
      typeof defineApp<Config>
    >[0]);
  const found = (extra: Record<string, unknown>) =>
    envKeyProblems(define(extra)).map(({ path, suggestion, problem }) => ({ path, suggestion, problem }));

  it('finds a misspelt key of defineApp, of its policy and of an exception, with the key it was meant to be', () => {
    expect(found({ pin: {} })).toStrictEqual([{ path: ['pin'], suggestion: 'pins', problem: undefined }]);
    expect(found({ policy: { singleReplca: true } })).toStrictEqual([
      { path: ['policy', 'singleReplca'], suggestion: 'singleReplica', problem: undefined },
    ]);
    expect(
      found({
        policy: {
          exceptions: [
            { rule: 'require-probes', kind: 'Deployment', reason: 'r' },
            { rule: 'require-probes', nmae: 'web', reason: 'r' },
          ],
        },
      }),
    ).toStrictEqual([{ path: ['policy', 'exceptions', '1', 'nmae'], suggestion: 'name', problem: undefined }]);
    expect(found({ policy: { exceptions: [{ rule: 'require-probes', kinds: ['Deployment'], reason: 'r' }] } })).toStrictEqual([
      { path: ['policy', 'exceptions', '0', 'kinds'], suggestion: 'kind', problem: undefined },
    ]);
  });

  it('accepts every key the types allow', () => {
    expect(
      found({
        images: {},
        pins: {},
        optional: {},
        components: { big: { description: 'more', overrides: {} } },
        policy: {
          singleReplica: true,
          allowSystemNamespace: true,
          severity: { 'require-probes': { dev: 'warning', prod: 'off' } },
          exceptions: [{ rule: 'require-probes', reason: 'r', kind: 'Deployment', name: 'web', namespace: 'demo' }],
        },
      }),
    ).toStrictEqual([]);
  });

  it('finds a misspelt key of a component, and a component without its description', () => {
    expect(found({ components: { big: { descripton: 'more', overrides: {} } } })).toStrictEqual([
      { path: ['components', 'big', 'descripton'], suggestion: 'description', problem: undefined },
    ]);
    expect(found({ components: { big: { overrides: {} } } })).toStrictEqual([
      {
        path: ['components', 'big'],
        suggestion: undefined,
        problem: 'has no description: give it one sentence that says what including it does (its kustomization shows it)',
      },
    ]);
  });

  it('finds severities that are not maps of envs to levels, and values of the wrong kind', () => {
    expect(found({ policy: { severity: { 'require-probes': 'off' } } })[0]!.problem).toBe(
      'must map envs to levels, such as { dev: \'warning\' }; got "off"',
    );
    expect(found({ policy: { severity: { 'require-probes': null } } })[0]!.problem).toBe(
      "must map envs to levels, such as { dev: 'warning' }; got null",
    );
    expect(found({ policy: { severity: { 'require-probes': { dve: 'off' } } } })).toStrictEqual([
      { path: ['policy', 'severity', 'require-probes', 'dve'], suggestion: 'dev', problem: undefined },
    ]);
    expect(found({ policy: { severity: { 'require-probes': { dev: 'of' } } } })[0]!.problem).toBe(
      `"of" is not a level; use 'error', 'warning', 'off'`,
    );
    expect(found({ policy: { singleReplica: 'yes' } })[0]!.problem).toBe('must be true or false; got "yes"');
    expect(found({ policy: { allowSystemNamespace: 'yes' } })).toStrictEqual([
      { path: ['policy', 'allowSystemNamespace'], suggestion: undefined, problem: 'must be true or false; got "yes"' },
    ]);
    expect(found({ policy: { exceptions: { rule: 'require-probes' } } })[0]!.path).toStrictEqual(['policy', 'exceptions']);
  });
});

describe('an image an env file sets where images.json pins it', () => {
  const pinned = (dev: object, pins: object, images: Record<string, string> = { web: 'image' }) =>
    defineApp<Config>({
      name: 'demo',
      defaults,
      optional: { image: IMAGE_SOURCE_KEYS },
      images,
      pins,
      envs: { dev: dev as EnvironmentDefinition<Config, never>, staging: {}, prod: {} },
      render: () => [],
    });

  it('is refused: the pin would win and the env file would be ignored without a word', () => {
    const app = pinned({ config: { image: { repository: 'ghcr.io/x/y', tag: '1.0' } } }, { dev: { web: { repository: 'r', tag: '2' } } });
    expect(envKeyProblems(app)).toStrictEqual([
      {
        env: 'dev',
        in: 'config',
        path: ['image'],
        problem:
          'the image of env dev is pinned in apps/demo/images.json, which wins over the env file: change it with `strata set image --app demo --env dev <repo>:<tag>`, or remove the pin from apps/demo/images.json and keep this',
      },
    ]);
    const two = pinned({ config: { image: { tag: '1.0' } } }, { dev: { web: { repository: 'r', tag: '2' } } }, { web: 'image', sidecar: 'sidecar' });
    expect(envKeyProblems(two)[0]!.problem).toContain('`strata set image --app demo --env dev --container web <repo>:<tag>`');
  });

  it("is refused when a component the env turns on sets it: the pin would win and the component's image would be dropped", () => {
    const withGpu = (dev: object, pins: object) =>
      defineApp<Config, 'gpu' | 'quiet'>({
        name: 'demo',
        defaults,
        optional: { image: IMAGE_SOURCE_KEYS },
        images: { web: 'image' },
        components: {
          gpu: { description: 'Runs the CUDA build.', overrides: { image: { repository: 'ghcr.io/x/y-cuda', tag: '1.0' } } },
          quiet: { description: 'Runs one replica.', overrides: { replicas: 1 } },
        },
        pins,
        envs: { dev: dev as EnvironmentDefinition<Config, 'gpu' | 'quiet'>, staging: {}, prod: { components: ['gpu'] } },
        render: () => [],
      });
    const pin = { web: { repository: 'ghcr.io/x/y', tag: '2' } };
    expect(envKeyProblems(withGpu({ components: ['quiet', 'gpu'] }, { dev: pin }))).toStrictEqual([
      {
        env: 'dev',
        in: 'env',
        path: ['components', '1'],
        problem:
          "component gpu sets the image of web (image), but env dev pins it in apps/demo/images.json, which wins, so dev would run the pinned image and not the component's: pin the component's image with `strata set image --app demo --env dev <repo>:<tag>`, or remove the pin from apps/demo/images.json",
      },
    ]);
    // prod turns gpu on too, but pins nothing; dev pins but turns on only a component that sets no image.
    expect(envKeyProblems(withGpu({ components: ['quiet'] }, { dev: pin }))).toStrictEqual([]);
  });

  it('is allowed in an env images.json does not pin, and a pinned env without an image is fine', () => {
    expect(envKeyProblems(pinned({ config: { image: { tag: '1.0' } } }, { prod: { web: { repository: 'r', tag: '2' } } }))).toStrictEqual([]);
    expect(envKeyProblems(pinned({ config: { replicas: 2 } }, { dev: { web: { repository: 'r', tag: '2' } } }))).toStrictEqual([]);
  });
});
