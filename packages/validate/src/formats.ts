import { createRequire } from 'node:module';
import { isAbsolute, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type junitBuilder from 'junit-report-builder';
import type * as sarifBuilder from 'node-sarif-builder';
import { UsageError, type Problem } from '@strata/project';
import { formatProblem, overlaysNote, summarize, type Summary } from './report.ts';
import type { ResourceRef } from './types.ts';

// The report libraries load when a report is made (about 80 ms): every strata command imports
// this module for the names of the formats.
const require = createRequire(import.meta.url);
let junitLib: typeof junitBuilder | undefined;
let sarifLib: typeof sarifBuilder | undefined;
const junit = () => (junitLib ??= require('junit-report-builder') as typeof junitBuilder);
const sarif = () => (sarifLib ??= require('node-sarif-builder') as typeof sarifBuilder);

export const OUTPUT_FORMATS = ['text', 'json', 'junit', 'sarif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** What a rule demands and how to fix a finding of it (`ruleHelp` of @strata/validate). */
type RuleHelpOf = (rule: string) => { short: string; help: string };

const objectName = (p: { apiVersion?: string; kind?: string; namespace?: string; name?: string; file: string }) =>
  p.kind ? `${p.apiVersion ?? '?'}/${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name ?? '?'}` : p.file;

/** The note that says why `check` did not run: the one that starts with its name, else the name alone. */
const noteOf = (check: string, notes: readonly string[]) => notes.find((n) => n.startsWith(`${check}:`)) ?? `${check}: did not run`;

/**
 * JUnit XML, one suite per file. With the run's objects, one test case per resource, passing ones
 * included, failing with every problem it has (CI systems show how many resources were checked);
 * problems about no object (an empty input) get a case of their own. Without them, one case per problem.
 */
export function toJunit(
  problems: readonly Problem[],
  summary: Summary,
  suiteName: string,
  objects?: readonly ResourceRef[],
  notes: readonly string[] = [],
): string {
  const builder = junit().newBuilder().name(suiteName);
  // A check that did not run is a skipped case, with the note that says why and how to run it.
  for (const check of summary.skipped ?? [])
    builder.testSuite().name(suiteName).testCase().className(suiteName).name(check).skipped().standardOutput(noteOf(check, notes));
  const suites = new Map<string, ReturnType<typeof builder.testSuite>>();
  const suite = (file: string) => suites.get(file) ?? suites.set(file, builder.testSuite().name(file)).get(file)!;
  const open = problems.filter((p) => !p.excepted);
  if (objects) {
    const byResource = new Map<string, Problem[]>();
    for (const p of open) for (const r of p.resources ?? (p.resource ? [p.resource] : [])) byResource.set(r, [...(byResource.get(r) ?? []), p]);
    for (const o of objects) {
      const c = suite(o.file)
        .testCase()
        .className(o.file)
        .name(`${objectName(o)}${o.line ? ` (line ${o.line})` : ''}`);
      const found = byResource.get(o.id) ?? [];
      const errors = found.filter((p) => p.severity === 'error');
      if (errors.length > 0) c.failure(found.map(formatProblem).join('\n'), errors[0]!.rule);
      else if (found.length > 0) c.standardOutput(found.map(formatProblem).join('\n'));
    }
    const known = new Set(objects.map((o) => o.id));
    for (const p of open.filter((x) => !(x.resources ?? (x.resource ? [x.resource] : [])).some((r) => known.has(r)))) {
      const c = suite(p.file)
        .testCase()
        .className(p.file)
        .name(`${objectName(p)}${p.path ? ` ${p.path}` : ''} [${p.rule}]`);
      if (p.severity === 'error') c.failure(formatProblem(p), p.rule);
    }
  } else {
    for (const p of open) {
      const c = suite(p.file)
        .testCase()
        .className(p.file)
        .name(`${objectName(p)}${p.path ? ` ${p.path}` : ''} [${p.rule}]`);
      if (p.severity === 'error') c.failure(formatProblem(p), p.rule);
      else c.skipped();
    }
    if (open.length === 0) builder.testSuite().name(suiteName).testCase().name(`${summary.resources} resources`);
  }
  return builder.build();
}

/**
 * A problem's file as SARIF names an artifact: a valid URI reference (SARIF 2.1.0 §3.10.2, RFC 3986).
 * A relative path keeps its `/` and has every other character a URI cannot hold as it is percent-encoded
 * (spaces, non-ASCII, control characters; a colon too, which in a first segment would read as a
 * scheme), an absolute one becomes a `file:` URI, and standard input is `file:///dev/stdin`.
 */
export function artifactUri(file: string): string {
  if (file === '<stdin>') return 'file:///dev/stdin';
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return file
    .split(sep === '/' ? '/' : /[\\/]/)
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/**
 * SARIF 2.1.0 with one rule per rule id, each with its short description and help, so code-scanning
 * UIs group, explain and link findings. Excepted findings carry a suppression with the written
 * reason: they show as dismissed, not as open alerts. A finding of several overlays' builds at one
 * line of the tree is one result there, whose message and `properties.overlays` name them. The run's
 * notes are notifications of its invocation, a warning for each check that did not run (`skipped`).
 */
export function toSarif(
  problems: readonly Problem[],
  version: string,
  help: RuleHelpOf,
  notes: readonly string[] = [],
  skipped: readonly string[] = [],
): string {
  const { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } = sarif();
  const run = new SarifRunBuilder().initSimple({ toolDriverName: 'strata', toolDriverVersion: version });
  for (const rule of [...new Set(problems.map((p) => p.rule))].sort()) {
    const h = help(rule);
    const r = new SarifRuleBuilder().initSimple({ ruleId: rule, shortDescriptionText: h.short, fullDescriptionText: h.help });
    r.rule.help = { text: h.help };
    run.addRule(r);
  }
  for (const p of problems) {
    const message = `${objectName(p)}: ${p.path ? `${p.path}: ` : ''}${p.message}${overlaysNote(p)}`;
    const result = new SarifResultBuilder().initSimple({
      level: p.severity === 'error' ? 'error' : 'warning',
      messageText: message,
      ruleId: p.rule,
      fileUri: artifactUri(p.file),
      ...(p.line ? { startLine: p.line } : {}),
    });
    if (p.excepted) result.result.suppressions = [{ kind: 'external', status: 'accepted', justification: p.excepted }];
    if (p.overlays) result.result.properties = { overlays: [...p.overlays] };
    run.addResult(result);
  }
  const missing = skipped.filter((check) => !notes.some((n) => n.startsWith(`${check}:`))).map((check) => noteOf(check, notes));
  const all = [...notes, ...missing];
  if (all.length > 0)
    run.run.invocations = [
      {
        executionSuccessful: true,
        toolExecutionNotifications: all.map((text) => ({
          level: skipped.some((check) => text.startsWith(`${check}:`)) ? ('warning' as const) : ('note' as const),
          message: { text },
        })),
      },
    ];
  const log = new SarifBuilder();
  log.addRun(run);
  return log.buildSarifJsonString({ indent: true });
}

/** What a report in one of the document formats holds about a run. */
export interface Report {
  readonly problems: readonly Problem[];
  readonly summary: Summary;
  /** The JUnit report's name: the command, such as `strata validate`. */
  readonly suite: string;
  /** Every object judged, for one JUnit test case per resource. @default one case per problem */
  readonly objects?: readonly ResourceRef[];
  /** Milliseconds per phase, in the JSON report. @default none */
  readonly phases?: Readonly<Record<string, number>>;
  /** What the run says beside its findings, one line each: which checks did not run and why (`summary.skipped` names them). @default none */
  readonly notes?: readonly string[];
}

/** A run's report as one document: JSON, JUnit XML or SARIF (`version` is strata's, `help` explains each rule). */
export function formatReport(format: Exclude<OutputFormat, 'text'>, report: Report, version: string, help: RuleHelpOf): string {
  const { problems, summary, phases } = report;
  const notes = report.notes ?? [];
  if (format === 'json') return JSON.stringify({ problems, summary, ...(notes.length > 0 ? { notes } : {}), ...(phases ? { phases } : {}) }, null, 2);
  if (format === 'junit') return toJunit(problems, summary, report.suite, report.objects, notes);
  return toSarif(problems, version, help, notes, summary.skipped);
}

/**
 * The report of a run that could not finish (validate's by default) (unreadable settings, a tool that failed): a
 * report format promises one valid document on stdout, so the error is its one problem, about the
 * inputs, with the rule `usage` for a usage error and `error` for any other.
 */
export function reportError(
  format: Exclude<OutputFormat, 'text'>,
  inputs: readonly string[],
  error: unknown,
  version: string,
  help: RuleHelpOf,
  suite = 'strata validate',
): string {
  const problem: Problem = {
    file: inputs.join(', '),
    message: (error as Error).message,
    rule: error instanceof UsageError ? 'usage' : 'error',
    severity: 'error',
  };
  return formatReport(format, { problems: [problem], summary: summarize([problem], 0), suite, objects: [] }, version, help);
}
