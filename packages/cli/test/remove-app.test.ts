import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockfileWithout } from '@strata/pipeline';
import { commitAll, git } from '@strata/testing/workspace-copy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, strata, tempWorkspace } from '@strata/testing/workspace';

const GONE = 'gethrelay';
const KEPT = 'tokenplace-relay';

/** A workspace of the two apps, with the repository's lockfile (of these two apps) and .gitignore, generated. */
function generatedWorkspace(): ReturnType<typeof tempWorkspace> {
  const ws = tempWorkspace([GONE, KEPT]);
  cpSync(join(repo, '.gitignore'), join(ws.root, '.gitignore'));
  let lock = readFileSync(join(repo, 'pnpm-lock.yaml'), 'utf8');
  for (const app of readdirSync(join(repo, 'apps'))) if (app !== GONE && app !== KEPT) lock = lockfileWithout(lock, app);
  writeFileSync(join(ws.root, 'pnpm-lock.yaml'), lock);
  expect(strata(ws.root, ['generate']).status).toBe(0);
  return ws;
}

/** The built files that the record of what the builds wrote (`.strata/cache/dist.json`) holds, sorted. */
function recorded(root: string): string[] {
  return Object.keys((JSON.parse(readFileSync(join(root, '.strata/cache/dist.json'), 'utf8')) as { files: object }).files).sort();
}

/** The files of the workspace at `root` that name `text`, once all of it is staged; the tool's own packages, with their fixtures, apart. */
function filesNaming(root: string, text: string): string {
  git(root, 'add', '-A');
  return spawnSync('git', ['grep', '-l', text, '--', '.', ':!packages'], { cwd: root, encoding: 'utf8' }).stdout;
}

describe('strata remove-app', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    // The env roots and gitops/ of exactly these two apps, built and cached as a user's tree would be.
    ws = generatedWorkspace();
    const first = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(first.stdout + first.stderr).toMatch(/No problems/);
    // The committed topology pictures of these two apps, as `npm run topology` draws them.
    mkdirSync(join(ws.root, 'docs'));
    for (const env of ['dev', 'staging', 'prod']) {
      expect(strata(ws.root, ['graph', '--env', env, '--out', `docs/topology-${env}.svg`]).status).toBe(0);
      expect(strata(ws.root, ['graph', '--env', env, '--output', 'mermaid', '--out', `docs/topology-${env}.mmd`]).status).toBe(0);
    }
    expect(readFileSync(join(ws.root, 'docs/topology-prod.mmd'), 'utf8')).toContain(`${GONE} · namespace`);
    commitAll(ws.root);
  });
  afterAll(() => ws.dispose());

  it('refuses an unknown app in one line that names the known ones, and changes nothing', () => {
    const r = strata(ws.root, ['remove-app', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`strata: unknown app "nope"; known apps: ${GONE}, ${KEPT}\n`);
    expect(git(ws.root, 'status', '--porcelain')).toBe('');
  });

  it('changes nothing when a topology picture cannot be drawn without the app', () => {
    const overlay = join(ws.root, 'overlays/staging', KEPT, 'kustomization.yaml');
    const committed = readFileSync(overlay, 'utf8');
    writeFileSync(overlay, `${committed}resources:\n  - missing.yaml\n`);
    try {
      const r = strata(ws.root, ['remove-app', GONE]);
      expect(r.stderr).toMatch(
        new RegExp(`^strata: overlays/staging/${KEPT}: kustomize build failed, so docs/topology-staging\\.svg cannot be drawn: `),
      );
      expect(r.status).toBe(1);
      expect(git(ws.root, 'status', '--porcelain')).toBe(` M overlays/staging/${KEPT}/kustomization.yaml\n`);
    } finally {
      writeFileSync(overlay, committed);
    }
  });

  it('changes nothing when dist/prod is a link out of the workspace, and removes nothing through it', () => {
    const prod = join(ws.root, 'dist', 'prod');
    const outside = mkdtempSync(join(tmpdir(), 'strata-linked-dist-'));
    try {
      cpSync(prod, outside, { recursive: true });
      rmSync(prod, { recursive: true });
      symlinkSync(outside, prod);
      const r = strata(ws.root, ['remove-app', GONE]);
      expect(r.stderr).toBe(
        `strata: dist/prod: is a symbolic link (to ${outside}); built output goes only to plain folders in the workspace, so nothing was written or removed through it: remove the link, then run again\n`,
      );
      expect(r.status).toBe(1);
      expect(existsSync(join(outside, `${GONE}.yaml`))).toBe(true);
      expect(git(ws.root, 'status', '--porcelain')).toBe('');
    } finally {
      rmSync(prod, { force: true });
      cpSync(outside, prod, { recursive: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("changes nothing when one of the app's folders is a link out of the workspace, names the link, and removes nothing through it", () => {
    const overlay = join(ws.root, 'overlays', 'prod', GONE);
    const outside = mkdtempSync(join(tmpdir(), 'strata-linked-overlay-'));
    try {
      cpSync(overlay, outside, { recursive: true });
      rmSync(overlay, { recursive: true });
      symlinkSync(outside, overlay);
      for (let run = 0; run < 2; run++) {
        // The same answer when run again: the link, not the run, is what to change.
        const r = strata(ws.root, ['remove-app', GONE]);
        expect(r.stderr).toBe(
          `strata: overlays/prod/${GONE}: is a symbolic link (to ${outside}); an app's folders must be plain folders in the workspace, so nothing was changed: remove the link, then run remove-app ${GONE} again\n`,
        );
        expect(r.status).toBe(1);
      }
      expect(existsSync(join(outside, 'kustomization.yaml'))).toBe(true);
      // Only the link itself differs from the commit: the app, its registration and the rest are all there.
      const changed = git(ws.root, 'status', '--porcelain').trim().split('\n');
      expect(changed.length).toBeGreaterThan(0);
      for (const line of changed) expect(line.trim().split(/\s+/).pop()).toMatch(new RegExp(`^overlays/prod/${GONE}(/|$)`));
    } finally {
      rmSync(overlay, { force: true });
      cpSync(outside, overlay, { recursive: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('changes nothing while a hand-written file is in its generated folders, and names the file and what to do', () => {
    const extra = join(ws.root, 'overlays/prod', GONE, 'my-extra.yaml');
    writeFileSync(extra, 'keep: me\n');
    try {
      const r = strata(ws.root, ['remove-app', GONE]);
      expect(r.stderr).toBe(
        `strata: remove-app ${GONE}: overlays/prod/${GONE}/my-extra.yaml has no generated header (written by hand), so remove-app does not delete it and its folder would stay, an app to Argo CD (every folder under overlays/<env>/ is one); move it out of base/${GONE}/ and overlays/<env>/${GONE}/ or delete it, then run remove-app again; nothing was changed\n`,
      );
      expect(r.status).toBe(1);
      expect(git(ws.root, 'status', '--porcelain')).toBe(`?? overlays/prod/${GONE}/my-extra.yaml\n`);
    } finally {
      rmSync(extra);
    }
  });

  it('changes nothing while the app folder holds work no commit has, and names each such file and what to do', () => {
    const notes = join(ws.root, 'apps', GONE, 'NOTES.md');
    const render = join(ws.root, 'apps', GONE, 'src/render.ts');
    const committed = readFileSync(render, 'utf8');
    writeFileSync(notes, 'my uncommitted notes\n');
    writeFileSync(render, `${committed}// half-done change\n`);
    try {
      const r = strata(ws.root, ['remove-app', GONE]);
      expect(r.stderr).toBe(
        `strata: remove-app ${GONE}: apps/${GONE}/ holds work that no commit has: apps/${GONE}/NOTES.md (untracked), apps/${GONE}/src/render.ts (changed since the last commit); removing the folder would lose it for good, so commit it or move it out of apps/${GONE}/, then run remove-app ${GONE} again (or, to discard it, delete the folder yourself: rm -r apps/${GONE}, and remove-app ${GONE} removes what is left of the app); nothing was changed\n`,
      );
      expect(r.status).toBe(1);
      expect(git(ws.root, 'status', '--porcelain')).toBe(` M apps/${GONE}/src/render.ts\n?? apps/${GONE}/NOTES.md\n`);
      expect(readFileSync(notes, 'utf8')).toBe('my uncommitted notes\n');
      // Staged but not committed is no commit either.
      rmSync(notes);
      git(ws.root, 'add', render);
      const staged = strata(ws.root, ['remove-app', GONE]);
      expect(staged.stderr).toMatch(new RegExp(`holds work that no commit has: apps/${GONE}/src/render\\.ts \\(changed since the last commit\\);`));
      expect(staged.status).toBe(1);
      // What it says to do to discard the work works with the edit staged, where git checkout -- apps/NAME
      // would put the staged edit back (and fails where git holds nothing of the folder, as after new-app).
      expect(staged.stderr).not.toMatch(/git checkout/);
      expect(staged.stderr).toMatch(
        new RegExp(`delete the folder yourself: rm -r apps/${GONE}, and remove-app ${GONE} removes what is left of the app\\);`),
      );
    } finally {
      rmSync(notes, { force: true });
      git(ws.root, 'reset', '-q', '--', render);
      writeFileSync(render, committed);
    }
  });

  it('leaves no trace of the app, and a tree that the pipeline and check pass', () => {
    expect(existsSync(join(ws.root, 'dist/prod', `${GONE}.yaml`))).toBe(true);
    const builtBefore = readFileSync(join(ws.root, 'dist/prod', `${GONE}.yaml`), 'utf8');
    expect(recorded(ws.root)).toContain(`dist/prod/${GONE}.yaml`);
    const r = strata(ws.root, ['remove-app', GONE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`removed apps/${GONE}/src/app.ts`);
    expect(r.stdout).toContain(`removed overlays/prod/${GONE}/kustomization.yaml`);
    expect(r.stdout).toContain(`removed dist/prod/${GONE}.yaml`);
    expect(r.stdout).toMatch(/^wrote package\.json$/m);
    expect(r.stdout).toMatch(/^wrote pnpm-lock\.yaml$/m);
    expect(r.stdout).toMatch(/^wrote overlays\/prod\/kustomization\.yaml$/m);
    expect(r.stdout).toMatch(/^wrote gitops\/prod\/applicationset\.strata-prod\.yaml$/m);
    // The pictures are drawn again without it, as `strata graph` draws the tree that is left.
    for (const env of ['dev', 'staging', 'prod']) {
      expect(r.stdout).toMatch(new RegExp(`^wrote docs/topology-${env}\\.svg$`, 'm'));
      const mermaid = strata(ws.root, ['graph', '--env', env, '--output', 'mermaid']);
      expect(readFileSync(join(ws.root, `docs/topology-${env}.mmd`), 'utf8')).toBe(mermaid.stdout);
      expect(mermaid.stdout).toContain(`${KEPT} · namespace`);
    }

    for (const dir of ['apps', 'base', 'overlays/dev', 'overlays/staging', 'overlays/prod', 'dist/prod']) {
      expect(existsSync(join(ws.root, dir, GONE)), dir).toBe(false);
    }
    expect(existsSync(join(ws.root, 'dist/prod', `${GONE}.yaml`))).toBe(false);
    expect(readFileSync(join(ws.root, '.strata/cache/pipeline.json'), 'utf8')).not.toContain(`"${GONE}"`);
    // Nor the record of what the builds wrote: only the other app's built files are in it.
    const kept = ['dev', 'prod', 'staging'].map((env) => `dist/${env}/${KEPT}.yaml`);
    expect(recorded(ws.root)).toStrictEqual(kept);
    expect(r.stdout).toMatch(/^wrote \.strata\/cache\/dist\.json$/m);
    // The copy's link to the app goes; the repository's own, which the tests run from, stays.
    expect(existsSync(join(ws.root, 'node_modules/@strata-apps', KEPT))).toBe(true);
    expect(() => lstatSync(join(ws.root, 'node_modules/@strata-apps', GONE))).toThrow(/ENOENT/);
    expect(lstatSync(join(repo, 'node_modules/@strata-apps', GONE)).isSymbolicLink()).toBe(true);
    // Nothing of the project names it any more: not the registration, the lockfile, the env roots or
    // the Argo CD files (the tool's own packages, with their fixtures, are not the project's).
    expect(filesNaming(ws.root, GONE)).toBe('');
    expect(readFileSync(join(ws.root, 'pnpm-lock.yaml'), 'utf8')).toContain(`  apps/${KEPT}:`);

    const pipeline = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(pipeline.stdout).toMatch(/pipeline: 1 app x 3 envs: No problems/);
    expect(pipeline.status).toBe(0);
    const check = strata(ws.root, ['check', '--no-cache']);
    expect(check.stdout).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures/);
    expect(check.status).toBe(0);
    expect(recorded(ws.root)).toStrictEqual(kept);

    // The app's overlays back (a revert of the removal, say) with a built file that no strata build
    // wrote (kustomize run by hand, newer than its sources): warned of as not built in this checkout,
    // as for an app that was never built here, not as changed since the removed app's last build.
    const restored = ['base', 'overlays/dev', 'overlays/staging', 'overlays/prod'].map((d) => `${d}/${GONE}`);
    git(ws.root, 'checkout', 'HEAD', '--', ...restored);
    try {
      writeFileSync(join(ws.root, 'dist/prod', `${GONE}.yaml`), `${builtBefore}# built by hand\n`);
      const validated = strata(ws.root, ['validate']);
      expect(validated.stdout.split('\n').filter((l) => l.includes('[stale-build]'))).toStrictEqual([
        expect.stringMatching(new RegExp(`^dist/prod/${GONE}\\.yaml: not built in this checkout \\(`)),
      ]);
    } finally {
      rmSync(join(ws.root, 'dist/prod', `${GONE}.yaml`));
      for (const d of restored) rmSync(join(ws.root, d), { recursive: true });
    }
  });

  it('check fails on a folder of the removed app that a hand-written file keeps, naming it and why', () => {
    mkdirSync(join(ws.root, 'overlays/prod', GONE));
    writeFileSync(join(ws.root, 'overlays/prod', GONE, 'my-extra.yaml'), 'keep: me\n');
    try {
      const check = strata(ws.root, ['check']);
      expect(check.stdout).toContain(
        `overlays/prod/${GONE}/: a folder of no app (there is no apps/${GONE}) that holds overlays/prod/${GONE}/my-extra.yaml, written by hand: generate never deletes such files, and Argo CD makes an Application of every folder under overlays/prod/; move them out or delete the folder\n`,
      );
      expect(check.stdout).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures, 1 folder of no app/);
      expect(check.status).toBe(1);
    } finally {
      rmSync(join(ws.root, 'overlays/prod', GONE), { recursive: true });
    }
  });
});

describe('strata remove-app with another app not installed yet', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = generatedWorkspace();
    // The kept app as a fresh clone holds it before `pnpm install`: its sources and overlays, no dependencies.
    rmSync(join(ws.root, 'apps', KEPT, 'node_modules'), { recursive: true });
    const uninstalled = strata(ws.root, ['generate', '--app', KEPT]);
    expect(uninstalled.status).toBe(2);
    expect(uninstalled.stderr).toMatch(/dependencies of apps\/[a-z-]+ are not installed.*npm run setup/);
    // And one added without installing, never generated.
    expect(strata(ws.root, ['new-app', 'billing', '--no-install']).status).toBe(0);
    commitAll(ws.root);
  });
  afterAll(() => ws.dispose());

  it("changes nothing when another app's committed overlay does not build", () => {
    const overlay = join(ws.root, 'overlays/dev', KEPT, 'kustomization.yaml');
    const committed = readFileSync(overlay, 'utf8');
    writeFileSync(overlay, `${committed}resources:\n  - missing.yaml\n`);
    try {
      const r = strata(ws.root, ['remove-app', GONE]);
      expect(r.stderr).toMatch(
        new RegExp(`^strata: overlays/dev/${KEPT}: kustomize build failed, so gitops/ cannot be planned without ${GONE}: .*; nothing was changed\n$`),
      );
      expect(r.status).toBe(1);
      expect(git(ws.root, 'status', '--porcelain')).toBe(` M overlays/dev/${KEPT}/kustomization.yaml\n`);
    } finally {
      writeFileSync(overlay, committed);
    }
  });

  it('removes the app without compiling the others: gitops/ is planned from their committed overlays', () => {
    const before = readFileSync(join(ws.root, 'gitops/prod/applicationset.strata-prod.yaml'), 'utf8');
    const r = strata(ws.root, ['remove-app', GONE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wrote gitops\/prod\/applicationset\.strata-prod\.yaml$/m);
    for (const dir of ['apps', 'base', 'overlays/prod']) expect(existsSync(join(ws.root, dir, GONE)), dir).toBe(false);
    const after = readFileSync(join(ws.root, 'gitops/prod/applicationset.strata-prod.yaml'), 'utf8');
    expect(before).toContain(GONE);
    expect(after).not.toContain(GONE);
    expect(after).toContain(KEPT);
    // The env roots list the apps generated: not billing, which has no overlays to build yet.
    expect(readFileSync(join(ws.root, 'overlays/prod/kustomization.yaml'), 'utf8')).toMatch(new RegExp(`^resources:\\n  - ${KEPT}\\n$`, 'm'));
    expect(readFileSync(join(ws.root, 'overlays/prod/kustomization.yaml'), 'utf8')).not.toContain('billing');
    expect(filesNaming(ws.root, GONE)).toBe('');
    // The app never installed nor generated goes too; once installed, the kept app's generated
    // files are what generate makes of it.
    const billing = strata(ws.root, ['remove-app', 'billing']);
    expect(billing.stderr).toBe('');
    expect(billing.status).toBe(0);
    cpSync(join(repo, 'apps', KEPT, 'node_modules'), join(ws.root, 'apps', KEPT, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    const check = strata(ws.root, ['check', '--no-cache']);
    expect(check.stdout).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures/);
    expect(check.status).toBe(0);
  });
});

describe('strata remove-app of an app whose folder is gone', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  const registration = `package.json: @strata-apps/${GONE} is a registration of no app (there is no apps/${GONE}; pnpm-lock.yaml has it too), so every pnpm install fails, and new-app and import with it; run \`npx strata remove-app ${GONE}\`, which removes it and whatever else is left of the app`;
  beforeAll(() => {
    ws = generatedWorkspace();
    expect(strata(ws.root, ['pipeline'], undefined, { CI: 'true' }).status).toBe(0);
    commitAll(ws.root);
    // Deleted as `git rm -r` deletes it: what git tracks goes, the install's node_modules stays.
    git(ws.root, 'rm', '-r', '-q', `apps/${GONE}`);
    expect(existsSync(join(ws.root, 'apps', GONE, 'node_modules'))).toBe(true);
  }, 300_000);
  afterAll(() => ws.dispose());

  it('check, pipeline and generate name the registration left behind in one line with the command that removes it', () => {
    // generate removes the app's generated files as stale, and says what it cannot mend.
    const generate = strata(ws.root, ['generate']);
    expect(generate.stderr).toBe(`warning: ${registration}\n`);
    expect(generate.stdout).toMatch(new RegExp(`^removed overlays/prod/${GONE}/kustomization\\.yaml \\(stale\\)$`, 'm'));
    expect(generate.status).toBe(0);
    const check = strata(ws.root, ['check']);
    expect(check.stdout.split('\n')).toContain(registration);
    expect(check.stdout).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures, 1 registration of no app \(/);
    expect(check.status).toBe(1);
    const pipeline = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(pipeline.stdout.split('\n')).toContain(registration);
    expect(pipeline.stdout).toMatch(
      /^pipeline: 1 app x 3 envs: Found 1 problem: 1 registration of no app, and no validation problems in \d+ resources/m,
    );
    expect(pipeline.status).toBe(1);
    const json = strata(ws.root, ['ci', '--output', 'json'], undefined, { CI: 'true' });
    const report = JSON.parse(json.stdout) as { problems: { file: string; rule: string; severity: string; message: string }[] };
    expect(report.problems.filter((p) => p.severity === 'error')).toStrictEqual([
      { file: 'package.json', rule: 'stray-registration', severity: 'error', message: registration.slice('package.json: '.length) },
    ]);
    expect(json.status).toBe(1);
  });

  it('removes what is left of it, says what that was, and leaves a tree that check and the pipeline pass', () => {
    // What generate and the pipeline left (they removed its generated and built files, and its cache
    // entries): the registration, the install's folder and link.
    const r = strata(ws.root, ['remove-app', GONE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^remove-app: apps/${GONE} was gone already; removed what was left of ${GONE} \\(its registration in package\\.json and pnpm-lock\\.yaml, what the install linked for it\\): 0 files removed, 2 rewritten; commit the result`,
        'm',
      ),
    );
    expect(r.stdout).toMatch(/^wrote package\.json$/m);
    expect(r.stdout).toMatch(/^wrote pnpm-lock\.yaml$/m);
    expect(existsSync(join(ws.root, 'apps', GONE))).toBe(false);
    expect(() => lstatSync(join(ws.root, 'node_modules/@strata-apps', GONE))).toThrow(/ENOENT/);
    expect(readFileSync(join(ws.root, '.strata/cache/pipeline.json'), 'utf8')).not.toContain(`"${GONE}"`);
    expect(recorded(ws.root)).toStrictEqual(['dev', 'prod', 'staging'].map((env) => `dist/${env}/${KEPT}.yaml`));
    expect(filesNaming(ws.root, GONE)).toBe('');
    expect(readFileSync(join(ws.root, 'pnpm-lock.yaml'), 'utf8')).toContain(`  apps/${KEPT}:`);

    const check = strata(ws.root, ['check', '--no-cache']);
    expect(check.stdout).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures \(/);
    expect(check.status).toBe(0);
    const pipeline = strata(ws.root, ['pipeline'], undefined, { CI: 'true' });
    expect(pipeline.stdout).toMatch(/pipeline: 1 app x 3 envs: No problems/);
    expect(pipeline.status).toBe(0);
    // Nothing is left: the name is unknown again.
    const again = strata(ws.root, ['remove-app', GONE]);
    expect(again.stderr).toBe(`strata: unknown app "${GONE}"; known apps: ${KEPT}\n`);
    expect(again.status).toBe(2);
  });
});

describe('strata remove-app of an app deleted by hand, generated files and all in place', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = generatedWorkspace();
    expect(strata(ws.root, ['pipeline'], undefined, { CI: 'true' }).status).toBe(0);
    commitAll(ws.root);
    rmSync(join(ws.root, 'apps', GONE), { recursive: true });
  }, 300_000);
  afterAll(() => ws.dispose());

  it('refuses a folder of the name that holds files but no app, naming them, and changes nothing', () => {
    mkdirSync(join(ws.root, 'apps', GONE));
    writeFileSync(join(ws.root, 'apps', GONE, 'NOTES.md'), 'what it was\n');
    try {
      const r = strata(ws.root, ['remove-app', GONE]);
      expect(r.stderr).toBe(
        `strata: remove-app ${GONE}: apps/${GONE}/ holds apps/${GONE}/NOTES.md but no src/app.ts, so it is no app and remove-app cannot tell its files are the app's; delete them or move them out (or put src/app.ts back), then run remove-app ${GONE} again; nothing was changed\n`,
      );
      expect(r.status).toBe(1);
      expect(git(ws.root, 'status', '--porcelain', '--', '.', `:!apps/${GONE}`)).toBe('');
    } finally {
      rmSync(join(ws.root, 'apps', GONE), { recursive: true });
    }
  });

  it('removes its generated files, its entries in the env roots and gitops/, its built files, cache entries and registration, and every env root builds', () => {
    const r = strata(ws.root, ['remove-app', GONE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^remove-app: apps/${GONE} was gone already; removed what was left of ${GONE} \\(its registration in package\\.json and pnpm-lock\\.yaml, \\d+ generated files of it, its entry in overlays/dev/kustomization\\.yaml, overlays/staging/kustomization\\.yaml, overlays/prod/kustomization\\.yaml, its built files in dist/, its entries in the pipeline cache, what the install linked for it\\): `,
        'm',
      ),
    );
    expect(r.stdout).toMatch(new RegExp(`^removed base/${GONE}/kustomization\\.yaml$`, 'm'));
    expect(r.stdout).toMatch(/^wrote gitops\/prod\/applicationset\.strata-prod\.yaml$/m);
    expect(r.stdout).toMatch(new RegExp(`^removed dist/prod/${GONE}\\.yaml$`, 'm'));
    expect(readFileSync(join(ws.root, '.strata/cache/pipeline.json'), 'utf8')).not.toContain(`"${GONE}"`);
    expect(recorded(ws.root)).toStrictEqual(['dev', 'prod', 'staging'].map((env) => `dist/${env}/${KEPT}.yaml`));
    expect(filesNaming(ws.root, GONE)).toBe('');
    for (const env of ['dev', 'staging', 'prod']) {
      const built = spawnSync(join(ws.root, '.tools/bin/kustomize'), ['build', `overlays/${env}`], { cwd: ws.root, encoding: 'utf8' });
      expect(built.stderr, env).toBe('');
      expect(built.status, env).toBe(0);
    }
    const check = strata(ws.root, ['check', '--no-cache']);
    expect(check.stdout).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures \(/);
    expect(check.status).toBe(0);
  });
});
