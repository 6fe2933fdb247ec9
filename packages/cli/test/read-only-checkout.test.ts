import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { strata, suiteWorkspace, treeOf } from '@strata/testing/workspace';

const mountPoint = mkdtempSync(join(tmpdir(), 'strata-ro-'));
afterAll(() => rmSync(mountPoint, { recursive: true, force: true }));

/**
 * Runs `script` (sh, given `args` as its arguments) in the folder `from` mounted read-only at
 * `mountPoint`, in a mount namespace of a user namespace of its own: a real read-only file system,
 * no privileges needed.
 */
function readOnly(from: string, script: string, args: readonly string[], timeout: number) {
  return spawnSync(
    'unshare',
    ['-rm', 'sh', '-c', `mount --bind "$0" "$1" && mount -o remount,ro,bind "$1" && cd "$1" && shift && ${script}`, from, mountPoint, ...args],
    { encoding: 'utf8', timeout, killSignal: 'SIGKILL', env: { ...process.env, FORCE_COLOR: '0' } },
  );
}

/** Whether this machine lets a process mount a folder read-only in a user namespace of its own. */
const mounts = readOnly(tmpdir(), 'touch x 2>/dev/null; test $? -ne 0', [], 10_000).status === 0;

// `docker run -v "$PWD":/src:ro`, a read-only volume of a CI pod: the commands that write refuse in
// one line, exit 2, and those that only read work. Node's recursive mkdir says ENOENT there (not
// EROFS), which the tree's lock took for its folder removed by a holder letting go, and retried for
// good, at 100% CPU and deaf to Ctrl-C and SIGTERM.
describe.skipIf(!mounts)('a checkout on a read-only file system', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);

  it('refuses every writing command in one line naming the folder, exit 2, and runs the reading ones', () => {
    // The CLI's bundle built, as on a checkout set up before it was mounted read-only.
    expect(strata(ws.root, ['--help']).status).toBe(0);
    const before = treeOf(ws.root);
    const line = `strata: cannot write ${mountPoint}/.strata/write: read-only file system; run strata in a writable checkout, or use a read-only command: check, ls, validate, diff, generate --dry-run`;
    for (const args of [['generate'], ['pipeline'], ['set', 'image', '--app', 'tokenplace-relay', '--env', 'dev', 'docker.io/x/y:1.2.3']]) {
      const r = readOnly(ws.root, 'node="$1" && shift && exec "$node" packages/cli/bin/strata.mjs "$@"', [process.execPath, ...args], 60_000);
      expect(r.error, `${args.join(' ')} did not end`).toBeUndefined();
      expect(r.stderr.trimEnd(), args.join(' ')).toBe(line);
      expect(r.status, args.join(' ')).toBe(2);
    }
    const ls = readOnly(ws.root, 'exec "$1" packages/cli/bin/strata.mjs ls', [process.execPath], 60_000);
    expect(ls.stderr).toBe('');
    expect(ls.stdout).toContain('tokenplace-relay');
    expect(ls.status).toBe(0);
    expect(treeOf(ws.root)).toStrictEqual(before);
  }, 300_000);
});

/**
 * Runs strata `args` in `root` with its folders `readOnly` each mounted read-only onto itself (a
 * mount namespace of a user namespace of its own), `mounted` ones mounted onto themselves writable, or with `unwritable` ones given mode 555 and run
 * as a user without privileges that owns them (a user namespace mapping it to the files' owner).
 */
function strataWith(
  root: string,
  folders: { readOnly?: readonly string[]; mounted?: readonly string[]; unwritable?: readonly string[] },
  args: readonly string[],
) {
  const binds = [
    ...(folders.readOnly ?? []).map((f) => `mount --bind "${f}" "${f}" && mount -o remount,ro,bind "${f}" && `),
    ...(folders.mounted ?? []).map((f) => `mount --bind "${f}" "${f}" && `),
  ].join('');
  for (const f of folders.unwritable ?? []) chmodSync(join(root, f), 0o555);
  try {
    return spawnSync(
      'unshare',
      [
        ...(folders.unwritable ? ['-U', '--map-user=65534', '--map-group=65534'] : ['-rm']),
        'sh',
        '-c',
        `cd "$0" && ${binds}node="$1" && shift && exec "$node" packages/cli/bin/strata.mjs "$@"`,
        root,
        process.execPath,
        ...args,
      ],
      { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', env: { ...process.env, FORCE_COLOR: '0' } },
    );
  } finally {
    for (const f of folders.unwritable ?? []) chmodSync(join(root, f), 0o755);
  }
}

/** Whether this machine lets a process run as a user of its own without privileges over the files. */
const unprivileged = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-unwritable-'));
  try {
    chmodSync(dir, 0o555);
    return (
      spawnSync('unshare', ['-U', '--map-user=65534', '--map-group=65534', 'sh', '-c', 'touch "$0/x" 2>/dev/null; test $? -ne 0', dir]).status === 0
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

// dist/ and .strata/cache are written outside the tree's lock (the built files, the pipeline's
// cache): on a read-only volume, or a folder this user cannot write, a command said Node's words
// (EROFS: read-only file system, open '.../dist/dev/.app.yaml.strata-tmp-1-2'), naming a temporary file.
describe.skipIf(!mounts)('built output and caches in a folder strata cannot write', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);
  const unwritable = (folder: string, why: string) =>
    why === 'read-only'
      ? `strata: cannot write ${ws.root}/${folder}: read-only file system; run strata in a writable checkout, or use a read-only command: check, ls, validate, diff, generate --dry-run`
      : `strata: cannot write ${ws.root}/${folder}: permission denied; make the checkout writable for this user (its mode or its owner), or use a read-only command: check, ls, validate, diff, generate --dry-run`;

  // What the command said besides its progress lines (one per overlay built, printed where CI is set).
  const said = (stderr: string) =>
    stderr
      .trimEnd()
      .split('\n')
      .filter((line) => !/^build \[\d+\/\d+\] \S+ ok \(\d+ms\)$/.test(line))
      .join('\n');

  it('refuses in one line naming the folder, exit 2, on a read-only file system', () => {
    expect(strata(ws.root, ['build']).status).toBe(0);
    const built = readFileSync(join(ws.root, 'dist/dev/tokenplace-relay.yaml'), 'utf8');
    for (const [folder, args] of [
      ['dist', ['build']],
      // Not frozen where CI is set either: this workspace's committed tree is of the whole repository.
      ['dist', ['pipeline', '--no-frozen']],
      ['.strata/cache', ['pipeline', '--no-frozen']],
    ] as const) {
      const r = strataWith(ws.root, { readOnly: [folder] }, args);
      expect(r.error, `${args.join(' ')} did not end`).toBeUndefined();
      expect(said(r.stderr), `${folder}: ${args.join(' ')}`).toBe(unwritable(folder === 'dist' ? 'dist/dev' : folder, 'read-only'));
      expect(r.status, `${folder}: ${args.join(' ')}`).toBe(2);
    }
    expect(readFileSync(join(ws.root, 'dist/dev/tokenplace-relay.yaml'), 'utf8')).toBe(built);
  }, 300_000);

  // A folder of the tree mounted on its own (a volume per folder): every change is prepared in
  // .strata/ and moved into place, which a mount boundary refuses (EXDEV) whether or not it is
  // writable. Read-only as well: the undo of a file the folder never took is not stopped by its refusal.
  it.each([
    ['writable', 'mounted'],
    ['read-only', 'readOnly'],
  ] as const)(
    'says that a folder of the tree is a mount of its own (%s), where running again cannot help, and changes nothing',
    (_, how) => {
      const file = 'overlays/dev/tokenplace-relay/kustomization.yaml';
      const kept = readFileSync(join(ws.root, file), 'utf8');
      rmSync(join(ws.root, file));
      try {
        const before = treeOf(ws.root);
        const r = strataWith(ws.root, { [how]: ['overlays/dev'] }, ['generate']);
        expect(r.stderr.trimEnd()).toBe(
          `strata: cannot change ${file} (EXDEV: cross-device link not permitted); nothing in the tree was changed: its folder is a mount of its own, apart from the workspace's .strata/ where each change is prepared and moved into place: mount the whole workspace instead of its folders, then run again`,
        );
        expect(r.status).toBe(2);
        expect(treeOf(ws.root)).toStrictEqual(before);
      } finally {
        writeFileSync(join(ws.root, file), kept);
      }
    },
    300_000,
  );

  it.skipIf(!unprivileged)(
    'refuses in one line naming the folder, exit 2, where this user cannot write',
    () => {
      expect(strata(ws.root, ['build']).status).toBe(0);
      const r = strataWith(ws.root, { unwritable: ['dist/dev'] }, ['build']);
      expect(said(r.stderr)).toBe(unwritable('dist/dev', 'permission'));
      expect(r.status).toBe(2);
    },
    300_000,
  );
});
