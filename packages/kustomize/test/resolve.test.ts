import { mkdtempSync, rmSync } from 'node:fs';
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
