import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot, ToolMissingError } from '@strata/project';
import { KUSTOMIZE_VERSION, resolveKustomize } from '../src/index.ts';

const repo = findRoot();

/** Runs `fn` with the environment variables `env` set (undefined: unset), then puts them back. */
function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    return fn();
  } finally {
    set(before);
  }
}

// Files validated in a folder that is no workspace (validate of a kustomization anywhere) are built
// with the tools of the Strata checkout this code belongs to: its setup installs kustomize, so that
// is where kustomize is looked for and what the hint names, not the folder strata runs in.
describe('resolveKustomize outside a workspace', () => {
  const outside = mkdtempSync(join(tmpdir(), 'strata-kustomize-outside-'));
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  it('finds the kustomize of the Strata checkout, with none on PATH', () => {
    const command = withEnv({ STRATA_KUSTOMIZE: undefined, PATH: dirname(process.execPath) }, () => resolveKustomize(outside));
    expect(command).toStrictEqual({ command: join(repo, '.tools', 'bin', 'kustomize'), args: ['build'] });
  });

  it('names the Strata checkout in its install hint, not the folder strata runs in', () => {
    const missing = join(outside, 'no-such-kustomize');
    const hint = (setup: string) =>
      `run ${setup} (its setup builds kustomize ${KUSTOMIZE_VERSION} into .tools/bin with Go), ` +
      `or \`GOBIN=${join(repo, '.tools', 'bin')} go install sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}\``;
    withEnv({ STRATA_KUSTOMIZE: missing }, () => {
      expect(() => resolveKustomize(outside)).toThrow(
        new ToolMissingError(`STRATA_KUSTOMIZE=${missing} does not exist`, hint(`\`npm run build\` in ${repo}`)),
      );
      // In the workspace, its own setup, by the path of its tools.
      expect(() => resolveKustomize(repo)).toThrow(new ToolMissingError(`STRATA_KUSTOMIZE=${missing} does not exist`, hint('`npm run build`')));
    });
  });
});

// In a workspace whose setup did not install kustomize, another kustomize on the machine is not
// taken in its place: the round trip and the builder are held to the pinned release, and a laptop's
// check must not differ from CI's without a word. The same minor release on PATH builds alike.
describe('resolveKustomize in a workspace without its kustomize', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'strata-kustomize-missing-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  writeFileSync(join(scratch, 'pnpm-workspace.yaml'), 'packages: []\n');
  const hint =
    `run \`npm run build\` (its setup builds kustomize ${KUSTOMIZE_VERSION} into .tools/bin with Go), ` +
    `or \`GOBIN=${join(scratch, '.tools', 'bin')} go install sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}\``;
  /** A folder for PATH holding `files` (name -> shell script, or a path to link to). */
  const pathWith = (name: string, files: Record<string, { script: string } | { link: string }>) => {
    const dir = join(scratch, name);
    mkdirSync(dir);
    for (const [file, what] of Object.entries(files)) {
      if ('link' in what) symlinkSync(what.link, join(dir, file));
      else {
        writeFileSync(join(dir, file), `#!/bin/sh\n${what.script}\n`);
        chmodSync(join(dir, file), 0o755);
      }
    }
    return dir;
  };
  const resolveWith = (path: string) => withEnv({ STRATA_KUSTOMIZE: undefined, PATH: path }, () => resolveKustomize(scratch));

  it("refuses another release on PATH, and kubectl's own copy, in one line with the install command", () => {
    // Another release answers `kustomize version` as kustomize does; kubectl would build with its own copy.
    const path = pathWith('other', { kustomize: { script: 'echo v5.5.0' }, kubectl: { script: 'exit 0' } });
    expect(() => resolveWith(path)).toThrow(
      new ToolMissingError(`kustomize ${KUSTOMIZE_VERSION} not found (the kustomize on PATH is v5.5.0, not v5.8.x)`, hint),
    );
    expect(() => resolveWith(pathWith('none', { kubectl: { script: 'exit 0' } }))).toThrow(
      new ToolMissingError(`kustomize ${KUSTOMIZE_VERSION} not found`, hint),
    );
  });

  it('takes the pinned release from PATH', () => {
    const path = pathWith('pinned', { kustomize: { link: join(repo, '.tools', 'bin', 'kustomize') } });
    expect(resolveWith(path)).toStrictEqual({ command: 'kustomize', args: ['build'] });
  });
});
