import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { strataCheckout } from '@strata/project';
import {
  KUBECONFORM_VERSION,
  ToolMissingError,
  findRepoRoot,
  kubeconformVersion,
  resolveKubeconform,
  validateWithKubeconform,
} from '../src/index.ts';

let real: string;
let scratch: string;
const saved = { STRATA_KUBECONFORM: process.env.STRATA_KUBECONFORM, PATH: process.env.PATH };

beforeAll(() => {
  real = resolveKubeconform();
});

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'strata-kubeconform-'));
});

afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(scratch, { recursive: true, force: true });
});

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('resolveKubeconform', () => {
  it('finds a v0.7 kubeconform for the tests', () => {
    expect(kubeconformVersion(real)).toMatch(/^v0\.7\.\d+$/);
  });

  it('the setup\'s kubeconform prints its pinned version for -v, not "development"', () => {
    const run = spawnSync(join(findRepoRoot()!, '.tools', 'bin', 'kubeconform'), ['-v'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(KUBECONFORM_VERSION);
  });

  it('prefers STRATA_KUBECONFORM', () => {
    process.env.STRATA_KUBECONFORM = real;
    expect(resolveKubeconform({ root: scratch })).toBe(real);
  });

  it('names STRATA_KUBECONFORM when it points at nothing', () => {
    process.env.STRATA_KUBECONFORM = join(scratch, 'missing');
    expect(() => resolveKubeconform({ root: scratch })).toThrow(
      `kubeconform not found at ${join(scratch, 'missing')} (from STRATA_KUBECONFORM): run \`npm run build\``,
    );
  });

  it('uses <root>/.tools/bin/kubeconform', () => {
    delete process.env.STRATA_KUBECONFORM;
    mkdirSync(join(scratch, '.tools', 'bin'), { recursive: true });
    symlinkSync(real, join(scratch, '.tools', 'bin', 'kubeconform'));
    expect(resolveKubeconform({ root: scratch })).toBe(join(scratch, '.tools', 'bin', 'kubeconform'));
  });

  it('accepts a v0.7.x kubeconform on PATH', () => {
    delete process.env.STRATA_KUBECONFORM;
    writeFileSync(join(scratch, 'pnpm-workspace.yaml'), 'packages: []\n');
    mkdirSync(join(scratch, 'path'));
    symlinkSync(real, join(scratch, 'path', 'kubeconform'));
    process.env.PATH = join(scratch, 'path');
    expect(resolveKubeconform({ root: scratch })).toBe(join(scratch, 'path', 'kubeconform'));
  });

  it('outside any workspace, uses the kubeconform of the Strata checkout this code belongs to', () => {
    delete process.env.STRATA_KUBECONFORM;
    process.env.PATH = join(scratch, 'path');
    expect(resolveKubeconform({ root: scratch })).toBe(join(strataCheckout(), '.tools', 'bin', 'kubeconform'));
  });

  it('refuses another version on PATH with a one-line install command', () => {
    delete process.env.STRATA_KUBECONFORM;
    // A workspace without the setup's tools.
    writeFileSync(join(scratch, 'pnpm-workspace.yaml'), 'packages: []\n');
    mkdirSync(join(scratch, 'path'));
    script(join(scratch, 'path', 'kubeconform'), 'echo v0.6.7');
    process.env.PATH = join(scratch, 'path');
    let error: unknown;
    try {
      resolveKubeconform({ root: scratch });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ToolMissingError);
    const missing = error as ToolMissingError;
    const hint = `run \`npm run build\` (its setup installs the pinned tools), or \`GOBIN=${join(scratch, '.tools', 'bin')} go install -ldflags=-X=main.version=v0.7.0 github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0\``;
    expect(missing.hint).toBe(hint);
    expect(missing.message).toBe(`kubeconform v0.7.0 not found (${join(scratch, 'path', 'kubeconform')} is v0.6.7, not v0.7.x): ${hint}`);
    expect(missing.message).not.toContain('\n');
  });
});

describe('one process per call', () => {
  it('validates many files with a single kubeconform run', async () => {
    const log = join(scratch, 'runs.log');
    const counting = script(join(scratch, 'kubeconform'), `echo run >> '${log}'\nexec '${real}' "$@"`);
    for (const name of ['a', 'b', 'c']) {
      writeFileSync(join(scratch, `${name}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`);
    }
    const results = await validateWithKubeconform(
      { paths: [join(scratch, 'a.yaml'), join(scratch, 'b.yaml'), join(scratch, 'c.yaml')] },
      { bin: counting },
    );
    expect(results.map((r) => [r.name, r.status])).toStrictEqual([
      ['a', 'valid'],
      ['b', 'valid'],
      ['c', 'valid'],
    ]);
    expect(readFileSync(log, 'utf8')).toBe('run\n');
  });

  it("throws with kubeconform's stderr when it fails before validating", async () => {
    const broken = script(join(scratch, 'kubeconform'), "echo 'flag provided but not defined: -x' >&2\nexit 1");
    await expect(validateWithKubeconform({ stdin: '' }, { bin: broken })).rejects.toThrow(
      'kubeconform exited with code 1: flag provided but not defined: -x',
    );
  });
});
