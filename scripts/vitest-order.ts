import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (the kill loop takes minutes; each of the others tens of seconds of
 * real CLI runs, builds or API servers), longest first. On a fresh clone vitest knows no durations
 * and orders by package, then by file size, so a long file could start last and keep the whole run
 * waiting for it; started first, the short files fill the other workers around them.
 */
export const LONGEST_FIRST: readonly string[] = [
  'packages/cli/test/killed.test.ts',
  'packages/cli/test/cli.test.ts',
  'packages/cli/test/diff.test.ts',
  'packages/cli/test/paths.test.ts',
  'packages/cli/test/bot-edit.test.ts',
  'packages/pipeline/test/gate.test.ts',
  'packages/cli/test/validate-io.test.ts',
  'packages/cli/test/verify-cli.test.ts',
  'packages/cli/test/writer.test.ts',
  'packages/cli/test/safety.test.ts',
  'packages/gitops/test/flux.test.ts',
  'packages/cli/test/new-app.test.ts',
  'packages/import/test/cli.test.ts',
  'packages/pipeline/test/pipeline.test.ts',
  'packages/cli/test/release.test.ts',
  'packages/emit/test/lock.test.ts',
  'packages/crds/test/model-groups.test.ts',
  'packages/cli/test/policy.test.ts',
  'packages/gitops/test/order.test.ts',
  'packages/cli/test/ci-output.test.ts',
  'packages/import/test/import.test.ts',
  'packages/cli/test/remove-app.test.ts',
  'packages/kustomize/test/builder.test.ts',
  'packages/validate/test/hostile.test.ts',
];

/** Starts the files of LONGEST_FIRST first, in that order; the others follow in vitest's own order. */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((f) => spec.moduleId.endsWith(`/${f}`));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    const rest = await super.sort(files.filter((f) => rank(f) === LONGEST_FIRST.length));
    return [...files.filter((f) => rank(f) < LONGEST_FIRST.length).sort((a, b) => rank(a) - rank(b)), ...rest];
  }
}
