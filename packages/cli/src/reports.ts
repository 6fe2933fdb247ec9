import junit from 'junit-report-builder';
import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import { formatProblem, type Problem, type Summary } from './problems.ts';

export const OUTPUT_FORMATS = ['text', 'json', 'junit', 'sarif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const objectName = (p: Problem) => (p.kind ? `${p.apiVersion ?? '?'}/${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name ?? '?'}` : p.file);

/** JUnit XML: one suite per file, one failing case per problem (CI systems render these natively). */
export function toJunit(problems: readonly Problem[], summary: Summary, suiteName: string): string {
  const builder = junit.newBuilder().name(suiteName);
  const byFile = new Map<string, Problem[]>();
  for (const p of problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  for (const [file, list] of byFile) {
    const suite = builder.testSuite().name(file);
    for (const p of list) {
      const c = suite.testCase().className(file).name(`${objectName(p)}${p.path ? ` ${p.path}` : ''} [${p.rule}]`);
      if (p.severity === 'error') c.failure(formatProblem(p), p.rule);
      else c.skipped();
    }
  }
  if (problems.length === 0) builder.testSuite().name(suiteName).testCase().name(`${summary.resources} resources`);
  return builder.build();
}

/** SARIF 2.1.0 with one rule per rule id, so code-scanning UIs group and link findings. */
export function toSarif(problems: readonly Problem[], version: string): string {
  const run = new SarifRunBuilder().initSimple({ toolDriverName: 'strata', toolDriverVersion: version });
  for (const rule of [...new Set(problems.map((p) => p.rule))].sort()) {
    run.addRule(new SarifRuleBuilder().initSimple({ ruleId: rule, shortDescriptionText: rule }));
  }
  for (const p of problems) {
    const message = `${objectName(p)}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
    run.addResult(
      new SarifResultBuilder().initSimple({
        level: p.severity === 'error' ? 'error' : 'warning',
        messageText: message,
        ruleId: p.rule,
        fileUri: p.file,
        ...(p.line ? { startLine: p.line } : {}),
      }),
    );
  }
  const log = new SarifBuilder();
  log.addRun(run);
  return log.buildSarifJsonString({ indent: true });
}
