import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { buildOverlays, resolveBuilder, startBuilder, type BuildResult } from '../src/index.ts';
import { scratchCheckout } from './scratch.ts';

const repo = findRoot();

/** Every folder under overlays/ with a kustomization: each app's overlay and each whole-env tree. */
function allOverlays(root: string): string[] {
  return readdirSync(join(root, 'overlays'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name === 'kustomization.yaml')
    .map((e) => relative(root, e.parentPath))
    .sort();
}

/** The files under the given folders, by path relative to the repository. */
function filesOf(dirs: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const dir of dirs) {
    for (const e of readdirSync(join(repo, dir), { withFileTypes: true, recursive: true })) {
      if (e.isFile()) files.set(relative(repo, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name), 'utf8'));
    }
  }
  return files;
}

// The builder is optional (setup skips it without Go); the kustomize binary stays the reference.
describe.skipIf(!resolveBuilder(repo))('the kustomize builder', () => {
  const overlays = allOverlays(repo);
  let builder: BuildResult[] = [];
  let kustomize: BuildResult[] = [];

  beforeAll(async () => {
    [builder, kustomize] = await Promise.all([
      buildOverlays(repo, overlays, { engine: 'builder' }),
      buildOverlays(repo, overlays, { engine: 'kustomize' }),
    ]);
  });

  it('finds the app overlays and the whole-env aggregates', () => {
    expect(overlays).toEqual(expect.arrayContaining(['overlays/dev', 'overlays/staging', 'overlays/prod']));
    expect(overlays.length).toBeGreaterThan(3);
  });

  it.each(overlays)('builds %s byte for byte like `kustomize build`', (overlay) => {
    const i = overlays.indexOf(overlay);
    expect(kustomize[i]!.error).toBeUndefined();
    expect(builder[i]!.overlay).toBe(overlay);
    expect(builder[i]!.error).toBeUndefined();
    expect(builder[i]!.yaml).toBe(kustomize[i]!.yaml);
  });

  it('with origins, builds every overlay byte for byte the same and names the file or generator of each object', async () => {
    const withOrigins = await buildOverlays(repo, overlays, { engine: 'builder', origins: true });
    for (const [i, r] of withOrigins.entries()) {
      expect(r.yaml).toBe(kustomize[i]!.yaml);
      expect(r.origins).toHaveLength(r.yaml.split(/^---$/m).length);
      for (const o of r.origins ?? []) {
        // A file of the tree, relative to the overlay, that exists; or the kustomization of a generator.
        const file = o?.path ?? o?.configuredIn;
        expect(file, `${r.overlay}: ${JSON.stringify(o)}`).toBeDefined();
        expect(readFileSync(join(repo, r.overlay, file!), 'utf8')).not.toBe('');
      }
    }
  });

  it('builds every app overlay from its files in memory byte for byte like `kustomize build` on disk', async () => {
    // An app overlay reads its own folder and its app's base; the whole-env trees read every app.
    const apps = overlays.filter((o) => o.split('/').length === 3);
    const session = startBuilder(repo)!;
    const results = await Promise.all(apps.map((o) => session.build(o, filesOf([o, `base/${o.split('/')[2]}`]))));
    await session.close();
    expect(apps.length).toBeGreaterThan(10);
    results.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.overlay).toBe(apps[i]);
      expect(r.yaml).toBe(kustomize[overlays.indexOf(apps[i]!)]!.yaml);
    });
  });

  it("builds each app's env overlays from one request holding its base once, byte for byte like `kustomize build`", async () => {
    const apps = [...new Set(overlays.filter((o) => o.split('/').length === 3).map((o) => o.split('/')[2]!))];
    const session = startBuilder(repo)!;
    const asked = apps.map((app) => {
      const envOverlays = overlays.filter((o) => o.split('/').length === 3 && o.endsWith(`/${app}`));
      return { envOverlays, results: session.buildAll(envOverlays, filesOf([...envOverlays, `base/${app}`])) };
    });
    const lonely = session.buildAll(
      ['overlays/dev/gone', 'overlays/prod/gone'],
      new Map([['overlays/dev/gone/kustomization.yaml', 'resources:\n  - missing.yaml\n']]),
    );
    const done = await Promise.all(asked.map(async (a) => ({ ...a, results: await Promise.all(a.results) })));
    const [gone, absent] = await Promise.all(lonely);
    await session.close();
    expect(done.length).toBeGreaterThan(3);
    for (const { envOverlays, results } of done) {
      expect(envOverlays).toHaveLength(3);
      results.forEach((r, i) => {
        expect(r.error).toBeUndefined();
        expect(r.overlay).toBe(envOverlays[i]);
        expect(r.yaml).toBe(kustomize[overlays.indexOf(envOverlays[i]!)]!.yaml);
      });
    }
    // Each overlay of a request is answered on its own: one that fails does not take the others with it.
    expect(gone).toMatchObject({ overlay: 'overlays/dev/gone', ok: false });
    expect(gone!.error).toMatch(/missing\.yaml/);
    expect(absent).toMatchObject({ overlay: 'overlays/prod/gone', ok: false });
  });

  it('builds from memory what is not on disk at all, and reports a missing file like on disk', async () => {
    const session = startBuilder(repo)!;
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: only-in-memory\n';
    const [made, broken] = await Promise.all([
      session.build(
        'overlays/dev/nowhere',
        new Map([
          ['overlays/dev/nowhere/kustomization.yaml', 'resources:\n  - cm.yaml\n'],
          ['overlays/dev/nowhere/cm.yaml', cm],
        ]),
      ),
      session.build('overlays/dev/gone', new Map([['overlays/dev/gone/kustomization.yaml', 'resources:\n  - missing.yaml\n']])),
    ]);
    await session.close();
    expect(made).toMatchObject({ overlay: 'overlays/dev/nowhere', ok: true, yaml: cm });
    expect(broken).toMatchObject({ overlay: 'overlays/dev/gone', ok: false });
    expect(broken.error).toMatch(/missing\.yaml/);
  });

  it('answers two requests for one overlay from different files each with its own build, though the second is quicker to build', async () => {
    const session = startBuilder(repo)!;
    const overlay = 'overlays/dev/twice';
    const configMaps = (n: number, name: string) =>
      Array.from({ length: n }, (_, i) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-${i}\ndata:\n  k: v${i}\n`).join('');
    const tree = (n: number, name: string) =>
      new Map([
        [`${overlay}/kustomization.yaml`, 'resources:\n  - cms.yaml\n'],
        [`${overlay}/cms.yaml`, configMaps(n, name)],
      ]);
    // The builder answers in completion order: the small tree, asked for second, is built first.
    const slow = session.buildAll([overlay], tree(400, 'slow'));
    const quick = session.buildAll([overlay], tree(1, 'quick'));
    const [[a], [b]] = await Promise.all([Promise.all(slow), Promise.all(quick)]);
    await session.close();
    expect(a).toMatchObject({ overlay, ok: true });
    expect(b).toMatchObject({ overlay, ok: true });
    expect(a!.yaml.match(/^kind: ConfigMap$/gm)).toHaveLength(400);
    expect(a!.yaml).toMatch(/name: slow-399\n/);
    expect(b!.yaml).toBe('apiVersion: v1\ndata:\n  k: v0\nkind: ConfigMap\nmetadata:\n  name: quick-0\n');
  });

  describe('on a failing overlay', () => {
    const { root } = scratchCheckout('strata-builder-', {
      'overlays/dev/good/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'overlays/dev/good/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n',
      'overlays/dev/broken/kustomization.yaml': 'resources:\n  - missing.yaml\n',
    });

    it('reports the same one-line kustomize error, naming the overlay, and still builds the others', async () => {
      const dirs = ['overlays/dev/broken', 'overlays/dev/good'];
      const [b, k] = await Promise.all([buildOverlays(root, dirs, { engine: 'builder' }), buildOverlays(root, dirs, { engine: 'kustomize' })]);
      for (const results of [b, k]) {
        expect(results.map((r) => [r.overlay, r.ok])).toStrictEqual([
          ['overlays/dev/broken', false],
          ['overlays/dev/good', true],
        ]);
        expect(results[0]!.error).toMatch(/overlays\/dev\/broken.*missing\.yaml/);
        expect(results[0]!.error).not.toMatch(/\n/);
      }
      expect(b[0]!.error).toBe(k[0]!.error);
      expect(b[1]!.yaml).toBe(k[1]!.yaml);
    });

    it('reports a folder that does not exist as that overlay failing', async () => {
      const [r] = await buildOverlays(root, ['overlays/dev/nope'], { engine: 'builder' });
      expect(r).toMatchObject({ overlay: 'overlays/dev/nope', ok: false });
      expect(r!.error).toMatch(/overlays\/dev\/nope/);
    });
  });

  describe('on a kustomization that asks for build metadata', () => {
    const { root } = scratchCheckout('strata-builder-', {
      'base/app/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'base/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n',
      'overlays/dev/app/kustomization.yaml':
        'buildMetadata: [managedByLabel, originAnnotations, transformerAnnotations]\nnamePrefix: dev-\nresources:\n  - ../../../base/app\n',
    });

    it('writes the managed-by label with the version of the pinned kustomize, byte for byte like `kustomize build`', async () => {
      const dirs = ['overlays/dev/app'];
      const [[b], [k]] = await Promise.all([buildOverlays(root, dirs, { engine: 'builder' }), buildOverlays(root, dirs, { engine: 'kustomize' })]);
      expect(k!.error).toBeUndefined();
      expect(k!.yaml).toMatch(/^ {4}app\.kubernetes\.io\/managed-by: kustomize-v\d+\.\d+\.\d+\n/m);
      expect(b!.error).toBeUndefined();
      expect(b!.yaml).toBe(k!.yaml);
    });
  });
});

/** A ConfigMap of nine lines whose aliases expand into 9^9 strings (a "billion laughs"). */
function aliasBomb(name: string, indent = ''): string {
  const levels = 'abcdefghi'.split('');
  const rows = levels.map(
    (l, i) =>
      `  ${l}: &${l} [${Array(9)
        .fill(i === 0 ? '"lol"' : `*${levels[i - 1]}`)
        .join(', ')}]`,
  );
  return [`apiVersion: v1`, `kind: ConfigMap`, `metadata:`, `  name: ${name}`, `data:`, ...rows].map((r) => indent + r).join('\n') + '\n';
}

// kustomize copies every alias's target in place with no limit: without the builder's own check one
// such file made it allocate until the process died, with every other build in flight.
describe.skipIf(!resolveBuilder(repo))('a builder built before origins', () => {
  it('answers a request for them as a folder missing from an empty tree: the overlay is built again without them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-builder-old-'));
    try {
      // That builder's words for such a request; any other line goes to the real builder.
      const old = join(dir, 'old-builder.mjs');
      writeFileSync(
        old,
        `#!${process.execPath}
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
for await (const line of createInterface({ input: process.stdin })) {
  if (line.startsWith('{')) {
    const { overlay } = JSON.parse(line);
    console.log(JSON.stringify({ overlay, ok: false, yaml: '', error: \`must build at directory: not a valid directory: '/\${overlay}' doesn't exist\`, millis: 0 }));
  } else process.stdout.write(spawnSync(${JSON.stringify(resolveBuilder(repo)!)}, [line], { encoding: 'utf8' }).stdout);
}
`,
        { mode: 0o755 },
      );
      const [overlay] = allOverlays(repo);
      const [r] = await buildOverlays(repo, [overlay!], { builder: old, origins: true });
      const [plain] = await buildOverlays(repo, [overlay!], { engine: 'builder' });
      expect(r!.error).toBeUndefined();
      expect(r!.yaml).toBe(plain!.yaml);
      expect(r!.origins).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!resolveBuilder(repo))('a builder built before a request could name several overlays', () => {
  it('answers such a request for no overlay: each is asked for on its own and built, even once the session is closing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-builder-single-'));
    try {
      // That builder reads {"overlays": [...]} as naming no overlay; any other line goes to the real builder.
      const old = join(dir, 'old-builder.mjs');
      writeFileSync(
        old,
        `#!${process.execPath}
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
for await (const line of createInterface({ input: process.stdin })) {
  if (JSON.parse(line).overlays) console.log(JSON.stringify({ overlay: '', ok: false, yaml: '', error: "must build at directory: not a valid directory: '/' doesn't exist", millis: 0 }));
  else process.stdout.write(spawnSync(${JSON.stringify(resolveBuilder(repo)!)}, [], { input: line + '\\n', encoding: 'utf8', maxBuffer: 1 << 28 }).stdout);
}
`,
        { mode: 0o755 },
      );
      const app = allOverlays(repo)
        .find((o) => o.split('/').length === 3)!
        .split('/')[2]!;
      const envOverlays = ['dev', 'staging', 'prod'].map((env) => `overlays/${env}/${app}`);
      const session = startBuilder(repo, { builder: old })!;
      const answers = session.buildAll(envOverlays, filesOf([...envOverlays, `base/${app}`]));
      // Closed at once, as the pipeline closes it once every app is sent: the answers still come.
      const closed = session.close();
      const results = await Promise.all(answers);
      await closed;
      const plain = await buildOverlays(repo, envOverlays, { engine: 'builder' });
      results.forEach((r, i) => {
        expect(r.error).toBeUndefined();
        expect(r.overlay).toBe(envOverlays[i]);
        expect(r.yaml).toBe(plain[i]!.yaml);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!resolveBuilder(repo))('the kustomize builder on an alias bomb', () => {
  const { root, write } = scratchCheckout('strata-builder-bomb-');
  // A few legitimate anchors, aliases and a merge key, which kubectl decodes.
  const anchors = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: anchored',
    '  labels: &labels {app: web, tier: front}',
    '  annotations: {note: "a & b * c"}',
    'data:',
    '  one: &v shared',
    '  two: *v',
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: merged',
    '  labels:',
    '    <<: {app: web}',
    '    extra: x',
    '',
  ].join('\n');
  beforeAll(() => {
    write('base/bomb/kustomization.yaml', 'resources:\n  - good.yaml\n  - lol.yaml\n');
    write('base/bomb/good.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n');
    write('base/bomb/lol.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n---\n${aliasBomb('lol')}`);
    write('overlays/dev/bomb/kustomization.yaml', 'resources:\n  - ../../../base/bomb\n');
    write('overlays/dev/patched/kustomization.yaml', 'resources:\n  - cm.yaml\npatches:\n  - path: patch.yaml\n');
    write('overlays/dev/patched/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n');
    write('overlays/dev/patched/patch.yaml', aliasBomb('lol'));
    write('overlays/dev/inline/kustomization.yaml', `resources:\n  - cm.yaml\npatches:\n  - patch: |-\n${aliasBomb('lol', '      ')}`);
    write('overlays/dev/inline/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n');
    write('overlays/dev/anchors/kustomization.yaml', 'resources:\n  - cm.yaml\n');
    write('overlays/dev/anchors/cm.yaml', anchors);
  });

  it('refuses a resource, a patch file and an inline patch in one line naming the file and line, and builds the rest', async () => {
    const dirs = ['overlays/dev/bomb', 'overlays/dev/patched', 'overlays/dev/inline', 'overlays/dev/anchors'];
    const results = await buildOverlays(root, dirs, { engine: 'builder' });
    expect(results.map((r) => [r.overlay, r.ok])).toStrictEqual([
      ['overlays/dev/bomb', false],
      ['overlays/dev/patched', false],
      ['overlays/dev/inline', false],
      ['overlays/dev/anchors', true],
    ]);
    const why = 'not valid YAML: its aliases expand into an enormous document (an alias bomb); kubectl refuses it';
    expect(results[0]!.error).toMatch(new RegExp(`^base/bomb/lol\\.yaml:6: ${why.replace(/[()]/g, '\\$&')}`));
    expect(results[1]!.error).toMatch(/^overlays\/dev\/patched\/patch\.yaml:1: not valid YAML: .*alias bomb/);
    expect(results[2]!.error).toMatch(/^overlays\/dev\/inline\/kustomization\.yaml:5: not valid YAML: .*alias bomb/);
    for (const r of results.slice(0, 3)) expect(r.error).not.toMatch(/\n/);
  });

  it('builds a document with legitimate anchors, aliases and merge keys byte for byte like `kustomize build`', async () => {
    const [b, k] = await Promise.all([
      buildOverlays(root, ['overlays/dev/anchors'], { engine: 'builder' }),
      buildOverlays(root, ['overlays/dev/anchors'], { engine: 'kustomize' }),
    ]);
    expect(b[0]!.error).toBeUndefined();
    expect(b[0]!.yaml).toBe(k[0]!.yaml);
    expect(b[0]!.yaml).toContain('two: shared');
  });

  it('refuses it in files given in memory too, and keeps building after it', async () => {
    const session = startBuilder(root)!;
    const [bomb, good] = await Promise.all([
      session.build(
        'overlays/dev/mem',
        new Map([
          ['overlays/dev/mem/kustomization.yaml', 'resources:\n  - lol.yaml\n'],
          ['overlays/dev/mem/lol.yaml', aliasBomb('lol')],
        ]),
      ),
      session.build(
        'overlays/dev/anchors',
        new Map([
          ['overlays/dev/anchors/kustomization.yaml', 'resources:\n  - cm.yaml\n'],
          ['overlays/dev/anchors/cm.yaml', anchors],
        ]),
      ),
    ]);
    await session.close();
    expect(bomb).toMatchObject({ overlay: 'overlays/dev/mem', ok: false });
    expect(bomb.error).toMatch(/^overlays\/dev\/mem\/lol\.yaml:1: not valid YAML: .*alias bomb/);
    expect(good).toMatchObject({ overlay: 'overlays/dev/anchors', ok: true });
  });
});

const hasGo = spawnSync('go', ['version']).status === 0;

// The builder writes YAML its own way where it can prove the bytes equal kustomize's; its Go tests
// compare the two writers on awkward resources, on random nodes and on every overlay here.
describe.skipIf(!hasGo)("the builder's Go tests", () => {
  it('pass: its YAML writer agrees byte for byte with kustomize', () => {
    const r = spawnSync('go', ['test', '.'], {
      cwd: join(repo, 'packages', 'kustomize', 'builder'),
      env: { ...process.env, CGO_ENABLED: '0' },
      encoding: 'utf8',
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  }, 600_000);
});
