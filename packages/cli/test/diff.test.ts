import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitAll, git } from '@strata/testing/workspace-copy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, tempWorkspace } from '@strata/testing/workspace';

const APP = 'tokenplace-relay';

describe('strata diff', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = tempWorkspace([APP, 'tensafe']);
    commitAll(ws.root, ['base', 'overlays', 'apps']);
  });
  afterAll(() => ws.dispose());

  it('shows what differs between two envs per resource and exits 1', () => {
    const r = strata(ws.root, ['diff', '--from', 'staging', '--to', 'prod', '--app', APP]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`--- staging/${APP}: apps/v1/Deployment tokenplace/${APP}`);
    expect(r.stdout).toMatch(/^- {2}replicas: 1$/m);
    expect(r.stdout).toMatch(/^\+ {2}replicas: 2$/m);
    expect(r.stdout).toMatch(/diff staging -> prod: 1 added, 0 removed, 4 changed in \d+ resources/);
    // Pipes get no colour codes.
    expect(r.stdout).not.toContain('\x1b[');
  });

  it("names each side's own object in its header and in JSON, pairing a Deployment whose namespace differs per env", () => {
    const r = strata(ws.root, ['diff', '--from', 'staging', '--to', 'prod', '--app', 'tensafe']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      '--- staging/tensafe: apps/v1/Deployment tensafe-staging/tensafe\n+++ prod/tensafe: apps/v1/Deployment tensafe-prod/tensafe\n',
    );
    expect(r.stdout).toMatch(/^- {2}namespace: tensafe-staging$/m);
    const json = JSON.parse(strata(ws.root, ['diff', '--from', 'staging', '--to', 'prod', '--app', 'tensafe', '-o', 'json']).stdout);
    const deployment = json.diffs.find((d: { resource: string }) => d.resource === 'apps/v1/Deployment tensafe');
    expect(deployment).toMatchObject({
      status: 'changed',
      fromObject: 'apps/v1/Deployment tensafe-staging/tensafe',
      toObject: 'apps/v1/Deployment tensafe-prod/tensafe',
    });
    expect(deployment.diff).toContain('--- staging/tensafe: apps/v1/Deployment tensafe-staging/tensafe');
  });

  it('refuses an env compared with itself, a mistyped --from or --to, instead of finding no differences', () => {
    const r = strata(ws.root, ['diff', '--from', 'dev', '--to', 'dev']);
    expect(r.stderr).toBe('strata: --from and --to are both dev, which has no differences with itself; name two envs, as --from dev --to staging\n');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });

  it('gives JSON with one entry per changed resource', () => {
    const r = strata(ws.root, ['diff', '--from', 'dev', '--to', 'staging', '--output', 'json']);
    const report = JSON.parse(r.stdout);
    expect(report.from).toBe('dev');
    expect(report.diffs.find((d: { resource: string }) => d.resource === 'monitoring.coreos.com/v1/ServiceMonitor tokenplace-relay')).toMatchObject({
      status: 'added',
      app: APP,
    });
  });

  it('compares the working tree with a git ref, after a change to the code', () => {
    const envFile = join(ws.root, 'apps', APP, 'src/env/prod.ts');
    const original = readFileSync(envFile, 'utf8');
    writeFileSync(envFile, original.replace('replicas: 2', 'replicas: 4'));
    try {
      expect(strata(ws.root, ['generate']).status).toBe(0);
      const r = strata(ws.root, ['diff', '--against', 'main', '--env', 'prod']);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^- {2}replicas: 2$/m);
      expect(r.stdout).toMatch(/^\+ {2}replicas: 4$/m);
      expect(r.stdout).toMatch(/diff main -> working tree: 0 added, 0 removed, 1 changed/);
    } finally {
      writeFileSync(envFile, original);
      strata(ws.root, ['generate']);
    }
    expect(strata(ws.root, ['diff', '--against', 'main']).status).toBe(0);
  });

  it('renders the sources: a change not yet generated shows up, and a note says the overlays are behind', () => {
    const envFile = join(ws.root, 'apps', APP, 'src/env/prod.ts');
    const original = readFileSync(envFile, 'utf8');
    writeFileSync(envFile, original.replace('replicas: 2', 'replicas: 6'));
    try {
      const r = strata(ws.root, ['diff', '--against', 'main', '--env', 'prod']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^note: the working tree's sources are newer than its overlays \(\d+ generated files differ\): compared what they generate; run `npx strata generate` to write it$/m,
      );
      expect(r.stdout).toMatch(/^- {2}replicas: 2$/m);
      expect(r.stdout).toMatch(/^\+ {2}replicas: 6$/m);
      // Nothing was written: the committed overlay still says 2.
      expect(readFileSync(join(ws.root, 'overlays/prod', APP, 'kustomization.yaml'), 'utf8')).toContain('count: 2');
    } finally {
      writeFileSync(envFile, original);
    }
  });

  it("renders the ref's sources too, when its overlays were committed behind them", () => {
    const envFile = join(ws.root, 'apps', APP, 'src/env/prod.ts');
    const original = readFileSync(envFile, 'utf8');
    writeFileSync(envFile, original.replace('replicas: 2', 'replicas: 7'));
    git(ws.root, 'commit', '-qam', 'source only');
    try {
      const r = strata(ws.root, ['diff', '--against', 'HEAD~1', '--env', 'prod']);
      expect(r.stderr).toMatch(/^note: the working tree's sources are newer than its overlays/m);
      expect(r.stdout).toMatch(/^- {2}replicas: 2$/m);
      expect(r.stdout).toMatch(/^\+ {2}replicas: 7$/m);
      const same = strata(ws.root, ['diff', '--against', 'HEAD', '--env', 'prod']);
      expect(same.stderr).toMatch(/^note: HEAD: its committed overlays are behind its sources/m);
      expect(same.stdout).toMatch(/no differences/);
      expect(same.status).toBe(0);
    } finally {
      git(ws.root, 'reset', '-q', '--hard', 'HEAD~1');
    }
  });

  it('rejects an unknown ref and a missing comparison with exit 2', () => {
    const ref = strata(ws.root, ['diff', '--against', 'no-such-ref']);
    expect(ref.status).toBe(2);
    expect(ref.stderr).toMatch(/--against no-such-ref: not a commit/);
    const none = strata(ws.root, ['diff']);
    expect(none.status).toBe(2);
  });

  it('refuses an app of neither side with exit 2 in every form, instead of finding no difference in no resources', () => {
    for (const args of [
      ['diff', '--against', 'HEAD', '--app', 'tokenplace-rely'],
      ['diff', '--from', 'dev', '--to', 'prod', '--app', 'tokenplace-rely'],
    ]) {
      const r = strata(ws.root, args);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(/^strata: unknown app "tokenplace-rely"[^\n]*; known apps: tensafe, tokenplace-relay\n$/);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(2);
    }
  });

  it('refuses a ref whose apps do not render and that commits no overlays, instead of finding every resource added', () => {
    const app = join(ws.root, 'apps/tensafe/src/app.ts');
    writeFileSync(app, `${readFileSync(app, 'utf8')}\nexport const broken = (;\n`);
    git(ws.root, 'rm', '-rq', '--cached', 'base', 'overlays');
    git(ws.root, 'commit', '-qam', 'no tree, and an app that does not compile');
    const ref = git(ws.root, 'rev-parse', 'HEAD').trim();
    git(ws.root, 'reset', '-q', '--hard', 'HEAD~1');
    const r = strata(ws.root, ['diff', '--against', ref, '--env', 'dev']);
    expect(r.stderr).toMatch(
      new RegExp(
        `^strata: --against ${ref}: its apps do not render with this strata \\(apps/tensafe/src/app\\.ts:[^\\n]*\\) and it commits no overlays of them to compare instead\\n$`,
      ),
    );
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });

  it('says which overlays it compared on neither side: an app of a ref that does not render, which commits none of it', () => {
    const app = join(ws.root, 'apps/tensafe/src/app.ts');
    writeFileSync(app, `${readFileSync(app, 'utf8')}\nexport const broken = (;\n`);
    git(ws.root, 'rm', '-rq', '--cached', 'overlays/dev/tensafe');
    git(ws.root, 'commit', '-qam', 'an app with no overlays, that does not compile');
    const ref = git(ws.root, 'rev-parse', 'HEAD').trim();
    git(ws.root, 'reset', '-q', '--hard', 'HEAD~1');
    // The working tree has the app no longer: neither side has its overlay to compare.
    const aside = `${ws.root}-tensafe`;
    renameSync(join(ws.root, 'apps/tensafe'), aside);
    try {
      const r = strata(ws.root, ['diff', '--against', ref, '--env', 'dev']);
      expect(r.stderr).toContain(`note: not compared, as neither ${ref} nor the working tree has them: overlays/dev/tensafe\n`);
      expect(r.stdout).toMatch(/^diff \S+ -> working tree: /m);
    } finally {
      renameSync(aside, join(ws.root, 'apps/tensafe'));
    }
  });

  it("passes on git's warning about the ref in English, as it prints its own words, whatever the locale and time zone", () => {
    // A tag and a branch of one name: git warns that the name is ambiguous, in the language gettext picks.
    git(ws.root, 'tag', 'twin');
    git(ws.root, 'branch', 'twin');
    try {
      const r = strata(ws.root, ['diff', '--against', 'twin', '--env', 'dev', '--app', APP], undefined, {
        LANG: 'C.UTF-8',
        LC_ALL: '',
        LANGUAGE: 'de',
        TZ: 'Pacific/Chatham',
      });
      expect(r.stderr).toContain("warning: refname 'twin' is ambiguous.");
      expect(r.stderr).not.toMatch(/Warnung/);
      expect(r.stdout).toMatch(/^diff twin -> working tree: no differences in \d+ resources/m);
      expect(r.status).toBe(0);
    } finally {
      git(ws.root, 'tag', '-d', 'twin');
      git(ws.root, 'branch', '-D', 'twin');
    }
  });

  it('takes an app that only the ref has as known: its resources are removed', () => {
    const aside = `${ws.root}-tensafe`;
    renameSync(join(ws.root, 'apps/tensafe'), aside);
    try {
      const r = strata(ws.root, ['diff', '--against', 'HEAD', '--env', 'dev', '--app', 'tensafe']);
      expect(r.stdout).toMatch(/diff HEAD -> working tree: 0 added, [1-9]\d* removed, 0 changed in [1-9]\d* resources/);
      expect(r.status).toBe(1);
    } finally {
      renameSync(aside, join(ws.root, 'apps/tensafe'));
    }
  });
});
