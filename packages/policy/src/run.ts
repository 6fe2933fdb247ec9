import { isPlainObject, nearest } from '@strata/core';
import { nameOf } from './read.ts';
import { rules as allRules } from './registry.ts';
import type { Env, Finding, PolicyContext, PolicyException, PolicyObject, Rule, Severity } from './types.ts';

const ENVS: readonly string[] = ['dev', 'staging', 'prod'];
const LEVELS: readonly string[] = ['error', 'warning', 'off'];

/** A mistake in policy settings: where it is (`['severity', 'require-probes', 'dev']`, `['exceptions', '0', 'rule']`) and what to do. */
export interface SettingsProblem {
  readonly path: readonly string[];
  readonly message: string;
}

const shown = (v: unknown) => JSON.stringify(v) ?? String(v);

/**
 * Mistakes in the exceptions and severities of a context, the shape checked before anything is read
 * from it: a misspelt rule id would otherwise silently waive nothing, and a severity that is not a
 * map of envs would be read as one.
 */
export function settingsProblems(ctx: Pick<PolicyContext, 'exceptions' | 'severity'>, ruleSet: readonly Rule[] = allRules): SettingsProblem[] {
  const ids = ruleSet.map((r) => r.id);
  const known = (rule: unknown) => {
    const near = typeof rule === 'string' ? nearest(rule, ids) : undefined;
    return near ? `did you mean "${near}"?` : "use one of the rule ids listed in @strata/policy's README.";
  };
  const problems: SettingsProblem[] = [];
  const exceptions: unknown = ctx.exceptions;
  if (exceptions !== undefined && !Array.isArray(exceptions))
    problems.push({ path: ['exceptions'], message: `Policy exceptions must be a list such as [{ rule, kind, reason }]; got ${shown(exceptions)}` });
  for (const [i, e] of (Array.isArray(exceptions) ? (exceptions as unknown[]) : []).entries()) {
    const path = ['exceptions', String(i)];
    if (!isPlainObject(e)) {
      problems.push({ path, message: `Policy exception ${i + 1} must be an object such as { rule, kind, reason }; got ${shown(e)}` });
      continue;
    }
    const target = [e.kind, e.namespace, e.name].filter(Boolean).join(' ');
    const label = `for rule "${String(e.rule)}"${target ? ` on ${target}` : ''}`;
    if (typeof e.reason !== 'string' || e.reason.trim() === '')
      problems.push({
        path: [...path, 'reason'],
        message: `Policy exception ${label} has no reason: a reason is required, so say why the rule does not apply.`,
      });
    else if (typeof e.rule !== 'string' || !ids.includes(e.rule))
      problems.push({ path: [...path, 'rule'], message: `Policy exception ${label} names no known rule: ${known(e.rule)}` });
  }
  const severity: unknown = ctx.severity;
  if (severity !== undefined && !isPlainObject(severity)) {
    problems.push({
      path: ['severity'],
      message: `Severity overrides must map rule ids to envs and levels, such as {"require-probes": {"dev": "warning"}}; got ${shown(severity)}`,
    });
    return problems;
  }
  for (const [rule, perEnv] of Object.entries(severity ?? {})) {
    const path = ['severity', rule];
    if (!ids.includes(rule)) problems.push({ path, message: `Severity override for "${rule}" names no known rule: ${known(rule)}` });
    else if (!isPlainObject(perEnv))
      problems.push({ path, message: `Severity override for "${rule}" must map envs to levels, such as {"dev": "warning"}; got ${shown(perEnv)}` });
    else
      for (const [env, level] of Object.entries(perEnv)) {
        const fixed = ruleSet.find((r) => r.id === rule)?.fixedSeverity ? ruleSet.find((r) => r.id === rule)?.defaultSeverity : undefined;
        if (!ENVS.includes(env) || !LEVELS.includes(level as string))
          problems.push({
            path: [...path, env],
            message: `Severity override for "${rule}" sets ${env}: ${shown(level)}: use dev, staging or prod with error, warning or off.`,
          });
        else if (fixed !== undefined && level !== fixed)
          problems.push({
            path: [...path, env],
            message: `Severity override for "${rule}" sets ${env}: ${shown(level)}, but it cannot be lowered: the API server refuses what it reports whatever the severity; fix the objects it names, or add a policy exception with a reason.`,
          });
      }
  }
  return problems;
}

/** Configuration mistakes fail loudly, the first one in one line (the callers that know the file name it). */
function checkContext(ctx: PolicyContext, ruleSet: readonly Rule[]): void {
  const [first] = settingsProblems(ctx, ruleSet);
  if (first) throw new Error(first.message);
}

/** The severity a rule reports with in the context's env, or 'off' when it does not run there. */
export function severityFor(rule: Rule, ctx: PolicyContext = {}): Severity | 'off' {
  if (rule.fixedSeverity) return rule.defaultSeverity;
  const env: Env | undefined = ctx.env;
  const override = env ? ctx.severity?.[rule.id]?.[env] : undefined;
  if (override) return override;
  if (rule.envs && (!env || !rule.envs.includes(env))) return 'off';
  return env === 'prod' && rule.prodSeverity ? rule.prodSeverity : rule.defaultSeverity;
}

const FIELDS = ['kind', 'name', 'namespace'] as const;
type Field = (typeof FIELDS)[number];

const fieldOf = (object: PolicyObject, field: Field): string | undefined =>
  field === 'kind' ? object.manifest.kind : field === 'name' ? nameOf(object) : object.manifest.metadata.namespace;

/** Whether the exception's kind, name and namespace (those it sets) are the object's. */
function covers(e: PolicyException, object: PolicyObject, fields: readonly Field[] = FIELDS): boolean {
  return fields.every((f) => e[f] === undefined || e[f] === fieldOf(object, f));
}

function matchingException(rule: string, object: PolicyObject, exceptions: readonly PolicyException[]): PolicyException | undefined {
  return exceptions.find((e) => e.rule === rule && covers(e, object));
}

/**
 * The exceptions that match none of the given objects (every env's objects of one app): a
 * misspelt kind, name or namespace waives nothing, and the findings it was written for come back
 * without a word. Each names the field that rules out the last objects, with the closest value
 * the objects have.
 */
export function unusedExceptions(exceptions: readonly PolicyException[] | undefined, objects: readonly PolicyObject[]): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  for (const [i, e] of (exceptions ?? []).entries()) {
    if (objects.some((o) => covers(e, o))) continue;
    const target = [e.kind, e.namespace, e.name].filter(Boolean).join(' ');
    const label = `Policy exception for rule "${e.rule}"${target ? ` on ${target}` : ''} waives nothing: no object of the app, in any env,`;
    // The first field that leaves no object, among the objects the fields before it allow.
    const field = FIELDS.find((f, n) => e[f] !== undefined && !objects.some((o) => covers(e, o, FIELDS.slice(0, n + 1)))) ?? 'kind';
    const before = FIELDS.slice(0, FIELDS.indexOf(field));
    const values = [...new Set(objects.filter((o) => covers(e, o, before)).map((o) => fieldOf(o, field)))].filter((v): v is string => !!v);
    const value = e[field];
    const near = value === undefined ? undefined : nearest(value, values);
    const of = e.kind ?? 'object';
    const what =
      value === undefined
        ? ' exists'
        : field === 'kind'
          ? ` is a ${value}`
          : field === 'name'
            ? ` is a ${of} named "${value}"`
            : ` is a ${of}${e.name ? ` named "${e.name}"` : ''} in namespace "${value}"`;
    const fix = near
      ? `; did you mean ${field} "${near}"?`
      : values.length > 0 && values.length <= 8
        ? `: use one of ${values.map((v) => `"${v}"`).join(', ')}, or remove the exception.`
        : ': fix it, or remove the exception.';
    problems.push({ path: ['exceptions', String(i), ...(value === undefined ? [] : [field])], message: `${label}${what}${fix}` });
  }
  return problems;
}

/**
 * The exceptions that match objects of the app but waive none of its findings, in any env (`findings`
 * are every env's, as `runPolicy` returns them): the rule does not fire on what they match, or an
 * earlier exception already waives the same findings. Such an exception is stale: it would silently
 * waive a finding the app did not mean to allow once the objects change. Exceptions that match no
 * object at all are `unusedExceptions`' to report.
 */
export function staleExceptions(
  exceptions: readonly PolicyException[] | undefined,
  objects: readonly PolicyObject[],
  findings: readonly Pick<Finding, 'rule' | 'object'>[],
): SettingsProblem[] {
  const all = exceptions ?? [];
  // Each finding is waived by the first exception that matches it, as runPolicy waives it.
  const used = new Set(findings.map((f) => all.findIndex((e) => e.rule === f.rule && covers(e, f.object))));
  const problems: SettingsProblem[] = [];
  for (const [i, e] of all.entries()) {
    if (used.has(i) || !objects.some((o) => covers(e, o))) continue;
    const target = [e.kind, e.namespace, e.name].filter(Boolean).join(' ');
    const label = `Policy exception for rule "${e.rule}"${target ? ` on ${target}` : ''} waives nothing:`;
    // Findings it matches are waived by the exception before it that matches them first.
    const mine = findings.find((f) => f.rule === e.rule && covers(e, f.object));
    const earlier = mine ? all.findIndex((x) => x.rule === mine.rule && covers(x, mine.object)) : -1;
    const why =
      earlier >= 0
        ? ` exception ${earlier + 1} before it waives the same findings; remove one of them.`
        : ` the rule reports nothing on the objects it matches, in any env; remove the exception (it would waive a finding nobody has judged yet).`;
    problems.push({ path: ['exceptions', String(i), 'rule'], message: `${label}${why}` });
  }
  return problems;
}

/**
 * Runs every rule over one set of objects (one env of one app, or one input set) and returns the
 * findings ordered by object, then by rule. Findings waived by an exception are kept, carrying its
 * reason. Throws on an exception without a reason or a context that names an unknown rule.
 */
export function runPolicy(objects: readonly PolicyObject[], ctx: PolicyContext = {}, ruleSet: readonly Rule[] = allRules): Finding[] {
  checkContext(ctx, ruleSet);
  const position = new Map(objects.map((o, i) => [o, i]));
  const collected: { finding: Finding; object: number; rule: number }[] = [];
  ruleSet.forEach((rule, ruleIndex) => {
    const severity = severityFor(rule, ctx);
    if (severity === 'off') return;
    for (const raw of rule.check(objects, ctx)) {
      const { severity: cap, ...rest } = raw;
      const exception = matchingException(rule.id, raw.object, ctx.exceptions ?? []);
      const finding: Finding = {
        ...rest,
        rule: rule.id,
        severity: cap === 'warning' ? 'warning' : severity,
        ...(exception && { exception: exception.reason }),
      };
      collected.push({ finding, object: position.get(raw.object) ?? objects.length, rule: ruleIndex });
    }
  });
  return collected.sort((a, b) => a.object - b.object || a.rule - b.rule).map((c) => c.finding);
}

/** The findings that fail a build: errors that no exception waives. */
export function blockingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error' && f.exception === undefined);
}
