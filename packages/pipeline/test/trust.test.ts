import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { writeFileAtomicAsync } from '@strata/emit';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { suiteTempDir } from '@strata/testing/temp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Problem } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { cacheFile, hashOf, sealOf, stampOf, verify, type AppEntry, type PipelineCache } from '../src/cache.ts';
import { check } from '../src/check.ts';
import { pipeline } from '../src/pipeline.ts';
import { editFile, repo, strata, suiteWorkspace } from '@strata/testing/workspace';

// The cache can make a run slower, never greener: whatever happened to it or to the files it
// describes, a run ends as a run without it would.

const APP = 'tokenplace-relay';

/** Puts a file's modification time back to `ns` nanoseconds since the epoch, as `touch -r` does. */
function setMtime(file: string, ns: bigint): void {
  execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, file]);
}

/** Rewrites a file with the same size and puts its modification time back to the nanosecond. */
function sameSizeEdit(file: string, from: string, to: string): void {
  expect(to.length).toBe(from.length);
  const before = statSync(file, { bigint: true });
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
  setMtime(file, before.mtimeNs);
  expect(statSync(file, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
  expect(statSync(file).size).toBe(Number(before.size));
}

/** The problems of the no-privileged rule that are errors (not excepted). */
const privileged = (problems: readonly Problem[]) => problems.filter((p) => p.rule === 'no-privileged' && !p.excepted);

/**
 * The seal the real sealing code gives `entry` under a key of its own, made in `cacheHome`: what
 * anyone with the code, and without this user's key, can seal a forged entry with. A fresh copy of
 * the cache module, as the key is read once per process.
 */
async function sealWithAnotherKey(cacheHome: string, tool: string, entry: Omit<AppEntry, 'seal'>): Promise<string> {
  vi.resetModules();
  vi.stubEnv('XDG_CACHE_HOME', cacheHome);
  try {
    const fresh = (await import('../src/cache.ts')) as typeof import('../src/cache.ts');
    return fresh.sealOf(tool, entry);
  } finally {
    vi.unstubAllEnvs();
  }
}

describe('the pipeline cache', () => {
  const ws = suiteWorkspace([APP]);
  const { dir: scratch } = suiteTempDir('strata-trust-');
  afterEach(() => vi.unstubAllEnvs());
  const devTag = () => /tokenplace-relay:(sha-[0-9a-z]+)/.exec(readFileSync(join(ws.root, `dist/dev/${APP}.yaml`), 'utf8'))?.[1];
  const readCache = () => JSON.parse(readFileSync(cacheFile(ws.root), 'utf8')) as PipelineCache;
  const writeEntry = (cache: PipelineCache, entry: AppEntry) =>
    writeFileSync(cacheFile(ws.root), JSON.stringify({ ...cache, apps: { [APP]: entry } }));

  /** Runs `strata pipeline` through the command, with `env` added to its environment: whether it reused the app. */
  const reusedThroughCommand = (env: Record<string, string> = {}) => {
    const r = strata(ws.root, ['pipeline', '--no-frozen'], undefined, env);
    expect(r.status, r.stderr).toBe(0);
    return /1 of 1 app unchanged since the last run, reused/.test(r.stdout + r.stderr);
  };

  /** Runs `test` with the app's container forced privileged on top of the kit's security context, then puts render.ts back. */
  const whilePrivileged = async (test: () => Promise<void>) => {
    const render = join(ws.root, `apps/${APP}/src/render.ts`);
    const original = editFile(render, (source) =>
      source.replace(
        'containers: [relay]',
        'containers: [{ ...relay, container: { ...relay.container, securityContext: { ...relay.container.securityContext, privileged: true } } }]',
      ),
    );
    try {
      await test();
    } finally {
      writeFileSync(render, original);
    }
  };

  it('does not reuse a verdict whose problem list was emptied by hand', async () => {
    await whilePrivileged(async () => {
      const errors = privileged((await pipeline(ws.root)).problems);
      expect(errors.length).toBeGreaterThan(0);
      expect(readFileSync(join(ws.root, `dist/prod/${APP}.yaml`), 'utf8')).toContain('privileged: true');
      const cache = readCache();
      writeEntry(cache, { ...cache.apps[APP]!, problems: [] });
      const again = await pipeline(ws.root);
      expect(again.reused).toBe(0);
      expect(privileged(again.problems)).toStrictEqual(errors);
    });
    expect(privileged((await pipeline(ws.root)).problems)).toStrictEqual([]);
  });

  it('does not reuse a verdict whose seal was recomputed by anyone without the key', async () => {
    await whilePrivileged(async () => {
      const errors = privileged((await pipeline(ws.root)).problems);
      expect(errors.length).toBeGreaterThan(0);
      // The problems emptied and the entry sealed again by the sealing code itself, with another key.
      const cache = readCache();
      const { seal: _, ...emptied } = { ...cache.apps[APP]!, problems: [] };
      const forged = await sealWithAnotherKey(join(scratch, 'forger'), cache.tool, emptied);
      expect(forged).not.toBe(sealOf(cache.tool, emptied));
      writeEntry(cache, { ...emptied, seal: forged });
      const again = await pipeline(ws.root);
      expect(again.reused).toBe(0);
      expect(privileged(again.problems)).toStrictEqual(errors);
      // The same entry sealed with this user's key is reused, emptied list and all: the key alone kept the forgery out.
      writeEntry(cache, { ...emptied, seal: sealOf(cache.tool, emptied) });
      const sealed = await pipeline(ws.root);
      expect(sealed.reused).toBe(1);
      expect(privileged(sealed.problems)).toStrictEqual([]);
    });
  });

  it("does not reuse a cache that another user's runs sealed (a cache restored from elsewhere)", () => {
    // Two users' caches: the same schemas and servers, each user's own key.
    const caches = { STRATA_SCHEMA_CACHE: join(homedir(), '.cache/strata/schemas'), STRATA_SERVER_CACHE: join(homedir(), '.cache/strata/servers') };
    const run = (user: string) => reusedThroughCommand({ ...caches, XDG_CACHE_HOME: join(scratch, user) });
    run('one');
    expect(run('one')).toBe(true);
    expect(statSync(join(scratch, 'one/strata/pipeline.key')).mode & 0o777).toBe(0o600);
    expect(run('two')).toBe(false);
    expect(run('two')).toBe(true);
    expect(run('one')).toBe(false);
  });

  it('notices a same-size edit of a source whose modification time was put back', async () => {
    await pipeline(ws.root);
    expect((await pipeline(ws.root)).reused).toBe(1);
    sameSizeEdit(join(ws.root, `apps/${APP}/images.json`), '"tag": "sha-3f9c2e1"', '"tag": "sha-0000009"');
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(0);
    expect(devTag()).toBe('sha-0000009');
  });

  it('notices a same-size edit of a built file whose modification time was put back', async () => {
    expect((await pipeline(ws.root)).reused).toBe(1);
    const dist = join(ws.root, `dist/dev/${APP}.yaml`);
    const built = readFileSync(dist, 'utf8');
    sameSizeEdit(dist, 'sha-0000009', 'sha-0000008');
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(0);
    expect(readFileSync(dist, 'utf8')).toBe(built);
  });

  it('redoes every app when a tool binary changes, even with the same size and modification time', async () => {
    // A copy of kubeconform, used through $STRATA_KUBECONFORM; one letter of its help text changed in place.
    const bin = join(scratch, 'kubeconform');
    copyFileSync(join(repo, '.tools/bin/kubeconform'), bin);
    vi.stubEnv('STRATA_KUBECONFORM', bin);
    await pipeline(ws.root);
    expect((await pipeline(ws.root)).reused).toBe(1);
    const before = statSync(bin, { bigint: true });
    const at = readFileSync(bin).indexOf('print a summary at the end');
    expect(at).toBeGreaterThan(0);
    const fd = openSync(bin, 'r+');
    writeSync(fd, 'P', at);
    closeSync(fd);
    setMtime(bin, before.mtimeNs);
    expect(statSync(bin).size).toBe(Number(before.size));
    expect((await pipeline(ws.root)).reused).toBe(0);
  });

  /** A program at a fixed path, first running `real`, then replaced by one that fails as a broken build would. */
  const standIn = (name: string, real: string) => {
    const bin = join(scratch, name);
    writeFileSync(bin, `#!/bin/sh\nexec '${real}' "$@"\n`, { mode: 0o755 });
    return { bin, breakIt: () => writeFileSync(bin, '#!/bin/sh\necho broken >&2\nexit 3\n', { mode: 0o755 }) };
  };

  it('redoes every app when the decoder changes: a broken one fails the run as it would without the cache', async () => {
    const decoder = standIn('strata-decode', join(repo, '.tools/bin/strata-decode'));
    vi.stubEnv('STRATA_DECODE', decoder.bin);
    await pipeline(ws.root);
    expect((await pipeline(ws.root)).reused).toBe(1);
    decoder.breakIt();
    await expect(pipeline(ws.root)).rejects.toThrow(/strata-decode failed \(exit 3\): broken/);
    await expect(pipeline(ws.root, { cache: false })).rejects.toThrow(/strata-decode failed \(exit 3\): broken/);
  });

  it(
    'redoes every app when the server field checks change: a broken helper fails the run as it would without the cache',
    async () => {
      const helper = standIn('strata-server-validation', await ensureHelper());
      vi.stubEnv('STRATA_SERVER_VALIDATION', helper.bin);
      await pipeline(ws.root);
      expect((await pipeline(ws.root)).reused).toBe(1);
      helper.breakIt();
      const error = await pipeline(ws.root, { cache: false }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(error).toBeDefined();
      await expect(pipeline(ws.root)).rejects.toThrow(error);
    },
    20 * 60_000,
  );

  it.each([
    'validate/decoder/main.go',
    'kustomize/builder/go.mod',
    'server-validation/helper/main.go',
  ])('redoes every app when the source of a Go program changes (packages/%s)', async (file) => {
    await pipeline(ws.root);
    expect((await pipeline(ws.root)).reused).toBe(1);
    const path = join(ws.root, 'packages', file);
    const original = readFileSync(path);
    try {
      appendFileSync(path, '\n// changed\n');
      expect((await pipeline(ws.root)).reused).toBe(0);
    } finally {
      writeFileSync(path, original);
    }
  });

  it('re-renders an app when a file it compiles in from a workspace package outside any src/ folder changes', async () => {
    // A platform team's package of shared defaults, its module beside its package.json.
    const pkg = join(ws.root, 'packages/platform-defaults');
    mkdirSync(pkg);
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@strata/platform-defaults', version: '0.1.0', private: true, type: 'module', exports: { '.': './index.ts' } }),
    );
    writeFileSync(join(pkg, 'index.ts'), "export const devHost = 'relay.dev.token.place';\n");
    const link = join(ws.root, `apps/${APP}/node_modules/@strata/platform-defaults`);
    symlinkSync('../../../../packages/platform-defaults', link);
    const env = join(ws.root, `apps/${APP}/src/env/dev.ts`);
    const original = editFile(
      env,
      (source) => `import { devHost } from '@strata/platform-defaults';\n${source.replace("hosts: ['relay.dev.token.place']", 'hosts: [devHost]')}`,
    );
    const host = () => readFileSync(join(ws.root, `dist/dev/${APP}.yaml`), 'utf8').includes('relay2.dev.token.place');
    // Through the command, a process per run: this process would keep the package's first module.
    const run = () => reusedThroughCommand();
    try {
      run();
      expect(run()).toBe(true);
      expect(host()).toBe(false);
      writeFileSync(join(pkg, 'index.ts'), "export const devHost = 'relay2.dev.token.place';\n");
      expect(run()).toBe(false);
      expect(host()).toBe(true);
    } finally {
      writeFileSync(env, original);
      rmSync(link);
      rmSync(pkg, { recursive: true });
    }
    expect((await pipeline(ws.root)).reused).toBe(0);
    expect(host()).toBe(false);
  });

  it.each([
    'node_modules/.modules.yaml',
    'node_modules/.pnpm/lock.yaml',
  ])('redoes every app when an install changed what node_modules holds under the same lockfile (%s)', async (file) => {
    // The copy's node_modules links to the repository's: its record of the install becomes a file
    // of the copy's own, as a second install (another branch's lockfile, then back) would leave it.
    const pnpm = join(ws.root, 'node_modules/.pnpm');
    if (lstatSync(pnpm).isSymbolicLink()) {
      rmSync(pnpm);
      mkdirSync(pnpm);
      for (const e of readdirSync(join(repo, 'node_modules/.pnpm'))) symlinkSync(join(repo, 'node_modules/.pnpm', e), join(pnpm, e));
    }
    const path = join(ws.root, file);
    const record = readFileSync(path, 'utf8');
    rmSync(path);
    writeFileSync(path, record);
    await pipeline(ws.root);
    expect((await pipeline(ws.root)).reused).toBe(1);
    appendFileSync(path, '\n');
    expect((await pipeline(ws.root)).reused).toBe(0);
    expect((await pipeline(ws.root)).reused).toBe(1);
  });

  it.each([
    ['as its module loads', 'env/dev.ts'],
    ['in its render', 'render.ts'],
  ])('re-renders an app when a file outside its folder that its code reads %s changes', async (_, source) => {
    const data = join(ws.root, 'shared/dev-host.txt');
    mkdirSync(join(ws.root, 'shared'), { recursive: true });
    writeFileSync(data, 'relay.dev.token.place\n');
    const read = `readFileSync(${JSON.stringify(data)}, 'utf8').trim()`;
    const file = join(ws.root, `apps/${APP}/src/${source}`);
    const original = editFile(file, (text) =>
      source === 'render.ts'
        ? `import { readFileSync } from 'node:fs';\n${text.replace('export function render(c: RelayConfig): KubeObject[] {', `export function render(c: RelayConfig): KubeObject[] {\n  if (c.ingress.hosts[0] === 'relay.dev.token.place') c = { ...c, ingress: { ...c.ingress, hosts: [${read}] } };`)}`
        : `import { readFileSync } from 'node:fs';\n${text.replace("hosts: ['relay.dev.token.place']", `hosts: [${read}]`)}`,
    );
    const host = () => readFileSync(join(ws.root, `dist/dev/${APP}.yaml`), 'utf8').includes('relay2.dev.token.place');
    try {
      await pipeline(ws.root);
      expect((await pipeline(ws.root)).reused).toBe(1);
      expect(host()).toBe(false);
      writeFileSync(data, 'relay2.dev.token.place\n');
      expect((await pipeline(ws.root)).reused).toBe(0);
      expect(host()).toBe(true);
      expect((await pipeline(ws.root)).reused).toBe(1);
    } finally {
      writeFileSync(file, original);
      rmSync(join(ws.root, 'shared'), { recursive: true });
    }
  });

  it('renders on every run an app whose code looks for a file that is not there', async () => {
    const missing = join(ws.root, 'shared/not-yet.txt');
    const file = join(ws.root, `apps/${APP}/src/env/dev.ts`);
    const original = editFile(
      file,
      (text) =>
        `import { existsSync, readFileSync } from 'node:fs';\n${text.replace("hosts: ['relay.dev.token.place']", `hosts: [existsSync(${JSON.stringify(missing)}) ? readFileSync(${JSON.stringify(missing)}, 'utf8').trim() : 'relay.dev.token.place']`)}`,
    );
    try {
      await pipeline(ws.root);
      expect((await pipeline(ws.root)).reused).toBe(0);
      mkdirSync(join(ws.root, 'shared'), { recursive: true });
      writeFileSync(missing, 'relay2.dev.token.place\n');
      expect((await pipeline(ws.root)).reused).toBe(0);
      expect(readFileSync(join(ws.root, `dist/dev/${APP}.yaml`), 'utf8')).toContain('relay2.dev.token.place');
    } finally {
      writeFileSync(file, original);
      rmSync(join(ws.root, 'shared'), { recursive: true, force: true });
    }
  });

  it('hashes a file larger than its read buffer as a whole, and sees a change in any piece of it', () => {
    // Tool binaries are tens of megabytes: read a piece at a time, a piece left out or read twice
    // would let a changed binary keep the cache.
    const file = join(scratch, 'large.bin');
    const bytes = Buffer.alloc(3 * (1 << 20) + 12_345);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
    writeFileSync(file, bytes);
    const whole = hashOf(bytes);
    expect(stampOf(file)?.hash).toBe(whole);
    expect(verify(file, { ...stampOf(file)!, mtime: -1 })?.hash).toBe(whole);
    // One byte changed in the last, partial piece, then one in the middle of the second.
    for (const at of [bytes.length - 1, (1 << 20) + 17]) {
      bytes[at] = (bytes[at]! + 1) % 256;
      writeFileSync(file, bytes);
      expect(stampOf(file)?.hash).toBe(hashOf(bytes));
      expect(stampOf(file)?.hash).not.toBe(whole);
    }
  });

  it('in CI compares contents even when size and times agree', async () => {
    const file = join(scratch, 'file.txt');
    writeFileSync(file, 'one');
    // Stamped once the file is no longer racy (see RACY_MS), so that its times are trusted.
    await new Promise((r) => setTimeout(r, 250));
    const stamp = stampOf(file)!;
    expect(stamp.mtime).not.toBe(-1);
    // A stamp that records other content with the file's own size and times, as a cache restored
    // from elsewhere might.
    const other = { ...stamp, hash: hashOf('two') };
    vi.stubEnv('CI', '');
    expect(verify(file, other)).toStrictEqual(other);
    vi.stubEnv('CI', 'true');
    expect(verify(file, other)).toBeUndefined();
    expect(verify(file, stamp)?.hash).toBe(stamp.hash);
  });

  it('does not stamp a written file as what was written once it has been edited since the write', async () => {
    const file = join(scratch, 'built.yaml');
    const content = 'kind: ConfigMap\nreplicas: 1\n';
    const written = await writeFileAtomicAsync(file, content);
    await new Promise((r) => setTimeout(r, 150)); // past RACY_MS: the times are what decides
    expect(stampOf(file, content, written)?.hash).toBe(stampOf(file)?.hash);
    // Edited in place with the same size (sed), then with a new file renamed over it (sed -i).
    writeFileSync(file, content.replace('1', '7'));
    expect(stampOf(file, content, written)).toBeUndefined();
    const again = await writeFileAtomicAsync(file, content);
    const other = join(scratch, 'other.yaml');
    writeFileSync(other, content.replace('1', '7'));
    renameSync(other, file);
    expect(stampOf(file, content, again)).toBeUndefined();
  });

  it('does not stamp a written file as what was written when an edit in the same clock tick left its size and times', async () => {
    const file = join(scratch, 'same-tick.yaml');
    const content = 'kind: ConfigMap\nreplicas: 1\n';
    await writeFileAtomicAsync(file, content);
    writeFileSync(file, content.replace('1', '7'));
    // What the write's own look at the file finds where the clock ticks coarser than the two writes
    // (a second on some file systems; this machine's stamps them apart): the edited file's status.
    const s = statSync(file);
    const sameTick = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
    // At once the stamp is racy, compared by content next time; past RACY_MS the file is read now.
    for (const wait of [0, 150]) {
      await new Promise((r) => setTimeout(r, wait));
      const stamp = stampOf(file, content, sameTick);
      expect(stamp && verify(file, stamp, true), `${wait} ms after the edit`).toBeUndefined();
    }
  });

  // From disk, one kustomize per overlay ($STRATA_KUSTOMIZE): the builds, and so the first onBuild,
  // come after the tree is written and before the run stamps what it wrote. Times decide outside
  // CI only (in CI every file is compared by its content), so CI is off for these runs.
  it.each([
    ['wrote', `overlays/dev/${APP}/kustomization.yaml`],
    ['found already generated', `base/${APP}/kustomization.yaml`],
  ])('does not remember a generated file it %s as its own once it was edited during the run (%s)', async (_, rel) => {
    const file = join(ws.root, rel);
    const pins = join(ws.root, `apps/${APP}/images.json`);
    const original = readFileSync(pins, 'utf8');
    vi.stubEnv('CI', '');
    vi.stubEnv('STRATA_KUSTOMIZE', join(ws.root, '.tools/bin/kustomize'));
    try {
      await pipeline(ws.root);
      // A new dev tag: the dev overlay is written anew, the base is left as it was.
      writeFileSync(pins, original.replace(/"tag": "sha-[0-9a-z]{7}"/, '"tag": "sha-1111111"'));
      const generated = readFileSync(file, 'utf8');
      let edited = false;
      const during = await pipeline(ws.root, {
        onBuild: () => {
          if (edited) return;
          edited = true;
          expect(readFileSync(file, 'utf8')).toContain(rel.startsWith('overlays/') ? 'sha-1111111' : 'Regenerate with');
          // The same size, and the modification time put back: only the inode's change time tells.
          sameSizeEdit(file, 'Regenerate with', 'REGENERATE WITH');
          // Past RACY_MS before the run stamps it: the file's times are what decides.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
        },
      });
      expect(edited).toBe(true);
      expect(during.generated.written).toStrictEqual([`overlays/dev/${APP}/kustomization.yaml`]);
      expect(readFileSync(file, 'utf8')).toContain('REGENERATE WITH');
      // The edit is drift to check, and the next run puts the generated file back.
      const checked = await check(ws.root);
      expect(checked.reused).toBe(0);
      expect(checked.drift.map((d) => [d.file, d.kind])).toStrictEqual([[rel, 'changed']]);
      const next = await pipeline(ws.root);
      expect(next.reused).toBe(0);
      expect(next.generated.written).toStrictEqual([rel]);
      expect(readFileSync(file, 'utf8')).not.toContain('REGENERATE WITH');
      if (rel.startsWith('base/')) expect(readFileSync(file, 'utf8')).toBe(generated);
    } finally {
      writeFileSync(pins, original);
    }
  });
});
