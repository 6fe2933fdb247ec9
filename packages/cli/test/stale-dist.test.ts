import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editFile, strata, suiteWorkspace } from '@strata/testing/workspace';

// On a fresh clone this builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;
const APP = 'tensafe';
const dist = `dist/dev/${APP}.yaml`;
const overlay = `overlays/dev/${APP}/namespaced/kustomization.yaml`;
const line = `${dist}: built before ${overlay} changed: what is judged is not what overlays/dev/${APP} builds now; run \`npm run build\` (or \`npx strata build --env dev --app ${APP}\`) first (warning) [stale-build]`;

/** strata run in the folder `sub` of the workspace at `root`. */
function strataIn(root: string, sub: string, args: readonly string[]): { status: number | null; stdout: string } {
  const cwd = join(root, sub);
  return spawnSync(process.execPath, [join(root, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

// verify judges dist/ as it finds it. A dist/ file not built from the overlay now on disk (a branch
// switched, an overlay edited since the build) is judged still, with a warning that says so.
describe('strata verify of built output older than its overlay', () => {
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });
  const verify = (...args: string[]) => strata(ws.root, ['verify', '--env', 'dev', '--app', APP, ...args]);

  it(
    'warns, naming the file that changed, by the content the build recorded, and passes once built again',
    () => {
      expect(strata(ws.root, ['pipeline']).status).toBe(0);
      const fresh = verify();
      expect(fresh.stdout).not.toContain('[stale-build]');
      expect(fresh.status).toBe(0);

      const before = editFile(join(ws.root, overlay), (text) => text.replace('    count: 1', '    count: 2'));
      const stale = verify();
      expect(stale.stdout.split('\n')).toContain(line);
      expect(stale.stdout).toMatch(/^verify: Found 1 problem \(0 errors, 1 warning\) in 0 of \d+ resources/m);
      // A warning: what was verified passed.
      expect(stale.status).toBe(0);
      // validate of the built output says so too, in the same words, of dist/ as of the file or its
      // env's folder named, a file named as typed (as kubectl -f names it), and from a subfolder.
      for (const named of [[], [dist], [`./dist/dev/../dev/${APP}.yaml`], ['dist/dev']]) {
        const validated = strata(ws.root, ['validate', ...named]);
        const typed = named[0]?.endsWith('.yaml') ? line.replace(dist, named[0]) : line;
        expect(
          validated.stdout.split('\n').filter((l) => l.includes('[stale-build]')),
          named.join(' '),
        ).toStrictEqual([typed]);
        expect(validated.status).toBe(0);
      }
      expect(strata(ws.root, ['validate', dist, '--output', 'json']).stdout).toContain('"rule": "stale-build"');
      const inDev = strataIn(ws.root, 'dist/dev', ['validate', `${APP}.yaml`]);
      expect(inDev.stdout.split('\n').filter((l) => l.includes('[stale-build]'))).toStrictEqual([line.replace(dist, `${APP}.yaml`)]);
      // A copy that is no app's built output is judged as given.
      copyFileSync(join(ws.root, dist), join(ws.root, `${APP}.yaml`));
      expect(strata(ws.root, ['validate', `${APP}.yaml`]).stdout).not.toContain('[stale-build]');
      const json = verify('--output', 'json');
      const report = JSON.parse(json.stdout) as { problems: { file: string; rule: string; severity: string }[] };
      expect(report.problems).toContainEqual(expect.objectContaining({ file: dist, rule: 'stale-build', severity: 'warning' }));

      // Built again by `strata build`, which records what it read too.
      expect(strata(ws.root, ['build', '--env', 'dev', '--app', APP]).status).toBe(0);
      expect(verify().stdout).not.toContain('[stale-build]');

      // The pipeline's cache gone, the build's record kept: the overlay's content tells, whatever its times.
      rmSync(join(ws.root, '.strata/cache/pipeline.json'));
      editFile(join(ws.root, overlay), () => before);
      const later = new Date(Date.now() + 5_000);
      utimesSync(join(ws.root, overlay), later, later);
      expect(verify().stdout.split('\n')).toContain(line);
    },
    BUILD_TIMEOUT,
  );

  it(
    'warns when the built file itself was changed after the build wrote it, built by strata build or the pipeline, until it is built again',
    () => {
      const edited = `${dist}: changed after \`strata build\` wrote it (edited, or copied from elsewhere): what is judged is not what overlays/dev/${APP} builds; run \`npx strata build --env dev --app ${APP}\` (or \`npm run build\`) first (warning) [stale-build]`;
      // Newer than every overlay file, and of the same size: only its content tells.
      const edit = () =>
        editFile(join(ws.root, dist), (text) =>
          text.replace(/^( +replicas: )(\d)$/m, (_, key: string, n: string) => `${key}${(Number(n) + 1) % 10}`),
        );
      // The overlay as it was before the build, whatever the test before left.
      const past = new Date(Date.now() - 60_000);
      utimesSync(join(ws.root, overlay), past, past);
      expect(strata(ws.root, ['build', '--env', 'dev', '--app', APP]).status).toBe(0);
      expect(verify().stdout).not.toContain('[stale-build]');
      edit();
      const stale = verify();
      expect(stale.stdout.split('\n').filter((l) => l.includes('[stale-build]'))).toStrictEqual([edited]);
      expect(stale.status).toBe(0);
      // The file named: judged the same way, by validate and by verify.
      for (const command of ['validate', 'verify']) {
        const named = strata(ws.root, [command, dist]);
        expect(
          named.stdout.split('\n').filter((l) => l.includes('[stale-build]')),
          command,
        ).toStrictEqual([edited]);
      }

      expect(strata(ws.root, ['pipeline']).status).toBe(0);
      expect(verify().stdout).not.toContain('[stale-build]');
      edit();
      expect(
        verify()
          .stdout.split('\n')
          .filter((l) => l.includes('[stale-build]')),
      ).toStrictEqual([edited]);
      // The pipeline does not reuse what it built before the edit: it builds the file again.
      expect(strata(ws.root, ['pipeline']).status).toBe(0);
      expect(verify().stdout).not.toContain('[stale-build]');
    },
    BUILD_TIMEOUT,
  );

  it(
    'warns of each built file this checkout never built (copied in from another checkout, the record cleared), however new it is, until it is built here',
    () => {
      const unknown = (env: string) =>
        `dist/${env}/${APP}.yaml: not built in this checkout (.strata/cache/dist.json holds no record of a build writing it: copied from another checkout, or built before the record was kept): what is judged may not be what overlays/${env}/${APP} builds; run \`npx strata build --env ${env} --app ${APP}\` (or \`npm run build\`) first (warning) [stale-build]`;
      const warnings = (r: { stdout: string }) => r.stdout.split('\n').filter((l) => l.includes('[stale-build]'));
      expect(strata(ws.root, ['build']).status).toBe(0);
      expect(warnings(strata(ws.root, ['validate']))).toStrictEqual([]);
      // Another checkout's build, copied in over a fresh cache: newer than every overlay, and what
      // this checkout builds here only by chance.
      const other = `${ws.root}/.other-dist`;
      cpSync(join(ws.root, 'dist'), other, { recursive: true });
      rmSync(join(ws.root, 'dist'), { recursive: true });
      rmSync(join(ws.root, '.strata'), { recursive: true, force: true });
      cpSync(other, join(ws.root, 'dist'), { recursive: true });
      rmSync(other, { recursive: true });
      const validated = strata(ws.root, ['validate']);
      expect(warnings(validated).sort()).toStrictEqual(['dev', 'prod', 'staging'].map(unknown));
      expect(validated.status).toBe(0);
      // Named on the command line, as the env's built output: the same.
      expect(warnings(strata(ws.root, ['validate', `dist/prod/${APP}.yaml`]))).toStrictEqual([unknown('prod')]);
      const verified = verify();
      expect(warnings(verified)).toStrictEqual([unknown('dev')]);
      expect(verified.status).toBe(0);

      // Built here, one env: that one is known, the others are still not.
      expect(strata(ws.root, ['build', '--env', 'dev', '--app', APP]).status).toBe(0);
      expect(warnings(strata(ws.root, ['validate'])).sort()).toStrictEqual(['prod', 'staging'].map(unknown));
      expect(warnings(verify())).toStrictEqual([]);
    },
    BUILD_TIMEOUT,
  );

  it(
    'says nothing after the build of a fresh checkout, nor after a pipeline that reuses every app once the record of the build is lost',
    () => {
      rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
      rmSync(join(ws.root, '.strata'), { recursive: true, force: true });
      expect(strata(ws.root, ['pipeline']).status).toBe(0);
      expect(strata(ws.root, ['validate']).stdout).not.toContain('[stale-build]');
      // The record alone gone: the pipeline builds nothing again, and records what it found as it wrote it.
      rmSync(join(ws.root, '.strata/cache/dist.json'));
      const again = strata(ws.root, ['pipeline']);
      expect(again.status).toBe(0);
      expect(again.stdout).toContain('1 of 1 app unchanged since the last run, reused');
      expect(existsSync(join(ws.root, '.strata/cache/dist.json'))).toBe(true);
      const validated = strata(ws.root, ['validate']);
      expect(validated.stdout).not.toContain('[stale-build]');
      expect(validated.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );
});
