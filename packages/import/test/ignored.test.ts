import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBuild } from '@strata/kustomize';
import { emptyWorkspace, envFlags, filesUnder, repo, strata } from './workspace.ts';

const git = (cwd: string, args: readonly string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

// An object's name becomes its file's name; a file the repository's ignore rules match is in no
// commit, so the overlays would build in this checkout and in no clone.
describe('strata import into a git checkout with ignore rules', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(() => {
    ws = emptyWorkspace();
    cpSync(join(repo, '.gitignore'), join(ws.root, '.gitignore'));
    git(ws.root, ['init', '-q']);
    git(ws.root, ['add', '-A']);
    git(ws.root, ['commit', '-qm', 'workspace']);
  });
  afterAll(() => ws.dispose());

  /** A folder holding one ConfigMap named `name` in the namespace `app`, the same for every env. */
  const source = (app: string, name: string) => {
    mkdirSync(join(ws.root, 'sources', app), { recursive: true });
    writeFileSync(
      join(ws.root, 'sources', app, 'objects.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${app}\ndata:\n  a: b\n`,
    );
    return envFlags(`sources/${app}`);
  };

  it(
    "imports an object named like the writers' temporary files (*.strata-tmp*) into a file git commits, and a clone builds it",
    { timeout: 180_000 },
    () => {
      const r = strata(ws.root, ['import', '--name', 'shopi', '--no-install', ...source('shopi', 'cache.strata-tmp')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(Object.keys(filesUnder(ws.root, 'base/shopi')).sort()).toStrictEqual([
        'base/shopi/configmap.cache.strata%2Dtmp.yaml',
        'base/shopi/kustomization.yaml',
      ]);
      expect(git(ws.root, ['status', '--porcelain', '--ignored', '--', 'base', 'overlays', 'gitops'])).not.toMatch(/^!!/m);
      git(ws.root, ['add', '-A']);
      git(ws.root, ['commit', '-qm', 'shopi']);
      const clone = mkdtempSync(join(tmpdir(), 'strata-import-clone-'));
      try {
        git(clone, ['clone', '-q', ws.root, 'c']);
        const built = spawnSync(join(repo, '.tools/bin/kustomize'), ['build', join(clone, 'c/overlays/dev/shopi')], { encoding: 'utf8' });
        expect(built.stderr).toBe('');
        expect(parseBuild(built.stdout, 'overlays/dev/shopi').map((m) => `${m.kind} ${m.metadata.name}`)).toStrictEqual([
          'ConfigMap cache.strata-tmp',
        ]);
      } finally {
        rmSync(clone, { recursive: true, force: true });
      }
    },
  );

  it(
    'refuses an object whose file a rule ignores, in one line naming the file, the rule and the object, and writes nothing',
    { timeout: 180_000 },
    () => {
      // The added rule's line: the one after the repository's own rules.
      const at = readFileSync(join(ws.root, '.gitignore'), 'utf8').split('\n').length;
      appendFileSync(join(ws.root, '.gitignore'), '*.local.yaml\n');
      const before = filesUnder(ws.root, '.');
      for (const install of [['--no-install'], []]) {
        const r = strata(ws.root, ['import', '--name', 'shopj', ...install, ...source('shopj', 'settings.local')]);
        expect(r.stderr.trimEnd()).toBe(
          `strata: base/shopj/configmap.settings.local.yaml: git ignores it (.gitignore:${at}: *.local.yaml), so it would never be committed and no clone would build as this checkout does; ` +
            'rename the ConfigMap settings.local (its file is named after it), or narrow the rule; nothing was written',
        );
        expect(r.status).toBe(1);
        expect(filesUnder(ws.root, '.')).toStrictEqual({ ...before, ...filesUnder(ws.root, 'sources') });
      }
    },
  );
});
