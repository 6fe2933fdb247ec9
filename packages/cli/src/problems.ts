import type { Problem } from '@strata/core';

export type { Problem };

/** `<file>:<line>: <apiVersion>/<Kind> <namespace>/<name>: <field path>: <message> [<rule>]` */
export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  const name = p.name === '' ? '' : ` ${p.namespace ? `${p.namespace}/` : ''}${p.name ?? '?'}`;
  const object = p.kind ? ` ${p.apiVersion ?? '?'}/${p.kind}${name}:` : '';
  const path = p.path ? ` ${p.path}:` : '';
  const note = p.excepted ? ` (excepted: ${p.excepted})` : p.severity === 'warning' ? ' (warning)' : '';
  return `${where}:${object}${path} ${p.message}${note} [${p.rule}]`;
}

export interface Summary {
  readonly problems: number;
  /** Findings an app's policy exception covers: listed with their reason, not counted. */
  readonly excepted: number;
  readonly errors: number;
  readonly warnings: number;
  readonly resourcesWithProblems: number;
  readonly resources: number;
}

export function summarize(all: readonly Problem[], resources: number): Summary {
  const problems = all.filter((p) => !p.excepted);
  const objects = new Set(problems.map((p) => `${p.file}|${p.line ?? ''}|${p.kind ?? ''}|${p.name ?? ''}`));
  const errors = problems.filter((p) => p.severity === 'error').length;
  return { problems: problems.length, excepted: all.length - problems.length, errors, warnings: problems.length - errors, resourcesWithProblems: objects.size, resources };
}

export function formatSummary(s: Summary): string {
  const excepted = s.excepted > 0 ? `, ${s.excepted} excepted with a reason` : '';
  if (s.problems === 0) return `No problems in ${s.resources} resources${excepted}`;
  const what = s.warnings > 0 ? ` (${s.errors} errors, ${s.warnings} warnings)` : '';
  return `Found ${s.problems} problem${s.problems === 1 ? '' : 's'}${what} in ${s.resourcesWithProblems} of ${s.resources} resources${excepted}`;
}
