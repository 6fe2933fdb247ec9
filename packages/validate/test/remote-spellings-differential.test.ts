import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { suiteTempDir, testTempDir, writeTree } from '@strata/testing/temp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteInputs, validate } from '../src/index.ts';
import { repo } from './kustomize-trees.ts';
import { realKustomizeBuild, remoteServer } from './remote-trees.ts';

/**
 * kustomize v5.8.1 decodes a kustomization (and a builtin plugin's configuration) with
 * sigs.k8s.io/yaml: `<<` merge keys are resolved, field names match in any case, the last of two
 * equal keys is kept, `!!binary` is decoded. A URL written so is fetched as any other. Each case is
 * built by the real kustomize against a server that records its requests: the remote-input check
 * refuses exactly the kustomizations it sends a request for.
 */
let server: Awaited<ReturnType<typeof remoteServer>>;
beforeAll(async () => {
  server = await remoteServer();
});
afterAll(() => server.close());

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

interface SpellingCase {
  readonly name: string;
  /** kustomization.yaml under the server's URL `u`, beside cm.yaml; or the whole tree. */
  readonly files: (u: string) => string | Record<string, string>;
  /** Whether kustomize sends a request; the field the refusal names first when it does. */
  readonly fetched: false | string;
  readonly helm?: boolean;
}

const CASES: readonly SpellingCase[] = [
  { name: 'a merge key at the top', fetched: '<<', files: (u) => `<<: {resources: [${u}/cm.yaml]}\n` },
  { name: 'a merge key tagged !!merge', fetched: '<<', files: (u) => `!!merge <<: {resources: [${u}/cm.yaml]}\n` },
  { name: 'a merge key of a list of mappings', fetched: '<<', files: (u) => `<<: [{namePrefix: a-}, {resources: [${u}/cm.yaml]}]\n` },
  { name: 'a field in upper case', fetched: 'Resources', files: (u) => `Resources: [cm.yaml, ${u}/cm.yaml]\n` },
  {
    name: 'a field written in two cases, the remote one decoded last',
    fetched: 'Resources',
    files: (u) => `Resources: [cm.yaml]\nnamespace: x\nresources: [cm.yaml, ${u}/cm.yaml]\n`,
  },
  { name: 'a field in capitals', fetched: 'RESOURCES', files: (u) => `RESOURCES: [${u}/cm.yaml]\n` },
  { name: 'a field with the long s, which encoding/json folds to s', fetched: 'reſources', files: (u) => `reſources: [${u}/cm.yaml]\n` },
  { name: 'bases in another case', fetched: 'BASES', files: (u) => `BASES: [${u}/cm.yaml]\n` },
  { name: 'a field written twice, the remote one last', fetched: 'resources', files: (u) => `resources: [cm.yaml]\nresources: [${u}/cm.yaml]\n` },
  { name: 'a !!binary entry', fetched: 'resources[0]', files: (u) => `resources: [!!binary ${b64(`${u}/cm.yaml`)}]\n` },
  {
    name: 'a merge key in a configMapGenerator entry',
    fetched: 'configMapGenerator[0].<<',
    files: (u) => `configMapGenerator:\n- name: gen\n  <<: {files: [${u}/file.txt]}\n`,
  },
  {
    name: 'a generator field in another case',
    fetched: 'configMapGenerator[0].Files',
    files: (u) => `configMapGenerator:\n- name: gen\n  Files: [${u}/file.txt]\n`,
  },
  {
    name: 'a generator list in another case',
    fetched: 'ConfigMapGenerator',
    files: (u) => `ConfigMapGenerator:\n- name: gen\n  files: [${u}/file.txt]\n`,
  },
  {
    name: 'a secretGenerator env in capitals',
    fetched: 'secretGenerator[0].ENV',
    files: (u) => `secretGenerator:\n- name: gen\n  ENV: ${u}/env.txt\n`,
  },
  { name: 'a patch path in another case', fetched: 'patches[0].Path', files: (u) => `resources: [cm.yaml]\npatches:\n- Path: ${u}/patch.yaml\n` },
  { name: 'a merge key in a patch', fetched: 'patches[0].<<', files: (u) => `resources: [cm.yaml]\npatches:\n- <<: {path: ${u}/patch.yaml}\n` },
  {
    name: 'a patch merged from an alias elsewhere',
    fetched: 'patches[0].<<',
    files: (u) => `resources: [cm.yaml]\nlabels:\n- pairs: &p {path: ${u}/patch.yaml}\npatches:\n- <<: *p\n`,
  },
  { name: 'patches in another case', fetched: 'Patches', files: (u) => `resources: [cm.yaml]\nPatches:\n- path: ${u}/patch.yaml\n` },
  {
    name: 'a json patch path in another case',
    fetched: 'patchesJson6902[0].PATH',
    files: (u) => `resources: [cm.yaml]\npatchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: cfg}\n  PATH: ${u}/ops.yaml\n`,
  },
  {
    name: 'a replacement path in another case',
    fetched: 'replacements[0].Path',
    files: (u) => `resources: [cm.yaml]\nreplacements:\n- Path: ${u}/replacement.yaml\n`,
  },
  { name: 'a merge key in openapi', fetched: 'openapi.<<', files: (u) => `resources: [cm.yaml]\nopenapi: {<<: {path: ${u}/openapi.json}}\n` },
  {
    name: 'a Helm values file in another case',
    fetched: 'helmCharts[0].ValuesFile',
    helm: true,
    files: (u) => ({ 'kustomization.yaml': `helmCharts:\n- name: demo\n  ValuesFile: ${u}/values.yaml\n`, 'charts/demo/Chart.yaml': 'name: demo\n' }),
  },
  {
    name: 'an inline transformer whose path is in another case',
    fetched: 'transformers[0]: PatchTransformer Path',
    files: (u) =>
      `resources: [cm.yaml]\ntransformers:\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata: {name: p}\n  Path: ${u}/patch.yaml\n`,
  },
  {
    name: 'a generator configuration with a merge key',
    fetched: 'ConfigMapGenerator <<',
    files: (u) => ({
      'kustomization.yaml': 'generators: [gen.yaml]\n',
      'gen.yaml': `apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: gen}\n<<: {envs: [${u}/env.txt]}\n`,
    }),
  },
  {
    name: 'a base with a field in another case',
    fetched: 'Resources',
    files: (u) => ({ 'kustomization.yaml': 'resources: [base]\n', 'base/kustomization.yaml': `Resources: [${u}/cm.yaml]\n` }),
  },
  {
    name: 'more than 100 aliases, read in full',
    fetched: 'resources[0]',
    files: (u) =>
      `namespace: &n team\ncommonAnnotations:\n${Array.from({ length: 120 }, (_, i) => `  a${i}: *n\n`).join('')}resources: [${u}/cm.yaml]\n`,
  },
  // YAML that go-yaml reads and this reader does not: the kustomization is refused at its file.
  { name: 'a flow list indented with a tab', fetched: 'kustomization.yaml', files: (u) => `resources: [\n\t${u}/cm.yaml]\n` },
  {
    name: 'a base with a flow list indented with a tab',
    fetched: 'kustomization.yaml',
    files: (u) => ({ 'kustomization.yaml': 'resources: [base]\n', 'base/kustomization.yaml': `resources: [\n\t${u}/cm.yaml]\n` }),
  },
  {
    name: 'a generator configuration with a flow list indented with a tab',
    fetched: 'gen.yaml',
    files: (u) => ({
      'kustomization.yaml': 'generators: [gen.yaml]\n',
      'gen.yaml': `apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: gen}\nenvs: [\n\t${u}/env.txt]\n`,
    }),
  },
  // kustomize reads none of these as a field it fetches by (most it refuses): nothing to refuse.
  { name: 'a quoted "<<", an ordinary key', fetched: false, files: (u) => `resources: [cm.yaml]\n"<<": {resources: [${u}/cm.yaml]}\n` },
  { name: 'a "<<" tagged !!str, an ordinary key', fetched: false, files: (u) => `resources: [cm.yaml]\n!!str <<: {resources: [${u}/cm.yaml]}\n` },
  {
    name: 'a dotted capital I, which encoding/json does not fold to i',
    fetched: false,
    files: (u) => `confİgMapGenerator:\n- name: gen\n  files: [${u}/file.txt]\n`,
  },
  {
    name: 'openapi keys in another case (a map: keys exact)',
    fetched: false,
    files: (u) => `resources: [cm.yaml]\nopenapi: {Path: ${u}/openapi.json, version: v1.21.2}\n`,
  },
  {
    name: 'a merge key in Helm values (free data)',
    fetched: false,
    helm: true,
    files: (u) => ({
      'kustomization.yaml': `helmCharts:\n- name: demo\n  valuesInline:\n    <<: {valuesFile: ${u}/values.yaml}\n    Resources: [${u}/cm.yaml]\n`,
      'charts/demo/Chart.yaml': 'name: demo\n',
    }),
  },
];

const tree = (c: SpellingCase) => {
  const files = c.files(server.url);
  return writeTree(
    testTempDir('strata-spelling-'),
    typeof files === 'string' ? { 'kustomization.yaml': files, 'cm.yaml': CM } : { 'cm.yaml': CM, ...files },
  );
};

describe('a URL kustomize reads through a merge key, a field name in another case, a field written twice or !!binary', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: refused exactly when kustomize fetches', async (_, c) => {
    const dir = tree(c);
    server.requests.length = 0;
    await realKustomizeBuild(dir, { helm: c.helm ?? false, field: '', served: '', files: () => ({}), line: 0 });
    expect(server.requests.length > 0).toBe(c.fetched !== false);

    server.requests.length = 0;
    const found = remoteInputs(dir);
    expect(server.requests).toStrictEqual([]);
    expect(found[0]?.field ?? false).toBe(c.fetched);
  });

  it('refuses a field written twice whichever one kustomize keeps, as how it keeps one is not read here', async () => {
    const dir = writeTree(testTempDir('strata-spelling-'), {
      'kustomization.yaml': `resources: [${server.url}/cm.yaml]\nresources: [cm.yaml]\n`,
      'cm.yaml': CM,
    });
    server.requests.length = 0;
    expect((await realKustomizeBuild(dir, { field: '', served: '', files: () => ({}), line: 0 })).status).toBe(0);
    expect(server.requests).toStrictEqual([]);
    expect(remoteInputs(dir).map((r) => [r.field, r.line, r.misspelled])).toStrictEqual([
      ['resources', 2, '`resources` is written twice (`resources` twice), and kustomize keeps one of them by rules not read here; write it once'],
    ]);
  });

  it('validate refuses a base it cannot read at its line, saying why and what to do, and fetches nothing', async () => {
    const dir = tree(CASES.find((c) => c.name === 'a base with a flow list indented with a tab')!);
    server.requests.length = 0;
    const r = await validate(repo, [dir], { serverChecks: false });
    expect(server.requests).toStrictEqual([]);
    expect(r.problems.filter((p) => p.rule === 'kustomize-build').map((p) => [p.file, p.severity, p.message])).toStrictEqual([
      [
        join(dir, 'kustomization.yaml'),
        'error',
        `cannot tell what kustomize would fetch over the network to build ${dir}: kustomization.yaml in ${join(dir, 'base/kustomization.yaml')}:2: it is not read here as YAML (Flow sequence in block collection must be sufficiently indented and end with a ]), and kustomize may read it otherwise; write it as plain YAML`,
      ],
    ]);
  });

  it('refuses a kustomization that is an alias bomb at once, without expanding it', () => {
    const levels = Array.from({ length: 30 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`).join('\n');
    const dir = writeTree(testTempDir('strata-spelling-'), { 'kustomization.yaml': `l0: &l0 [x]\n${levels}\nresources: [cm.yaml]\n`, 'cm.yaml': CM });
    const started = performance.now();
    expect(remoteInputs(dir).map((r) => [r.field, r.line, r.misspelled])).toStrictEqual([
      [
        'kustomization.yaml',
        1,
        'its aliases expand into an enormous document (an alias bomb), which kustomize expands without limit; write the repeated values out instead of aliasing them',
      ],
    ]);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('validate says where the kustomization writes it, what kustomize reads and how to write it, and fetches nothing', async () => {
    const dir = tree(CASES.find((c) => c.fetched === 'configMapGenerator[0].<<')!);
    server.requests.length = 0;
    const r = await validate(repo, [dir], { serverChecks: false });
    expect(server.requests).toStrictEqual([]);
    expect(r.problems.filter((p) => p.rule === 'kustomize-build').map((p) => [p.file, p.line, p.severity, p.message])).toStrictEqual([
      [
        join(dir, 'kustomization.yaml'),
        3,
        'error',
        `cannot tell what kustomize would fetch over the network to build ${dir}: configMapGenerator[0].<<: kustomize resolves this YAML merge key into the fields it merges, which are not read here as they are written; write those fields out in its place`,
      ],
    ]);
  });
});

/**
 * kustomize's loader takes a path for a git repository (`git.NewRepoSpecFromURL`) before it looks for
 * a folder of that name, so `github.com/org/repo` is cloned even where the tree has that folder.
 * GitHub is a folder of bare repositories here (git's `url.<folder>.insteadOf`), so the real kustomize
 * is seen to clone, offline, and the remote-input check refuses exactly what it clones.
 */
describe('a path kustomize takes for a git repository, whatever the tree holds', () => {
  const { dir: root } = suiteTempDir('strata-repospec-');
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  // Each repository holds a kustomization whose ConfigMap says where it was built from.
  const REPOS: Record<string, Record<string, string>> = {
    'org/repo': { 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': CM.replace('cfg', 'from-remote-repo') },
    'org/component': {
      'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [cm.yaml]\n',
      'cm.yaml': CM.replace('cfg', 'from-remote-repo'),
    },
    'org/gen': {
      'kustomization.yaml': 'resources: [gen.yaml]\n',
      'gen.yaml': 'apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: from-remote-repo}\nliterals: [a=b]\n',
    },
  };
  for (const [name, files] of Object.entries(REPOS)) {
    const work = writeTree(join(root, 'work', name), files);
    git(work, 'init', '-q', '-b', 'main');
    git(work, 'add', '.');
    git(work, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'x');
    git(root, 'clone', '-q', '--bare', work, join(root, 'github', name));
  }
  const gitconfig = join(root, 'gitconfig');
  writeTree(root, {
    gitconfig: `[url "${root}/github/"]\n\tinsteadOf = https://github.com/\n\tinsteadOf = git@github.com:\n[protocol "file"]\n\tallow = always\n`,
  });
  const LOCAL = CM.replace('cfg', 'local');
  /** The tree's folder of each name, holding a kustomization of a ConfigMap `local` (a Component for a component). */
  const folders = (names: readonly string[], component = false) =>
    Object.fromEntries(
      names.flatMap((n) => [
        [
          `${n}/kustomization.yaml`,
          component ? 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [cm.yaml]\n' : 'resources: [cm.yaml]\n',
        ],
        [`${n}/cm.yaml`, LOCAL],
      ]),
    );

  const CLONED: readonly [string, string, Record<string, string>][] = [
    ['resources', 'github.com/org/repo', folders(['github.com/org/repo'])],
    ['resources', 'GitHub.com/org/repo', folders(['GitHub.com/org/repo'])],
    ['resources', 'github.com/org/repo?ref=main', {}],
    ['resources', 'github.com/org/repo//', {}],
    ['resources', 'git::github.com/org/repo', {}],
    ['resources', 'GitHub.com:org/repo', {}],
    ['resources', 'git@github.com:org/repo', {}],
    ['resources', 'git::https://github.com/org/repo', {}],
    ['resources', 'HTTPS://GitHub.com/org/repo', {}],
    ['resources', 'ssh://git@github.com/org/repo', {}],
    ['bases', 'github.com/org/repo', folders(['github.com/org/repo'])],
    ['components', 'github.com/org/component', folders(['github.com/org/component'], true)],
    ['generators', 'github.com/org/gen', folders(['github.com/org/gen'])],
  ];
  // Read in the tree: kustomize takes none of these for a repository.
  const LOCAL_READ: readonly [string, string, Record<string, string>][] = [
    ['resources', './github.com/org/repo', folders(['github.com/org/repo'])],
    ['resources', 'github.com/org', folders(['github.com/org'])],
    ['resources', 'github.com', folders(['github.com'])],
    ['resources', 'github.comx/org/repo', folders(['github.comx/org/repo'])],
    ['resources', 'vendor/github.com/org/repo', folders(['vendor/github.com/org/repo'])],
  ];

  const build = (dir: string) =>
    spawnSync(join(repo, '.tools', 'bin', 'kustomize'), ['build', dir], {
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_GLOBAL: gitconfig, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
    });
  const tree = (field: string, entry: string, files: Record<string, string>) =>
    writeTree(testTempDir('strata-repospec-'), {
      'kustomization.yaml': `resources:\n- cm.yaml\n${field === 'resources' ? '' : `${field}:\n`}- ${entry}\n`,
      'cm.yaml': CM,
      ...files,
    });

  it.each(CLONED)('%s: %s is cloned by kustomize and refused', (field, entry, files) => {
    const dir = tree(field, entry, files);
    const r = build(dir);
    expect([r.status, r.stdout]).toStrictEqual([0, expect.stringContaining('name: from-remote-repo')]);
    expect(remoteInputs(dir).map((f) => [f.field, f.line, f.entry])).toStrictEqual([
      [field === 'resources' ? 'resources[1]' : `${field}[0]`, field === 'resources' ? 3 : 4, entry],
    ]);
  });

  it.each(LOCAL_READ)('%s: %s is read in the tree by kustomize and not refused', (field, entry, files) => {
    const dir = tree(field, entry, files);
    const r = build(dir);
    expect([r.status, r.stdout]).toStrictEqual([0, expect.stringContaining('name: local')]);
    expect(r.stdout).not.toContain('from-remote-repo');
    expect(remoteInputs(dir)).toStrictEqual([]);
  });
});
