import { describe, expect, it } from 'vitest';
import { repo, strata } from '@strata/testing/workspace';

// On a fresh clone this builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;

/** A ConfigMap whose field `x` is `depth` lists one inside the other, on line 4. */
const deep = (depth: number) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: default}\nx: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;

describe('a deeply nested document', () => {
  it.each([5_000, 9_999])(
    'nested %i lists deep, which kubectl reads: validate ends with a problem at its line, as text and as JSON',
    (depth) => {
      const text = strata(repo, ['validate', '--no-policy', '-'], deep(depth));
      expect(text.stderr).not.toMatch(/internal error|did not end/);
      expect(text.stdout).toMatch(
        new RegExp(
          `^<stdin>:4: v1/ConfigMap default/deep: x\\[0\\]\\[0\\]: nested ${depth + 1} levels deep; strata checks objects up to 1000 levels .*\\[too-deep\\]$`,
          'm',
        ),
      );
      expect(text.status).toBe(1);
      const json = strata(repo, ['validate', '-o', 'json', '-'], deep(depth));
      expect(json.stderr).not.toMatch(/internal error|did not end/);
      expect((JSON.parse(json.stdout) as { problems: { rule: string; line: number }[] }).problems.map((p) => [p.rule, p.line])).toStrictEqual([
        ['too-deep', 4],
      ]);
      expect(json.status).toBe(1);
    },
    BUILD_TIMEOUT,
  );

  it.each([10_000, 100_000])(
    'nested %i lists deep, which kubectl refuses: validate says so, and ends',
    (depth) => {
      const r = strata(repo, ['validate', '--no-policy', '-'], deep(depth));
      expect(r.stderr).not.toMatch(/internal error|did not end/);
      expect(r.stdout).toMatch(/^<stdin>:\d: not valid YAML: nested more than 10000 levels deep; kubectl refuses it \[yaml-syntax\]$/m);
      expect(r.status).toBe(1);
    },
    BUILD_TIMEOUT,
  );

  it.each([5_000, 100_000])(
    'nested %i lists deep: verify ends with a problem, not an internal error',
    (depth) => {
      const r = strata(repo, ['verify', '-'], deep(depth));
      expect(r.stderr).not.toMatch(/internal error|did not end/);
      expect(r.stdout).toMatch(depth < 10_000 ? /^<stdin>:4: .*\[too-deep\]$/m : /^<stdin>:\d: not valid YAML: nested more than 10000 levels deep/m);
      expect(r.status).toBe(1);
    },
    BUILD_TIMEOUT,
  );
});
