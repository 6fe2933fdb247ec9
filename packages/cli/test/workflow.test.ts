import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { repo } from './workspace.ts';

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
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npm test');
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

  it('rejects a broken workflow (the check can fail)', () => {
    const broken = parseWorkflow(
      { name: 'x.yml', content: 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n' },
      new NoOperationTraceWriter(),
    );
    expect(broken.context.errors.getErrors().length).toBeGreaterThan(0);
  });
});
