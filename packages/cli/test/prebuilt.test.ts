import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from '@strata/testing/workspace';

interface Prebuilt {
  readonly distDir: string;
  bundleKey(): string;
}

describe('the strata command runs the CLI compiled ahead of time', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let prebuilt: Prebuilt;
  beforeAll(async () => {
    ws = tempWorkspace(['tokenplace-relay']);
    prebuilt = (await import(join(ws.root, 'packages/cli/bin/prebuilt.mjs'))) as Prebuilt;
  });
  afterAll(() => ws.dispose());

  it('from a bundle of the current sources, and the apps load through it', () => {
    const r = strata(ws.root, ['ls']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const key = prebuilt.bundleKey();
    expect(existsSync(join(prebuilt.distDir, key, 'strata.mjs'))).toBe(true);
    // Third-party packages are imported from node_modules, not copied into the bundle.
    const chunks = readdirSync(join(prebuilt.distDir, key)).filter((f) => f.endsWith('.mjs'));
    const text = chunks.map((f) => readFileSync(join(prebuilt.distDir, key, f), 'utf8')).join('\n');
    expect(text).toMatch(/from "(\.\.\/)+node_modules\/[^"]*yaml[^"]*"/);
  });

  it('compiled again as soon as a source changes, so an edit is never run stale', () => {
    const before = prebuilt.bundleKey();
    const main = join(ws.root, 'packages/cli/src/main.ts');
    const source = readFileSync(main, 'utf8');
    const description = /\.description\('([^']+)'\)/.exec(source)![1]!;
    writeFileSync(main, source.replace(description, `EDITED ${description}`));
    const r = strata(ws.root, ['--help']);
    expect(r.stdout).toContain('EDITED');
    expect(prebuilt.bundleKey()).not.toBe(before);
    expect(existsSync(join(prebuilt.distDir, prebuilt.bundleKey(), 'strata.mjs'))).toBe(true);
  });

  it('says so, in one line with the reason, when it runs the sources because the bundle cannot be built', () => {
    // Valid TypeScript that tsx runs, but that the bundle cannot keep as it is.
    const file = join(ws.root, 'packages/pipeline/src/targets.ts');
    const source = readFileSync(file, 'utf8');
    writeFileSync(file, `${source}\nexport const where = typeof import.meta.resolve;\n`);
    try {
      const r = strata(ws.root, ['ls']);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(
        /^warning: running the CLI from its TypeScript sources, which is slower: its prebuilt bundle could not be built \(.*targets\.ts: uses import\.meta in a way the CLI bundle cannot keep.*\)\n$/,
      );
    } finally {
      writeFileSync(file, source);
    }
  });

  it('falls back to the TypeScript sources when they do not compile, whose error names the file', () => {
    const file = join(ws.root, 'packages/pipeline/src/targets.ts');
    const source = readFileSync(file, 'utf8');
    writeFileSync(file, `${source}\nexport const broken = ;\n`);
    try {
      const r = strata(ws.root, ['check']);
      expect(r.status).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toContain('targets.ts');
    } finally {
      writeFileSync(file, source);
    }
  });
});
