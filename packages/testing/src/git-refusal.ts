import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Repositories git will not work in, and a PATH without git: what a CI container running as another
// user than the clone's owner, or a machine without git, looks like to the commands that ask git.

/** A refusal of git's in place; `undo` makes git work there again. */
export interface GitRefusal {
  /** The environment under which git refuses the repository: merge it into a child's, or stub it in this process. */
  readonly env: Readonly<Record<string, string>>;
  /** git's words for the refusal, as strata says them on one line. */
  readonly says: string;
  undo(): void;
}

const NOBODY = 65534;

/**
 * Makes git refuse the repository at `root`. As root, the way a CI container running as another user
 * sees its clone: the top folder owned by nobody, no safe.directory in any config git reads (`fatal:
 * detected dubious ownership in repository`). Otherwise, where a folder cannot be given away, a
 * repository format git does not know (`fatal: Expected git repo version <= 1, found 99`).
 */
export function refuseGit(root: string): GitRefusal {
  const real = realpathSync(root);
  const home = mkdtempSync(join(tmpdir(), 'strata-git-home-'));
  writeFileSync(join(home, '.gitconfig'), '');
  // Only the global and the system config may name a safe.directory: neither is read.
  const env = { HOME: home, GIT_CONFIG_GLOBAL: join(home, '.gitconfig'), GIT_CONFIG_NOSYSTEM: '1' };
  if (process.getuid?.() === 0) {
    const owner = statSync(real);
    chownSync(real, NOBODY, NOBODY);
    return {
      env,
      says: `fatal: detected dubious ownership in repository at '${real}'; To add an exception for this directory, call: git config --global --add safe.directory ${real}`,
      undo: () => {
        chownSync(real, owner.uid, owner.gid);
        rmSync(home, { recursive: true, force: true });
      },
    };
  }
  const config = join(real, '.git', 'config');
  execFileSync('git', ['config', '--file', config, 'core.repositoryformatversion', '99'], { cwd: home });
  return {
    env,
    says: 'fatal: Expected git repo version <= 1, found 99',
    undo: () => {
      execFileSync('git', ['config', '--file', config, 'core.repositoryformatversion', '0'], { cwd: home });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A folder to be PATH with node on it and no git (nor anything else); `dispose` removes it. */
export function pathWithoutGit(): { readonly path: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-no-git-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  return { path: dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
