import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from '@strata/testing/workspace';

// A file in a generated folder that no kustomization lists is built and checked by nothing. Argo CD
// merges `.argocd-source.yaml` and `.argocd-source-<application>.yaml` of an Application's path into
// its source (Image Updater's default git write-back writes the second), so their images and patches
// would ship around every check. check, pipeline and ci refuse both kinds, one line each.
const APP = 'tokenplace-relay';

describe('files in the generated folders that nothing builds or checks', () => {
  const ws = tempWorkspace([APP]);
  const argo = `overlays/prod/${APP}/.argocd-source-${APP}-prod.yaml`;
  const plain = `overlays/prod/${APP}/.argocd-source.yaml`;
  const note = `base/${APP}/notes.md`;
  const linked = `overlays/dev/${APP}/extra.yaml`;
  beforeAll(() => {
    expect(strata(ws.root, ['generate']).status).toBe(0);
    writeFileSync(join(ws.root, argo), `kustomize:\n  images:\n  - ghcr.io/tokenplace/tokenplace-relay=docker.io/attacker/miner:latest\n`);
    writeFileSync(join(ws.root, plain), 'kustomize:\n  namePrefix: x-\n');
    writeFileSync(join(ws.root, note), '# why the relay is built this way\n');
    symlinkSync('../../../base/x.yaml', join(ws.root, linked));
  }, 120_000);
  afterAll(() => ws.dispose());

  const argoLine = (file: string) =>
    `${file}: Argo CD merges this file into the source of an Application whose path holds it, so its images and patches would ship ` +
    `unbuilt and unchecked; delete it, and carry an image into apps/${APP}/images.json with \`npx strata set image\` ` +
    '(Argo CD Image Updater writes this file unless its write-back-target is kustomization)';
  const ownLine = (file: string) =>
    `${file}: a file without the generated header in a folder strata generates for ${APP}: nothing builds or checks it, and generate never writes or deletes it; change apps/${APP} instead, and move the file out or delete it`;
  const lines = [ownLine(note), ownLine(linked), argoLine(argo), argoLine(plain)];

  it('fail check (also of the app and env alone, and without the cache), each named in one line', { timeout: 300_000 }, () => {
    for (const args of [['check'], ['check', '--no-cache'], ['check', '--app', APP, '--env', 'prod']]) {
      const r = strata(ws.root, args);
      // base/ is part of every env's build.
      const wanted = args.includes('prod') ? [ownLine(note), argoLine(argo), argoLine(plain)] : lines;
      expect(r.stdout.split('\n').filter((l) => lines.includes(l))).toStrictEqual(wanted);
      expect(r.stdout).toMatch(new RegExp(`, ${wanted.length} files nothing builds or checks \\(`));
      expect(r.status).toBe(1);
    }
  });

  it('fail pipeline, run after run, and ci, in the same lines', { timeout: 300_000 }, () => {
    for (let i = 0; i < 2; i++) {
      const pipeline = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
      expect(pipeline.stdout.split('\n').filter((l) => lines.includes(l))).toStrictEqual(lines);
      expect(pipeline.stdout).toMatch(/^pipeline: 1 app x 3 envs: Found 4 problems: 4 files nothing builds or checks, and no validation problems/m);
      // Said once, as an error, not again as a warning.
      expect(pipeline.stderr).not.toContain('has no generated header');
      expect(pipeline.status).toBe(1);
    }
    const ci = strata(ws.root, ['ci', '--output', 'json'], undefined, { CI: 'true' });
    const report = JSON.parse(ci.stdout) as { problems: { file: string; rule: string; severity: string; message: string }[] };
    expect(report.problems.filter((p) => p.rule === 'hand-written-file')).toStrictEqual(
      [note, linked, argo, plain].map((file, i) => ({
        file,
        rule: 'hand-written-file',
        severity: 'error',
        message: lines[i]!.slice(file.length + 2),
      })),
    );
    expect(ci.status).toBe(1);
  });

  it('an Argo CD source file in gitops/, or linked into an app that the cache reuses, fails them too', { timeout: 300_000 }, () => {
    for (const f of [argo, plain, note, linked]) rmSync(join(ws.root, f));
    expect(strata(ws.root, ['check']).status).toBe(0);
    const passed = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(passed.stdout).toMatch(/^pipeline: 1 app x 3 envs: No problems/m);
    expect(passed.status).toBe(0);

    const gitops = 'gitops/prod/.argocd-source.yaml';
    writeFileSync(join(ws.root, gitops), 'kustomize:\n  namePrefix: x-\n');
    // A link is no file of the app's own to the cache: the app is reused, and the link still found.
    writeFileSync(join(ws.root, 'override.yaml'), 'kustomize:\n  namePrefix: x-\n');
    symlinkSync('../../../override.yaml', join(ws.root, argo));
    const found = [argoLine(gitops).replace(`apps/${APP}/images.json`, 'apps/<app>/images.json'), argoLine(argo)];
    const check = strata(ws.root, ['check']);
    expect(check.stdout).toMatch(/\(3 as the last pipeline compared them\)/);
    expect(check.stdout.split('\n').filter((l) => l.includes('Argo CD merges'))).toStrictEqual(found);
    expect(check.status).toBe(1);
    const pipeline = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(pipeline.stdout).toMatch(/1 of 1 app unchanged since the last run, reused/);
    expect(pipeline.stdout.split('\n').filter((l) => l.includes('Argo CD merges'))).toStrictEqual(found);
    expect(pipeline.status).toBe(1);
  });
});

// kustomize refuses a folder that holds two kustomization files ("Found multiple kustomization
// files"): a hand-written `Kustomization` or `kustomization.yml` beside the generated
// kustomization.yaml of an env root or of gitops/<env>/ breaks `kubectl apply -k` of that folder.
describe('a second kustomization file beside the generated one of an env root or of gitops/<env>/', () => {
  const ws = tempWorkspace([APP]);
  const files = ['gitops/dev/Kustomization', 'overlays/staging/kustomization.yml'];
  beforeAll(() => {
    expect(strata(ws.root, ['generate']).status).toBe(0);
    for (const f of files) writeFileSync(join(ws.root, f), 'resources: []\n');
  }, 120_000);
  afterAll(() => ws.dispose());

  const line = (file: string) => {
    const dir = file.slice(0, file.lastIndexOf('/'));
    return `${file}: a second kustomization file beside the generated ${dir}/kustomization.yaml: kustomize build and kubectl apply -k ${dir} refuse the folder ("Found multiple kustomization files"), while strata reads the generated one alone; move the file out or delete it`;
  };

  it('is a folder kustomize refuses, and fails check and pipeline --frozen, one line each', { timeout: 300_000 }, () => {
    for (const f of files) {
      const dir = f.slice(0, f.lastIndexOf('/'));
      const built = spawnSync(join(ws.root, '.tools/bin/kustomize'), ['build', dir], { cwd: ws.root, encoding: 'utf8' });
      expect(built.stderr).toContain('Found multiple kustomization files');
      expect(built.status).not.toBe(0);
    }
    const wanted = files.map(line).sort();
    for (const args of [['check'], ['check', '--app', APP, '--env', 'staging'], ['pipeline', '--frozen']]) {
      const r = strata(ws.root, args, undefined, { CI: 'true' });
      const found = r.stdout.split('\n').filter((l) => l.includes('a second kustomization file'));
      expect(found, args.join(' ')).toStrictEqual(args.includes('staging') ? [line(files[1]!)] : wanted);
      expect(r.status, args.join(' ')).toBe(1);
    }
    for (const f of files) rmSync(join(ws.root, f));
    expect(strata(ws.root, ['check']).status).toBe(0);
  });
});
