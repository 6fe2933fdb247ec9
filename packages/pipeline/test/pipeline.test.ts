import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheFile } from '../src/cache.ts';
import { pipeline, type PipelineResult } from '../src/pipeline.ts';
import { strata, tempWorkspace } from '@strata/testing/workspace';

const APPS = ['gethrelay', 'tokenplace-relay'];

/** Every file the pipeline writes (generated tree, Argo CD files and built output), by path. */
function outputs(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const top of ['base', 'overlays', 'gitops', 'dist']) {
    if (!existsSync(join(root, top))) continue;
    for (const e of readdirSync(join(root, top), { withFileTypes: true, recursive: true })) {
      if (e.isFile()) out[join(e.parentPath, e.name).slice(root.length + 1)] = readFileSync(join(e.parentPath, e.name), 'utf8');
    }
  }
  return out;
}

const summary = (r: PipelineResult) => ({
  apps: r.apps,
  reused: r.reused,
  built: r.built.results.map((b) => b.overlay).sort(),
  failed: r.built.failed,
});

describe('strata pipeline', () => {
  const ws = tempWorkspace(APPS);
  const full = tempWorkspace(APPS);
  afterAll(() => {
    ws.dispose();
    full.dispose();
  });
  const relayDev = (root: string) => join(root, 'apps/tokenplace-relay/src/env/dev.ts');
  const relayPins = (root: string) => join(root, 'apps/tokenplace-relay/images.json');
  let first: PipelineResult;

  it('renders, builds and validates every app on a first run, like generate, build and validate', async () => {
    first = await pipeline(ws.root);
    expect(summary(first)).toMatchObject({ apps: 2, reused: 0, failed: 0 });
    expect(first.built.results).toHaveLength(6);
    // The apps' committed trees were up to date: only the files that list every app change, as
    // this workspace holds two of the five apps.
    expect(first.generated.written.filter((f) => !/^overlays\/[a-z]+\/kustomization\.yaml$|^gitops\//.test(f))).toStrictEqual([]);
    expect(strata(ws.root, ['check']).status).toBe(0);
    const validated = strata(ws.root, ['validate', '--output', 'json']);
    const report = JSON.parse(validated.stdout) as { problems: unknown[]; summary: { resources: number } };
    expect(report.problems).toStrictEqual(JSON.parse(JSON.stringify(first.problems)));
    expect(first.resources).toBe(report.summary.resources);
    expect(first.resources).toBeGreaterThan(20);
    // The pipeline's dist/ is what `strata build` writes.
    const before = outputs(ws.root);
    expect(strata(ws.root, ['build']).status).toBe(0);
    expect(outputs(ws.root)).toStrictEqual(before);
  });

  it('reuses every unchanged app on the next run and reports the same findings', async () => {
    const tree = outputs(ws.root);
    const again = await pipeline(ws.root);
    expect(summary(again)).toStrictEqual({ apps: 2, reused: 2, built: [], failed: 0 });
    // Nothing of a reused app is loaded, rendered or compared with the tree.
    expect(again.generated.unchanged).toBe(0);
    expect(again.problems).toStrictEqual(first.problems);
    expect(again.resources).toBe(first.resources);
    expect(outputs(ws.root)).toStrictEqual(tree);
  });

  it('redoes only the app that changed, and ends where a run without the cache ends', async () => {
    const edit = (root: string) =>
      writeFileSync(relayPins(root), readFileSync(relayPins(root), 'utf8').replace('"tag": "sha-3f9c2e1"', '"tag": "sha-0000001"'));
    edit(ws.root);
    const r = await pipeline(ws.root);
    expect(summary(r)).toStrictEqual({
      apps: 2,
      reused: 1,
      built: ['overlays/dev/tokenplace-relay', 'overlays/prod/tokenplace-relay', 'overlays/staging/tokenplace-relay'],
      failed: 0,
    });
    expect(r.generated.written).toStrictEqual(['overlays/dev/tokenplace-relay/kustomization.yaml']);
    expect(readFileSync(join(ws.root, 'dist/dev/tokenplace-relay.yaml'), 'utf8')).toContain('tokenplace-relay:sha-0000001');
    edit(full.root);
    const fresh = await pipeline(full.root, { cache: false });
    expect(fresh.reused).toBe(0);
    expect(outputs(ws.root)).toStrictEqual(outputs(full.root));
    expect(r.problems).toStrictEqual(fresh.problems);
    // gitops/ written from the reused app's remembered sync settings is what generate writes.
    expect(strata(ws.root, ['check']).status).toBe(0);
  });

  it('builds with one kustomize per overlay from disk when $STRATA_KUSTOMIZE names one, to the same result', async () => {
    rmSync(join(full.root, 'dist'), { recursive: true, force: true });
    process.env.STRATA_KUSTOMIZE = join(full.root, '.tools', 'bin', 'kustomize');
    try {
      const r = await pipeline(full.root, { cache: false });
      expect(r.built.results.map((b) => b.ok)).toStrictEqual([true, true, true, true, true, true]);
    } finally {
      delete process.env.STRATA_KUSTOMIZE;
    }
    expect(outputs(full.root)).toStrictEqual(outputs(ws.root));
  });

  it('puts back a generated file edited by hand, and builds again a deleted dist file', async () => {
    const generated = join(ws.root, 'overlays/prod/gethrelay/kustomization.yaml');
    const original = readFileSync(generated, 'utf8');
    writeFileSync(generated, `${original}# edited by hand\n`);
    rmSync(join(ws.root, 'dist/staging/tokenplace-relay.yaml'));
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(0);
    expect(readFileSync(generated, 'utf8')).toBe(original);
    expect(existsSync(join(ws.root, 'dist/staging/tokenplace-relay.yaml'))).toBe(true);
    expect(outputs(ws.root)).toStrictEqual(outputs(full.root));
  });

  it('never reuses an app whose folder holds a file it did not generate, whenever that file came', async () => {
    const foreign = join(ws.root, 'base/gethrelay/notes.yaml');
    writeFileSync(foreign, 'kind: Note\n');
    try {
      // Only the other app: gethrelay is built from disk, as kustomize would see it, run after run.
      expect((await pipeline(ws.root)).reused).toBe(1);
      expect((await pipeline(ws.root)).reused).toBe(1);
    } finally {
      rmSync(foreign);
    }
    expect((await pipeline(ws.root)).reused).toBe(1); // rendered again once the file is gone
    expect((await pipeline(ws.root)).reused).toBe(2);
    writeFileSync(foreign, 'kind: Note\n'); // added after a pipeline
    try {
      expect((await pipeline(ws.root)).reused).toBe(1);
    } finally {
      rmSync(foreign);
    }
    expect((await pipeline(ws.root)).reused).toBe(1);
  });

  it('applies a cache restored in another checkout: contents decide, not file times', async () => {
    // Both workspaces hold the same sources and outputs, written at different times.
    rmSync(join(full.root, '.strata'), { recursive: true, force: true });
    cpSync(join(ws.root, '.strata'), join(full.root, '.strata'), { recursive: true });
    const r = await pipeline(full.root);
    expect(summary(r)).toStrictEqual({ apps: 2, reused: 2, built: [], failed: 0 });
  });

  it('reuses nothing from a cache that is unreadable or that another version of the tools wrote', async () => {
    writeFileSync(cacheFile(ws.root), '{ not json');
    expect((await pipeline(ws.root)).reused).toBe(0);
    expect((await pipeline(ws.root)).reused).toBe(2);
    process.env.STRATA_KUSTOMIZE_TEST_FLAG = 'changed';
    try {
      expect((await pipeline(ws.root)).reused).toBe(0);
    } finally {
      delete process.env.STRATA_KUSTOMIZE_TEST_FLAG;
    }
  });

  it('as a command: says how many apps it reused, and fails on a broken app naming its file', () => {
    strata(ws.root, ['pipeline', '--no-frozen']); // after the last test's other tool version
    const ok = strata(ws.root, ['pipeline', '--no-frozen']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/generate: 0 written, 0 removed, \d+ unchanged; 2 of 2 apps unchanged since the last run, reused/);
    expect(ok.stdout).toMatch(/pipeline: 2 apps x 3 envs: No problems in \d+ resources/);
    const before = outputs(ws.root);
    const source = relayDev(ws.root);
    const original = readFileSync(source, 'utf8');
    writeFileSync(source, `${original}\nthrow new Error('dev settings are missing');\n`);
    try {
      const broken = strata(ws.root, ['pipeline', '--no-frozen']);
      expect(broken.status).toBe(1);
      expect(broken.stderr).toMatch(/apps\/tokenplace-relay\/src\/env\/dev\.ts:\d+:\d+: cannot load: dev settings are missing/);
      // Nothing was written.
      expect(outputs(ws.root)).toStrictEqual(before);
    } finally {
      writeFileSync(source, original);
    }
  });
});

describe('strata pipeline when things go wrong', () => {
  const ws = tempWorkspace(['tokenplace-relay']);
  afterAll(() => ws.dispose());
  const relayDev = join(ws.root, 'apps/tokenplace-relay/src/env/dev.ts');
  const relayPins = join(ws.root, 'apps/tokenplace-relay/images.json');
  const devTag = () => /tokenplace-relay:(sha-[0-9a-z]+)/.exec(readFileSync(join(ws.root, 'dist/dev/tokenplace-relay.yaml'), 'utf8'))?.[1];

  it('does not remember an app whose sources changed while the run read them', async () => {
    await pipeline(ws.root);
    const original = readFileSync(relayPins, 'utf8');
    let edited = false;
    const during = await pipeline(ws.root, {
      cache: false,
      onBuild: () => {
        if (edited) return;
        edited = true;
        writeFileSync(relayPins, original.replace('"tag": "sha-3f9c2e1"', '"tag": "sha-0000002"'));
      },
    });
    expect(during.reused).toBe(0);
    expect(devTag()).toBe('sha-3f9c2e1'); // what it read
    const next = await pipeline(ws.root);
    expect(next.reused).toBe(0);
    expect(devTag()).toBe('sha-0000002');
    writeFileSync(relayPins, original);
    await pipeline(ws.root);
  });

  it('redoes an app when a workspace package it imports changes', async () => {
    const shared = join(ws.root, 'apps', 'shared');
    mkdirSync(shared, { recursive: true });
    writeFileSync(join(shared, 'package.json'), JSON.stringify({ name: '@strata-apps/shared', type: 'module', exports: { '.': './index.ts' } }));
    writeFileSync(join(shared, 'index.ts'), "export const DEV_TAG = 'sha-aaaaaaa';\n");
    const link = join(ws.root, 'apps/tokenplace-relay/node_modules/@strata-apps/shared');
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync('../../../shared', link);
    const original = readFileSync(relayDev, 'utf8');
    // The dev image comes from the env file here, so images.json must not pin it.
    const pins = readFileSync(relayPins, 'utf8');
    const { dev: _dev, ...others } = JSON.parse(pins) as Record<string, unknown>;
    writeFileSync(relayPins, JSON.stringify(others));
    writeFileSync(
      relayDev,
      `import { DEV_TAG } from '@strata-apps/shared';\n${original.replace('config: {', "config: {\n    image: { repository: 'ghcr.io/tokenplace/tokenplace-relay', tag: DEV_TAG },")}`,
    );
    try {
      // Each run in its own process, as a user runs it: Node keeps a package it imported once.
      expect(strata(ws.root, ['pipeline', '--no-frozen']).status).toBe(0);
      expect(devTag()).toBe('sha-aaaaaaa');
      expect(strata(ws.root, ['pipeline', '--no-frozen']).stdout).toMatch(/1 of 1 app unchanged since the last run, reused/);
      writeFileSync(join(shared, 'index.ts'), "export const DEV_TAG = 'sha-bbbbbbb';\n");
      const r = strata(ws.root, ['pipeline', '--no-frozen']);
      expect(r.status).toBe(0);
      expect(r.stdout).not.toMatch(/apps? unchanged since the last run, reused/);
      expect(devTag()).toBe('sha-bbbbbbb');
    } finally {
      writeFileSync(relayDev, original);
      writeFileSync(relayPins, pins);
      rmSync(link);
      rmSync(shared, { recursive: true });
    }
  });

  it('works the same through a symbolic link to the workspace', async () => {
    const linked = `${ws.root}-link`;
    symlinkSync(ws.root, linked);
    try {
      await pipeline(linked);
      expect((await pipeline(linked)).reused).toBe(1);
      const original = readFileSync(relayPins, 'utf8');
      writeFileSync(relayPins, original.replace('"tag": "sha-3f9c2e1"', '"tag": "sha-0000003"'));
      try {
        expect((await pipeline(linked)).reused).toBe(0);
        expect(devTag()).toBe('sha-0000003');
      } finally {
        writeFileSync(relayPins, original);
      }
    } finally {
      rmSync(linked);
    }
  });

  it('builds from disk, like `strata build`, an app whose folder holds a file it did not generate', async () => {
    const extra = join(ws.root, 'overlays/dev/tokenplace-relay/Kustomization');
    writeFileSync(extra, readFileSync(join(ws.root, 'overlays/dev/tokenplace-relay/kustomization.yaml')));
    try {
      const r = await pipeline(ws.root);
      expect(r.built.failed).toBe(1);
      expect(r.built.results.find((b) => !b.ok)?.error).toMatch(/multiple kustomization files/i);
    } finally {
      rmSync(extra);
    }
    expect((await pipeline(ws.root)).built.failed).toBe(0);
  });

  it('as a command: ends a run an overlay failed with the failure counted, never with "No problems"', () => {
    const extra = join(ws.root, 'overlays/dev/tokenplace-relay/Kustomization');
    writeFileSync(extra, readFileSync(join(ws.root, 'overlays/dev/tokenplace-relay/kustomization.yaml')));
    try {
      const r = strata(ws.root, ['pipeline', '--no-frozen']);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).not.toMatch(/No problems/);
      expect(r.stdout).toMatch(
        /^pipeline: \d+ apps? x 3 envs: Found 1 problem: 1 overlay that did not build, and no validation problems in \d+ resources \(\d/m,
      );
    } finally {
      rmSync(extra);
    }
  });

  it('says it cannot write dist/ instead of crashing, naming the file that stands where a folder of it goes', async () => {
    rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
    writeFileSync(join(ws.root, 'dist'), 'not a folder');
    try {
      await expect(pipeline(ws.root, { cache: false })).rejects.toThrow(
        'cannot write dist/: dist: is a file, where build writes a folder of built output; it must be a folder: remove it, then run again',
      );
    } finally {
      rmSync(join(ws.root, 'dist'));
    }
    mkdirSync(join(ws.root, 'dist'));
    writeFileSync(join(ws.root, 'dist/prod'), 'not a folder');
    try {
      await expect(pipeline(ws.root, { cache: false })).rejects.toThrow(
        'cannot write dist/: dist/prod: is a file, where build writes a folder of built output; it must be a folder: remove it, then run again',
      );
    } finally {
      rmSync(join(ws.root, 'dist'), { recursive: true });
    }
  });

  it('looks for a linked dist/ folder in every run of one process, and writes nothing through one linked since the last', async () => {
    // This process has written dist/prod already, and every run here writes it again.
    await pipeline(ws.root, { cache: false });
    const prod = join(ws.root, 'dist/prod');
    const outside = mkdtempSync(join(tmpdir(), 'strata-linked-dist-'));
    try {
      cpSync(prod, outside, { recursive: true });
      writeFileSync(join(outside, 'tokenplace-relay.yaml'), 'kept\n');
      rmSync(prod, { recursive: true });
      symlinkSync(outside, prod);
      await expect(pipeline(ws.root, { cache: false })).rejects.toThrow(
        `cannot write dist/: dist/prod: is a symbolic link (to ${outside}); built output goes only to plain folders in the workspace, so nothing was written or removed through it: remove the link, then run again`,
      );
      expect(readdirSync(outside)).toStrictEqual(['tokenplace-relay.yaml']);
      expect(readFileSync(join(outside, 'tokenplace-relay.yaml'), 'utf8')).toBe('kept\n');
    } finally {
      rmSync(prod, { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
    expect((await pipeline(ws.root, { cache: false })).built.failed).toBe(0);
  });

  it('fails with the settings error, and stops, when strata.config.json is wrong', async () => {
    const config = join(ws.root, 'strata.config.json');
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, original.replace(/"repoURL": "[^"]*"/, '"repoURL": "not-a-url"'));
    try {
      await expect(pipeline(ws.root, { cache: false })).rejects.toThrow(/not-a-url/);
    } finally {
      writeFileSync(config, original);
    }
  });
});

describe('strata pipeline, loading the apps in two turns', () => {
  const ws = tempWorkspace(APPS);
  afterAll(() => ws.dispose());
  const appFile = (app: string) => join(ws.root, 'apps', app, 'src', 'app.ts');

  it('renders, builds and finds what one turn does when the first app loads before the others compile', async () => {
    const once = await pipeline(ws.root, { cache: false });
    const tree = outputs(ws.root);
    const turns = await pipeline(ws.root, { cache: false, firstTurn: 1 });
    expect(outputs(ws.root)).toStrictEqual(tree);
    expect(summary(turns)).toStrictEqual(summary(once));
    expect(turns.problems).toStrictEqual(once.problems);
    expect(turns.resources).toBe(once.resources);
    expect(turns.generated.written).toStrictEqual([]);
  });

  it('names every app that does not compile, whichever turn it is in, and writes nothing', async () => {
    const tree = outputs(ws.root);
    const sources = APPS.map((app) => readFileSync(appFile(app), 'utf8'));
    try {
      // The second turn's app alone: the first turn has been rendered and sent to the builder by then.
      writeFileSync(appFile('tokenplace-relay'), `${sources[1]}\nexport const = 1;\n`);
      await expect(pipeline(ws.root, { cache: false, firstTurn: 1 })).rejects.toThrow(/apps\/tokenplace-relay\/src\/app\.ts:\d+:\d+: cannot compile/);
      expect(outputs(ws.root)).toStrictEqual(tree);
      // One in each turn: both are named, as when all load at once.
      writeFileSync(appFile('gethrelay'), `${sources[0]}\nexport const = 2;\n`);
      const error = await pipeline(ws.root, { cache: false, firstTurn: 1 }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(error).toMatch(/apps\/gethrelay\/src\/app\.ts:\d+:\d+: cannot compile/);
      expect(error).toMatch(/apps\/tokenplace-relay\/src\/app\.ts:\d+:\d+: cannot compile/);
      expect(outputs(ws.root)).toStrictEqual(tree);
    } finally {
      APPS.forEach((app, i) => writeFileSync(appFile(app), sources[i]!));
    }
  });
});
