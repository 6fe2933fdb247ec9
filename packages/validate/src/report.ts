import type { Problem } from '@strata/project';

/**
 * Control characters, bidirectional overrides and line separators shown as escapes: a name or
 * message read from a manifest must not move the cursor, recolour the terminal or hide text.
 */
export function escapeText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** ` (in overlays/dev, overlays/prod)` for a finding that names the overlays whose builds have it (`Problem.overlays`), else ''. */
export function overlaysNote(p: Problem): string {
  return p.overlays && p.overlays.length > 0 ? ` (in ${p.overlays.join(', ')})` : '';
}

/** `<file>:<line>: <apiVersion>/<Kind> <namespace>/<name>: <field path>: <message> (in <overlays>) [<rule>]` */
export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  const name = p.name === '' ? '' : ` ${p.namespace ? `${p.namespace}/` : ''}${p.name ?? '?'}`;
  const object = p.kind ? ` ${p.apiVersion ?? '?'}/${p.kind}${name}:` : '';
  const path = p.path ? ` ${p.path}:` : '';
  const note = p.excepted ? ` (excepted: ${p.excepted})` : p.severity === 'warning' ? ' (warning)' : '';
  return escapeText(`${where}:${object}${path} ${p.message}${overlaysNote(p)}${note} [${p.rule}]`);
}

/**
 * The lines a text report prints for its problems. Excepted findings are decisions already made:
 * one line counts them by rule, unless `listExcepted` asks for each in full. The line names validate,
 * the command that takes `--list-excepted`: the pipeline and the gate print it too.
 */
export function problemLines(problems: readonly Problem[], listExcepted = false): string[] {
  const open = problems.filter((p) => !p.excepted || listExcepted).map(formatProblem);
  const excepted = problems.filter((p) => p.excepted);
  if (listExcepted || excepted.length === 0) return open;
  const byRule = new Map<string, number>();
  for (const p of excepted) byRule.set(p.rule, (byRule.get(p.rule) ?? 0) + 1);
  const rules = [...byRule].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => (n > 1 ? `${r} x${n}` : r));
  return [
    ...open,
    `${excepted.length} finding${excepted.length === 1 ? '' : 's'} excepted by the apps' policy exceptions, each with a reason (${rules.join(', ')}); \`strata validate --list-excepted\` lists them`,
  ];
}

export interface Summary {
  readonly problems: number;
  /** Findings an app's policy exception covers: listed with their reason, not counted. */
  readonly excepted: number;
  readonly errors: number;
  readonly warnings: number;
  readonly resourcesWithProblems: number;
  readonly resources: number;
  /** The checks that did not run (`server field checks`): what they find was not looked for. @default none */
  readonly skipped?: readonly string[];
}

/**
 * Counts problems and the objects they are about. A problem that names its object (`resource`)
 * counts it once however many lines it points at, and one found in several builds (`resources`)
 * each of them; one about no object (an empty input) counts none.
 */
export function summarize(all: readonly Problem[], resources: number, skipped: readonly string[] = []): Summary {
  const problems = all.filter((p) => !p.excepted);
  const objects = new Set(
    problems
      .filter((p) => p.resource !== undefined || p.kind !== undefined)
      .flatMap((p) => p.resources ?? [p.resource ?? `${p.file}|${p.line ?? ''}|${p.kind ?? ''}|${p.name ?? ''}`]),
  );
  const errors = problems.filter((p) => p.severity === 'error').length;
  return {
    problems: problems.length,
    excepted: all.length - problems.length,
    errors,
    warnings: problems.length - errors,
    resourcesWithProblems: Math.min(objects.size, resources),
    resources,
    ...(skipped.length > 0 ? { skipped: [...skipped] } : {}),
  };
}

/** What a summary line adds for the checks that did not run: `; the server field checks did not run`. */
export function skippedSuffix(s: Pick<Summary, 'skipped'>): string {
  const skipped = s.skipped ?? [];
  if (skipped.length === 0) return '';
  const named = skipped.length === 1 ? skipped[0]! : `${skipped.slice(0, -1).join(', ')} and ${skipped.at(-1)!}`;
  return `; the ${named} did not run`;
}

export function formatSummary(s: Summary): string {
  return summaryLine(s) + skippedSuffix(s);
}

function summaryLine(s: Summary): string {
  const excepted = s.excepted > 0 ? `, ${s.excepted} excepted with a reason` : '';
  const resources = `${s.resources} resource${s.resources === 1 ? '' : 's'}`;
  if (s.problems === 0) return `No problems in ${resources}${excepted}`;
  const what = s.warnings > 0 ? ` (${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'})` : '';
  const found = `Found ${s.problems} problem${s.problems === 1 ? '' : 's'}${what}`;
  if (s.resources === 0) return `${found} and no resources${excepted}`;
  return `${found} in ${s.resourcesWithProblems} of ${resources}${excepted}`;
}
