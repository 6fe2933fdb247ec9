import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENTS, type Environment } from '@strata/core';
import { findRoot } from '@strata/project';

export const repo = findRoot();

/** The repository's `strata` command, run in `cwd`. */
export const strata = (cwd: string, args: readonly string[]) => {
  const r = spawnSync(process.execPath, [join(repo, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
export const fixtures = join(repo, 'packages/import/test/__fixtures__');

/** The sources of an import, one `<env>=<source>` for each env in order: `source` itself, or what it gives for the env. */
export const envSources = (source: string | ((env: Environment) => string)): string[] =>
  ENVIRONMENTS.map((e) => `${e}=${typeof source === 'string' ? source : source(e)}`);

/** {@link envSources} as the `--env` flags of `strata import`. */
export const envFlags = (source: string | ((env: Environment) => string)): string[] => envSources(source).flatMap((s) => ['--env', s]);

/**
 * A throw-away workspace with no apps: what an import writes into. The packages are linked, not
 * copied (the import's proof loads the app from its own staging folder, never from here).
 */
export function emptyWorkspace(): { root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'strata-import-ws-'));
  for (const f of ['pnpm-workspace.yaml', 'tsconfig.base.json', 'strata.config.json']) cpSync(join(repo, f), join(root, f));
  // Without the repository's apps, nor their registrations.
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.devDependencies)) if (dep.startsWith('@strata-apps/')) delete pkg.devDependencies[dep];
  writeFileSync(join(root, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const link of ['node_modules', '.tools', 'packages']) symlinkSync(join(repo, link), join(root, link));
  mkdirSync(join(root, 'apps'));
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** Every file under a folder of the workspace, by path relative to the root. */
export function filesUnder(root: string, dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(root.length + 1)] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}
