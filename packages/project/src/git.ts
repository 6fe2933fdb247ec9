import { type ChildProcess, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { untranslatedEnv } from './child-env.ts';
import { ToolError, ToolMissingError } from './errors.ts';

/**
 * Every git that Strata runs goes through here, so that a git that cannot run is told apart from
 * git's answer in one place. Git not installed, git refusing the repository (`detected dubious
 * ownership`, as in a CI container that runs as another user than the clone's owner), a broken
 * repository: each fails the command (exit 2) with git's own words, rather than reading as "no such
 * commit" or "nothing ignored", which would let a check pass that never ran.
 */

/** Thrown when git could not run in a repository, or refused to (exit 2): its message carries git's own lines. */
export class GitError extends ToolError {
  override readonly name: string = 'GitError';
}

/** What git answered: its exit status and output (git may answer with a status other than 0: `check-ignore` finding nothing). */
export interface GitAnswer<Out extends string | Buffer = string> {
  readonly status: number;
  readonly stdout: Out;
  readonly stderr: string;
}

export interface GitOptions {
  readonly input?: string | Buffer;
  /** @default 256 MiB */
  readonly maxBuffer?: number;
  /**
   * What to do outside a git work tree (no repository at the folder or above it): fail, as for a
   * command about commits, or answer undefined, for a check that has nothing to check there.
   * @default 'fail'
   */
  readonly outsideRepository?: 'fail' | 'undefined';
  /**
   * What git says on stderr when it succeeds (a warning that a ref is ambiguous): passed on to this
   * process's stderr, as git would print it, or kept with the answer. @default 'keep'
   */
  readonly warnings?: 'pass' | 'keep';
}

const MAX_BUFFER = 256 * 1024 * 1024;

/** A revision git does not know, or a path a commit lacks: git ran, and this is its answer. */
const ANSWERS =
  /^fatal: (?:ambiguous argument|bad revision|bad object|not a valid object name|invalid object name|not a tree object|needed a single revision|path '.*' does not exist in|path '.*' exists on disk, but not in)/im;

/** git found no repository at the folder or above it (not a broken one: GIT_DIR or a .git file that leads nowhere say `not a git repository: <path>`). */
const OUTSIDE = /^fatal: not a git repository \(or any (?:of the parent directories|parent up to mount point)/im;

/**
 * Runs `git <args>` in `root` and returns its answer; throws GitError (or ToolMissingError when git
 * is not installed) when git could not run there: see GitOptions.outsideRepository for a folder
 * that is not in a repository.
 */
export function runGit(root: string, args: readonly string[], options?: GitOptions & { readonly outsideRepository?: 'fail' }): GitAnswer;
export function runGit(root: string, args: readonly string[], options: GitOptions): GitAnswer | undefined;
export function runGit(root: string, args: readonly string[], options: GitOptions = {}): GitAnswer | undefined {
  const r = spawnSync('git', args, { ...spawnOptions(root, options), encoding: 'utf8' });
  return judged(root, args, r, options);
}

/** The output of `git <args>` in `root`, which must succeed: any failure throws GitError with git's words (see runGit). */
export function gitText(root: string, args: readonly string[], options: Omit<GitOptions, 'outsideRepository'> = {}): string {
  return succeeded(root, args, runGit(root, args, options), options);
}

/** As gitText, the output as bytes (an archive). */
export function gitBytes(root: string, args: readonly string[], options: Omit<GitOptions, 'outsideRepository'> = {}): Buffer {
  const r = spawnSync('git', args, spawnOptions(root, options));
  return succeeded(root, args, judged(root, args, r, options)!, options);
}

function succeeded<Out extends string | Buffer>(root: string, args: readonly string[], r: GitAnswer<Out>, options: GitOptions): Out {
  if (r.status === 0) {
    if (options.warnings === 'pass' && r.stderr) process.stderr.write(r.stderr);
    return r.stdout;
  }
  throw new GitError(`git ${args[0]} failed in ${resolve(root)}: ${oneLine(r.stderr) || `exit ${r.status}`}`);
}

/** As runGit, without blocking. */
export function runGitAsync(root: string, args: readonly string[], options: GitOptions = {}): Promise<GitAnswer | undefined> {
  return new Promise((done, fail) => {
    let child: ChildProcess;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let error: Error | undefined;
    try {
      child = spawn('git', args, { cwd: root, env: untranslatedEnv(), stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (e) {
      fail(e);
      return;
    }
    const keep = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > (options.maxBuffer ?? MAX_BUFFER)) {
        error ??= Object.assign(new Error(`git ${args[0]}: output over ${options.maxBuffer ?? MAX_BUFFER} bytes`), { code: 'ENOBUFS' });
        child.kill();
      } else into.push(chunk);
    };
    child.stdout!.on('data', keep(stdout));
    child.stderr!.on('data', keep(stderr));
    child.on('error', (e) => {
      error ??= e;
    });
    if (options.input !== undefined) {
      // git may end before it reads its input (a fatal error first): its status and words say why.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }
    child.on('close', (status, signal) => {
      try {
        const r = {
          pid: child.pid ?? 0,
          output: [],
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          status,
          signal,
          ...(error ? { error } : {}),
        } as SpawnSyncReturns<string>;
        done(judged(root, args, r, options));
      } catch (e) {
        fail(e);
      }
    });
  });
}

/**
 * Whether `ref` names a commit of the repository at `root` (`git rev-parse --verify`): false for a
 * ref git does not know (a branch not fetched, HEAD~1 of a root commit or a shallow clone); throws
 * when git cannot run there, which says nothing of the ref.
 */
export function isGitCommit(root: string, ref: string): boolean {
  // --quiet: a ref git does not know is exit 1 and nothing said; a git that cannot run throws in runGit.
  return runGit(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).status === 0;
}

function spawnOptions(root: string, options: GitOptions) {
  return {
    cwd: root,
    input: options.input,
    stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'],
    maxBuffer: options.maxBuffer ?? MAX_BUFFER,
    env: untranslatedEnv(),
  };
}

function judged<Out extends string | Buffer>(
  root: string,
  args: readonly string[],
  r: SpawnSyncReturns<Out>,
  options: GitOptions,
): GitAnswer<Out> | undefined {
  // EPIPE: git ended before it read its input (a fatal error first): its status and words say why.
  if (r.error && !((r.error as NodeJS.ErrnoException).code === 'EPIPE' && r.status !== null)) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // Without git, a folder with no repository at it or above it is still known to be none.
      if (options.outsideRepository === 'undefined' && !process.env.GIT_DIR && !inRepositoryFolder(root)) return undefined;
      throw new ToolMissingError('git not found', 'install git, or put it on PATH');
    }
    throw new GitError(`git ${args[0]} could not run in ${resolve(root)}: ${r.error.message}`);
  }
  if (r.signal) throw new GitError(`git ${args[0]} was stopped by ${r.signal} in ${resolve(root)}`);
  const stderr = typeof r.stderr === 'string' ? r.stderr : Buffer.from(r.stderr ?? '').toString('utf8');
  const answer = { status: r.status ?? 0, stdout: r.stdout, stderr };
  if (answer.status === 0 || !/^fatal:/m.test(stderr)) return answer;
  // Outside any repository: nothing to ask, for a caller that allows it (see GitOptions.outsideRepository).
  if (OUTSIDE.test(stderr) && options.outsideRepository === 'undefined') return undefined;
  if (ANSWERS.test(stderr)) return answer;
  throw new GitError(`git failed in ${resolve(root)}: ${oneLine(stderr)}`);
}

/** git's lines as one: `fatal: detected dubious ownership in repository at '/x'; To add an exception for this directory, call: git config --global --add safe.directory /x`. */
function oneLine(text: string): string {
  let out = '';
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '') continue;
    out += out === '' ? line : out.endsWith(':') ? ` ${line}` : `; ${line}`;
  }
  return out;
}

/** Whether a `.git` (folder or file) is at `root` or a folder above it. */
function inRepositoryFolder(root: string): boolean {
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return true;
    if (dirname(dir) === dir) return false;
  }
}
