import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { check } from '../src/index.ts';
import { strata, suiteWorkspace } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';
const notAFolder = (folder: string, then = 'generate again') =>
  `${folder}: is a file, where generate writes a folder of generated files; it must be a folder: remove it, then ${then}`;

/** Every path under `dir` (relative), files and folders, to see that a refusal wrote nothing. */
const listing = (root: string, dir: string) =>
  existsSync(join(root, dir)) ? readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).sort() : [];

// A generated folder (or an env's overlays/<env>) that became a file, after a bad merge or a stray
// `echo > base/<app>`: a state of the tree. check and the frozen pipeline report it as drift in one
// line naming it as the repository does; generate refuses it with nothing written.
describe('a generated folder that is a file', () => {
  const ws = suiteWorkspace([APP], { generate: true });

  it("an app's base folder: drift for check, a refusal for generate, one line naming it", async () => {
    const folder = `base/${APP}`;
    renameSync(join(ws.root, folder), join(ws.root, 'kept-base'));
    writeFileSync(join(ws.root, folder), 'x\n');
    try {
      const before = listing(ws.root, 'overlays');
      const g = strata(ws.root, ['generate', '--app', APP]);
      expect(g.stderr.trim()).toBe(`strata: ${notAFolder(folder)}; nothing was written`);
      expect(g.status).toBe(1);
      expect(readFileSync(join(ws.root, folder), 'utf8')).toBe('x\n');
      expect(listing(ws.root, 'overlays')).toStrictEqual(before);

      const r = await check(ws.root, { apps: [APP] }, { cache: false });
      expect(r.drift.map((d) => [d.file, d.diff])).toStrictEqual([[folder, notAFolder(folder)]]);
      // The builds that read it are not tried: kustomize's failures would say the drift again.
      expect(r.buildFailures).toStrictEqual([]);
      for (const args of [['check', '--app', APP], ['check']]) {
        const c = strata(ws.root, args);
        expect(c.stdout + c.stderr, args.join(' ')).toContain(notAFolder(folder));
        expect(c.stdout + c.stderr, args.join(' ')).not.toContain('ENOTDIR');
        expect(c.stdout + c.stderr, args.join(' ')).not.toContain('build failed');
        expect(c.stdout, args.join(' ')).toMatch(/: 1 drifted, 0 round-trip mismatches, 0 build failures \(/);
        expect(c.status, args.join(' ')).toBe(1);
      }
    } finally {
      rmSync(join(ws.root, folder));
      renameSync(join(ws.root, 'kept-base'), join(ws.root, folder));
    }
  });

  it("an env's overlays/<env>: drift for check and the frozen pipeline, a refusal for generate, a line for validate", async () => {
    expect(strata(ws.root, ['build']).status).toBe(0);
    const folder = 'overlays/prod';
    renameSync(join(ws.root, folder), join(ws.root, 'kept-prod'));
    writeFileSync(join(ws.root, folder), 'x\n');
    try {
      const before = listing(ws.root, 'base');
      const g = strata(ws.root, ['generate']);
      expect(g.stderr.trim()).toBe(`strata: ${notAFolder(folder)}; nothing was written`);
      expect(g.status).toBe(1);
      expect(listing(ws.root, 'base')).toStrictEqual(before);
      expect(readFileSync(join(ws.root, folder), 'utf8')).toBe('x\n');

      const r = await check(ws.root, {}, { cache: false });
      expect(r.drift.filter((d) => d.file.startsWith('overlays/')).map((d) => [d.file, d.diff])).toStrictEqual([[folder, notAFolder(folder)]]);
      expect(r.buildFailures).toStrictEqual([]);
      const c = strata(ws.root, ['check']);
      expect(c.stdout + c.stderr).toContain(notAFolder(folder));
      expect(c.stdout + c.stderr).not.toContain('build failed');
      expect(c.status).toBe(1);
      const p = strata(ws.root, ['pipeline', '--frozen']);
      expect(p.stderr).toContain(`strata: ${notAFolder(folder)}`);
      expect(p.stderr).not.toContain(`${folder}/`);
      expect(p.status).toBe(1);
      const v = strata(ws.root, ['validate']);
      expect(v.stderr.trim()).toBe(`strata: ${notAFolder(folder)}`);
      expect(v.status).toBe(1);
    } finally {
      rmSync(join(ws.root, folder));
      renameSync(join(ws.root, 'kept-prod'), join(ws.root, folder));
    }
  });
});

// new-app and import look at each folder on the way to the new app's generated folders before
// listing anything in them: a file there, or a symbolic link (whose target's files are not the
// repository's, and which the first generate would write through), is refused in one line.
describe('new-app and import of a name whose generated folder is a file or a symbolic link', () => {
  const ws = suiteWorkspace([APP]);
  const { dir: outside } = suiteTempDir('strata-new-app-link-');
  const source = join(outside, 'svc.yaml');
  const importOf = (name: string) => [
    'import',
    '--name',
    name,
    '--no-install',
    ...['dev', 'staging', 'prod'].flatMap((e) => ['--env', `${e}=${source}`]),
  ];

  it.each([
    ['new-app', (name: string) => ['new-app', name, '--no-install'], (name: string) => `run new-app ${name} again`],
    ['import', importOf, () => 'run the same import again'],
  ])('%s refuses either with nothing written', (_command, argsOf, again) => {
    writeFileSync(
      source,
      'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: zedns}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n',
    );
    const packageJson = readFileSync(join(ws.root, 'package.json'), 'utf8');
    const name = `zed${argsOf === importOf ? 'i' : 'n'}`;

    writeFileSync(join(ws.root, 'base', name), 'x\n');
    const file = strata(ws.root, argsOf(name));
    expect(file.stderr.trim()).toBe(`strata: ${notAFolder(`base/${name}`, again(name))}; nothing was written`);
    expect(file.status).toBe(2);
    rmSync(join(ws.root, 'base', name));

    const target = join(outside, 'target');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'notes.txt'), 'not the repository\n');
    symlinkSync(target, join(ws.root, 'overlays', 'dev', name));
    const link = strata(ws.root, argsOf(name));
    expect(link.stderr.trim()).toBe(
      `strata: overlays/dev/${name}: is a symbolic link (to ${target}); generated folders must be plain folders in the workspace, so nothing was written: remove the link, then ${again(name)}`,
    );
    expect(link.status).toBe(2);
    expect(readdirSync(target)).toStrictEqual(['notes.txt']);
    rmSync(join(ws.root, 'overlays', 'dev', name));

    expect(existsSync(join(ws.root, 'apps', name))).toBe(false);
    expect(existsSync(join(ws.root, 'base', name))).toBe(false);
    expect(readFileSync(join(ws.root, 'package.json'), 'utf8')).toBe(packageJson);
  });
});
