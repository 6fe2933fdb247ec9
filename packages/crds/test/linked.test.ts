import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesIn, findRoot, UsageError } from '@strata/project';
import { validate } from '@strata/validate';
import { addCrds, listCrds, removeCrds } from '../src/index.ts';
import { workspace } from './workspace.ts';

const fixture = join(dirname(dirname(fileURLToPath(import.meta.url))), '__fixtures__', 'widgets.yaml');

/** The repository's strata command, run in `cwd`. */
function strataIn(cwd: string, args: readonly string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(findRoot(), 'packages/cli/bin/strata.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: r.status, stderr: r.stderr };
}

/** Every file under a folder, with its content. */
const contents = (dir: string) => Object.fromEntries(filesIn(dir).map((f) => [f, readFileSync(f, 'utf8')]));

const outsideLine = (name: string, real: string) =>
  `${name}: a symbolic link to ${real}, outside the repository: a clone of the repository lacks it, and validate, verify and strata crd read the repository's CRDs from it; copy it into the repository in place of the link`;

// A crds/ that is a link out of the repository is what one machine has and a clone lacks: its CRDs
// and schemas would judge and install other kinds than the clone's, and crd add would write there.
describe('a crds/ folder linked outside the repository', () => {
  let ws: ReturnType<typeof workspace>;
  // The CRDs a machine keeps outside the repository: those of crd add in another workspace.
  let elsewhere: ReturnType<typeof workspace>;
  beforeAll(async () => {
    ws = workspace();
    elsewhere = workspace();
    await addCrds(elsewhere.root, fixture, undefined, { models: false });
  }, 120_000);
  afterAll(() => {
    ws.dispose();
    elsewhere.dispose();
  });

  it('is refused by crd add, ls and remove and by validate, in one line naming it and the fix, and nothing is written through it', async () => {
    const outside = join(elsewhere.root, 'crds');
    const link = join(ws.root, 'crds');
    symlinkSync(outside, link);
    try {
      const before = contents(outside);
      const refusal = new UsageError(outsideLine('crds/', realpathSync(outside)));
      await expect(addCrds(ws.root, fixture, undefined, { models: false })).rejects.toThrow(refusal);
      expect(() => listCrds(ws.root)).toThrow(refusal);
      expect(() => removeCrds(ws.root, 'toys.example.com')).toThrow(refusal);
      const file = join(ws.root, 'widget.yaml');
      writeFileSync(file, 'apiVersion: toys.example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: toys\nspec: {}\n');
      await expect(validate(ws.root, [file], { policy: false })).rejects.toThrow(refusal);
      expect(contents(outside)).toStrictEqual(before);
      expect(filesIn(join(ws.root, 'packages', 'crd-models'), { skip: ['node_modules'] }).filter((f) => !f.endsWith('package.json'))).toStrictEqual(
        [],
      );
    } finally {
      rmSync(link);
    }
  });

  it('refuses a file or folder in crds/ linked outside, and a dangling link, naming each; a link that stays in the repository is read', async () => {
    const schemas = join(elsewhere.root, 'crds', 'schemas', 'toys.example.com');
    const crds = join(ws.root, 'crds');
    mkdirSync(join(crds, 'schemas'), { recursive: true });
    try {
      symlinkSync(schemas, join(crds, 'schemas', 'toys.example.com'));
      expect(() => listCrds(ws.root)).toThrow(new UsageError(outsideLine('crds/schemas/toys.example.com', realpathSync(schemas))));
      rmSync(join(crds, 'schemas', 'toys.example.com'));
      const manifest = join(elsewhere.root, 'crds', 'toys.example.com_widgets.yaml');
      symlinkSync(manifest, join(crds, 'toys.example.com_widgets.yaml'));
      expect(() => listCrds(ws.root)).toThrow(new UsageError(outsideLine('crds/toys.example.com_widgets.yaml', realpathSync(manifest))));
      rmSync(join(crds, 'toys.example.com_widgets.yaml'));
      symlinkSync('/nonexistent/crds', join(crds, 'gone.yaml'));
      expect(() => listCrds(ws.root)).toThrow(
        new UsageError(
          'crds/gone.yaml: a symbolic link to /nonexistent/crds, which does not exist (a dangling link); put the CRDs in the repository in place of the link, or remove it',
        ),
      );
    } finally {
      rmSync(crds, { recursive: true, force: true });
    }
    // Kept in the repository under another name, and linked: what a clone holds too.
    cpSync(join(elsewhere.root, 'crds'), join(ws.root, 'vendor', 'crds'), { recursive: true });
    symlinkSync(join('vendor', 'crds'), crds);
    try {
      expect(listCrds(ws.root).map((c) => c.name)).toStrictEqual(['widgets.toys.example.com']);
    } finally {
      rmSync(crds);
      rmSync(join(ws.root, 'vendor'), { recursive: true });
    }
  });

  it('is refused by the strata command with exit 2 in one line', () => {
    const outside = mkdtempSync(join(tmpdir(), 'strata-crds-outside-'));
    cpSync(join(elsewhere.root, 'crds'), outside, { recursive: true });
    symlinkSync(outside, join(ws.root, 'crds'));
    try {
      const file = join(ws.root, 'widget.yaml');
      writeFileSync(file, 'apiVersion: toys.example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: toys\nspec: {}\n');
      for (const args of [
        ['validate', file],
        ['crd', 'ls'],
      ]) {
        const r = strataIn(ws.root, args);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr.trim().split('\n')).toStrictEqual([`strata: ${outsideLine('crds/', realpathSync(outside))}`]);
      }
    } finally {
      rmSync(join(ws.root, 'crds'));
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
