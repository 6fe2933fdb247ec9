import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repo } from '@strata/testing/workspace';

const file = '.github/workflows/ci.yml';

describe('the CI workflow', () => {
  const content = readFileSync(join(repo, file), 'utf8');
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());

  it('conforms to the GitHub Actions workflow schema', () => {
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toStrictEqual([]);
  });

  it('runs the README commands, the drift check, SARIF upload and the PR diff summary', async () => {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
    expect(template.errors ?? []).toStrictEqual([]);
    const job = template.jobs[0] as { steps: { run?: { toString(): string }; uses?: { toString(): string } }[] };
    const runs = job.steps.map((s) => s.run?.toString() ?? '').join('\n');
    const uses = job.steps.map((s) => s.uses?.toString() ?? '');
    // The gate the README names: .ci/run (setup, `strata ci` with its server dry run, npm test).
    expect(runs).toMatch(/^bash \.ci\/run$/m);
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npx strata check');
    expect(runs).toContain('npx strata validate --output sarif');
    expect(runs).toMatch(/npx strata diff --against .*GITHUB_STEP_SUMMARY/s);
    expect(uses).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^actions\/setup-node@/),
        expect.stringMatching(/^actions\/setup-go@/),
        expect.stringMatching(/^github\/codeql-action\/upload-sarif@/),
      ]),
    );
  });

  it('never restores a verdict cache (.turbo, .strata) from another commit: keyed by the commit, with no restore-keys', () => {
    const workflow = parse(content) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }> };
    const caches = Object.values(workflow.jobs)
      .flatMap((job) => job.steps)
      .filter((step) => step.uses?.startsWith('actions/cache@'))
      .map((step) => ({
        paths: String(step.with?.path ?? '')
          .split('\n')
          .map((p) => p.trim())
          .filter(Boolean),
        with: step.with ?? {},
      }));
    const verdicts = caches.filter((c) => c.paths.some((p) => /^(\.\/)?\.(turbo|strata)(\/|$)/.test(p)));
    expect(verdicts.map((c) => c.paths.sort())).toStrictEqual([['.strata', '.turbo']]);
    for (const c of verdicts) {
      expect(c.with.key).toMatch(/\$\{\{ *github\.sha *\}\}/);
      expect(c.with).not.toHaveProperty('restore-keys');
    }
  });

  it('rejects a broken workflow (the check can fail)', () => {
    const broken = parseWorkflow(
      { name: 'x.yml', content: 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n' },
      new NoOperationTraceWriter(),
    );
    expect(broken.context.errors.getErrors().length).toBeGreaterThan(0);
  });
});
