import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, pipeline, planTree } from '../src/index.ts';
import { editFile, strata, tempWorkspace } from '@strata/testing/workspace';

// A long-lived process (a test run, a watch, the gate) loads the apps once and plans many times:
// an edit to an app's sources between two plans must reach the second one.

describe('planning twice in one process', () => {
  const ws = tempWorkspace(['tokenplace-relay']);
  afterAll(() => ws.dispose());
  const overlay = 'overlays/dev/tokenplace-relay/kustomization.yaml';

  it('sees an edit to images.json made after the first generate', async () => {
    await generate(ws.root);
    const first = readFileSync(join(ws.root, overlay), 'utf8');
    expect(first).toContain('sha-3f9c2e1');
    const pins = join(ws.root, 'apps/tokenplace-relay/images.json');
    writeFileSync(pins, readFileSync(pins, 'utf8').replace('"tag": "sha-3f9c2e1"', '"tag": "sha-0000042"'));
    const planned = (await planTree(ws.root)).files.get(overlay);
    expect(planned).toContain('sha-0000042');
    await generate(ws.root);
    expect(readFileSync(join(ws.root, overlay), 'utf8')).toBe(planned);
  });

  it('sees an edit to an env file, and reuses what did not change', async () => {
    const before = await planTree(ws.root);
    const again = await planTree(ws.root);
    expect(again.files).toStrictEqual(before.files);
    const env = join(ws.root, 'apps/tokenplace-relay/src/env/prod.ts');
    editFile(env, (text) => text.replace(/replicas: (\d+)/, (_, n: string) => `replicas: ${Number(n) + 5}`));
    const after = await planTree(ws.root);
    expect(after.files).not.toStrictEqual(before.files);
  });
});

describe('running the pipeline again after an edit to images.json', () => {
  const ws = tempWorkspace(['gethrelay', 'tokenplace-relay']);
  afterAll(() => ws.dispose());
  const pins = join(ws.root, 'apps/tokenplace-relay/images.json');
  const retag = (from: string, to: string) => {
    const text = readFileSync(pins, 'utf8');
    expect(text).toContain(`"tag": "${from}"`);
    writeFileSync(pins, text.replace(`"tag": "${from}"`, `"tag": "${to}"`));
  };
  const dist = () => readFileSync(join(ws.root, 'dist/dev/tokenplace-relay.yaml'), 'utf8');

  it('in one process renders that app again, emits the new tag and reuses the other app', async () => {
    await pipeline(ws.root);
    expect(dist()).toContain('ghcr.io/tokenplace/tokenplace-relay:sha-3f9c2e1');
    retag('sha-3f9c2e1', 'sha-0000042');
    const again = await pipeline(ws.root);
    expect(again.reused).toBe(1);
    expect(again.generated.written).toStrictEqual(['overlays/dev/tokenplace-relay/kustomization.yaml']);
    expect(dist()).toContain('ghcr.io/tokenplace/tokenplace-relay:sha-0000042');
  });

  it('through the strata command renders that app again from its cache and emits the new tag', () => {
    expect(strata(ws.root, ['pipeline', '--no-frozen']).status).toBe(0);
    retag('sha-0000042', 'sha-0000043');
    const r = strata(ws.root, ['pipeline', '--no-frozen']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('wrote overlays/dev/tokenplace-relay/kustomization.yaml');
    expect(readFileSync(join(ws.root, 'overlays/dev/tokenplace-relay/kustomization.yaml'), 'utf8')).toContain('newTag: sha-0000043');
    expect(dist()).toContain('ghcr.io/tokenplace/tokenplace-relay:sha-0000043');
  });
});

describe('an app that reads its images.json itself while it loads', () => {
  const ws = tempWorkspace(['tokenplace-relay']);
  afterAll(() => ws.dispose());
  const app = join(ws.root, 'apps/tokenplace-relay/src/app.ts');
  const pins = join(ws.root, 'apps/tokenplace-relay/images.json');
  const overlay = () => readFileSync(join(ws.root, 'overlays/dev/tokenplace-relay/kustomization.yaml'), 'utf8');
  writeFileSync(
    app,
    readFileSync(app, 'utf8').replace(
      "import pins from '../images.json';",
      "import { readFileSync } from 'node:fs';\n\nconst pins: unknown = JSON.parse(readFileSync(new URL('../images.json', import.meta.url), 'utf8'));",
    ),
  );

  it('is rendered with the pins as they are at each generate and pipeline of one process', async () => {
    await generate(ws.root);
    expect(overlay()).toContain('newTag: sha-3f9c2e1');
    writeFileSync(pins, readFileSync(pins, 'utf8').replace('"tag": "sha-3f9c2e1"', '"tag": "sha-0000042"'));
    await generate(ws.root);
    expect(overlay()).toContain('newTag: sha-0000042');
    await pipeline(ws.root);
    writeFileSync(pins, readFileSync(pins, 'utf8').replace('"tag": "sha-0000042"', '"tag": "sha-0000043"'));
    const again = await pipeline(ws.root);
    expect(again.generated.written).toStrictEqual(['overlays/dev/tokenplace-relay/kustomization.yaml']);
    expect(overlay()).toContain('newTag: sha-0000043');
  });
});

describe('an app whose images.json changes while the pipeline loads it', () => {
  const ws = tempWorkspace(['tokenplace-relay']);
  afterAll(() => ws.dispose());
  // Its pins lie outside its folder, and another writer retags them once the compiler has read
  // them, as a release bot could at that moment: here an installed package the app imports, whose
  // code may write (app code may not), run as the app's module loads.
  const pins = join(ws.root, 'pins/tokenplace-relay.json');
  mkdirSync(dirname(pins));
  renameSync(join(ws.root, 'apps/tokenplace-relay/images.json'), pins);
  const retagger = join(ws.root, 'node_modules/strata-test-retagger');
  mkdirSync(retagger);
  writeFileSync(join(retagger, 'package.json'), '{ "name": "strata-test-retagger", "version": "1.0.0", "type": "module", "main": "index.js" }\n');
  writeFileSync(
    join(retagger, 'index.js'),
    `import { readFileSync, writeFileSync } from 'node:fs';
export function retag(file, from, to) {
  writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
}
`,
  );
  const app = join(ws.root, 'apps/tokenplace-relay/src/app.ts');
  writeFileSync(
    app,
    `${readFileSync(app, 'utf8').replace("import pins from '../images.json';", "import pins from '../../../pins/tokenplace-relay.json';")}
retag(${JSON.stringify(pins)}, '"tag": "sha-3f9c2e1"', '"tag": "sha-0000042"');
`.replace('import { defineApp', "import { retag } from 'strata-test-retagger';\nimport { defineApp"),
  );

  it('is rendered again by the next pipeline, with the pins it did not see', () => {
    const overlay = () => readFileSync(join(ws.root, 'overlays/dev/tokenplace-relay/kustomization.yaml'), 'utf8');
    expect(strata(ws.root, ['pipeline', '--no-frozen']).status).toBe(0);
    expect(overlay()).toContain('newTag: sha-3f9c2e1');
    expect(readFileSync(pins, 'utf8')).toContain('"tag": "sha-0000042"');
    const r = strata(ws.root, ['pipeline', '--no-frozen']);
    expect(r.status).toBe(0);
    expect(overlay()).toContain('newTag: sha-0000042');
    expect(readFileSync(join(ws.root, 'dist/dev/tokenplace-relay.yaml'), 'utf8')).toContain('ghcr.io/tokenplace/tokenplace-relay:sha-0000042');
  });
});
