import { rules as allRules } from './registry.ts';
import type { Env, Finding, PolicyContext, PolicyException, PolicyObject, Rule, Severity } from './types.ts';

const ENVS: readonly string[] = ['dev', 'staging', 'prod'];
const LEVELS: readonly string[] = ['error', 'warning', 'off'];

/** Configuration mistakes fail loudly: a misspelt rule id would otherwise silently waive nothing. */
function checkContext(ctx: PolicyContext, ruleSet: readonly Rule[]): void {
  const ids = new Set(ruleSet.map((r) => r.id));
  for (const e of ctx.exceptions ?? []) {
    const target = [e.kind, e.namespace, e.name].filter(Boolean).join(' ');
    const label = `for rule "${e.rule}"${target ? ` on ${target}` : ''}`;
    if (typeof e.reason !== 'string' || e.reason.trim() === '') {
      throw new Error(`Policy exception ${label} has no reason: a reason is required, so say why the rule does not apply.`);
    }
    if (!ids.has(e.rule))
      throw new Error(`Policy exception ${label} names no known rule: use one of the rule ids listed in @strata/policy's README.`);
  }
  for (const [rule, perEnv] of Object.entries(ctx.severity ?? {})) {
    if (!ids.has(rule))
      throw new Error(`Severity override for "${rule}" names no known rule: use one of the rule ids listed in @strata/policy's README.`);
    for (const [env, level] of Object.entries(perEnv)) {
      if (!ENVS.includes(env) || !LEVELS.includes(String(level))) {
        throw new Error(`Severity override for "${rule}" sets ${env}: ${String(level)}: use dev, staging or prod with error, warning or off.`);
      }
    }
  }
}

/** The severity a rule reports with in the context's env, or 'off' when it does not run there. */
export function severityFor(rule: Rule, ctx: PolicyContext = {}): Severity | 'off' {
  const env: Env | undefined = ctx.env;
  const override = env ? ctx.severity?.[rule.id]?.[env] : undefined;
  if (override) return override;
  if (rule.envs && (!env || !rule.envs.includes(env))) return 'off';
  return env === 'prod' && rule.prodSeverity ? rule.prodSeverity : rule.defaultSeverity;
}

function matchingException(rule: string, object: PolicyObject, exceptions: readonly PolicyException[]): PolicyException | undefined {
  const m = object.manifest;
  return exceptions.find(
    (e) =>
      e.rule === rule &&
      (e.kind === undefined || e.kind === m.kind) &&
      (e.name === undefined || e.name === m.metadata.name) &&
      (e.namespace === undefined || e.namespace === m.metadata.namespace),
  );
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
