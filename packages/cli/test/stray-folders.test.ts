import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from '@strata/testing/workspace';

// A folder under base/ or overlays/<env>/ of no app, kept by a file written by hand: generate never
// deletes it, and Argo CD makes an Application of every folder under overlays/<env>/. The pipeline
// and the CI gate report it as check does, from a listing of the folders, nothing built for it.
const APP = 'tokenplace-relay';

describe('a folder of no app that a hand-written file keeps', () => {
  const ws = tempWorkspace([APP]);
  beforeAll(() => {
    expect(strata(ws.root, ['generate']).status).toBe(0);
    mkdirSync(join(ws.root, 'overlays/prod/gone'));
    writeFileSync(join(ws.root, 'overlays/prod/gone/my-extra.yaml'), 'keep: me\n');
    mkdirSync(join(ws.root, 'base/old'));
    writeFileSync(join(ws.root, 'base/old/notes.md'), '# what old was\n');
  }, 120_000);
  afterAll(() => ws.dispose());

  const baseLine =
    'base/old/: a folder of no app (there is no apps/old) that holds base/old/notes.md, written by hand: generate never deletes such files; move them out or delete the folder';
  const line =
    'overlays/prod/gone/: a folder of no app (there is no apps/gone) that holds overlays/prod/gone/my-extra.yaml, written by hand: ' +
    'generate never deletes such files, and Argo CD makes an Application of every folder under overlays/prod/; move them out or delete the folder';

  it('fails check, pipeline and ci, each naming the folder in the same line', { timeout: 300_000 }, () => {
    const check = strata(ws.root, ['check']);
    expect(check.stdout.split('\n')).toContain(line);
    expect(check.stdout.split('\n')).toContain(baseLine);
    expect(check.status).toBe(1);

    const pipeline = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(pipeline.stdout.split('\n')).toContain(line);
    expect(pipeline.stdout.split('\n')).toContain(baseLine);
    expect(pipeline.stdout).toMatch(/^pipeline: 1 app x 3 envs: Found 2 problems: 2 folders of no app, and no validation problems in \d+ resources/m);
    expect(pipeline.status).toBe(1);
    // Reused from the cache, the apps are not looked at again; the folders are.
    const again = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(again.stdout).toMatch(/1 of 1 app unchanged since the last run, reused/);
    expect(again.stdout.split('\n')).toContain(line);
    expect(again.status).toBe(1);

    const ci = strata(ws.root, ['ci'], undefined, { CI: 'true' });
    expect(ci.stdout.split('\n')).toContain(line);
    expect(ci.stdout.split('\n')).toContain(baseLine);
    expect(ci.stdout).toMatch(/^ci: failed: 2 folders of no app \(/m);
    expect(ci.status).toBe(1);
    const json = strata(ws.root, ['ci', '--output', 'json'], undefined, { CI: 'true' });
    const report = JSON.parse(json.stdout) as { problems: { file: string; rule: string; severity: string; message: string }[] };
    expect(report.problems.filter((p) => p.severity === 'error')).toStrictEqual([
      { file: 'base/old/', rule: 'stray-folder', severity: 'error', message: baseLine.slice('base/old/: '.length) },
      { file: 'overlays/prod/gone/', rule: 'stray-folder', severity: 'error', message: line.slice('overlays/prod/gone/: '.length) },
    ]);
    expect(json.status).toBe(1);
  });

  it('passes again once the folders are gone', { timeout: 300_000 }, () => {
    rmSync(join(ws.root, 'overlays/prod/gone'), { recursive: true });
    rmSync(join(ws.root, 'base/old'), { recursive: true });
    const pipeline = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(pipeline.stdout).toMatch(/^pipeline: 1 app x 3 envs: No problems/m);
    expect(pipeline.status).toBe(0);
  });
});
