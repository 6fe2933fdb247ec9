import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { check, generate, pipeline } from '../src/index.ts';
import { strata, suiteWorkspace, treeOf } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';

// A generated file replaced by a symbolic link (to a copy elsewhere, or to another file of the
// workspace) is drift, even holding the generated content: Argo CD refuses a repository whose links
// lead out of it, and generate would otherwise write through the link. check names the file,
// generate puts the file back in the link's place and leaves the link's target as it was.
describe('a generated file replaced by a symbolic link', () => {
  const ws = suiteWorkspace([APP]);
  const { dir: outside } = suiteTempDir('strata-link-target-');
  const deployment = () => `base/${APP}/${readdirSync(join(ws.root, 'base', APP)).find((f) => f.startsWith('deployment.'))!}`;
  const overlay = `overlays/dev/${APP}/kustomization.yaml`;

  it.each([
    ['a copy outside the workspace', deployment, () => join(outside, 'deployment.yaml')],
    ['a copy in the workspace', () => overlay, () => join(ws.root, 'notes', 'kustomization.yaml')],
  ])('to %s is drift that check names and generate replaces with the file', async (_where, fileOf, targetOf) => {
    await pipeline(ws.root); // what check reuses: the link must not pass as the file the pipeline compared
    const file = fileOf();
    const target = targetOf();
    const content = readFileSync(join(ws.root, file), 'utf8');
    mkdirSync(join(target, '..'), { recursive: true });
    cpSync(join(ws.root, file), target);
    rmSync(join(ws.root, file));
    symlinkSync(target, join(ws.root, file));

    const said = `${file}: is a symbolic link; generate replaces it with the file`;
    for (const cache of [true, false]) {
      const r = await check(ws.root, {}, { cache });
      expect(
        r.drift.map((d) => [d.file, d.kind, d.diff.split(' (')[0]]),
        `cache: ${cache}`,
      ).toStrictEqual([[file, 'changed', said]]);
    }
    const cli = strata(ws.root, ['check']);
    expect(cli.status).toBe(1);
    expect(cli.stdout + cli.stderr).toContain(said);

    const g = await generate(ws.root);
    expect(g.written).toStrictEqual([file]);
    expect(lstatSync(join(ws.root, file)).isFile()).toBe(true);
    expect(readFileSync(join(ws.root, file), 'utf8')).toBe(content);
    expect(readFileSync(target, 'utf8')).toBe(content);
    expect(lstatSync(target).isFile()).toBe(true);
    expect((await check(ws.root)).drift).toStrictEqual([]);
  });
});

// An overlay folder replaced by a link (one that leads nowhere, say) is bad input that build and ls
// name as generate does, not an overlay that was never generated: generate refuses the link.
describe('an overlay folder replaced by a symbolic link', () => {
  const ws = suiteWorkspace([APP]);

  it('is named by build and ls as a link to remove, exit 1, as generate names it', () => {
    const folder = `overlays/dev/${APP}`;
    rmSync(join(ws.root, folder), { recursive: true });
    symlinkSync('/nonexistent', join(ws.root, folder));
    for (const command of [
      ['build', '--env', 'dev'],
      ['ls', '--env', 'dev'],
      ['generate', '--app', APP],
    ]) {
      const r = strata(ws.root, command);
      expect(r.stderr, command.join(' ')).toMatch(
        new RegExp(`^strata: ${folder}: is a symbolic link \\(to /nonexistent\\); generated folders must be plain folders in the workspace`, 'm'),
      );
      expect(r.status, command.join(' ')).toBe(1);
    }
  });
});

// A generated folder moved out of the workspace and linked back, with every file in it as the last
// pipeline wrote it: the run that reuses the app reaches the verdict of the run that does not.
describe('a generated folder linked out of the workspace after a pipeline', () => {
  const ws = suiteWorkspace([APP]);
  const { dir: outside } = suiteTempDir('strata-link-folder-');

  // check reads no dist/: it judges a linked dist/ folder as the pipeline's last run left it, either way.
  it.each([
    [`base/${APP}`, true],
    [`overlays/dev/${APP}`, true],
    ['dist/dev', false],
  ])('fails the pipeline (and check) from the cache as without it (%s)', async (folder, checked) => {
    await pipeline(ws.root);
    expect((await pipeline(ws.root)).reused).toBe(1);
    const target = join(outside, folder.replaceAll('/', '-'));
    renameSync(join(ws.root, folder), target);
    symlinkSync(target, join(ws.root, folder));
    try {
      const refusal = new RegExp(
        `${folder}: is a symbolic link \\(to ${target}\\); (generated folders must be plain|built output goes only to plain) folders in the workspace`,
      );
      for (const cache of [false, true]) {
        await expect(pipeline(ws.root, { cache }), `pipeline, cache: ${cache}`).rejects.toThrow(refusal);
        if (checked) await expect(check(ws.root, {}, { cache }), `check, cache: ${cache}`).rejects.toThrow(refusal);
      }
      const cli = strata(ws.root, ['ci'], undefined, { CI: 'true' });
      expect(cli.stderr).toMatch(refusal);
      expect(cli.status).toBe(1);
    } finally {
      rmSync(join(ws.root, folder));
      renameSync(target, join(ws.root, folder));
    }
  });
});

// Strata's state folder linked elsewhere, which a change can commit: every run of build, pipeline or
// ci would put the cache (the record of what each build wrote among it) wherever the link points,
// another checkout's .strata among them, as a linked dist/ would put the built output.
describe("Strata's state folder (.strata, or its cache or writer's folder) replaced by a symbolic link", () => {
  const ws = suiteWorkspace([APP], { generate: true });
  const { dir: outside } = suiteTempDir('strata-link-state-');

  it.each([
    '.strata',
    '.strata/cache',
    '.strata/write',
  ])('%s: build, pipeline, ci, check and generate refuse it in one line, exit 1, writing nothing on either side of it', (link) => {
    for (const d of ['.strata', 'dist']) rmSync(join(ws.root, d), { recursive: true, force: true });
    mkdirSync(join(ws.root, link, '..'), { recursive: true });
    symlinkSync(outside, join(ws.root, link));
    const tree = treeOf(ws.root, ['base', 'overlays', 'gitops']);
    const refusal = `strata: ${link}: is a symbolic link (to ${outside}); Strata's cache and the tree writer's lock and journal go only to plain folders in the workspace, so nothing was written through it: remove the link, then run again`;
    try {
      for (const command of [['build'], ['pipeline'], ['pipeline', '--frozen'], ['ci'], ['check'], ['generate']]) {
        const r = strata(ws.root, command, undefined, command[0] === 'ci' ? { CI: 'true' } : {});
        expect(
          r.stderr.split('\n').filter((l) => l.startsWith('strata:')),
          command.join(' '),
        ).toStrictEqual([refusal]);
        expect(r.status, command.join(' ')).toBe(1);
        expect(readdirSync(outside), command.join(' ')).toStrictEqual([]);
        expect(existsSync(join(ws.root, 'dist')), command.join(' ')).toBe(false);
      }
      expect(treeOf(ws.root, ['base', 'overlays', 'gitops'])).toStrictEqual(tree);
    } finally {
      rmSync(join(ws.root, '.strata'), { recursive: true, force: true });
    }
  }, 300_000);

  it("validate takes no record reached through it for this checkout's: each built file is one this checkout never built", () => {
    expect(strata(ws.root, ['build']).status).toBe(0);
    expect(strata(ws.root, ['validate']).stdout).not.toContain('[stale-build]');
    // The record of this very build, moved out and linked back: it would vouch for every file.
    const moved = join(outside, 'state');
    renameSync(join(ws.root, '.strata'), moved);
    symlinkSync(moved, join(ws.root, '.strata'));
    try {
      const r = strata(ws.root, ['validate']);
      expect(
        r.stdout
          .split('\n')
          .filter((l) => l.includes('[stale-build]'))
          .sort(),
      ).toStrictEqual(
        ['dev', 'prod', 'staging'].map((env) => expect.stringMatching(new RegExp(`^dist/${env}/${APP}\\.yaml: not built in this checkout `))),
      );
      expect(r.status).toBe(0);
    } finally {
      rmSync(join(ws.root, '.strata'));
      rmSync(moved, { recursive: true });
    }
  }, 120_000);
});
